"""Each local rule: the record is held back with an error naming its file or key and the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sync.plan_support import ListSnapshot, plan, small_store
from vtexbridge.erp.records import (
    Ean,
    Entity,
    FixedPrice,
    Price,
    Product,
    Sku,
    SkuImage,
    SkuSpecification,
    SpecFieldType,
    SpecificationField,
    SpecificationValue,
    Warehouse,
    WarehouseDock,
)
from vtexbridge.errors import DependencyBlocked, RecordInvalid
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.stateview import MemoryState
from vtexbridge.sync.steps import Action, Plan
from vtexbridge.sync.validate import canonical_trade_policy, check_key, state_key

SOURCES = {e: f"erp/{e.value}.csv" for e in Entity}


def invalid(p: Plan) -> list[RecordInvalid]:
    return [e.error for e in p.errors if isinstance(e.error, RecordInvalid)]


def only_error(p: Plan) -> RecordInvalid:
    errors = invalid(p)
    assert len(errors) == 1, [e.user_message for e in errors]
    return errors[0]


def planned(store: ListSnapshot) -> Plan:
    return plan(store, MemoryState(), sources=SOURCES)


def sku(key: str, product: str = "P1", **kw: object) -> Sku:
    return Sku(key, product, "x", Decimal(1), Decimal(1), Decimal(1), Decimal("0.2"), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("S" * 51, "at most 50 characters"),
        ("S/1", "cannot be a VTEX RefId"),
        ("S|1", "cannot be a VTEX RefId"),
        (" S1", "leading or trailing blanks"),
    ],
)
def test_sku_keys_must_work_as_refids(key: str, reason: str) -> None:
    store = small_store()
    store.data[Entity.SKUS].append(sku(key))
    error = only_error(planned(store))
    assert error.field == "key" and reason in error.user_message
    assert "erp/skus.csv" in error.user_message


def test_product_refid_length() -> None:
    store = small_store()
    store.data[Entity.PRODUCTS].append(Product("P" * 101, "Long", "cat", "acme"))
    error = only_error(planned(store))
    assert error.field == "key" and "at most 100" in error.user_message


def test_measurement_unit_must_be_vtex_s() -> None:
    store = small_store()
    store.data[Entity.SKUS].append(sku("S9", measurement_unit="pcs"))
    error = only_error(planned(store))
    assert error.field == "measurement_unit" and "'pcs'" in error.user_message


def test_packaged_weight_must_be_a_gram_or_more() -> None:
    store = small_store()
    store.data[Entity.SKUS].append(
        Sku("S9", "P1", "x", Decimal(1), Decimal(1), Decimal(1), Decimal("0.0004"))
    )
    error = only_error(planned(store))
    assert error.field == "packaged_weight_kg" and "less than a gram" in error.user_message


def test_packaged_dimensions_must_be_positive() -> None:
    store = small_store()
    store.data[Entity.SKUS].append(Sku("S9", "P1", "x", Decimal(0), Decimal(1), Decimal(1), Decimal(1)))
    error = only_error(planned(store))
    assert error.field == "packaged_height"


def test_list_price_below_base_price() -> None:
    store = small_store()
    store.replace(Entity.PRICES, "P1-1", list_price=Decimal("5.00"))
    error = only_error(planned(store))
    assert error.field == "list_price" and "below the base price" in error.user_message
    assert "erp/prices.csv (prices P1-1)" in error.user_message


def test_negative_price_built_outside_a_reader() -> None:
    store = small_store()
    store.replace(Entity.PRICES, "P1-1", base_price=Decimal("-1"), list_price=None)
    assert only_error(planned(store)).field == "base_price"


def test_a_bad_fixed_price_holds_its_skus_price_back() -> None:
    store = small_store()
    store.data[Entity.FIXED_PRICES].append(FixedPrice("P1-1", "2", Decimal(10), list_price=Decimal(8)))
    p = planned(store)
    error = only_error(p)
    assert error.field == "list_price" and "erp/fixed_prices.csv" in error.user_message
    held = [e for e in p.errors if isinstance(e.error, DependencyBlocked)]
    assert [(e.kind, e.key) for e in held] == [(Kind.PRICE, "P1-1")]
    assert "fixed price" in held[0].error.user_message
    assert not [s for s in p.steps if s.kind is Kind.PRICE and s.key == "P1-1"]


def test_fixed_prices_without_a_price_row() -> None:
    store = small_store()
    store.drop(Entity.PRICES, lambda r: r.key == "P1-1")
    error = only_error(planned(store))
    assert error.field == "sku_key" and "no row in prices" in error.user_message


def test_a_lone_base_price_is_sent_with_cost_equal_to_it() -> None:
    store = small_store()
    store.replace(Entity.PRICES, "P1-1", list_price=None)
    store.data[Entity.PRICES].append(Price("P1-2", base_price=Decimal(100), markup=25))
    store.drop(Entity.PRICES, lambda r: r.key == "P1-2" and r.markup is None)
    p = planned(store)
    assert p.errors == []
    values = {s.key: s.values for s in p.steps if s.kind is Kind.PRICE}
    assert values["P1-1"][:4] == (10.0, None, 10.0, None)
    assert values["P1-2"][:4] == (100.0, None, 80.0, None), "base and markup: the cost VTEX would derive"


def test_trade_policies_are_numbers() -> None:
    store = small_store()
    store.replace(Entity.PRODUCTS, "P1", trade_policies=("1", "b2b"))
    error = only_error(planned(store))
    assert error.field == "trade_policies" and "'b2b'" in error.user_message
    assert canonical_trade_policy("01") == "1" and canonical_trade_policy("0") is None


def test_an_ean_belongs_to_one_sku() -> None:
    store = small_store()
    first = store.data[Entity.EANS][0]
    store.data[Entity.EANS].append(Ean("P2-2", first.ean))
    error = only_error(planned(store))
    assert error.field == "ean" and "'P1-1'" in error.user_message


def test_image_url_form() -> None:
    store = small_store()
    store.data[Entity.SKU_IMAGES].append(SkuImage("P1-1", "ftp://x.example.com/a.jpg"))
    error = only_error(planned(store))
    assert error.field == "url"


def test_required_sku_specification_missing_holds_the_sku_and_its_dependents_back() -> None:
    store = small_store()
    store.data[Entity.SPECIFICATION_FIELDS].append(
        SpecificationField("size", "grp", "Size", SpecFieldType.COMBO, is_sku=True, is_required=True)
    )
    store.data[Entity.SPECIFICATION_VALUES].append(SpecificationValue("m", "size", "M"))
    store.data[Entity.SKU_SPECIFICATIONS] = [
        *store.data[Entity.SKU_SPECIFICATIONS],
        *(SkuSpecification(k, "size", "m") for k in ("P1-1", "P1-2", "P2-1")),
    ]
    p = planned(store)
    errors = invalid(p)
    assert [(e.record.key if e.record else None, e.field) for e in errors] == [("P2-2", "size")]
    assert "required specification(s) size" in errors[0].user_message
    assert not [s for s in p.steps if s.key == "P2-2" or s.key.startswith("P2-2|")]
    held = {(e.kind, e.key) for e in p.errors if isinstance(e.error, DependencyBlocked)}
    assert (Kind.PRICE, "P2-2") in held


def test_free_text_sku_spec_value_is_refused() -> None:
    store = small_store()
    store.data[Entity.SKU_SPECIFICATIONS].append(SkuSpecification("P1-1", "material", "nylon"))
    error = only_error(planned(store))
    assert error.field == "field_key" and "product field" in error.user_message


def test_a_value_must_belong_to_its_field() -> None:
    store = small_store()
    store.replace(Entity.SKU_SPECIFICATIONS, "P1-1|color", value_key="nylon")
    error = only_error(planned(store))
    assert "belongs to field 'material'" in error.user_message


def test_warehouse_ids_and_docks() -> None:
    store = small_store()
    store.data[Entity.WAREHOUSES].append(Warehouse("bad id", "Bad"))
    store.data[Entity.WAREHOUSES].append(Warehouse("w2", "Two"))
    store.data[Entity.WAREHOUSE_DOCKS].append(WarehouseDock("w2", "nodock"))
    p = planned(store)
    fields = sorted((e.record.key if e.record else "", e.field or "") for e in invalid(p))
    assert fields == [("bad id", "key"), ("w2|nodock", "dock_key")]
    assert p.count(Kind.WAREHOUSE, Action.CREATE) == 1


def test_check_key_and_state_key() -> None:
    assert check_key(Entity.PRICES, "any|thing") == ()
    assert check_key(Entity.CATEGORIES, "a|b")[0][0] == "key"
    long = "S1|" + "https://x.example.com/" + "a" * 400 + ".jpg"
    short = state_key(long)
    assert len(short) <= 255 and short.startswith("S1|") and state_key(long) == short
    assert state_key("short") == "short"
