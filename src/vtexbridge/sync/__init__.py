"""The catalog, price, stock and customer sync: ERP snapshot in, the minimum of VTEX writes out.

- :mod:`~vtexbridge.sync.graph` — the kinds of entity the sync manages and their dependency order;
- :mod:`~vtexbridge.sync.mapping` — ERP record -> VTEX payload (pure), with config overrides;
- :mod:`~vtexbridge.sync.validate` — local rules, checked before anything is sent (pure);
- :mod:`~vtexbridge.sync.plan` — the planner: snapshot + state -> an ordered, printable plan (pure);
- :mod:`~vtexbridge.sync.apply` — the executor, the only code that calls VTEX (with
  :mod:`~vtexbridge.sync.calls`, the request each step makes);
- :mod:`~vtexbridge.sync.report` — summaries, per-record errors, JSON/rich renderings, report files;
- :mod:`~vtexbridge.sync.runner` — wires reader, state, plan and executor for the CLI.

Nothing is imported here: ``vtexbridge.config`` imports :mod:`vtexbridge.sync.config`, and importing
the executor from the package root would import the VTEX client into every config load.
"""
