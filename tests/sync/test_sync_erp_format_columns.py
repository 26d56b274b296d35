"""Every column docs/erp-format.md documents reaches the VTEX field it names, field by field.

The tables of the document are read as they are: for each column, a record with every field set is
changed in that column only, and the VTEX field(s) the document names for it must change in the
request body the sync builds. Columns the document maps to something other than a body field (a
path segment, the state's id mapping, an activation step) are listed below with where they go, and
that list must be exactly the document's: a new column cannot be skipped silently.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from vtexbridge.erp.records import (
    Address,
    AddressType,
    Brand,
    Category,
    Customer,
    Dock,
    Ean,
    Entity,
    FixedPrice,
    Price,
    Product,
    ProductSpecification,
    Record,
    Sku,
    SkuImage,
    SkuSpecification,
    SpecFieldType,
    SpecificationField,
    SpecificationGroup,
    SpecificationValue,
    StockLevel,
    Warehouse,
    WarehouseDock,
)
from vtexbridge.sync.graph import kind_of
from vtexbridge.sync.mapping import Mapper, Ref

DOC = Path(__file__).resolve().parents[2] / "docs" / "erp-format.md"
D = Decimal
FULL: dict[Entity, Record] = {
    Entity.CATEGORIES: Category(
        "cat", "Category", "dep", "Title", "About", ("a", "b"), True, True, True, 5181, 3
    ),
    Entity.BRANDS: Brand("acme", "Acme", "About Acme", ("x",), "Acme site", "acme", True),
    Entity.SPECIFICATION_GROUPS: SpecificationGroup("grp", "cat", "Specs", 1),
    Entity.SPECIFICATION_FIELDS: SpecificationField(
        "color", "grp", "Color", SpecFieldType.COMBO, True, True, True, True, True, 2, "Help", "Red"
    ),
    Entity.SPECIFICATION_VALUES: SpecificationValue("red", "color", "Red", "Deep red", 1, True),
    Entity.PRODUCTS: Product(
        "P1",
        "Jacket",
        "cat",
        "acme",
        "jacket",
        "Jacket | Shop",
        "<p>Long</p>",
        "Short",
        ("k",),
        "Meta",
        date(2025, 3, 1),
        "6201.40.00",
        True,
        True,
        True,
        ("1", "2"),
    ),
    Entity.PRODUCT_SPECIFICATIONS: ProductSpecification("P1", "material", ("nylon",)),
    Entity.SKUS: Sku(
        "P1-1",
        "P1",
        "Jacket M",
        D(8),
        D(30),
        D(25),
        D("0.46"),
        True,
        D(7),
        D(29),
        D(24),
        D("0.4"),
        "SER-1",
        "un",
        D(1),
        "bulky",
    ),
    Entity.SKU_SPECIFICATIONS: SkuSpecification("P1-1", "color", "red"),
    Entity.SKU_IMAGES: SkuImage("P1-1", "https://cdn.example.com/a.jpg", "front", "Front", True, 1),
    Entity.EANS: Ean("P1-1", "7890012345675"),
    Entity.PRICES: Price("P1-1", D("659.90"), D("824.90"), D("316.75"), None),
    Entity.FIXED_PRICES: FixedPrice(
        "P1-1",
        "1",
        D("527.92"),
        D("659.90"),
        5,
        datetime(2025, 11, 28, tzinfo=UTC),
        datetime(2025, 12, 1, tzinfo=UTC),
    ),
    Entity.DOCKS: Dock(
        "dk",
        "Dock",
        1,
        "0.04:00:00",
        "0.01:00:00",
        ("1", "2"),
        ("ft1",),
        True,
        "07232-151",
        "BRA",
        "SP",
        "Guarulhos",
        "Centro",
        "Rua A",
        "225",
        "Galpão 2",
    ),
    Entity.WAREHOUSES: Warehouse("wh", "Warehouse", 1, True),
    Entity.WAREHOUSE_DOCKS: WarehouseDock("wh", "dk", "1.00:00:00", D("15.00")),
    Entity.INVENTORY: StockLevel("P1-1", "wh", 12, False, "2.00:00:00"),
    Entity.CUSTOMERS: Customer(
        "c1",
        "ana@example.com",
        "Ana",
        "Almeida",
        "cpf",
        "12345609761",
        "+5511991114729",
        True,
        "Costa Ltda.",
        "Costa",
        "12345678000190",
        "123",
        True,
        "pt-BR",
        ("b2b",),
    ),
    Entity.ADDRESSES: Address(
        "a1",
        "c1",
        "05422-123",
        "Rua dos Pinheiros",
        "São Paulo",
        "BRA",
        "1200",
        "Apto 12",
        "Pinheiros",
        "SP",
        "Casa",
        AddressType.RESIDENTIAL,
        "Ana Almeida",
        "Near the park",
        D("-23.5614"),
        D("-46.6823"),
    ),
}
"""A record of every entity with every column set (so that every column can be changed)."""

ELSEWHERE: dict[tuple[str, str], str] = {
    ("categories", "key"): "the state maps it to the category's Id (chosen by the sync)",
    ("brands", "key"): "the state maps it to the brand's Id (chosen by the sync)",
    ("specification_groups", "key"): "the state maps it to the group's Id",
    ("specification_fields", "key"): "the state maps it to the field's Id",
    ("specification_values", "key"): "the state maps it to the FieldValueId",
    ("product_specifications", "product_key"): "the ProductId of the request's path",
    ("products", "trade_policies"): "one salespolicy link per trade policy (tests/sync/test_sync_plan.py)",
    ("skus", "is_active"): "the activation step (IsActive) and ActivateIfPossible, checked below",
    ("sku_specifications", "sku_key"): "the SkuId of the request's path",
    ("sku_images", "sku_key"): "the SkuId of the request's path",
    ("eans", "sku_key"): "the skuId of the request's path",
    ("eans", "ean"): "the ean of the request's path",
    ("prices", "sku_key"): "the itemId of the request's path",
    ("fixed_prices", "sku_key"): "the itemId of the request's path (grouped with the SKU's price)",
    ("docks", "is_active"): "the dock's activation / deactivation call",
    ("warehouses", "is_active"): "the warehouse's activation / deactivation call",
    ("inventory", "sku_key"): "the skuId of the request's path",
    ("inventory", "warehouse_key"): "the warehouseId of the request's path",
    ("customers", "key"): "the document id (derived from the key: tests/sync/test_sync_mapping.py)",
    ("addresses", "key"): "the document id (derived from the key: tests/sync/test_sync_mapping.py)",
}
"""Columns the document maps to a path, an id or a call rather than a body field: where they go."""

BASE: dict[tuple[str, str], Record] = {
    ("product_specifications", "value_text"): ProductSpecification("P1", "material", (), "22 L"),
    ("prices", "markup"): Price("P1-1", None, D("824.90"), D("316.75"), 108),
}
"""Columns that exclude another one (a product field takes values or a text): their own base record."""

ALIAS = {("product_specifications", "FieldValueId"): "FieldValueIds"}
"""The payload keeps a product field's values as one list, sent as one ``FieldValueId`` each."""


def _doc_columns() -> dict[str, list[tuple[str, str]]]:
    """``entity -> [(column, VTEX cell)]`` of every table of the document."""
    out: dict[str, list[tuple[str, str]]] = {}
    entity = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = re.match(r"^### (\w+)$", line)
            entity = heading.group(1) if heading and heading.group(1) in Entity._value2member_map_ else None
            continue
        row = re.match(r"^\| `(\w+)` \|", line)
        if entity is not None and row:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            out.setdefault(entity, []).append((row.group(1), cells[5]))
    return out


COLUMNS = _doc_columns()


def _payload(entity: Entity, record: Any) -> dict[str, Any]:
    mapper = Mapper()
    kind = kind_of(entity)
    if entity is Entity.SPECIFICATION_FIELDS:
        values = mapper.spec_field(record, "cat")
    elif entity is Entity.PRODUCT_SPECIFICATIONS:
        values = mapper.product_spec(record)
    elif entity is Entity.SKU_SPECIFICATIONS:
        values = mapper.sku_spec(record)
    elif entity is Entity.PRICES:
        values = mapper.price(record, [])
    elif entity is Entity.FIXED_PRICES:
        values = mapper.price(Price(record.sku_key, D(700)), [record])
    elif entity is Entity.DOCKS:
        values = mapper.dock(record)
    elif entity is Entity.WAREHOUSES:
        values = mapper.warehouse(record, [], {})
    elif entity is Entity.WAREHOUSE_DOCKS:
        values = mapper.warehouse(Warehouse(record.warehouse_key, "W"), [record], {record.dock_key: "Dock"})
    else:
        values = mapper[kind].values(record)

    def resolve(ref: Ref) -> str:
        return f"id of {ref.kind} {ref.key}"

    return mapper.body(kind, values, resolve)


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        name, _, index = part.partition("[")
        body = body[name]
        if index:
            body = body[int(index.rstrip("]") or 0)]
    return body


def _other(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | Decimal):
        return value + 1
    if isinstance(value, date):  # datetime too
        return value + timedelta(days=1)
    if isinstance(value, Enum):
        return next(m for m in type(value) if m is not value)
    if isinstance(value, tuple):
        return (*value, "9")
    if re.fullmatch(r"\d+\.\d\d:\d\d:\d\d", value):
        return "3.00:00:00"
    return "ARG" if value == "BRA" else value + "2"


def _fields(entity: str, cell: str) -> list[str]:
    main = cell.split("(", 1)[0]  # "(and its CategoryId)", "(first: salesChannel)": derived, not the column's
    names = [n for n in re.findall(r"`([^`]+)`", main) if re.fullmatch(r"[A-Za-z][\w.\[\]]*", n)]
    return [ALIAS.get((entity, n), n) for n in names]


CASES = [
    pytest.param(entity, column, cell, id=f"{entity}.{column}")
    for entity, rows in COLUMNS.items()
    for column, cell in rows
    if (entity, column) not in ELSEWHERE
]


def test_every_entity_is_documented_and_the_elsewhere_list_is_the_documents() -> None:
    assert set(COLUMNS) == {e.value for e in Entity}
    for entity, rows in COLUMNS.items():
        fields = {f.name for f in dataclasses.fields(FULL[Entity(entity)])}  # type: ignore[arg-type]
        assert {c for c, _ in rows} == fields, f"{entity}: the document and the record differ"
    documented = {(e, c) for e, rows in COLUMNS.items() for c, _ in rows}
    assert set(ELSEWHERE) <= documented
    for (entity, column), _where in ELSEWHERE.items():
        cell = dict(COLUMNS[entity])[column]
        body_fields = [
            f for f in _fields(entity, cell) if f in _payload(Entity(entity), FULL[Entity(entity)])
        ]
        assert column == "is_active" or not body_fields, f"{entity}.{column} is a body field: test it"


@pytest.mark.parametrize(("entity", "column", "cell"), CASES)
def test_a_documented_column_reaches_its_documented_vtex_field(entity: str, column: str, cell: str) -> None:
    record = BASE.get((entity, column), FULL[Entity(entity)])
    fields = _fields(entity, cell)
    assert fields, f"{entity}.{column}: the document names no VTEX field ({cell})"
    changed = dataclasses.replace(record, **{column: _other(getattr(record, column))})  # type: ignore[type-var]
    before, after = _payload(Entity(entity), record), _payload(Entity(entity), changed)
    if entity == "fixed_prices":
        before, after = before["fixedPrices"][0], after["fixedPrices"][0]
    for name in fields:
        assert _at(before, name) != _at(after, name), f"{entity}.{column} does not reach {name}"


def test_a_skus_is_active_is_its_activate_if_possible_and_its_activation() -> None:
    from tests.sync.plan_support import plan, small_store

    sku = FULL[Entity.SKUS]
    assert _payload(Entity.SKUS, sku)["ActivateIfPossible"] is True
    off = dataclasses.replace(sku, is_active=False)  # type: ignore[type-var]
    assert _payload(Entity.SKUS, off)["ActivateIfPossible"] is False
    store = small_store(products=1, skus_per_product=1)
    assert [s.action.value for s in plan(store).steps if s.kind.value == "sku"] == ["create", "activate"]
    store.replace(Entity.SKUS, "P1-1", is_active=False)
    assert [s.action.value for s in plan(store).steps if s.kind.value == "sku"] == ["create"]
