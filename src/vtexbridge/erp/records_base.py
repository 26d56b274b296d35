"""What the ERP record types share: the entities in load order, the enums of their fields, the
converters their fields carry, and how a link record's key is made (see :mod:`vtexbridge.erp.records`)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from vtexbridge.erp.coerce import (
    Converter,
    boolean,
    decimal_at_least,
    decimal_positive,
    integer,
    integer_at_least,
    text,
    text_list,
    timespan,
)

if TYPE_CHECKING:
    from vtexbridge.erp.records import Record

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
        from vtexbridge.erp.records import RECORD_TYPES  # the records refer to Entity: imported late

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
