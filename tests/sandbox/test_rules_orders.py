"""Pure rules of the OMS: state machine, invoices, tracking, cancel, order document and changes."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vtexbridge.sandbox.rules import orders as rules
from vtexbridge.sandbox.rules.orderchanges import apply_change, preview_change
from vtexbridge.sandbox.rules.orderdoc import (
    Address,
    Customer,
    LineItem,
    OrderDraft,
    build_order,
    recompute_totals,
)
from vtexbridge.sandbox.rules.orderlist import list_stats, summarize

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _line(sku: str = "1", quantity: int = 2, price: int = 1000, **kw: Any) -> LineItem:
    return LineItem(
        sku_id=sku,
        product_id="10",
        name=f"Item {sku}",
        sku_name="M",
        ref_id=f"R{sku}",
        quantity=quantity,
        price=price,
        list_price=price + 500,
        warehouse_id="1_1",
        dock_id="1",
        **kw,
    )


def _order(*lines: LineItem, shipping: int = 0, status: str = "ready-for-handling") -> dict[str, Any]:
    draft = OrderDraft(
        order_id="1-01",
        sequence="500001",
        order_group="1",
        account="acme",
        sales_channel="1",
        items=lines or (_line(),),
        customer=Customer("a@b.com", "Ana", "B", "123"),
        address=Address("addr", "Ana B", "01000-000", "São Paulo", "SP", "Rua A", "1"),
        shipping=shipping,
    )
    order = build_order(draft, NOW)
    path = (
        rules.PLACEMENT_FLOW[: rules.PLACEMENT_FLOW.index(status) + 1]
        if status in rules.PLACEMENT_FLOW
        else None
    )
    rules.walk(order, path or rules.PLACEMENT_FLOW, NOW)
    if status == "handling":
        rules.start_handling(order, NOW)
    return order


def _invoice(
    number: str = "NF1", value: int = 2000, items: list[dict[str, Any]] | None = None, kind: str = "Output"
) -> dict[str, Any]:
    return {
        "type": kind,
        "issuanceDate": "2024-05-01",
        "invoiceNumber": number,
        "invoiceValue": value,
        "items": items if items is not None else [{"id": "1", "price": 1000, "quantity": 2}],
    }


def test_build_order_totals_value_and_shipping_split() -> None:
    order = _order(_line("1", 2, 1000), _line("2", 1, 500, selling_price=400), shipping=301)
    assert {t["id"]: t["value"] for t in order["totals"]} == {
        "Items": 2500,
        "Discounts": -100,
        "Shipping": 301,
        "Tax": 0,
    }
    assert order["value"] == 2701
    assert [li["price"] for li in order["shippingData"]["logisticsInfo"]] == [
        301 - 301 * 400 // 2400,
        301 * 400 // 2400,
    ]
    assert order["paymentData"]["transactions"][0]["payments"][0]["value"] == 2701
    assert order["items"][1]["sellingPrice"] == 400 and order["items"][1]["priceDefinitions"]["total"] == 400


def test_placement_walk_emits_one_event_per_status_in_time_order() -> None:
    order = build_order(
        OrderDraft(
            "9-01",
            "9",
            "9",
            "acme",
            "1",
            (_line(),),
            Customer("a@b.com", "A", "B", "1"),
            Address("x", "A", "1", "c", "s", "st", "1"),
        ),
        NOW,
    )
    events = rules.walk(order, rules.PLACEMENT_FLOW, NOW)
    assert [(e.last_state, e.state) for e in events][:2] == [
        ("", "order-created"),
        ("order-created", "on-order-completed"),
    ]
    assert [e.current_change for e in events] == sorted(e.current_change for e in events)
    assert all(a.current_change == b.last_change for a, b in itertools.pairwise(events))
    assert order["status"] == "ready-for-handling" and order["authorizedDate"] is not None
    assert events[-1].current_change.endswith("Z") and order["lastChange"].endswith("+00:00")


def test_transitions_outside_the_state_machine_are_409() -> None:
    order = _order(status="payment-pending")
    with pytest.raises(rules.OrderRuleError) as e:
        rules.advance(order, "handling", NOW)
    assert e.value.status == 409
    with pytest.raises(rules.OrderRuleError) as e:
        rules.start_handling(order, NOW)
    assert (e.value.status, e.value.code) == (409, "OMS003")


def test_start_handling_passes_through_start_handling() -> None:
    order = _order()
    events = rules.start_handling(order, NOW)
    assert [(e.last_state, e.state) for e in events] == [
        ("ready-for-handling", "start-handling"),
        ("start-handling", "handling"),
    ]


def test_full_invoice_moves_to_invoiced_and_partial_does_not() -> None:
    order = _order(_line("1", 2, 1000), status="handling")
    partial = rules.post_invoice(
        order, _invoice("NF1", 1000, [{"id": "1", "price": 1000, "quantity": 1}]), NOW
    )
    assert partial.created and [e.kind for e in partial.events] == ["change"]
    assert (
        order["status"] == "handling"
        and rules.is_partially_invoiced(order)
        and not order["allowCancellation"]
    )
    full = rules.post_invoice(order, _invoice("NF2", 1000, [{"id": "1", "price": 1000, "quantity": 1}]), NOW)
    assert [e.state for e in full.events] == ["invoice", "invoiced"]
    assert order["status"] == "invoiced" and not rules.is_partially_invoiced(order)


def test_reposting_an_invoice_changes_nothing() -> None:
    order = _order(status="handling")
    rules.post_invoice(order, _invoice(value=1), NOW)
    before = copy.deepcopy(order)
    again = rules.post_invoice(order, _invoice(value=999_999, items=[]), NOW)
    assert not again.created and again.events == [] and order == before


def test_invoice_quantities_cannot_exceed_the_order() -> None:
    order = _order(_line("1", 2), status="handling")
    rules.post_invoice(order, _invoice("NF1", 1, [{"id": "1", "price": 1000, "quantity": 2}]), NOW)
    with pytest.raises(rules.OrderRuleError, match="exceeds"):
        rules.post_invoice(order, _invoice("NF2", 1, [{"id": "1", "price": 1000, "quantity": 1}]), NOW)


def test_return_invoice_needs_invoiced_quantities() -> None:
    order = _order(_line("1", 2), status="handling")
    rules.post_invoice(order, _invoice(), NOW)
    result = rules.post_invoice(
        order, _invoice("DEV", 500, [{"id": "1", "price": 500, "quantity": 1}], "Input"), NOW
    )
    assert result.created and order["status"] == "invoiced"
    with pytest.raises(rules.OrderRuleError, match="exceeds"):
        rules.post_invoice(
            order, _invoice("DEV2", 500, [{"id": "1", "price": 500, "quantity": 2}], "Input"), NOW
        )


@pytest.mark.parametrize("value", ["10.50", 10.5, True, 0, "-5", None])
def test_invoice_value_must_be_positive_integer_cents(value: Any) -> None:
    order = _order(status="handling")
    with pytest.raises(rules.OrderRuleError) as e:
        rules.post_invoice(order, {**_invoice(), "invoiceValue": value}, NOW)
    assert e.value.status == 400


def test_tracking_rules() -> None:
    order = _order(status="handling")
    with pytest.raises(rules.OrderRuleError) as e:
        rules.add_tracking(order, "NF1", {"trackingNumber": "T"}, NOW)
    assert e.value.status == 404
    rules.post_invoice(order, _invoice(value=1, items=[{"id": "1", "price": 1, "quantity": 1}]), NOW)
    with pytest.raises(rules.OrderRuleError) as e:
        rules.update_tracking(order, "NF1", {"isDelivered": False, "events": []}, NOW)
    assert e.value.status == 400
    with pytest.raises(rules.OrderRuleError, match="trackingNumber"):
        rules.add_tracking(order, "NF1", {"courier": "X"}, NOW)
    event = rules.add_tracking(
        order, "NF1", {"trackingNumber": "T", "courier": "X"}, NOW + timedelta(seconds=1)
    )
    assert event.kind == "change" and event.state == event.last_state == "handling"
    with pytest.raises(rules.OrderRuleError, match="isDelivered"):
        rules.update_tracking(order, "NF1", {"events": []}, NOW)
    rules.update_tracking(
        order,
        "NF1",
        {"isDelivered": False, "events": [{"city": "A", "state": "B", "description": "C", "date": "D"}]},
        NOW,
    )
    status = order["packageAttachment"]["packages"][0]["courierStatus"]
    assert status["finished"] is False and status["data"][0]["city"] == "A"


def test_cancel_rules() -> None:
    order = _order()
    events = rules.cancel(order, "why", NOW)
    assert [e.state for e in events] == ["cancel", "canceled"] and order["cancelReason"] == "why"
    assert rules.cancel(order, "again", NOW) == []
    invoiced = _order(status="handling")
    rules.post_invoice(invoiced, _invoice(), NOW)
    with pytest.raises(rules.OrderRuleError) as e:
        rules.cancel(invoiced, None, NOW)
    assert e.value.status == 400


def test_summary_and_stats() -> None:
    orders = [summarize(_order(_line("1", n, 1000))) for n in (1, 3)]
    assert [o["totalValue"] for o in orders] == [1000, 3000]
    stats = list_stats(orders)["stats"]["totalValue"]
    assert (stats["Count"], stats["Sum"], stats["Min"], stats["Max"], stats["Mean"]) == (
        2,
        4000,
        1000,
        3000,
        2000.0,
    )
    assert stats["Facets"]["origin"]["Marketplace"]["Count"] == 2
    assert stats["Facets"]["origin"]["Fulfillment"]["Count"] == 0


def test_change_replaces_items_and_recomputes_totals() -> None:
    order = _order(_line("1", 2, 1000), status="handling")

    def resolve(sku: str, quantity: int) -> LineItem:
        return _line(sku, quantity, 300)

    body = {
        "reason": "swap",
        "replace": [
            {"from": {"items": [{"id": "1", "quantity": 2}]}, "to": {"items": [{"id": "7", "quantity": 1}]}}
        ],
    }
    preview = preview_change(order, body, NOW, account="acme", resolve=resolve)
    assert preview["totalChangeValue"] == 300 - 2000 and order["value"] == 2000
    outcome = apply_change(
        order, body, NOW, account="acme", request_id="r", workflow_id="w", receipt="x", resolve=resolve
    )
    assert [(i["id"], i["quantity"]) for i in outcome.order["items"]] == [("7", 1)]
    assert outcome.order["value"] == 300 and outcome.record["requestId"] == "r"
    assert outcome.event is not None and outcome.event.kind == "change"
    everything = {
        "reason": "x",
        "replace": [{"from": {"items": [{"id": "1", "quantity": 2}]}, "to": {"items": []}}],
    }
    with pytest.raises(rules.OrderRuleError, match="cancel it instead"):
        apply_change(
            order, everything, NOW, account="a", request_id="r", workflow_id="w", receipt="x", resolve=resolve
        )


def test_recompute_totals_after_quantity_change() -> None:
    order = _order(_line("1", 2, 1000))
    order["items"][0]["quantity"] = 5
    recompute_totals(order)
    assert order["value"] == 5000
