"""Logistics API (``VTEX - Logistics API.json``): warehouses, docks and inventory.

Warehouses and docks are created or updated by the same call, under an id the caller chooses, so
those writes are safe to repeat. Inventory must be written to a warehouse that exists; VTEX answers
``423 Locked`` when the same SKU and warehouse are written twice within milliseconds (the
transport's retry policy waits and tries again).
"""

from __future__ import annotations

from pydantic import TypeAdapter

from vtexbridge.errors import RecordRef
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.logistics import (
    Dock,
    DockUpsert,
    InventoryQuantityUpdate,
    InventoryUpdate,
    LeadTimeUpdate,
    SkuInventory,
    Warehouse,
    WarehouseUpsert,
)
from vtexbridge.vtex.paths import segments
from vtexbridge.vtex.transport import Transport

WAREHOUSES = "/api/logistics/pvt/configuration/warehouses"
WAREHOUSE = "/api/logistics/pvt/configuration/warehouses/{warehouseId}"
WAREHOUSE_ACTIVATION = "/api/logistics/pvt/configuration/warehouses/{warehouseId}/activation"
WAREHOUSE_DEACTIVATION = "/api/logistics/pvt/configuration/warehouses/{warehouseId}/deactivation"
DOCKS = "/api/logistics/pvt/configuration/docks"
DOCK = "/api/logistics/pvt/configuration/docks/{dockId}"
DOCK_DEACTIVATION = "/api/logistics/pvt/configuration/docks/{dockId}/deactivation"
SKU_INVENTORY = "/api/logistics/pvt/inventory/skus/{skuId}"
INVENTORY = "/api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}"
INVENTORY_QUANTITY = "/api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}/quantity"
INVENTORY_LEAD_TIME = "/api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}/lead-time"

_WAREHOUSES = TypeAdapter(list[Warehouse])
_DOCKS = TypeAdapter(list[Dock])


class LogisticsAPI:
    """The Logistics API of one account."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    # --- warehouses ---------------------------------------------------------------------------

    async def upsert_warehouse(self, warehouse: WarehouseUpsert, *, record: RecordRef | None = None) -> None:
        """Create the warehouse ``warehouse.id``, or update it when it exists."""
        await self._t.request(
            Api.LOGISTICS, "POST", WAREHOUSES, json=warehouse.body(), idempotent=True, record=record
        )

    async def get_warehouse(self, warehouse_id: str, *, record: RecordRef | None = None) -> Warehouse:
        r = await self._t.request(
            Api.LOGISTICS, "GET", WAREHOUSE, path=segments(warehouseId=warehouse_id), record=record
        )
        return Warehouse.model_validate(r.json())

    async def list_warehouses(self, *, record: RecordRef | None = None) -> list[Warehouse]:
        r = await self._t.request(Api.LOGISTICS, "GET", WAREHOUSES, record=record)
        return _WAREHOUSES.validate_python(r.json())

    async def activate_warehouse(self, warehouse_id: str, *, record: RecordRef | None = None) -> None:
        await self._t.request(
            Api.LOGISTICS,
            "POST",
            WAREHOUSE_ACTIVATION,
            path=segments(warehouseId=warehouse_id),
            idempotent=True,
            record=record,
        )

    async def deactivate_warehouse(self, warehouse_id: str, *, record: RecordRef | None = None) -> None:
        await self._t.request(
            Api.LOGISTICS,
            "POST",
            WAREHOUSE_DEACTIVATION,
            path=segments(warehouseId=warehouse_id),
            idempotent=True,
            record=record,
        )

    # --- docks --------------------------------------------------------------------------------

    async def upsert_dock(self, dock: DockUpsert, *, record: RecordRef | None = None) -> None:
        """Create the dock ``dock.id``, or update it when it exists."""
        await self._t.request(Api.LOGISTICS, "POST", DOCKS, json=dock.body(), idempotent=True, record=record)

    async def get_dock(self, dock_id: str, *, record: RecordRef | None = None) -> Dock:
        r = await self._t.request(Api.LOGISTICS, "GET", DOCK, path=segments(dockId=dock_id), record=record)
        return Dock.model_validate(r.json())

    async def list_docks(self, *, record: RecordRef | None = None) -> list[Dock]:
        r = await self._t.request(Api.LOGISTICS, "GET", DOCKS, record=record)
        return _DOCKS.validate_python(r.json())

    async def deactivate_dock(self, dock_id: str, *, record: RecordRef | None = None) -> None:
        await self._t.request(
            Api.LOGISTICS,
            "POST",
            DOCK_DEACTIVATION,
            path=segments(dockId=dock_id),
            idempotent=True,
            record=record,
        )

    # --- inventory ----------------------------------------------------------------------------

    async def update_inventory(
        self,
        sku_id: str | int,
        warehouse_id: str,
        inventory: InventoryUpdate,
        *,
        record: RecordRef | None = None,
    ) -> None:
        """Set the SKU's stock (quantity, unlimited flag, lead time) in one warehouse."""
        await self._t.request(
            Api.LOGISTICS,
            "PUT",
            INVENTORY,
            path=segments(skuId=sku_id, warehouseId=warehouse_id),
            json=inventory.body(),
            record=record,
        )

    async def update_inventory_quantity(
        self,
        sku_id: str | int,
        warehouse_id: str,
        quantity: InventoryQuantityUpdate,
        *,
        record: RecordRef | None = None,
    ) -> None:
        """Set the SKU's quantity in one warehouse, leaving its lead time as it is."""
        await self._t.request(
            Api.LOGISTICS,
            "PATCH",
            INVENTORY_QUANTITY,
            path=segments(skuId=sku_id, warehouseId=warehouse_id),
            json=quantity.body(),
            idempotent=True,
            record=record,
        )

    async def update_inventory_lead_time(
        self,
        sku_id: str | int,
        warehouse_id: str,
        lead_time: LeadTimeUpdate,
        *,
        record: RecordRef | None = None,
    ) -> None:
        await self._t.request(
            Api.LOGISTICS,
            "PATCH",
            INVENTORY_LEAD_TIME,
            path=segments(skuId=sku_id, warehouseId=warehouse_id),
            json=lead_time.body(),
            idempotent=True,
            record=record,
        )

    async def get_inventory(self, sku_id: str | int, *, record: RecordRef | None = None) -> SkuInventory:
        """The SKU's balance in every warehouse."""
        r = await self._t.request(
            Api.LOGISTICS, "GET", SKU_INVENTORY, path=segments(skuId=sku_id), record=record
        )
        return SkuInventory.model_validate(r.json())
