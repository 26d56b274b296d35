"""ERP record -> VTEX payload: defaults, symbolic parents, overrides, hashes; and the dependency order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from vtexbridge.erp.records import (
    Category,
    Dock,
    Entity,
    FixedPrice,
    Price,
    Product,
    Sku,
    Warehouse,
    WarehouseDock,
)
from vtexbridge.errors import ConfigError
from vtexbridge.state.tables import HASH_SIZE
from vtexbridge.sync.config import FieldOverrides, SyncSettings
from vtexbridge.sync.graph import (
    AREA,
    KIND_ORDER,
    KIND_PARENTS,
    Area,
    Kind,
    kind_of,
    kinds_of,
    topological_order,
)
from vtexbridge.sync.mapping import Mapper, Ref, document_id, grams


def product(**kw: object) -> Product:
    base: dict[str, object] = {"key": "P1", "name": "Jacket", "category_key": "c1", "brand_key": "b1"}
    base.update(kw)
    return Product(**base)  # type: ignore[arg-type]


def test_product_payload_names_parents_by_erp_key() -> None:
    km = Mapper()[Kind.PRODUCT]
    values = km.values(product(release_date=date(2024, 2, 15), keywords=("a", "b")))
    body = dict(zip(km.fields, values, strict=True))
    assert body["CategoryId"] == Ref("category", "c1") and body["BrandId"] == Ref("brand", "b1")
    assert (
        body["RefId"] == "P1" and body["ReleaseDate"] == "2024-02-15T00:00:00" and body["KeyWords"] == "a, b"
    )
    ids = {("category", "c1"): 11, ("brand", "b1"): 22}
    resolved = Mapper().body(Kind.PRODUCT, values, lambda ref: ids[(ref.kind, ref.key)])
    assert resolved["CategoryId"] == 11 and resolved["BrandId"] == 22 and resolved["Name"] == "Jacket"


def test_hash_depends_on_erp_data_not_on_ids() -> None:
    km = Mapper()[Kind.PRODUCT]
    a, b = km.hash(km.values(product())), km.hash(km.values(product()))
    assert a == b and len(a) == HASH_SIZE
    assert km.hash(km.values(product(name="Other"))) != a
    assert km.hash(km.values(product(brand_key="b2"))) != a, "a new parent is a change"


def test_category_defaults() -> None:
    km = Mapper()[Kind.CATEGORY]
    body = dict(zip(km.fields, km.values(Category("c", "Shoes", parent_key="root")), strict=True))
    assert body["Title"] == "Shoes" and body["Description"] == "" and body["Keywords"] == ""
    assert body["FatherCategoryId"] == Ref("category", "root")
    assert body["StockKeepingUnitSelectionMode"] == "SPECIFICATION" and body["Score"] == 0


def test_sku_weights_in_grams_by_default_and_activation_follows_is_active() -> None:
    sku = Sku("S1", "P1", "x", Decimal(1), Decimal(2), Decimal(3), Decimal("0.4605"), is_active=False)
    km = Mapper()[Kind.SKU]
    body = dict(zip(km.fields, km.values(sku), strict=True))
    assert body["PackagedWeightKg"] == 461 and body["ActivateIfPossible"] is False
    assert "IsActive" not in body, "switching a SKU on is the activation step's business"
    kg = Mapper(SyncSettings(weight_unit="kg"))[Kind.SKU]
    assert dict(zip(kg.fields, kg.values(sku), strict=True))["PackagedWeightKg"] == pytest.approx(0.4605)
    assert grams(Decimal("0.0005")) == 1


def test_price_merges_fixed_prices_sorted() -> None:
    m = Mapper()
    price = Price("S1", base_price=Decimal("10.00"), list_price=Decimal("12.00"), cost_price=Decimal(6))
    f1 = FixedPrice("S1", "2", Decimal(9), min_quantity=5)
    f2 = FixedPrice("S1", "1", Decimal("8.5"), list_price=Decimal(10))
    values = m.price(price, [f1, f2])
    assert values == m.price(price, [f2, f1]), "row order does not matter"
    body = m.body(Kind.PRICE, values, lambda ref: 0)
    assert body["basePrice"] == 10.0 and body["costPrice"] == 6.0 and body["markup"] is None
    assert body["fixedPrices"] == [
        {"tradePolicyId": "1", "value": 8.5, "minQuantity": 1, "listPrice": 10.0},
        {"tradePolicyId": "2", "value": 9.0, "minQuantity": 5},
    ]


def test_warehouse_and_dock_bodies() -> None:
    m = Mapper(SyncSettings(default_country="ARG"))
    dock = m.body(Kind.DOCK, m.dock(Dock("d1", "Dock", trade_policies=("1", "2"))), lambda r: r.key)
    assert dock["address"]["country"] == {"acronym": "ARG", "name": "ARG"} and dock["salesChannel"] == "1"
    assert dock["salesChannels"] == ["1", "2"]
    values = m.warehouse(
        Warehouse("w1", "W"), [WarehouseDock("w1", "d1", cost=Decimal("1.5"))], {"d1": "Dock"}
    )
    body = m.body(Kind.WAREHOUSE, values, lambda r: r.key)
    assert body["warehouseDocks"] == [
        {
            "dockId": "d1",
            "name": "Dock",
            "time": "0.00:00:00",
            "cost": "1.50",
            "translateDays": "0",
            "costToDisplay": "1.50",
        }
    ]


def test_overrides_set_constants_and_rename_fields() -> None:
    over = FieldOverrides(
        constants={"TaxCode": "0001", "ShowWithoutStock": False}, fields={"Title": "description"}
    )
    m = Mapper(SyncSettings(mapping={"product": over}))
    km = m[Kind.PRODUCT]
    body = dict(zip(km.fields, km.values(product(description="Long text")), strict=True))
    assert body["TaxCode"] == "0001" and body["ShowWithoutStock"] is False and body["Title"] == "Long text"
    plain = Mapper()[Kind.PRODUCT]
    assert km.hash(km.values(product())) != plain.hash(plain.values(product())), "overrides re-send once"


def test_override_can_add_a_field_with_an_object_value() -> None:
    over = FieldOverrides(constants={"AdWordsRemarketingCode": {"a": [1, 2]}})
    m = Mapper(SyncSettings(mapping={"category": over}))
    body = m.body(Kind.CATEGORY, m[Kind.CATEGORY].values(Category("c", "C")), lambda r: 1)
    assert body["AdWordsRemarketingCode"] == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"nope": FieldOverrides(constants={"A": 1})}, "not a kind"),
        ({"ean": FieldOverrides(constants={"A": 1})}, "no overridable fields"),
        ({"product": FieldOverrides(fields={"Title": "no_such_field"})}, "has no field 'no_such_field'"),
        ({"product": FieldOverrides(constants={"Title": "x"}, fields={"Title": "name"})}, "both"),
    ],
)
def test_bad_overrides_are_configuration_errors(mapping: dict[str, FieldOverrides], message: str) -> None:
    with pytest.raises(ConfigError) as e:
        Mapper(SyncSettings(mapping=mapping))
    assert message in str(e.value)


def test_document_ids_are_derived_from_the_erp_key() -> None:
    assert document_id("CL", "C1") == document_id("CL", "C1") != document_id("CL", "C2")
    assert document_id("CL", "C1") != document_id("AD", "C1")
    assert len(document_id("CL", "C1")) == 36


def test_kind_order_lists_parents_first() -> None:
    for kind, parents in KIND_PARENTS.items():
        for parent in parents:
            assert KIND_ORDER.index(parent) <= KIND_ORDER.index(kind), (kind, parent)
    assert AREA[Kind.PRICE] is Area.PRICING and AREA[Kind.EAN] is Area.CATALOG
    assert kind_of(Entity.FIXED_PRICES) is Kind.PRICE and kind_of(Entity.WAREHOUSE_DOCKS) is Kind.WAREHOUSE
    assert kinds_of([Entity.PRODUCTS]) == {Kind.PRODUCT, Kind.TRADE_POLICY}


def test_topological_order_and_cycles() -> None:
    parents = {"a": None, "b": "a", "c": "b", "x": "y", "y": "x", "z": "x", "w": "elsewhere"}
    order, cyclic = topological_order(parents, lambda k: parents[k] if parents[k] in parents else None)
    assert order.index("a") < order.index("b") < order.index("c")
    assert cyclic == {"x", "y", "z"} and "w" in order
