"""The ERP records of prices (base and fixed), logistics (docks, warehouses, their docks, stock
levels) and customers (Master Data profiles and addresses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from vtexbridge.erp.coerce import (
    CoerceError,
    country_code,
    datetime_value,
    decimal,
    email,
    enum_of,
    integer_at_least,
)
from vtexbridge.erp.records_base import (
    _BOOL,
    _INT,
    _LIST,
    _MONEY,
    _SPAN,
    _TEXT,
    _ZERO_SPAN,
    AddressType,
    Entity,
    _c,
    _join,
)

# --- prices -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Price:
    """A SKU's base price, in currency units (not cents).

    VTEX wants two of ``basePrice``, ``costPrice`` and ``markup`` (it computes the third): give
    ``base_price`` (optionally with one of the others), or ``cost_price`` with ``markup``.
    """

    entity: ClassVar[Entity] = Entity.PRICES
    references: ClassVar[Mapping[str, Entity]] = {"sku_key": Entity.SKUS}
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key",)

    sku_key: str = field(metadata=_TEXT)
    base_price: Decimal | None = field(default=None, metadata=_MONEY)
    list_price: Decimal | None = field(default=None, metadata=_MONEY)
    cost_price: Decimal | None = field(default=None, metadata=_MONEY)
    markup: int | None = field(default=None, metadata=_INT)

    @property
    def key(self) -> str:
        return self.sku_key

    def __post_init__(self) -> None:
        given = (self.base_price is not None) + (self.cost_price is not None) + (self.markup is not None)
        if given == 3:
            raise CoerceError(
                "give at most two of base_price, cost_price and markup (VTEX computes the third)",
                field="markup",
            )
        if self.base_price is None and given < 2:
            raise CoerceError("required unless cost_price and markup are both given", field="base_price")


@dataclass(frozen=True, slots=True)
class FixedPrice:
    """A fixed price of a SKU in one trade policy (or price table), from ``min_quantity`` units on,
    optionally only between ``date_from`` and ``date_to``."""

    entity: ClassVar[Entity] = Entity.FIXED_PRICES
    references: ClassVar[Mapping[str, Entity]] = {"sku_key": Entity.SKUS}
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key", "trade_policy", "min_quantity", "date_from")

    sku_key: str = field(metadata=_TEXT)
    trade_policy: str = field(metadata=_TEXT)
    value: Decimal = field(metadata=_MONEY)
    list_price: Decimal | None = field(default=None, metadata=_MONEY)
    min_quantity: int = field(default=1, metadata=_c(integer_at_least(1)))
    date_from: datetime | None = field(default=None, metadata=_c(datetime_value))
    date_to: datetime | None = field(default=None, metadata=_c(datetime_value))

    @property
    def key(self) -> str:
        base = _join(self.sku_key, self.trade_policy, self.min_quantity)
        return base if self.date_from is None else _join(base, self.date_from.isoformat())

    def __post_init__(self) -> None:
        if (self.date_from is None) != (self.date_to is None):
            missing = "date_to" if self.date_to is None else "date_from"
            raise CoerceError("date_from and date_to go together: give both or neither", field=missing)
        if self.date_from is not None and self.date_to is not None and self.date_to <= self.date_from:
            raise CoerceError("must be after date_from", field="date_to")


# --- logistics ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dock:
    """A loading dock: where orders leave from, for some trade policies and freight tables."""

    entity: ClassVar[Entity] = Entity.DOCKS
    references: ClassVar[Mapping[str, Entity]] = {}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    priority: int = field(default=0, metadata=_INT)
    dock_time: str = field(default=_ZERO_SPAN, metadata=_SPAN)
    time_overhead: str = field(default=_ZERO_SPAN, metadata=_SPAN)
    trade_policies: tuple[str, ...] = field(default=("1",), metadata=_LIST)
    freight_table_ids: tuple[str, ...] = field(default=(), metadata=_LIST)
    is_active: bool = field(default=True, metadata=_BOOL)
    postal_code: str | None = field(default=None, metadata=_TEXT)
    country: str | None = field(default=None, metadata=_c(country_code))
    state: str | None = field(default=None, metadata=_TEXT)
    city: str | None = field(default=None, metadata=_TEXT)
    neighborhood: str | None = field(default=None, metadata=_TEXT)
    street: str | None = field(default=None, metadata=_TEXT)
    number: str | None = field(default=None, metadata=_TEXT)
    complement: str | None = field(default=None, metadata=_TEXT)


@dataclass(frozen=True, slots=True)
class Warehouse:
    """A warehouse holding stock. Its key is sent as the VTEX warehouse ``id``."""

    entity: ClassVar[Entity] = Entity.WAREHOUSES
    references: ClassVar[Mapping[str, Entity]] = {}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    priority: int = field(default=0, metadata=_INT)
    is_active: bool = field(default=True, metadata=_BOOL)


@dataclass(frozen=True, slots=True)
class WarehouseDock:
    """A warehouse ships through a dock, taking ``time`` and costing ``cost`` (VTEX ``warehouseDocks``)."""

    entity: ClassVar[Entity] = Entity.WAREHOUSE_DOCKS
    references: ClassVar[Mapping[str, Entity]] = {
        "warehouse_key": Entity.WAREHOUSES,
        "dock_key": Entity.DOCKS,
    }
    key_fields: ClassVar[tuple[str, ...]] = ("warehouse_key", "dock_key")

    warehouse_key: str = field(metadata=_TEXT)
    dock_key: str = field(metadata=_TEXT)
    time: str = field(default=_ZERO_SPAN, metadata=_SPAN)
    cost: Decimal = field(default=Decimal(0), metadata=_MONEY)

    @property
    def key(self) -> str:
        return _join(self.warehouse_key, self.dock_key)


@dataclass(frozen=True, slots=True)
class StockLevel:
    """A SKU's stock in one warehouse (entity ``inventory``).

    ``quantity`` is the ERP's figure and may be negative (oversold); VTEX takes 0 or more, so the
    payload sends ``max(quantity, 0)``. Empty ``quantity`` is allowed only with ``unlimited``.
    """

    entity: ClassVar[Entity] = Entity.INVENTORY
    references: ClassVar[Mapping[str, Entity]] = {
        "sku_key": Entity.SKUS,
        "warehouse_key": Entity.WAREHOUSES,
    }
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key", "warehouse_key")

    sku_key: str = field(metadata=_TEXT)
    warehouse_key: str = field(metadata=_TEXT)
    quantity: int | None = field(default=None, metadata=_INT)
    unlimited: bool = field(default=False, metadata=_BOOL)
    lead_time: str | None = field(default=None, metadata=_SPAN)

    @property
    def key(self) -> str:
        return _join(self.sku_key, self.warehouse_key)

    def __post_init__(self) -> None:
        if self.quantity is None and not self.unlimited:
            raise CoerceError(
                "required, but empty (it may be empty only when unlimited is true)", field="quantity"
            )


# --- customers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer profile (Master Data ``CL``); the key goes to a Master Data field as identity."""

    entity: ClassVar[Entity] = Entity.CUSTOMERS
    references: ClassVar[Mapping[str, Entity]] = {}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    email: str = field(metadata=_c(email))
    first_name: str | None = field(default=None, metadata=_TEXT)
    last_name: str | None = field(default=None, metadata=_TEXT)
    document_type: str | None = field(default=None, metadata=_TEXT)
    document: str | None = field(default=None, metadata=_TEXT)
    phone: str | None = field(default=None, metadata=_TEXT)
    is_corporate: bool = field(default=False, metadata=_BOOL)
    corporate_name: str | None = field(default=None, metadata=_TEXT)
    trade_name: str | None = field(default=None, metadata=_TEXT)
    corporate_document: str | None = field(default=None, metadata=_TEXT)
    state_registration: str | None = field(default=None, metadata=_TEXT)
    is_newsletter_opt_in: bool = field(default=False, metadata=_BOOL)
    locale: str | None = field(default=None, metadata=_TEXT)
    price_tables: tuple[str, ...] = field(default=(), metadata=_LIST)

    def __post_init__(self) -> None:
        if self.is_corporate and self.corporate_name is None:
            raise CoerceError("required when is_corporate is true", field="corporate_name")


@dataclass(frozen=True, slots=True)
class Address:
    """A customer's address (Master Data ``AD``, linked to the profile by ``userId``)."""

    entity: ClassVar[Entity] = Entity.ADDRESSES
    references: ClassVar[Mapping[str, Entity]] = {"customer_key": Entity.CUSTOMERS}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    customer_key: str = field(metadata=_TEXT)
    postal_code: str = field(metadata=_TEXT)
    street: str = field(metadata=_TEXT)
    city: str = field(metadata=_TEXT)
    country: str = field(metadata=_c(country_code))
    number: str | None = field(default=None, metadata=_TEXT)
    complement: str | None = field(default=None, metadata=_TEXT)
    neighborhood: str | None = field(default=None, metadata=_TEXT)
    state: str | None = field(default=None, metadata=_TEXT)
    address_name: str | None = field(default=None, metadata=_TEXT)
    address_type: AddressType = field(default=AddressType.RESIDENTIAL, metadata=_c(enum_of(AddressType)))
    receiver_name: str | None = field(default=None, metadata=_TEXT)
    reference: str | None = field(default=None, metadata=_TEXT)
    latitude: Decimal | None = field(default=None, metadata=_c(decimal))
    longitude: Decimal | None = field(default=None, metadata=_c(decimal))

    def __post_init__(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise CoerceError("latitude and longitude go together: give both or neither", field="longitude")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise CoerceError(f"must be between -90 and 90, got {self.latitude}", field="latitude")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise CoerceError(f"must be between -180 and 180, got {self.longitude}", field="longitude")
