"""The order pipeline: VTEX orders into the ERP, and the ERP's actions (invoice, tracking, cancel,
change) back to VTEX.

- :mod:`.consumer` reads the orders feed v3, :mod:`.inbox` processes hook notifications kept in the
  state database; both hand each event to :mod:`.pipeline` (dedup, Get Order, status re-check, ERP
  sink, delivery record, start handling once);
- :mod:`.action_sources` reads the ERP's actions (a folder of JSON/CSV files, a SQL outbox table),
  :mod:`.actions` parses them and runs the outbox, serialised per order;
- :mod:`.service` wires them into one worker (``vtexbridge orders run`` / ``vtexbridge serve``).

This package module imports nothing, so that :mod:`vtexbridge.config` can import
:mod:`.settings` without pulling in the client or the state store. See ``docs/orders.md``.
"""
