"""The Logistics API calls: docks, warehouses and stock."""

from __future__ import annotations

from vtexbridge.sync.calls_base import (
    CallContext,
    CallTable,
    Done,
    Resolve,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Ref
from vtexbridge.sync.steps import Action, Step
from vtexbridge.vtex.models.logistics import DockUpsert, InventoryUpdate, WarehouseUpsert


async def put_dock(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    await ctx.client.logistics.upsert_dock(DockUpsert(**ctx.body(step, resolve)), record=step.ref)
    return Done(step.key)


async def put_warehouse(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    await ctx.client.logistics.upsert_warehouse(WarehouseUpsert(**body), record=step.ref)
    return Done(step.key)


async def deactivate_warehouse(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    await ctx.client.logistics.deactivate_warehouse(step.vtex_id or step.key, record=step.ref)
    return Done(step.vtex_id, active=False)


async def deactivate_dock(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    await ctx.client.logistics.deactivate_dock(step.vtex_id or step.key, record=step.ref)
    return Done(step.vtex_id, active=False)


async def put_inventory(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    sku, warehouse = step.key.split("|", 1)
    body = ctx.body(step, resolve)
    sku_id = resolve(Ref(Kind.SKU.value, sku))
    await ctx.client.logistics.update_inventory(sku_id, warehouse, InventoryUpdate(**body), record=step.ref)
    return Done()


async def zero_inventory(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    await put_inventory(ctx, step, resolve)
    return Done(forget=True)


CALLS: CallTable = {
    (Kind.DOCK, Action.CREATE): put_dock,
    (Kind.DOCK, Action.UPDATE): put_dock,
    (Kind.WAREHOUSE, Action.CREATE): put_warehouse,
    (Kind.WAREHOUSE, Action.UPDATE): put_warehouse,
    (Kind.WAREHOUSE, Action.DEACTIVATE): deactivate_warehouse,
    (Kind.DOCK, Action.DEACTIVATE): deactivate_dock,
    (Kind.INVENTORY, Action.CREATE): put_inventory,
    (Kind.INVENTORY, Action.UPDATE): put_inventory,
    (Kind.INVENTORY, Action.DEACTIVATE): zero_inventory,
}
