"""Continuous, delta-driven sync (issue #13): ERP changes reach VTEX within seconds.

- :mod:`.settings` — the ``[sync.continuous]`` section (intake token, bounds, the loop's pacing);
- :mod:`.delta` — a batch of changed records (pushed over HTTP or dropped as a delta file) checked
  record by record and grouped into *units* (one VTEX write each: a SKU's price with its fixed prices);
- :mod:`.plan` — the existing planner run over a subset: only what the delta names is planned, and
  nothing it does not name is deactivated;
- :mod:`.loop` — the loop that drains the intake queue under the sync lease and applies through the
  existing executor; it also runs the periodic full reconciliation;
- :mod:`.folder` — the ``incoming/`` folder watch; :mod:`.sqlwatch` — the SQL watermark source.

Nothing heavy is imported here: ``vtexbridge.sync.config`` imports :mod:`.settings`.
"""
