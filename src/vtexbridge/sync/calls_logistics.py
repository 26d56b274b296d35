"""The Logistics API calls: docks, warehouses and stock."""

from __future__ import annotations

from vtexbridge.sync.calls_base import (
    CallsBase,
    Done,
    Resolve,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Ref
from vtexbridge.sync.steps import Step
from vtexbridge.vtex.models.logistics import DockUpsert, InventoryUpdate, WarehouseUpsert


class LogisticsCalls(CallsBase):
    """The Logistics API calls: docks, warehouses and stock."""

    async def put_dock(self, step: Step, resolve: Resolve) -> Done:
        await self.client.logistics.upsert_dock(DockUpsert(**self.body(step, resolve)), record=step.ref)
        return Done(step.key)

    async def put_warehouse(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        await self.client.logistics.upsert_warehouse(WarehouseUpsert(**body), record=step.ref)
        return Done(step.key)

    async def deactivate_warehouse(self, step: Step, resolve: Resolve) -> Done:
        await self.client.logistics.deactivate_warehouse(step.vtex_id or step.key, record=step.ref)
        return Done(step.vtex_id, active=False)

    async def deactivate_dock(self, step: Step, resolve: Resolve) -> Done:
        await self.client.logistics.deactivate_dock(step.vtex_id or step.key, record=step.ref)
        return Done(step.vtex_id, active=False)

    async def put_inventory(self, step: Step, resolve: Resolve) -> Done:
        sku, warehouse = step.key.split("|", 1)
        body = self.body(step, resolve)
        sku_id = resolve(Ref(Kind.SKU.value, sku))
        await self.client.logistics.update_inventory(
            sku_id, warehouse, InventoryUpdate(**body), record=step.ref
        )
        return Done()

    async def zero_inventory(self, step: Step, resolve: Resolve) -> Done:
        await self.put_inventory(step, resolve)
        return Done(forget=True)
