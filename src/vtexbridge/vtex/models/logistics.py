"""Logistics API bodies (``VTEX - Logistics API.json``): warehouses, docks and inventory. Ids are
strings chosen by the caller; durations are .NET time spans (``"3.00:00:00"``).
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from vtexbridge.vtex.models.base import RequestModel, ResponseModel, TimeSpan

# --- warehouses -------------------------------------------------------------------------------


class WarehouseDockLink(RequestModel):
    """A dock served by a warehouse, with its processing time and extra cost."""

    dockId: str
    name: str
    time: TimeSpan
    cost: str
    translateDays: str
    costToDisplay: str


class WarehouseUpsert(RequestModel):
    """``POST /api/logistics/pvt/configuration/warehouses``: creates the warehouse ``id`` or updates it."""

    id: str
    name: str
    warehouseDocks: list[WarehouseDockLink]
    priority: int | None = None
    isActive: bool | None = None


class WarehouseDockInfo(ResponseModel):
    dockId: str
    time: str | None = None
    cost: float | None = None


class Warehouse(ResponseModel):
    id: str
    name: str | None = None
    warehouseDocks: list[WarehouseDockInfo] = Field(default_factory=list)
    pickupPointIds: list[str] | None = None
    priority: int | None = None
    isActive: bool | None = None


# --- docks ------------------------------------------------------------------------------------


class Country(RequestModel):
    acronym: str = Field(min_length=3, max_length=3)
    name: str


class DockAddress(RequestModel):
    postalCode: str
    country: Country
    city: str
    state: str
    neighborhood: str
    street: str
    number: str
    complement: str
    coordinates: list[list[float]]
    """``[[longitude, latitude]]``."""


class DockUpsert(RequestModel):
    """``POST /api/logistics/pvt/configuration/docks``: creates the dock ``id`` or updates it."""

    id: str
    name: str
    priority: int
    dockTimeFake: TimeSpan
    timeFakeOverhead: TimeSpan
    salesChannels: list[str]
    salesChannel: str
    freightTableIds: list[str]
    wmsEndPoint: str | None
    address: DockAddress


class DockCountry(ResponseModel):
    acronym: str | None = None
    name: str | None = None


class DockAddressInfo(ResponseModel):
    postalCode: str | None = None
    country: DockCountry | None = None
    city: str | None = None
    state: str | None = None
    neighborhood: str | None = None
    street: str | None = None
    number: str | None = None
    complement: str | None = None
    reference: str | None = None


class Dock(ResponseModel):
    id: str
    name: str | None = None
    priority: int | None = None
    dockTimeFake: str | None = None
    timeFakeOverhead: str | None = None
    salesChannels: list[str] = Field(default_factory=list)
    salesChannel: str | None = None
    freightTableIds: list[str] = Field(default_factory=list)
    wmsEndPoint: str | None = None
    isActive: bool | None = None
    address: DockAddressInfo | None = None


# --- inventory --------------------------------------------------------------------------------


class InventoryUpdate(RequestModel):
    """``PUT /api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}``.

    ``unlimitedQuantity`` overrides ``quantity``; ``dateUtcOnBalanceSystem`` is when the ERP counted
    the stock, so VTEX can discount reservations made since.
    """

    quantity: int = Field(ge=0)
    unlimitedQuantity: bool
    dateUtcOnBalanceSystem: AwareDatetime | None = None
    leadTime: TimeSpan


class InventoryQuantityUpdate(RequestModel):
    """``PATCH …/warehouses/{warehouseId}/quantity``: the quantity only, lead time untouched."""

    quantity: int = Field(ge=0)
    unlimitedQuantity: bool
    dateUtcOnBalanceSystem: AwareDatetime | None = None


class LeadTimeUpdate(RequestModel):
    leadTime: TimeSpan


class WarehouseBalance(ResponseModel):
    warehouseId: str
    warehouseName: str | None = None
    totalQuantity: int = 0
    reservedQuantity: int = 0
    hasUnlimitedQuantity: bool = False
    timeToRefill: str | None = None
    dateOfSupplyUtc: str | None = None
    leadTime: str | None = None


class SkuInventory(ResponseModel):
    """``GET /api/logistics/pvt/inventory/skus/{skuId}``: the SKU's balance in every warehouse."""

    skuId: str
    balance: list[WarehouseBalance] = Field(default_factory=list)
