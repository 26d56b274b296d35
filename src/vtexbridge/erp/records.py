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

Where they are: the catalog's record types in :mod:`.records_catalog`, those of prices, logistics and
customers in :mod:`.records_commerce`, the entities, enums and field converters they share in
:mod:`.records_base`; this module gathers them (import them from here) with what readers use about
any record (:func:`field_specs`, :func:`parents`, :func:`ref_of`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from vtexbridge.erp.coerce import Converter
from vtexbridge.erp.records_base import KEY_SEPARATOR, AddressType, Entity, SpecFieldType
from vtexbridge.erp.records_catalog import (
    Brand,
    Category,
    Ean,
    Product,
    ProductSpecification,
    Sku,
    SkuImage,
    SkuSpecification,
    SpecificationField,
    SpecificationGroup,
    SpecificationValue,
)
from vtexbridge.erp.records_commerce import (
    Address,
    Customer,
    Dock,
    FixedPrice,
    Price,
    StockLevel,
    Warehouse,
    WarehouseDock,
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
