"""The planner's passes over logistics: docks, warehouses (with their docks) and stock lines."""

from __future__ import annotations

from vtexbridge.erp.records import (
    KEY_SEPARATOR,
    Dock,
    Entity,
    StockLevel,
    Warehouse,
    WarehouseDock,
)
from vtexbridge.errors import RecordError
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.plan_context import (
    PlanContext,
)
from vtexbridge.sync.steps import Action, Parent
from vtexbridge.sync.validate import checker


def docks(ctx: PlanContext) -> None:
    kind, entity = Kind.DOCK, Entity.DOCKS
    index = ctx.state.index(kind.value)
    check = checker(entity)
    for r, key, entry in ctx.fresh(entity, kind, Dock, index, "key", check):
        values = ctx.mapped(kind, entity, key, ctx.mapper.dock, r)
        if values is None:
            continue
        ctx.dock_names[key] = r.name
        ctx.diff(kind, key, entry, values, (), entity, key, active=r.is_active)
        ctx.known[kind][key] = key
    ctx.deactivate_missing(kind, index, keyed=True)


def warehouses(ctx: PlanContext) -> None:
    kind, entity = Kind.WAREHOUSE, Entity.WAREHOUSES
    links: dict[str, list[WarehouseDock]] = {}
    link_errors: dict[str, RecordError] = {}
    for wd in ctx.records(Entity.WAREHOUSE_DOCKS, kind, WarehouseDock, merged_errors=link_errors):
        ref = ctx.ref(Entity.WAREHOUSE_DOCKS, wd.key)
        dock = ctx.parent(Kind.DOCK, wd.dock_key, ref, "dock_key", kind)
        if isinstance(dock, RecordError):
            link_errors.setdefault(wd.warehouse_key, dock)
            continue
        links.setdefault(wd.warehouse_key, []).append(wd)
    index = ctx.state.index(kind.value)
    check = checker(entity)
    for r, key, entry in ctx.fresh(entity, kind, Warehouse, index, "key", check):
        error = link_errors.get(key)
        if error is not None:
            ctx.block(kind, key, error)
            continue
        docks = links.get(key, [])
        parents = ctx.parents_or_block(
            kind, entity, key, [(Kind.DOCK, d.dock_key, "dock_key") for d in docks]
        )
        if parents is None:
            continue
        values = ctx.mapped(kind, entity, key, ctx.mapper.warehouse, r, docks, ctx.dock_names)
        if values is None:
            continue
        ctx.diff(kind, key, entry, values, parents, entity, key, active=r.is_active)
        ctx.known[kind][key] = key
    ctx.deactivate_missing(kind, index, keyed=True)


def inventory(ctx: PlanContext) -> None:
    kind, entity = Kind.INVENTORY, Entity.INVENTORY
    index = ctx.state.index(kind.value)
    km = ctx.mapper[kind]
    for r, key, entry in ctx.fresh(entity, kind, StockLevel, index, "warehouse_key"):
        parents = ctx.parents_or_block(
            kind,
            entity,
            key,
            ((Kind.SKU, r.sku_key, "sku_key"), (Kind.WAREHOUSE, r.warehouse_key, "warehouse_key")),
        )
        values = None if parents is None else ctx.mapped(kind, entity, key, km.values, r)
        if parents is None or values is None:
            continue
        ctx.diff(kind, key, entry, values, parents, entity, key, parent_key=r.sku_key)
    for key, _entry in ctx.missing(index):
        sku_id = ctx.owner_present(Kind.SKU, key)
        warehouse = key.split(KEY_SEPARATOR, 1)[1]
        if sku_id is None or warehouse not in ctx.known[Kind.WAREHOUSE] or not ctx.can_remove(kind, key):
            continue
        sku_key = key.split(KEY_SEPARATOR, 1)[0]
        removal = (
            Parent(Kind.SKU.value, sku_key, sku_id, None),
            Parent(Kind.WAREHOUSE.value, warehouse, warehouse, None),
        )
        # stock of a line the ERP no longer lists: zero, so the SKU is not sold from there
        ctx.remove(kind, key, Action.DEACTIVATE, removal, values=(0, False, "0.00:00:00"), parent_key=sku_key)
