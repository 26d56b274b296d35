"""The typed ERP records: one per entity, identified by the ERP's key, pointing at parents by ERP key.

The snapshot a reader yields is the *desired state* of the store. Each record type is a frozen,
slotted dataclass; each field carries its converter (``metadata["conv"]``) and is required exactly
when it has no default. Entities are listed in :class:`Entity` in a valid load order: every record
only refers to entities listed before its own.

Why dataclasses and not pydantic models: measured on the 2-core dev machine (Python 3.11, under
load from other work), for a SKU row of 9 CSV cells, pydantic 2 ``model_validate`` of an equivalent
frozen model took **5.1-6.0 µs** per row and **1.7 KB** per instance; this frozen slotted dataclass,
built by the generated row builder of :mod:`vtexbridge.erp.rows`, took **2.9-3.9 µs** and **0.59 KB**
(values included). At ten million rows per sync of a 1M-SKU store that is 20+ s and gigabytes
saved, and hand-written converters give the messages operators need ("use '.' as the decimal
separator", "the last digit should be 7").

Keys: a record of a primary entity has a ``key`` field (the ERP code, sent to VTEX as ``RefId``
where VTEX has one). A link record (a SKU's EAN, a product's spec value, a stock level …) has a
``key`` property made of its parents' keys, joined by ``|``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, TypeAlias

from vtexbridge.erp.coerce import (
    CoerceError,
    Converter,
    boolean,
    country_code,
    date_value,
    datetime_value,
    decimal,
    decimal_at_least,
    decimal_positive,
    email,
    enum_of,
    gtin,
    image_url,
    integer,
    integer_at_least,
    text,
    text_list,
    text_max,
    timespan,
)
from vtexbridge.errors import RecordRef

__all__ = [
    "KEY_SEPARATOR",
    "RECORD_TYPES",
    "Address",
    "AddressType",
    "Brand",
    "Category",
    "Customer",
    "Dock",
    "Ean",
    "Entity",
    "FieldSpec",
    "FixedPrice",
    "Price",
    "Product",
    "ProductSpecification",
    "Record",
    "Sku",
    "SkuImage",
    "SkuSpecification",
    "SpecFieldType",
    "SpecificationField",
    "SpecificationGroup",
    "SpecificationValue",
    "StockLevel",
    "Warehouse",
    "WarehouseDock",
    "field_specs",
    "parents",
    "ref_of",
]

KEY_SEPARATOR = "|"
_ZERO_SPAN = "0.00:00:00"


class Entity(StrEnum):
    """The entities an ERP source provides. The value is the canonical name and the file's stem
    (``skus`` -> ``skus.csv`` or ``skus.jsonl``). Iteration order is a valid load order."""

    CATEGORIES = "categories"
    BRANDS = "brands"
    SPECIFICATION_GROUPS = "specification_groups"
    SPECIFICATION_FIELDS = "specification_fields"
    SPECIFICATION_VALUES = "specification_values"
    PRODUCTS = "products"
    PRODUCT_SPECIFICATIONS = "product_specifications"
    SKUS = "skus"
    SKU_SPECIFICATIONS = "sku_specifications"
    SKU_IMAGES = "sku_images"
    EANS = "eans"
    PRICES = "prices"
    FIXED_PRICES = "fixed_prices"
    DOCKS = "docks"
    WAREHOUSES = "warehouses"
    WAREHOUSE_DOCKS = "warehouse_docks"
    INVENTORY = "inventory"
    CUSTOMERS = "customers"
    ADDRESSES = "addresses"

    @property
    def record_type(self) -> type[Record]:
        """The record class of this entity."""
        return RECORD_TYPES[self]

    @property
    def file_names(self) -> tuple[str, str]:
        """The file names a folder source may hold for this entity: CSV, then JSON Lines."""
        return (f"{self.value}.csv", f"{self.value}.jsonl")

    @property
    def parents(self) -> frozenset[Entity]:
        """The entities this entity's records refer to by key."""
        return frozenset(self.record_type.references.values())


class SpecFieldType(StrEnum):
    """A specification field's type; ``vtex_id`` is VTEX's ``FieldTypeId``."""

    TEXT = "text"
    MULTILINE_TEXT = "multiline_text"
    NUMBER = "number"
    COMBO = "combo"
    RADIO = "radio"
    CHECKBOX = "checkbox"
    INDEXED_TEXT = "indexed_text"
    INDEXED_MULTILINE_TEXT = "indexed_multiline_text"

    @property
    def vtex_id(self) -> int:
        return _FIELD_TYPE_IDS[self]

    @property
    def has_values(self) -> bool:
        """True for the types whose values are predefined (VTEX needs the values created first)."""
        return self in (SpecFieldType.COMBO, SpecFieldType.RADIO, SpecFieldType.CHECKBOX)


_FIELD_TYPE_IDS = {
    SpecFieldType.TEXT: 1,
    SpecFieldType.MULTILINE_TEXT: 2,
    SpecFieldType.NUMBER: 4,
    SpecFieldType.COMBO: 5,
    SpecFieldType.RADIO: 6,
    SpecFieldType.CHECKBOX: 7,
    SpecFieldType.INDEXED_TEXT: 8,
    SpecFieldType.INDEXED_MULTILINE_TEXT: 9,
}


class AddressType(StrEnum):
    """Master Data ``addressType`` values."""

    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    IN_STORE = "inStore"
    GIFT_REGISTRY = "giftRegistry"
    PICKUP = "pickup"
    SEARCH = "search"


def _c(conv: Converter) -> dict[str, Any]:
    return {"conv": conv}


_TEXT = _c(text)
_LIST = _c(text_list)
_BOOL = _c(boolean)
_INT = _c(integer)
_POSITION = _c(integer_at_least(0))
_MONEY = _c(decimal_at_least(0))
_SIZE = _c(decimal_positive)
_SPAN = _c(timespan)


def _join(*parts: object) -> str:
    return KEY_SEPARATOR.join(str(p) for p in parts)


# --- catalog ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Category:
    """A node of the category tree (a department when ``parent_key`` is empty)."""

    entity: ClassVar[Entity] = Entity.CATEGORIES
    references: ClassVar[Mapping[str, Entity]] = {"parent_key": Entity.CATEGORIES}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    parent_key: str | None = field(default=None, metadata=_TEXT)
    title: str | None = field(default=None, metadata=_TEXT)
    description: str | None = field(default=None, metadata=_TEXT)
    keywords: tuple[str, ...] = field(default=(), metadata=_LIST)
    is_active: bool = field(default=True, metadata=_BOOL)
    show_in_storefront: bool = field(default=True, metadata=_BOOL)
    show_brand_filter: bool = field(default=True, metadata=_BOOL)
    global_category_id: int | None = field(default=None, metadata=_INT)
    score: int | None = field(default=None, metadata=_INT)

    def __post_init__(self) -> None:
        if self.parent_key == self.key:
            raise CoerceError("a category cannot be its own parent", field="parent_key")


@dataclass(frozen=True, slots=True)
class Brand:
    """A brand."""

    entity: ClassVar[Entity] = Entity.BRANDS
    references: ClassVar[Mapping[str, Entity]] = {}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    description: str | None = field(default=None, metadata=_TEXT)
    keywords: tuple[str, ...] = field(default=(), metadata=_LIST)
    site_title: str | None = field(default=None, metadata=_TEXT)
    link_id: str | None = field(default=None, metadata=_TEXT)
    is_active: bool = field(default=True, metadata=_BOOL)


@dataclass(frozen=True, slots=True)
class SpecificationGroup:
    """A group of specification fields, attached to a category (and inherited by its children)."""

    entity: ClassVar[Entity] = Entity.SPECIFICATION_GROUPS
    references: ClassVar[Mapping[str, Entity]] = {"category_key": Entity.CATEGORIES}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    category_key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    position: int | None = field(default=None, metadata=_POSITION)


@dataclass(frozen=True, slots=True)
class SpecificationField:
    """A specification field (Color, Size, Material …): of the product, or of the SKU when ``is_sku``."""

    entity: ClassVar[Entity] = Entity.SPECIFICATION_FIELDS
    references: ClassVar[Mapping[str, Entity]] = {"group_key": Entity.SPECIFICATION_GROUPS}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    group_key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    field_type: SpecFieldType = field(metadata=_c(enum_of(SpecFieldType)))
    is_sku: bool = field(default=False, metadata=_BOOL)
    is_filter: bool = field(default=False, metadata=_BOOL)
    is_required: bool = field(default=False, metadata=_BOOL)
    is_on_product_details: bool = field(default=True, metadata=_BOOL)
    is_active: bool = field(default=True, metadata=_BOOL)
    position: int | None = field(default=None, metadata=_POSITION)
    description: str | None = field(default=None, metadata=_TEXT)
    default_value: str | None = field(default=None, metadata=_TEXT)


@dataclass(frozen=True, slots=True)
class SpecificationValue:
    """A predefined value of a combo, radio or checkbox field (``Red``, ``M``, ``Nylon``)."""

    entity: ClassVar[Entity] = Entity.SPECIFICATION_VALUES
    references: ClassVar[Mapping[str, Entity]] = {"field_key": Entity.SPECIFICATION_FIELDS}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    field_key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    description: str | None = field(default=None, metadata=_TEXT)
    position: int | None = field(default=None, metadata=_POSITION)
    is_active: bool = field(default=True, metadata=_BOOL)


@dataclass(frozen=True, slots=True)
class Product:
    """A product: what the shopper sees; its SKUs are the variants that are sold."""

    entity: ClassVar[Entity] = Entity.PRODUCTS
    references: ClassVar[Mapping[str, Entity]] = {
        "category_key": Entity.CATEGORIES,
        "brand_key": Entity.BRANDS,
    }
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_c(text_max(100)))
    name: str = field(metadata=_c(text_max(150)))
    category_key: str = field(metadata=_TEXT)
    brand_key: str = field(metadata=_TEXT)
    link_id: str | None = field(default=None, metadata=_TEXT)
    title: str | None = field(default=None, metadata=_TEXT)
    description: str | None = field(default=None, metadata=_TEXT)
    description_short: str | None = field(default=None, metadata=_TEXT)
    keywords: tuple[str, ...] = field(default=(), metadata=_LIST)
    meta_description: str | None = field(default=None, metadata=_TEXT)
    release_date: date | None = field(default=None, metadata=_c(date_value))
    tax_code: str | None = field(default=None, metadata=_TEXT)
    is_active: bool = field(default=True, metadata=_BOOL)
    is_visible: bool = field(default=True, metadata=_BOOL)
    show_without_stock: bool = field(default=True, metadata=_BOOL)
    trade_policies: tuple[str, ...] = field(default=("1",), metadata=_LIST)


@dataclass(frozen=True, slots=True)
class ProductSpecification:
    """A product's value for a product-level field: predefined values by key, or free text."""

    entity: ClassVar[Entity] = Entity.PRODUCT_SPECIFICATIONS
    references: ClassVar[Mapping[str, Entity]] = {
        "product_key": Entity.PRODUCTS,
        "field_key": Entity.SPECIFICATION_FIELDS,
        "value_keys": Entity.SPECIFICATION_VALUES,
    }
    key_fields: ClassVar[tuple[str, ...]] = ("product_key", "field_key")

    product_key: str = field(metadata=_TEXT)
    field_key: str = field(metadata=_TEXT)
    value_keys: tuple[str, ...] = field(default=(), metadata=_LIST)
    value_text: str | None = field(default=None, metadata=_TEXT)

    @property
    def key(self) -> str:
        return _join(self.product_key, self.field_key)

    def __post_init__(self) -> None:
        if bool(self.value_keys) == (self.value_text is not None):
            raise CoerceError("give either value_keys or value_text (exactly one)", field="value_keys")


@dataclass(frozen=True, slots=True)
class Sku:
    """A SKU (a sellable variant of a product). Dimensions in cm, weights in kg.

    ``is_active`` is the state the ERP wants; VTEX creates SKUs inactive and activates them once
    they have an image, specs, a price and an active product.
    """

    entity: ClassVar[Entity] = Entity.SKUS
    references: ClassVar[Mapping[str, Entity]] = {"product_key": Entity.PRODUCTS}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_c(text_max(50)))
    product_key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    packaged_height: Decimal = field(metadata=_SIZE)
    packaged_length: Decimal = field(metadata=_SIZE)
    packaged_width: Decimal = field(metadata=_SIZE)
    packaged_weight_kg: Decimal = field(metadata=_SIZE)
    is_active: bool = field(default=True, metadata=_BOOL)
    height: Decimal | None = field(default=None, metadata=_SIZE)
    length: Decimal | None = field(default=None, metadata=_SIZE)
    width: Decimal | None = field(default=None, metadata=_SIZE)
    weight_kg: Decimal | None = field(default=None, metadata=_SIZE)
    manufacturer_code: str | None = field(default=None, metadata=_TEXT)
    measurement_unit: str = field(default="un", metadata=_TEXT)
    unit_multiplier: Decimal = field(default=Decimal(1), metadata=_SIZE)
    modal_type: str | None = field(default=None, metadata=_TEXT)


@dataclass(frozen=True, slots=True)
class SkuSpecification:
    """A SKU's value for a SKU-level field (``is_sku`` true): Color = Red, Size = M."""

    entity: ClassVar[Entity] = Entity.SKU_SPECIFICATIONS
    references: ClassVar[Mapping[str, Entity]] = {
        "sku_key": Entity.SKUS,
        "field_key": Entity.SPECIFICATION_FIELDS,
        "value_key": Entity.SPECIFICATION_VALUES,
    }
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key", "field_key")

    sku_key: str = field(metadata=_TEXT)
    field_key: str = field(metadata=_TEXT)
    value_key: str = field(metadata=_TEXT)

    @property
    def key(self) -> str:
        return _join(self.sku_key, self.field_key)


@dataclass(frozen=True, slots=True)
class SkuImage:
    """An image of a SKU, by URL (VTEX downloads it). The URL is the image's identity."""

    entity: ClassVar[Entity] = Entity.SKU_IMAGES
    references: ClassVar[Mapping[str, Entity]] = {"sku_key": Entity.SKUS}
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key", "url")

    sku_key: str = field(metadata=_TEXT)
    url: str = field(metadata=_c(image_url))
    name: str | None = field(default=None, metadata=_TEXT)
    label: str | None = field(default=None, metadata=_TEXT)
    is_main: bool = field(default=False, metadata=_BOOL)
    position: int | None = field(default=None, metadata=_POSITION)

    @property
    def key(self) -> str:
        return _join(self.sku_key, self.url)

    @property
    def file_name(self) -> str:
        """``name``, or else the URL's last path segment without its extension (VTEX needs a name)."""
        if self.name:
            return self.name
        return self.url.rsplit("/", 1)[-1].rsplit(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Ean:
    """An EAN (GTIN) of a SKU; a SKU may have several. VTEX cannot update one, only add and remove."""

    entity: ClassVar[Entity] = Entity.EANS
    references: ClassVar[Mapping[str, Entity]] = {"sku_key": Entity.SKUS}
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key", "ean")

    sku_key: str = field(metadata=_TEXT)
    ean: str = field(metadata=_c(gtin))

    @property
    def key(self) -> str:
        return _join(self.sku_key, self.ean)


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


Record: TypeAlias = (
    Category
    | Brand
    | SpecificationGroup
    | SpecificationField
    | SpecificationValue
    | Product
    | ProductSpecification
    | Sku
    | SkuSpecification
    | SkuImage
    | Ean
    | Price
    | FixedPrice
    | Dock
    | Warehouse
    | WarehouseDock
    | StockLevel
    | Customer
    | Address
)

RECORD_TYPES: Mapping[Entity, type[Record]] = {
    t.entity: t
    for t in (
        Category,
        Brand,
        SpecificationGroup,
        SpecificationField,
        SpecificationValue,
        Product,
        ProductSpecification,
        Sku,
        SkuSpecification,
        SkuImage,
        Ean,
        Price,
        FixedPrice,
        Dock,
        Warehouse,
        WarehouseDock,
        StockLevel,
        Customer,
        Address,
    )
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A record field as readers see it: its column name, converter, and default when not required."""

    name: str
    conv: Converter
    required: bool
    default: Any


_FIELD_SPECS: dict[type[Any], tuple[FieldSpec, ...]] = {}


def field_specs(record_type: type[Record]) -> tuple[FieldSpec, ...]:
    """The fields of ``record_type`` in constructor order."""
    known = _FIELD_SPECS.get(record_type)
    if known is not None:
        return known
    out = []
    for f in dataclasses.fields(record_type):
        required = f.default is dataclasses.MISSING
        out.append(FieldSpec(f.name, f.metadata["conv"], required, None if required else f.default))
    _FIELD_SPECS[record_type] = specs = tuple(out)
    return specs


def parents(record: Record) -> Iterator[tuple[Entity, str]]:
    """The records ``record`` refers to, as ``(entity, key)`` pairs (a list field gives several)."""
    for name, entity in record.references.items():
        value = getattr(record, name)
        if value is None:
            continue
        if isinstance(value, tuple):
            for item in value:
                yield entity, item
        else:
            yield entity, value


def ref_of(record: Record, *, source: str | None = None, row: int | None = None) -> RecordRef:
    """A :class:`RecordRef` naming ``record``, for errors raised about it later (mapping, VTEX)."""
    return RecordRef(record.entity.value, record.key, source, row)
