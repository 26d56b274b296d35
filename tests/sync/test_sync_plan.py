"""The planner, pure: order, change detection, deactivation of missing records, held-back dependents."""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest

from tests.sync.plan_support import ListSnapshot, apply_all, plan, small_store
from vtexbridge.erp.errors import RowUnreadable
from vtexbridge.erp.records import Entity, Product, Sku
from vtexbridge.errors import DependencyBlocked, RecordInvalid, RecordRef
from vtexbridge.state.models import IndexEntry
from vtexbridge.sync.graph import KIND_ORDER, Kind
from vtexbridge.sync.plan import _no_cycle_collection
from vtexbridge.sync.stateview import MemoryState
from vtexbridge.sync.steps import Action, Step


def by(p_steps: list[Step], kind: Kind, key: str, action: Action | None = None) -> Step:
    hits = [s for s in p_steps if s.kind is kind and s.key == key and (action is None or s.action is action)]
    assert len(hits) == 1, (kind, key, action, hits)
    return hits[0]


def test_first_plan_creates_everything_in_dependency_order() -> None:
    p = plan(small_store())
    assert p.errors == []
    assert [s.index for s in p.steps] == list(range(len(p.steps)))
    late = [(s, d) for s in p.steps for d in s.deps if d.index >= s.index]
    assert late == [], "every step is listed after every step it waits for"
    kinds = [s.kind for s in p.steps if s.action is not Action.ACTIVATE]
    assert kinds == sorted(kinds, key=KIND_ORDER.index), "steps are listed kind by kind"
    activations = [s.index for s in p.steps if s.action is Action.ACTIVATE]
    last_ean = max(s.index for s in p.steps if s.kind is Kind.EAN)
    assert activations and min(activations) > last_ean, "activations follow the EANs they wait for"
    cat = by(p.steps, Kind.CATEGORY, "cat")
    dep = by(p.steps, Kind.CATEGORY, "dep")
    product = by(p.steps, Kind.PRODUCT, "P1")
    sku = by(p.steps, Kind.SKU, "P1-1", Action.CREATE)
    assert cat.deps == [dep]
    assert set(map(id, product.deps)) == {id(cat), id(by(p.steps, Kind.BRAND, "acme"))}
    assert sku.deps == [product]
    assert by(p.steps, Kind.PRICE, "P1-1").deps == [sku], "a price waits only for its SKU"
    stock = by(p.steps, Kind.INVENTORY, "P1-1|wh")
    assert set(map(id, stock.deps)) == {id(sku), id(by(p.steps, Kind.WAREHOUSE, "wh"))}
    assert by(p.steps, Kind.WAREHOUSE, "wh").deps == [by(p.steps, Kind.DOCK, "dk")]
    assert by(p.steps, Kind.ADDRESS, "a1").deps == [by(p.steps, Kind.CUSTOMER, "c1")]
    assert by(p.steps, Kind.TRADE_POLICY, "P1|1").deps == [product]


def test_skus_are_created_inactive_and_activated_after_their_images_eans_and_specs() -> None:
    p = plan(small_store())
    create = by(p.steps, Kind.SKU, "P1-1", Action.CREATE)
    activate = by(p.steps, Kind.SKU, "P1-1", Action.ACTIVATE)
    assert create.active is False
    waits = {(d.kind, d.key) for d in activate.deps}
    assert {
        (Kind.SKU, "P1-1"),
        (Kind.PRODUCT, "P1"),
        (Kind.SKU_SPEC, "P1-1|color"),
        (Kind.IMAGE, "P1-1|https://img.example.com/P1-1.jpg"),
        (Kind.EAN, f"P1-1|{small_store().data[Entity.EANS][0].ean}"),
    } <= waits
    assert all(d.index < activate.index for d in activate.deps), "listed after what it waits for"


def test_counts_per_kind_and_action() -> None:
    p = plan(small_store(products=2, skus_per_product=2))
    assert p.count(Kind.SKU, Action.CREATE) == 4
    assert p.count(Kind.SKU, Action.ACTIVATE) == 0, "a new SKU's activation completes its create"
    assert sum(1 for s in p.steps if s.kind is Kind.SKU and s.action is Action.ACTIVATE) == 4
    assert p.count(Kind.PRICE, Action.CREATE) == 4
    assert p.count(Kind.EAN, Action.LINK) == 4
    assert p.count(Kind.TRADE_POLICY, Action.LINK) == 2
    assert p.writes == len(p.steps)
    assert p.to_json()["counts"]["sku"] == {"create": 4}


def test_records_are_counted_alike_on_the_first_and_the_no_change_plan() -> None:
    """Every record once per plan, whatever number of steps it takes: a new SKU (create, then
    activate) counts as one record, as it does when unchanged."""
    store = small_store(products=2, skus_per_product=2)
    state = MemoryState()
    first = plan(store, state)
    apply_all(first, state)
    second = plan(store, state)
    assert second.steps == []
    per_kind = {k: sum(c.values()) for k, c in first.rows()}
    assert per_kind == {k: sum(c.values()) for k, c in second.rows()}
    assert {k: c.get(Action.UNCHANGED, 0) for k, c in second.rows()} == per_kind
    assert per_kind[Kind.SKU] == 4


def test_a_second_plan_after_everything_was_accepted_has_no_step() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    again = plan(store, state)
    assert again.steps == []
    assert again.totals() == {Action.UNCHANGED: sum(again.totals().values())}
    assert again.count(Kind.SKU, Action.UNCHANGED) == 4


def test_one_change_makes_exactly_one_step() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.replace(Entity.PRODUCTS, "P2", name="Renamed")
    store.replace(Entity.PRICES, "P1-2", base_price=Decimal("11.00"))
    store.replace(Entity.INVENTORY, "P2-1|wh", quantity=7)
    p = plan(store, state)
    assert sorted((s.kind.value, s.action.value, s.key) for s in p.steps) == [
        ("inventory", "update", "P2-1|wh"),
        ("price", "update", "P1-2"),
        ("product", "update", "P2"),
    ]
    update = by(p.steps, Kind.PRODUCT, "P2")
    assert update.vtex_id is not None and update.deps == []


def test_a_fixed_price_change_updates_its_skus_price() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.replace(Entity.FIXED_PRICES, "P1-1|1|3", value=Decimal("8.50"))
    p = plan(store, state)
    assert [(s.kind, s.key, s.action) for s in p.steps] == [(Kind.PRICE, "P1-1", Action.UPDATE)]


def test_records_missing_from_the_erp_are_deactivated_product_and_each_sku() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    for entity in (Entity.SKUS, Entity.SKU_IMAGES, Entity.EANS, Entity.PRICES, Entity.INVENTORY):
        store.drop(entity, lambda r: r.key.startswith("P2"))
    store.drop(Entity.FIXED_PRICES, lambda r: r.sku_key.startswith("P2"))
    store.drop(Entity.SKU_SPECIFICATIONS, lambda r: r.sku_key.startswith("P2"))
    store.drop(Entity.PRODUCTS, lambda r: r.key == "P2")
    store.drop(Entity.PRODUCT_SPECIFICATIONS, lambda r: r.product_key == "P2")
    p = plan(store, state)
    got = sorted((s.kind.value, s.action.value, s.key) for s in p.steps)
    assert got == [
        ("product", "deactivate", "P2"),
        ("sku", "deactivate", "P2-1"),
        ("sku", "deactivate", "P2-2"),
    ], "links of a product or SKU that left are left with it; the parents are switched off"
    assert all(s.values is None and s.active is False for s in p.steps)


def test_a_sku_gone_while_its_product_stays_is_deactivated_and_its_price_removed_if_price_gone() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.drop(Entity.PRICES, lambda r: r.key == "P1-1")
    store.drop(Entity.FIXED_PRICES, lambda r: r.sku_key == "P1-1")
    store.drop(Entity.SKU_IMAGES, lambda r: r.sku_key == "P1-2")
    store.drop(Entity.INVENTORY, lambda r: r.key == "P2-2|wh")
    p = plan(store, state)
    got = sorted((s.kind.value, s.action.value, s.key) for s in p.steps)
    assert got == [
        ("inventory", "deactivate", "P2-2|wh"),
        ("price", "unlink", "P1-1"),
        ("sku_image", "unlink", "P1-2|https://img.example.com/P1-2.jpg"),
    ]
    zero = by(p.steps, Kind.INVENTORY, "P2-2|wh")
    assert zero.values == (0, False, "0.00:00:00")


def test_an_incomplete_read_deactivates_nothing_of_that_entity() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.drop(Entity.SKUS, lambda r: r.key == "P2-2")
    store.data[Entity.SKUS].append(
        RowUnreadable("3 columns where the header has 8", record=RecordRef("skus", None, "skus.csv", 9))
    )
    p = plan(store, state)
    assert not [s for s in p.steps if s.kind is Kind.SKU]
    assert Entity.SKUS in p.incomplete
    assert p.count(Kind.SKU, Action.BLOCKED) == 1
    # the SKU is not in the read, so what hangs off it is unknown now and held back
    held = [e for e in p.errors if e.kind is Kind.PRICE]
    assert held and "unknown SKU 'P2-2'" in held[0].error.user_message


def test_a_product_with_an_unknown_brand_is_held_back_with_its_dependents_only() -> None:
    store = small_store()
    store.replace(Entity.PRODUCTS, "P2", brand_key="nope")
    p = plan(store, MemoryState(), sources={Entity.PRODUCTS: "erp/products.csv"})
    invalid = [e for e in p.errors if isinstance(e.error, RecordInvalid)]
    assert len(invalid) == 1
    error = invalid[0].error
    assert isinstance(error, RecordInvalid) and error.field == "brand_key"
    assert "unknown brand 'nope'" in error.user_message and "erp/products.csv" in error.user_message
    blocked = [e for e in p.errors if isinstance(e.error, DependencyBlocked)]
    assert {e.kind for e in blocked} >= {Kind.SKU, Kind.PRODUCT_SPEC}
    sku_block = next(e for e in blocked if e.kind is Kind.SKU)
    assert "product 'P2'" in sku_block.error.user_message
    # everything of P1 proceeds
    assert p.count(Kind.SKU, Action.CREATE) == 2 and p.count(Kind.PRODUCT, Action.CREATE) == 1
    assert not [s for s in p.steps if s.key.startswith("P2")]
    # held-back SKUs block their own dependents in turn
    assert {e.key for e in p.errors if e.kind is Kind.PRICE} == {"P2-1", "P2-2"}


def test_duplicate_keys_hold_back_every_row_with_the_key_and_its_dependents() -> None:
    store = small_store()
    first = store.data[Entity.SKUS][0]
    store.data[Entity.SKUS].append(
        Sku(first.key, "P2", "Other", Decimal(1), Decimal(1), Decimal(1), Decimal(1))
    )
    p = plan(store, MemoryState())
    dup = [e for e in p.errors if isinstance(e.error, RecordInvalid)]
    assert len(dup) == 1 and dup[0].key == first.key
    assert "duplicate key" in dup[0].error.user_message
    held = {(e.kind, e.key) for e in p.errors if isinstance(e.error, DependencyBlocked)}
    assert (Kind.PRICE, first.key) in held and (Kind.INVENTORY, f"{first.key}|wh") in held
    assert not [s for s in p.steps if s.key == first.key or s.key.startswith(first.key + "|")]
    assert p.count(Kind.SKU, Action.CREATE) == 3


def test_duplicate_key_of_an_unchanged_record_is_uncounted() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.data[Entity.BRANDS].append(store.data[Entity.BRANDS][0])
    p = plan(store, state)
    assert p.count(Kind.BRAND, Action.UNCHANGED) == 0
    assert p.count(Kind.BRAND, Action.BLOCKED) == 1
    assert not p.steps, "the brand exists in VTEX: nothing is sent, nothing is deactivated"


def test_reader_errors_with_a_key_hold_back_dependents_and_are_not_missing() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.drop(Entity.SKUS, lambda r: r.key == "P1-2")
    store.data[Entity.SKUS].append(
        RecordInvalid(
            "required, but empty", record=RecordRef("skus", "P1-2", "skus.csv", 4), field="packaged_height"
        )
    )
    store.replace(Entity.PRICES, "P1-2", base_price=Decimal("11.00"))
    p = plan(store, state)
    assert not [s for s in p.steps if s.kind is Kind.SKU], "not deactivated: it is named in an error"
    price = next(e for e in p.errors if e.kind is Kind.PRICE)
    assert isinstance(price.error, DependencyBlocked) and "SKU 'P1-2'" in price.error.user_message


def test_in_flight_creates_are_looked_up_first() -> None:
    state = MemoryState(flights={("sku", "P1-1"): "create", ("brand", "acme"): "create:7"})
    p = plan(small_store(), state)
    assert by(p.steps, Kind.SKU, "P1-1", Action.CREATE).resolve is True
    assert by(p.steps, Kind.SKU, "P1-2", Action.CREATE).resolve is False
    brand = by(p.steps, Kind.BRAND, "acme")
    assert brand.resolve is True and brand.reserved_id == 7


def test_chosen_ids_start_after_every_id_known() -> None:
    state = MemoryState(entities={"category": {"old": IndexEntry("41", b"x" * 16, True)}})
    state.flights[("category", "other")] = "create:50"
    store = small_store()
    p = plan(store, state)
    reserved = sorted(
        s.reserved_id or 0 for s in p.steps if s.kind is Kind.CATEGORY and s.action is Action.CREATE
    )
    assert reserved == [51, 52]


def test_sku_activation_state_is_followed() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    # VTEX has P1-1 inactive (e.g. its activation was refused last time): activate it again
    entry = state.entities["sku"]["P1-1"]
    state.entities["sku"]["P1-1"] = entry._replace(active=False)
    # the ERP switches P1-2 off: deactivate it with its payload (no read needed)
    store.replace(Entity.SKUS, "P1-2", is_active=False)
    p = plan(store, state)
    got = sorted((s.kind.value, s.action.value, s.key) for s in p.steps)
    assert got == [("sku", "activate", "P1-1"), ("sku", "update", "P1-2")]
    off = by(p.steps, Kind.SKU, "P1-2")
    assert off.live is False and off.active is False and off.values is not None


def test_only_plans_the_selected_entities_against_the_state() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.replace(Entity.PRICES, "P1-1", base_price=Decimal("9.50"))
    store.replace(Entity.PRODUCTS, "P1", name="Not synced this time")
    p = plan(store, state, only=[Entity.PRICES])
    assert [(s.kind, s.key) for s in p.steps] == [(Kind.PRICE, "P1-1")]
    assert set(p.kinds) == {Kind.PRICE}
    assert by(p.steps, Kind.PRICE, "P1-1").parents[0].vtex_id is not None


def test_a_failed_parent_keeps_its_children_out_of_later_plans_only_while_it_fails() -> None:
    store = small_store()
    state = MemoryState()
    first = plan(store, state)
    apply_all(first, state, fail={"P2"})
    again = plan(store, state)
    assert by(again.steps, Kind.PRODUCT, "P2", Action.CREATE)
    assert {s.key for s in again.steps if s.kind is Kind.PRODUCT} == {"P2"}


def test_errors_of_entities_now_unchanged_are_cleared() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    state.errors["product"] = {"P1"}
    p = plan(store, state)
    assert p.cleared == {Kind.PRODUCT: ["P1"]}


def test_product_trade_policies_are_links() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.replace(Entity.PRODUCTS, "P1", trade_policies=("1", "02"))
    p = plan(store, state)
    assert [(s.kind, s.key, s.action) for s in p.steps] == [(Kind.TRADE_POLICY, "P1|2", Action.LINK)]
    apply_all(p, state)
    store.replace(Entity.PRODUCTS, "P1", trade_policies=("2",))
    p = plan(store, state)
    assert [(s.kind, s.key, s.action) for s in p.steps] == [(Kind.TRADE_POLICY, "P1|1", Action.UNLINK)]


def test_category_cycles_are_reported() -> None:
    store = small_store()
    store.replace(Entity.CATEGORIES, "dep", parent_key="cat")
    p = plan(store, MemoryState())
    cycle = [e for e in p.errors if isinstance(e.error, RecordInvalid)]
    assert all("cycle" in e.error.user_message for e in cycle)
    assert {e.key for e in cycle} == {"dep", "cat"}
    assert not [s for s in p.steps if s.kind in (Kind.CATEGORY, Kind.PRODUCT, Kind.SKU)]


def test_product_record_fields_are_in_the_errors_ref() -> None:
    store = ListSnapshot({Entity.PRODUCTS: [Product("P/1", "Slash", "c", "b")]})
    p = plan(store, MemoryState(), sources={Entity.PRODUCTS: "products.csv"})
    error = p.errors[0].error
    assert isinstance(error, RecordInvalid) and error.field == "key"
    assert error.user_message.startswith("products.csv (products P/1) field 'key'")


def test_specification_entities_travel_together_under_only() -> None:
    store = small_store()
    state = MemoryState()
    apply_all(plan(store, state), state)
    store.replace(Entity.SPECIFICATION_VALUES, "red", name="Crimson")
    p = plan(store, state, only=[Entity.SPECIFICATION_VALUES])
    assert set(p.kinds) == {Kind.SPEC_GROUP, Kind.SPEC_FIELD, Kind.SPEC_VALUE}
    assert p.errors == [] and [(s.kind, s.key) for s in p.steps] == [(Kind.SPEC_VALUE, "red")]


def test_planning_pauses_the_cycle_collector_and_restores_it() -> None:
    seen: list[bool] = []

    def failing_pass() -> None:
        with _no_cycle_collection():
            seen.append(gc.isenabled())
            raise RuntimeError("a pass failed")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        failing_pass()
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with _no_cycle_collection():
            pass
        assert not gc.isenabled(), "left off when it was off"
    finally:
        gc.enable()


def test_equal_fixed_prices_with_and_without_a_list_price_are_planned() -> None:
    """Two fixed prices of one SKU and trade policy with the same value, one with a list price and one
    without: once a TypeError of the sort that crashed the whole run."""
    from vtexbridge.erp.records import FixedPrice

    store = small_store()
    store.data[Entity.FIXED_PRICES].append(
        FixedPrice("P1-1", "1", Decimal("8.00"), list_price=Decimal("11.00"), min_quantity=10)
    )
    store.data[Entity.FIXED_PRICES].append(FixedPrice("P1-1", "1", Decimal("8.00"), min_quantity=20))
    p = plan(store)
    assert p.errors == []
    price = by(p.steps, Kind.PRICE, "P1-1")
    assert price.values is not None and len(price.values[4]) == 3


def test_a_record_the_mapping_fails_on_is_that_records_error_only() -> None:
    from vtexbridge.sync.mapping import Mapper

    class Failing(Mapper):
        def price(self, p, fixed):  # type: ignore[no-untyped-def]
            if p.key == "P2-1":
                raise TypeError("'<' not supported between instances of 'NoneType' and 'float'")
            return super().price(p, fixed)

    p = plan(small_store(), mapper=Failing(), sources={Entity.PRICES: "erp/prices.csv"})
    assert [(e.kind, e.key) for e in p.errors] == [(Kind.PRICE, "P2-1")]
    error = p.errors[0].error
    assert isinstance(error, RecordInvalid) and "TypeError" in error.user_message
    assert "erp/prices.csv (prices P2-1)" in error.user_message
    assert p.count(Kind.PRICE, Action.CREATE) == 3 and p.count(Kind.PRICE, Action.BLOCKED) == 1


def test_trade_policy_links_of_a_held_back_product_are_reported_held_back() -> None:
    store = small_store()
    store.replace(Entity.PRODUCTS, "P2", brand_key="nope", trade_policies=("1", "2"))
    p = plan(store)
    held = {e.key for e in p.errors if e.kind is Kind.TRADE_POLICY}
    assert held == {"P2|1", "P2|2"}
    assert all(
        isinstance(e.error, DependencyBlocked) and "product 'P2'" in e.error.user_message
        for e in p.errors
        if e.kind is Kind.TRADE_POLICY
    )
    assert p.count(Kind.TRADE_POLICY, Action.BLOCKED) == 2
    store.replace(Entity.PRODUCTS, "P2", brand_key="acme", name="x" * 151)  # invalid itself: the same
    p = plan(store)
    assert {e.key for e in p.errors if e.kind is Kind.TRADE_POLICY} == {"P2|1", "P2|2"}


def test_vtex_text_limits_are_checked_per_record_before_anything_is_sent() -> None:
    store = small_store()
    store.replace(Entity.PRODUCTS, "P1", name="N" * 151)
    store.replace(Entity.PRODUCTS, "P2", name="N" * 150)  # at the limit: fine
    store.replace(Entity.SKUS, "P2-1", name="S" * 201)
    store.replace(Entity.SKUS, "P2-2", name="S" * 200)
    p = plan(store, sources={Entity.PRODUCTS: "erp/products.csv", Entity.SKUS: "erp/skus.csv"})
    invalid = {(e.kind, e.key): e.error for e in p.errors if isinstance(e.error, RecordInvalid)}
    assert set(invalid) == {(Kind.PRODUCT, "P1"), (Kind.SKU, "P2-1")}
    product = invalid[(Kind.PRODUCT, "P1")]
    assert product.field == "name" and "at most 150 characters, this one has 151" in product.message
    assert product.user_message.startswith("erp/products.csv (products P1) field 'name'")
    sku = invalid[(Kind.SKU, "P2-1")]
    assert sku.field == "name" and "at most 200 characters, this one has 201" in sku.message
    assert not [s for s in p.steps if s.key in ("P1", "P2-1")]
    assert by(p.steps, Kind.SKU, "P2-2", Action.CREATE)


def test_customer_fields_over_master_datas_lengths_are_refused_before_sending() -> None:
    store = small_store()
    store.replace(Entity.CUSTOMERS, "c1", first_name="A" * 301, price_tables=("t" * 30, "u" * 30))
    p = plan(store)
    fields = {e.error.field for e in p.errors if e.kind is Kind.CUSTOMER}  # type: ignore[attr-defined]
    assert fields == {"first_name", "price_tables"}
    assert {e.kind for e in p.errors} == {Kind.CUSTOMER, Kind.ADDRESS}, "its address is held back"
    store.replace(Entity.CUSTOMERS, "c1", first_name="A" * 300, price_tables=("t" * 25, "u" * 24))
    assert plan(store).errors == []
