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
plus the steps. The planner's only inputs are the two interfaces below; it does no I/O of its own.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from vtexbridge.erp.records import (
    KEY_SEPARATOR,
    Address,
    Customer,
    Dock,
    Entity,
    FixedPrice,
    Price,
    StockLevel,
    Warehouse,
    WarehouseDock,
)
from vtexbridge.errors import DependencyBlocked, RecordError, RecordInvalid
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.plan_base import (
    _SEEN,
    Snapshot,
    StateView,
    _held_back,
)
from vtexbridge.sync.plan_catalog import CatalogPasses
from vtexbridge.sync.steps import Action, Parent, Plan, PlanError
from vtexbridge.sync.validate import checker, state_key

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
    planner = _Planner(snapshot, state, mapper or Mapper(), only, sources or {})
    if not pause_collector:
        return planner.run()
    with _no_cycle_collection():
        return planner.run()


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


class _Planner(CatalogPasses):
    """Every pass, and the driver that runs them in dependency order."""

    # --- driver ---------------------------------------------------------------------------------

    def run(self) -> Plan:
        passes: list[tuple[Kind, Callable[[], None]]] = [
            (Kind.CATEGORY, self._categories),
            (Kind.BRAND, self._brands),
            (Kind.SPEC_GROUP, self._spec_groups),
            (Kind.SPEC_FIELD, self._spec_fields),
            (Kind.SPEC_VALUE, self._spec_values),
            (Kind.PRODUCT, self._products),
            (Kind.PRODUCT_SPEC, self._product_specs),
            (Kind.SKU, self._skus),
            (Kind.SKU_SPEC, self._sku_specs),
            (Kind.IMAGE, self._images),
            (Kind.EAN, self._eans),
            (Kind.PRICE, self._prices),
            (Kind.DOCK, self._docks),
            (Kind.WAREHOUSE, self._warehouses),
            (Kind.INVENTORY, self._inventory),
            (Kind.CUSTOMER, self._customers),
            (Kind.ADDRESS, self._addresses),
        ]
        needed = self._parent_kinds_needed()
        for kind, run in passes:
            if kind in self.managed:
                run()
            elif kind in needed:
                self._from_state(kind)
        self._finish()
        return self.plan

    def _parent_kinds_needed(self) -> set[Kind]:
        from vtexbridge.sync.graph import KIND_PARENTS

        needed: set[Kind] = set()
        for kind in self.managed:
            needed.update(KIND_PARENTS[kind])
        if Kind.SPEC_FIELD in needed or Kind.SPEC_VALUE in needed:
            needed.update({Kind.SPEC_FIELD, Kind.SPEC_VALUE})
        return needed

    # --- prices ---------------------------------------------------------------------------------

    def _prices(self) -> None:
        kind, entity = Kind.PRICE, Entity.PRICES
        fixed, fixed_bad = self._fixed_prices()
        index = self.state.index(kind.value)
        check = checker(entity)
        # not _fresh: a price skipped here takes its SKU's fixed prices with it
        for r in self._records(entity, kind, Price):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "sku_key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                fixed.pop(key, None)
                continue
            parents = self._parents_or_block(kind, entity, key, ((Kind.SKU, r.sku_key, "sku_key"),))
            if parents is None:
                fixed.pop(key, None)
                continue
            bad_fixed = fixed_bad.get(key)
            if bad_fixed is not None:
                fixed.pop(key, None)
                self._block(
                    kind, key,
                    DependencyBlocked(
                        f"held back: a fixed price of this SKU has an error ({bad_fixed.user_message}); "
                        "the PUT replaces every fixed price, so it would remove that one",
                        record=self._ref(entity, key), field="fixed_prices",
                    ),
                )  # fmt: skip
                continue
            values = self._mapped(kind, entity, key, self.mapper.price, r, fixed.pop(key, []))
            if values is None:
                continue
            self._diff(kind, key, entry, values, parents, entity, key, parent_key=r.sku_key)
        for sku_key, rows in fixed.items():
            cause = self.bad[kind].get(sku_key)
            for row in rows:
                ref = self._ref(Entity.FIXED_PRICES, row.key)
                if cause is not None:  # its price row is bad: held back with it
                    self._block(kind, state_key(row.key), _held_back(kind, sku_key, cause, ref, "sku_key"))
                    continue
                parent = self._parent(Kind.SKU, sku_key, ref, "sku_key", kind)
                if isinstance(parent, RecordError):
                    self._block(kind, state_key(row.key), parent)
                    continue
                self._invalid(
                    kind, Entity.FIXED_PRICES, row.key, "sku_key",
                    f"SKU {sku_key!r} has fixed prices but no row in prices: VTEX needs a base price first",
                )  # fmt: skip
        self._unlink_missing(kind, index, need_id=False)

    def _fixed_prices(self) -> tuple[dict[str, list[FixedPrice]], dict[str, RecordError]]:
        """Fixed prices grouped by SKU, and the first error of each SKU whose fixed prices are bad
        (that SKU's price is held back: the PUT would drop the bad row's fixed price)."""
        entity = Entity.FIXED_PRICES
        groups: dict[str, list[FixedPrice]] = {}
        bad: dict[str, RecordError] = {}
        seen: set[str] = set()
        check = checker(entity)
        if entity not in self.provided:
            return groups, bad
        for item in self.snapshot.read(entity):
            if isinstance(item, RecordError):
                owner = self._reader_error(entity, Kind.PRICE, item)
                if owner is not None:
                    bad.setdefault(owner, item)
                continue
            assert isinstance(item, FixedPrice)
            problems = check(item)
            if item.key in seen:
                problems = (
                    (
                        "min_quantity",
                        "duplicate fixed price: same SKU, trade policy, minimum quantity and start",
                    ),
                )
            seen.add(item.key)
            if problems:
                error = RecordInvalid(
                    problems[0][1], record=self._ref(entity, item.key), field=problems[0][0]
                )
                bad.setdefault(item.sku_key, error)
                self._count(Kind.PRICE, Action.BLOCKED)
                self.plan.errors.append(PlanError(Kind.PRICE, state_key(item.key), error))
                continue
            groups.setdefault(item.sku_key, []).append(item)
        return groups, bad

    # --- logistics ------------------------------------------------------------------------------

    def _docks(self) -> None:
        kind, entity = Kind.DOCK, Entity.DOCKS
        index = self.state.index(kind.value)
        check = checker(entity)
        for r, key, entry in self._fresh(entity, kind, Dock, index, "key", check):
            values = self._mapped(kind, entity, key, self.mapper.dock, r)
            if values is None:
                continue
            self.dock_names[key] = r.name
            self._diff(kind, key, entry, values, (), entity, key, active=r.is_active)
            self.known[kind][key] = key
        self._deactivate_missing(kind, index, keyed=True)

    def _warehouses(self) -> None:
        kind, entity = Kind.WAREHOUSE, Entity.WAREHOUSES
        links: dict[str, list[WarehouseDock]] = {}
        link_errors: dict[str, RecordError] = {}
        for wd in self._records(Entity.WAREHOUSE_DOCKS, kind, WarehouseDock, merged_errors=link_errors):
            ref = self._ref(Entity.WAREHOUSE_DOCKS, wd.key)
            dock = self._parent(Kind.DOCK, wd.dock_key, ref, "dock_key", kind)
            if isinstance(dock, RecordError):
                link_errors.setdefault(wd.warehouse_key, dock)
                continue
            links.setdefault(wd.warehouse_key, []).append(wd)
        index = self.state.index(kind.value)
        check = checker(entity)
        for r, key, entry in self._fresh(entity, kind, Warehouse, index, "key", check):
            error = link_errors.get(key)
            if error is not None:
                self._block(kind, key, error)
                continue
            docks = links.get(key, [])
            parents = self._parents_or_block(
                kind, entity, key, [(Kind.DOCK, d.dock_key, "dock_key") for d in docks]
            )
            if parents is None:
                continue
            values = self._mapped(kind, entity, key, self.mapper.warehouse, r, docks, self.dock_names)
            if values is None:
                continue
            self._diff(kind, key, entry, values, parents, entity, key, active=r.is_active)
            self.known[kind][key] = key
        self._deactivate_missing(kind, index, keyed=True)

    def _inventory(self) -> None:
        kind, entity = Kind.INVENTORY, Entity.INVENTORY
        index = self.state.index(kind.value)
        km = self.mapper[kind]
        for r, key, entry in self._fresh(entity, kind, StockLevel, index, "warehouse_key"):
            parents = self._parents_or_block(
                kind,
                entity,
                key,
                ((Kind.SKU, r.sku_key, "sku_key"), (Kind.WAREHOUSE, r.warehouse_key, "warehouse_key")),
            )
            values = None if parents is None else self._mapped(kind, entity, key, km.values, r)
            if parents is None or values is None:
                continue
            self._diff(kind, key, entry, values, parents, entity, key, parent_key=r.sku_key)
        for key, _entry in self._missing(index):
            sku_id = self._owner_present(Kind.SKU, key)
            warehouse = key.split(KEY_SEPARATOR, 1)[1]
            if (
                sku_id is None
                or warehouse not in self.known[Kind.WAREHOUSE]
                or not self._can_remove(kind, key)
            ):
                continue
            sku_key = key.split(KEY_SEPARATOR, 1)[0]
            removal = (
                Parent(Kind.SKU.value, sku_key, sku_id, None),
                Parent(Kind.WAREHOUSE.value, warehouse, warehouse, None),
            )
            # stock of a line the ERP no longer lists: zero, so the SKU is not sold from there
            self._remove(
                kind, key, Action.DEACTIVATE, removal, values=(0, False, "0.00:00:00"), parent_key=sku_key
            )

    # --- customers ------------------------------------------------------------------------------

    def _customers(self) -> None:
        kind, entity = Kind.CUSTOMER, Entity.CUSTOMERS
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r, key, entry in self._fresh(entity, kind, Customer, index, "key", check):
            values = self._mapped(kind, entity, key, km.values, r)
            if values is None:
                continue
            step = self._diff(kind, key, entry, values, (), entity, key)
            # h7 (#12): an adopted profile keeps the id VTEX gave it; ours is derived from the key
            doc_id = entry.vtex_id if entry is not None and entry.vtex_id else self.mapper.customer_id(key)
            self.known[kind][key] = doc_id
            if step is not None:
                step.vtex_id = doc_id

    def _addresses(self) -> None:
        kind, entity = Kind.ADDRESS, Entity.ADDRESSES
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r, key, entry in self._fresh(entity, kind, Address, index, "key", check):
            parents = self._parents_or_block(
                kind, entity, key, ((Kind.CUSTOMER, r.customer_key, "customer_key"),)
            )
            values = None if parents is None else self._mapped(kind, entity, key, km.values, r)
            if parents is None or values is None:
                continue
            step = self._diff(kind, key, entry, values, parents, entity, key, parent_key=r.customer_key)
            if step is not None:  # h7 (#12): an adopted address keeps VTEX's id
                step.vtex_id = (
                    entry.vtex_id if entry is not None and entry.vtex_id else self.mapper.address_id(key)
                )
