"""The example store in examples/erp: reads with zero errors, has the promised sizes, and every
reference resolves."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from vtexbridge.erp import (
    Category,
    Entity,
    FixedPrice,
    FolderReader,
    Record,
    SkuImage,
    SkuSpecification,
    SpecificationField,
    SpecificationValue,
    StockLevel,
    parents,
)
from vtexbridge.errors import RecordError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp"


@pytest.fixture(scope="module")
def store() -> dict[Entity, list[Record]]:
    reader = FolderReader(EXAMPLE)
    assert reader.entities() == set(Entity)
    out: dict[Entity, list[Record]] = {}
    errors: list[RecordError] = []
    for entity in Entity:
        out[entity] = []
        for item in reader.read(entity):
            if isinstance(item, RecordError):
                errors.append(item)
            else:
                out[entity].append(item)
    assert [str(e) for e in errors] == []
    return out


def test_both_formats_are_shown() -> None:
    reader = FolderReader(EXAMPLE)
    suffixes = {p.suffix for p in (reader.file_of(e) for e in Entity) if p is not None}
    assert suffixes == {".csv", ".jsonl"}
    assert reader.unknown_files == []


def test_promised_sizes(store: dict[Entity, list[Record]]) -> None:
    sizes = {e: len(records) for e, records in store.items()}
    assert 20 <= sizes[Entity.CATEGORIES] <= 40
    assert sizes[Entity.BRANDS] == 6
    assert sizes[Entity.PRODUCTS] == 50
    assert sizes[Entity.SKUS] == 150
    assert sizes[Entity.EANS] == 150
    assert sizes[Entity.PRICES] == 150
    assert sizes[Entity.WAREHOUSES] == 2
    assert sizes[Entity.INVENTORY] == 300
    assert sizes[Entity.CUSTOMERS] == 20
    assert sizes[Entity.ADDRESSES] >= 20


def test_keys_are_unique(store: dict[Entity, list[Record]]) -> None:
    for entity, records in store.items():
        duplicates = [k for k, n in Counter(r.key for r in records).items() if n > 1]
        assert duplicates == [], entity


def test_every_reference_resolves(store: dict[Entity, list[Record]]) -> None:
    keys = {e: {r.key for r in records} for e, records in store.items()}
    dangling = [
        (r.entity.value, r.key, parent.value, key)
        for records in store.values()
        for r in records
        for parent, key in parents(r)
        if key not in keys[parent]
    ]
    assert dangling == []


def test_category_tree_has_three_levels(store: dict[Entity, list[Record]]) -> None:
    cats = {c.key: c for c in store[Entity.CATEGORIES] if isinstance(c, Category)}

    def depth(c: Category) -> int:
        return 1 if c.parent_key is None else 1 + depth(cats[c.parent_key])

    assert {depth(c) for c in cats.values()} == {1, 2, 3}
    leaves = {c.key for c in cats.values()} - {c.parent_key for c in cats.values()}
    assert all(p.category_key in leaves for p in store[Entity.PRODUCTS])  # type: ignore[union-attr]


def test_variants_images_and_specs(store: dict[Entity, list[Record]]) -> None:
    per_product = Counter(s.product_key for s in store[Entity.SKUS])  # type: ignore[union-attr]
    assert set(per_product.values()) <= {2, 3, 4}
    images = Counter(i.sku_key for i in store[Entity.SKU_IMAGES] if isinstance(i, SkuImage))
    assert len(images) == 150 and set(images.values()) <= {1, 2, 3}
    assert all(i.url.startswith("https://") and i.url.endswith(".jpg") for i in store[Entity.SKU_IMAGES])  # type: ignore[union-attr]
    fields = {f.key: f for f in store[Entity.SPECIFICATION_FIELDS] if isinstance(f, SpecificationField)}
    values = {v.key: v for v in store[Entity.SPECIFICATION_VALUES] if isinstance(v, SpecificationValue)}
    assert {f.name for f in fields.values() if f.is_sku} == {"Color", "Size"}
    assert "Material" in {f.name for f in fields.values() if not f.is_sku}
    for spec in store[Entity.SKU_SPECIFICATIONS]:
        assert isinstance(spec, SkuSpecification)
        assert fields[spec.field_key].is_sku
        assert values[spec.value_key].field_key == spec.field_key
    for pspec in store[Entity.PRODUCT_SPECIFICATIONS]:
        assert not fields[pspec.field_key].is_sku  # type: ignore[union-attr]
        assert all(values[v].field_key == pspec.field_key for v in pspec.value_keys)  # type: ignore[union-attr]


def test_prices_and_stock(store: dict[Entity, list[Record]]) -> None:
    fixed = [f for f in store[Entity.FIXED_PRICES] if isinstance(f, FixedPrice)]
    assert {f.trade_policy for f in fixed} == {"1", "2"}
    assert any(f.date_from is not None for f in fixed)
    assert any(f.min_quantity > 1 for f in fixed)
    stock: dict[str, set[str]] = defaultdict(set)
    for level in store[Entity.INVENTORY]:
        assert isinstance(level, StockLevel)
        stock[level.sku_key].add(level.warehouse_key)
    warehouses = {w.key for w in store[Entity.WAREHOUSES]}
    assert all(stock[s.key] == warehouses for s in store[Entity.SKUS])
    docked = {wd.warehouse_key for wd in store[Entity.WAREHOUSE_DOCKS]}  # type: ignore[union-attr]
    assert docked == warehouses


def test_every_customer_has_an_address(store: dict[Entity, list[Record]]) -> None:
    with_address = {a.customer_key for a in store[Entity.ADDRESSES]}  # type: ignore[union-attr]
    assert with_address == {c.key for c in store[Entity.CUSTOMERS]}
