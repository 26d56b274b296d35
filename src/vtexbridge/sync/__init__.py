"""The catalog, price, stock and customer sync: ERP snapshot in, the minimum of VTEX writes out.

Where each behaviour is (one file each; no mixins — a pass or a call is a plain function taking an
explicit context):

- what the sync manages and in which order — :mod:`.graph` (kinds, parents, API areas);
- ERP record -> VTEX payload (pure) — :mod:`.mapping` (overrides, hashes, request bodies) and
  :mod:`.mapping_defaults` (each kind's default payload);
- local rules checked before anything is sent (pure) — :mod:`.validate`;
- the planner (pure: snapshot + state -> an ordered, printable plan) — :mod:`.plan` (``make_plan``
  and the table of passes), over a :class:`~.plan_context.PlanContext` (:mod:`.plan_context`: the
  shared rules — parents, duplicates, create/update/unchanged, removals); one module of passes per
  entity family:

  ========================================================  =========================
  categories, brands, specification groups/fields/values    :mod:`.plan_taxonomy`
  products, trade-policy links, product specifications      :mod:`.plan_products`
  SKUs (and activation), SKU specifications, images, EANs   :mod:`.plan_skus`
  prices and fixed prices                                   :mod:`.plan_pricing`
  docks, warehouses, stock                                  :mod:`.plan_logistics`
  customers, addresses                                      :mod:`.plan_customers`
  holding back dependents of a bad record, step order       :mod:`.plan_finish`
  ========================================================  =========================

- the executor, the only code that calls VTEX (scheduling, retries, failures) — :mod:`.apply`, its
  state bookkeeping (batched commits, in-flight marks, chosen ids) — :mod:`.apply_state`;
- the request of each ``(Kind, Action)`` — :mod:`.calls` (the dispatch table), over a
  :class:`~.calls_base.CallContext`; one module per VTEX API area: :mod:`.calls_taxonomy`
  (categories, brands, specifications), :mod:`.calls_products` (products, SKUs, their
  specifications, images, EANs, trade policies), :mod:`.calls_pricing`, :mod:`.calls_logistics`
  (docks, warehouses, stock), :mod:`.calls_masterdata` (customers, addresses);
  e.g. a SKU gone from the ERP: planned in :func:`.plan_context.PlanContext.deactivate_missing`
  (called by :func:`.plan_skus.skus`), sent by :func:`.calls_products.deactivate_sku`;
- adopting what VTEX already holds before creating — :mod:`.adopt` and ``adopt_*``;
- summaries, per-record errors, report files — :mod:`.report`; ``--show`` diffs — :mod:`.show`;
- wiring reader, state, plan and executor for the CLI and the dashboard — :mod:`.runner`.

Nothing is imported here: ``vtexbridge.config`` imports :mod:`vtexbridge.sync.config`, and importing
the executor from the package root would import the VTEX client into every config load.
"""
