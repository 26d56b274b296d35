"""Records: one per entity, in load order, lean and immutable, with their cross-field rules."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from vtexbridge.erp.coerce import CoerceError
from vtexbridge.erp.records import (
    RECORD_TYPES,
    Address,
    Category,
    Customer,
    Ean,
    Entity,
    FixedPrice,
    Price,
    ProductSpecification,
    Sku,
    SkuImage,
    SpecFieldType,
    StockLevel,
    field_specs,
    parents,
    ref_of,
)
from vtexbridge.erp.rows import RowBuilder
from vtexbridge.errors import RecordRef


def sku(**over: Any) -> Sku:
    values: dict[str, Any] = {
        "key": "S1",
        "product_key": "P1",
        "name": "Jacket - Red / M",
        "packaged_height": Decimal(10),
        "packaged_length": Decimal(30),
        "packaged_width": Decimal(20),
        "packaged_weight_kg": Decimal("0.8"),
    }
    values.update(over)
    return Sku(**values)


def test_every_entity_has_its_record_type() -> None:
    assert set(RECORD_TYPES) == set(Entity)
    for entity, record_type in RECORD_TYPES.items():
        assert record_type.entity is entity
        assert entity.record_type is record_type
        assert entity.file_names == (f"{entity.value}.csv", f"{entity.value}.jsonl")


def test_entity_order_is_a_load_order() -> None:
    seen: set[Entity] = set()
    for entity in Entity:
        assert entity.parents - {entity} <= seen, entity
        seen.add(entity)
    assert Entity.SKUS.parents == {Entity.PRODUCTS}
    assert Entity.PRODUCTS.parents == {Entity.CATEGORIES, Entity.BRANDS}


def test_fields_have_converters_and_required_fields_come_first() -> None:
    for record_type in RECORD_TYPES.values():
        specs = field_specs(record_type)
        flags = [s.required for s in specs]
        assert flags == sorted(flags, reverse=True), record_type
        assert all(callable(s.conv) for s in specs)
        for name in record_type.key_fields:
            assert name in {s.name for s in specs}
        for name in record_type.references:
            assert name in {s.name for s in specs}


def test_records_are_frozen_slotted_and_hashable() -> None:
    s = sku()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "other"  # type: ignore[misc]
    assert not hasattr(s, "__dict__")
    assert s == sku()
    assert len({s, sku()}) == 1


def test_link_records_have_composite_keys() -> None:
    assert Ean(sku_key="S1", ean="4006381333931").key == "S1|4006381333931"
    assert StockLevel(sku_key="S1", warehouse_key="W1", quantity=3).key == "S1|W1"
    assert Price(sku_key="S1", base_price=Decimal(10)).key == "S1"
    fp = FixedPrice(sku_key="S1", trade_policy="2", value=Decimal(9), min_quantity=5)
    assert fp.key == "S1|2|5"
    dated = FixedPrice(
        sku_key="S1",
        trade_policy="1",
        value=Decimal(9),
        date_from=datetime(2025, 11, 28, tzinfo=UTC),
        date_to=datetime(2025, 12, 1, tzinfo=UTC),
    )
    assert dated.key == "S1|1|1|2025-11-28T00:00:00+00:00"


def test_image_file_name_defaults_to_the_url() -> None:
    image = SkuImage(sku_key="S1", url="https://cdn.example.com/p/S1-front.jpg")
    assert image.file_name == "S1-front"
    assert image.key == "S1|https://cdn.example.com/p/S1-front.jpg"
    assert SkuImage(sku_key="S1", url=image.url, name="Front").file_name == "Front"


def rule(record_type: type, **values: Any) -> tuple[str | None, str]:
    with pytest.raises(CoerceError) as info:
        record_type(**values)
    return info.value.field, info.value.message


def test_price_needs_two_of_three() -> None:
    assert Price(sku_key="S1", base_price=Decimal(10)).base_price == 10
    assert Price(sku_key="S1", cost_price=Decimal(5), markup=100).markup == 100
    assert rule(Price, sku_key="S1") == ("base_price", "required unless cost_price and markup are both given")
    assert rule(Price, sku_key="S1", cost_price=Decimal(5))[0] == "base_price"
    assert rule(Price, sku_key="S1", base_price=Decimal(1), cost_price=Decimal(1), markup=0)[0] == "markup"


def test_fixed_price_date_range() -> None:
    a, b = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC)
    assert rule(FixedPrice, sku_key="S", trade_policy="1", value=Decimal(1), date_from=a)[0] == "date_to"
    assert rule(FixedPrice, sku_key="S", trade_policy="1", value=Decimal(1), date_to=a)[0] == "date_from"
    assert rule(FixedPrice, sku_key="S", trade_policy="1", value=Decimal(1), date_from=b, date_to=a) == (
        "date_to",
        "must be after date_from",
    )


def test_other_cross_field_rules() -> None:
    assert rule(Category, key="c", name="C", parent_key="c")[0] == "parent_key"
    assert rule(StockLevel, sku_key="S", warehouse_key="W")[0] == "quantity"
    assert StockLevel(sku_key="S", warehouse_key="W", unlimited=True).quantity is None
    assert StockLevel(sku_key="S", warehouse_key="W", quantity=-2).quantity == -2
    assert rule(ProductSpecification, product_key="P", field_key="F")[0] == "value_keys"
    assert rule(ProductSpecification, product_key="P", field_key="F", value_keys=("v",), value_text="x")[
        0
    ] == ("value_keys")
    assert rule(Customer, key="C", email="a@b.co", is_corporate=True)[0] == "corporate_name"
    base = {"key": "A", "customer_key": "C", "postal_code": "1", "street": "s", "city": "c", "country": "BRA"}
    assert rule(Address, **base, latitude=Decimal(1))[0] == "longitude"
    assert rule(Address, **base, latitude=Decimal(91), longitude=Decimal(0))[0] == "latitude"
    assert rule(Address, **base, latitude=Decimal(0), longitude=Decimal(181))[0] == "longitude"


def test_parents_and_refs() -> None:
    spec = ProductSpecification(product_key="P1", field_key="F1", value_keys=("V1", "V2"))
    assert list(parents(spec)) == [
        (Entity.PRODUCTS, "P1"),
        (Entity.SPECIFICATION_FIELDS, "F1"),
        (Entity.SPECIFICATION_VALUES, "V1"),
        (Entity.SPECIFICATION_VALUES, "V2"),
    ]
    assert list(parents(Category(key="c", name="C"))) == []
    assert ref_of(sku(), source="skus.csv", row=3) == RecordRef("skus", "S1", "skus.csv", 3)


def test_spec_field_types_map_to_vtex_ids() -> None:
    assert SpecFieldType.TEXT.vtex_id == 1
    assert SpecFieldType.COMBO.vtex_id == 5
    assert SpecFieldType.CHECKBOX.has_values
    assert not SpecFieldType.NUMBER.has_values
    assert {t.vtex_id for t in SpecFieldType} == {1, 2, 4, 5, 6, 7, 8, 9}


ROWS = [
    {
        "key": "S1",
        "product_key": "P1",
        "name": "n",
        "packaged_height": "1",
        "packaged_length": "2",
        "packaged_width": "3",
        "packaged_weight_kg": "0.5",
        "is_active": "no",
        "unit_multiplier": "",
    },
    {
        "key": " S2 ",
        "product_key": "P1",
        "name": " n ",
        "packaged_height": "1.50",
        "packaged_length": "2",
        "packaged_width": "3",
        "packaged_weight_kg": "4",
        "height": "7",
        "measurement_unit": "kg",
    },
]


@pytest.mark.parametrize("row", ROWS)
def test_compiled_builders_agree_with_the_dataclass(row: dict[str, str]) -> None:
    columns = list(row)
    by_position = RowBuilder(Sku, columns, source="t", cells_are_text=True).build(list(row.values()))
    typed_position = RowBuilder(Sku, columns, source="t").build(tuple(row.values()))
    by_name = RowBuilder(Sku, None, source="t").build(row)
    values: dict[str, Any] = {k: v.strip() for k, v in row.items() if v.strip()}
    expected = Sku(
        **{
            **values,
            **{k: Decimal(v) for k, v in values.items() if k.startswith(("pack", "hei"))},
            "is_active": values.get("is_active", "yes") == "yes",
        }
    )
    assert by_position == typed_position == by_name == expected


def test_sku_key_is_at_most_50_characters() -> None:
    row = dict(ROWS[0], key="S" * 51)
    errors = RowBuilder(Sku, None, source="skus.jsonl").explain(row, 4)
    assert [(e.field, e.message) for e in errors] == [
        ("key", "is 51 characters long; VTEX allows at most 50")
    ]
    assert errors[0].record == RecordRef("skus", "S" * 51, "skus.jsonl", 4), "named: its key is readable"


def test_an_error_names_its_key_whenever_the_key_can_be_read() -> None:
    """A too-long product key, an invalid EAN, an image URL that is not one: the row's key is taken
    as written, so the error names the record (and the read is not taken as incomplete)."""
    from vtexbridge.erp.errors import makes_incomplete
    from vtexbridge.erp.records import Ean, Product, SkuImage

    product = RowBuilder(Product, None, source="products.csv").explain(
        {"key": "P" * 101, "name": "n", "category_key": "c", "brand_key": "b"}, 2
    )
    ean = RowBuilder(Ean, None, source="eans.csv").explain({"sku_key": "S1", "ean": "1234"}, 3)
    image = RowBuilder(SkuImage, None, source="sku_images.csv").explain(
        {"sku_key": "S1", "url": "not a url"}, 4
    )
    assert [e.record.key for e in (*product, *ean, *image) if e.record] == [
        "P" * 101, "S1|1234", "S1|not a url",
    ]  # fmt: skip
    assert not any(makes_incomplete(e) for e in (*product, *ean, *image))
    missing = RowBuilder(Sku, None, source="skus.jsonl").explain(dict(ROWS[0], key=""), 5)
    assert missing[0].record is not None and missing[0].record.key is None
    assert makes_incomplete(missing[0]), "no key to name: some record may be missing from the read"
