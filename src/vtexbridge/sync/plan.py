"""The planner, pure: (ERP snapshot, state) -> :class:`~vtexbridge.sync.steps.Plan`.

It reads each entity once, in :class:`~vtexbridge.erp.records.Entity` order (parents first), against
the state index of its kind (``erp_key -> (vtex_id, payload_hash, active)``), and decides per record:

- new, or an earlier create's outcome unknown (in flight) -> ``create`` (looked up first when in flight);
- payload hash differs from the one VTEX last accepted -> ``update``;
- SKU wanted active but inactive in VTEX -> ``activate``; the other way round -> ``deactivate``;
- link entities (EANs, trade policies) -> ``link`` / ``unlink``;
- otherwise ``unchanged``: counted, nothing kept.

Records in the state but missing from a complete read are deactivated (categories, brands,
specification fields and values, products, every SKU, warehouses) or removed (images, EANs,
product and SKU specifications, trade-policy links, prices; a stock line is set to zero). Links of
a parent that is itself gone are left as they are: the parent is deactivated, and they come back
unchanged if it returns. Nothing of an entity whose read was incomplete is deactivated or removed,
and nothing named in an error either.

Every record is checked before anything is planned for it (:mod:`vtexbridge.sync.validate`, unknown
or failed parents, duplicate keys, mandatory specifications, one EAN per SKU); a bad record gets an
error naming its file or key and field, and every step that depends on it is held back with
:class:`~vtexbridge.errors.DependencyBlocked` naming it.

Memory: one kind's state index at a time, plus ``key -> VTEX id`` of the parents later kinds refer to,
plus the steps. The planner's only inputs are the two interfaces of
:mod:`~vtexbridge.sync.plan_context`; it does no I/O of its own.

Where each decision is: one module per entity family, each a set of passes (plain functions) over
the run's :class:`~vtexbridge.sync.plan_context.PlanContext` — :mod:`.plan_taxonomy` (categories,
brands, specification groups/fields/values), :mod:`.plan_products` (products, trade policies,
product specifications), :mod:`.plan_skus` (SKUs and their activation, SKU specifications, images,
EANs), :mod:`.plan_pricing`, :mod:`.plan_logistics`, :mod:`.plan_customers`; the shared rules
(parents, duplicates, create/update/unchanged, removals) in :mod:`.plan_context`, the end (holding
back dependents, ordering) in :mod:`.plan_finish`. :data:`PASSES` runs them in dependency order.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from vtexbridge.erp.records import (
    Entity,
)
from vtexbridge.sync import (
    plan_customers,
    plan_logistics,
    plan_pricing,
    plan_products,
    plan_skus,
    plan_taxonomy,
)
from vtexbridge.sync.graph import KIND_PARENTS, Kind
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.plan_context import PlanContext, Snapshot, StateView
from vtexbridge.sync.plan_finish import finish
from vtexbridge.sync.steps import Plan

__all__ = ["Snapshot", "StateView", "make_plan"]


def make_plan(
    snapshot: Snapshot,
    state: StateView,
    *,
    mapper: Mapper | None = None,
    only: Iterable[Entity] | None = None,
    sources: Mapping[Entity, str] | None = None,
    pause_collector: bool = False,
) -> Plan:
    """Plan the sync of ``snapshot`` against ``state``.

    Args:
        snapshot: the ERP records (a reader).
        state: the state store's view.
        mapper: payload mapping (default settings when None).
        only: plan only these entities (the others are taken as they are in the state store).
        sources: a name per entity for errors found by the planner (the file it was read from).
        pause_collector: pause the cycle collector while planning (:func:`_no_cycle_collection`).
            The collector is the process's, not the thread's: only a process that does nothing
            else meanwhile may ask for it (``vtexbridge sync``), never a server planning in a
            worker thread, whose other work would run without it.
    """
    ctx = PlanContext(snapshot, state, mapper or Mapper(), only, sources or {})
    if not pause_collector:
        return _run(ctx)
    with _no_cycle_collection():
        return _run(ctx)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Planning allocates millions of objects (records, hashes, the state's index) and keeps most of
    them until it ends; the cycle collector would rescan them again and again (about a tenth of a
    no-change plan's time) to find almost nothing: records and hashes hold no cycles. Reference
    counting still frees everything as usual; the collector is back on afterwards."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


Pass = Callable[[PlanContext], None]

PASSES: tuple[tuple[Kind, Pass], ...] = (
    (Kind.CATEGORY, plan_taxonomy.categories),
    (Kind.BRAND, plan_taxonomy.brands),
    (Kind.SPEC_GROUP, plan_taxonomy.spec_groups),
    (Kind.SPEC_FIELD, plan_taxonomy.spec_fields),
    (Kind.SPEC_VALUE, plan_taxonomy.spec_values),
    (Kind.PRODUCT, plan_products.products),
    (Kind.PRODUCT_SPEC, plan_products.product_specs),
    (Kind.SKU, plan_skus.skus),
    (Kind.SKU_SPEC, plan_skus.sku_specs),
    (Kind.IMAGE, plan_skus.images),
    (Kind.EAN, plan_skus.eans),
    (Kind.PRICE, plan_pricing.prices),
    (Kind.DOCK, plan_logistics.docks),
    (Kind.WAREHOUSE, plan_logistics.warehouses),
    (Kind.INVENTORY, plan_logistics.inventory),
    (Kind.CUSTOMER, plan_customers.customers),
    (Kind.ADDRESS, plan_customers.addresses),
)
"""Every pass, in dependency order (a kind's parents are planned before it)."""


def _run(ctx: PlanContext) -> Plan:
    """Run the passes of the managed kinds; a kind not managed but referred to is taken from the state."""
    needed = _parent_kinds_needed(ctx)
    for kind, run in PASSES:
        if kind in ctx.managed:
            run(ctx)
        elif kind in needed:
            ctx.from_state(kind)
    finish(ctx)
    return ctx.plan


def _parent_kinds_needed(ctx: PlanContext) -> set[Kind]:
    needed: set[Kind] = set()
    for kind in ctx.managed:
        needed.update(KIND_PARENTS[kind])
    if Kind.SPEC_FIELD in needed or Kind.SPEC_VALUE in needed:
        needed.update({Kind.SPEC_FIELD, Kind.SPEC_VALUE})
    return needed
