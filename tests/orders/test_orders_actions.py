"""The actions outbox against the sandbox: invoices in cents (full and partial), once per number,
tracking after its invoice, VTEX's refusals kept, transient errors retried, changes on the v2 API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vtexbridge.orders.action_format import Problems, parse_action
from vtexbridge.orders.actions import enqueue
from vtexbridge.orders.pipeline import OrderEvent
from vtexbridge.state import ActionState
from vtexbridge.testing.orders import OrdersHarness

INVOICE_ROUTE = "/api/oms/pvt/orders/{orderId}/invoice"


async def handled(h: OrdersHarness, n: int = 1, **body: Any) -> list[str]:
    ids = await h.place(n, **body)
    for oid in ids:
        await h.service.pipeline.process(OrderEvent(oid, "ready-for-handling", None, "feed", oid))
    return ids


def queue(h: OrdersHarness, *raw: dict[str, Any]) -> list[int]:
    return [q.id for q in enqueue(h.state, "sandbox", [parse_action(r, source="test") for r in raw])]


async def drain(h: OrdersHarness) -> None:
    import asyncio

    await h.service.actions.run(asyncio.Event(), h.service.wakeups.actions, once=True)


def invoice(oid: str, number: str, **extra: Any) -> dict[str, Any]:
    return {"type": "invoice", "orderId": oid, "invoiceNumber": number, "issuanceDate": "2024-05-01", **extra}


async def test_partial_then_full_invoice_in_cents(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, skus=(100, 200)) as h:
        [oid] = await handled(h, items=[{"skuId": "100", "quantity": 2}, {"skuId": "200", "quantity": 1}])
        order = (await h.order(oid))["order"]
        assert order["value"] == 3 * 4990
        part, rest = queue(
            h,
            invoice(
                oid, "NF-1", invoiceValue="99.80", items=[{"id": "100", "price": "49.90", "quantity": 2}]
            ),
            invoice(oid, "NF-2"),  # no items: what remains of the order
        )
        await drain(h)
        assert h.state.actions.get(part).state == "done"  # type: ignore[union-attr]
        assert h.state.actions.get(rest).state == "done"  # type: ignore[union-attr]
        doc = (await h.order(oid))["order"]
        assert doc["status"] == "invoiced"
        packages = doc["packageAttachment"]["packages"]
        assert [(p["invoiceNumber"], p["invoiceValue"]) for p in packages] == [("NF-1", 9980), ("NF-2", 4990)]


async def test_the_same_invoice_number_is_never_posted_twice(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await handled(h)
        raw = invoice(oid, "NF-7")
        first = enqueue(h.state, "sandbox", [parse_action(raw)])
        await drain(h)
        again = enqueue(h.state, "sandbox", [parse_action(raw)])  # the ERP sends the file again
        await drain(h)
        assert again[0].id == first[0].id and not again[0].new
        assert await h.requests(route=INVOICE_ROUTE) == 1
        with pytest.raises(
            Problems, match=r"invoice NF-7 was already queued for order .* with different content"
        ):
            enqueue(h.state, "sandbox", [parse_action(invoice(oid, "NF-7", invoiceKey="other"))])


async def test_cancel_after_invoice_is_rejected_with_vtexs_message(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await handled(h)
        _, cancel = queue(h, invoice(oid, "NF-1"), {"type": "cancel", "orderId": oid, "reason": "late"})
        await drain(h)
        action = h.state.actions.get(cancel)
        assert action is not None and action.state == ActionState.REJECTED
        assert action.vtex_status == 400 and "invoiced and can no longer be canceled" in (
            action.vtex_message or ""
        )


async def test_cancel_with_reason(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await handled(h)
        [cancel] = queue(h, {"type": "cancel", "orderId": oid, "reason": "no stock"})
        await drain(h)
        assert h.state.actions.get(cancel).state == "done"  # type: ignore[union-attr]
        doc = (await h.order(oid))["order"]
        assert doc["status"] == "canceled" and doc["cancelReason"] == "no stock"


async def test_tracking_number_and_events(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await handled(h)
        _, track = queue(
            h,
            invoice(oid, "NF-1"),
            {
                "type": "tracking",
                "orderId": oid,
                "invoiceNumber": "NF-1",
                "trackingNumber": "BR123",
                "trackingUrl": "https://track.example.com/BR123",
                "courier": "Correios",
                "events": [
                    {"city": "SP", "state": "SP", "description": "posted", "date": "2024-05-02T08:00:00Z"}
                ],
            },
        )
        await drain(h)
        action = h.state.actions.get(track)
        assert action is not None
        assert action.state == "done", action.vtex_message
        [package] = (await h.order(oid))["order"]["packageAttachment"]["packages"]
        assert package["trackingNumber"] == "BR123" and package["courier"] == "Correios"
        assert package["courierStatus"]["data"][0]["city"] == "SP"


async def test_tracking_needs_its_invoice(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await handled(h)
        [unknown] = queue(
            h, {"type": "tracking", "orderId": oid, "invoiceNumber": "NF-404", "trackingNumber": "T"}
        )
        track, _ = queue(
            h,
            {"type": "tracking", "orderId": oid, "invoiceNumber": "NF-2", "trackingNumber": "T"},
            invoice(oid, "NF-2"),
        )
        await drain(h)
        a = h.state.actions.get(unknown)
        assert a is not None and a.state == "rejected" and a.vtex_status == 404  # VTEX: invoice not found
        b = h.state.actions.get(track)
        assert (
            b is not None
            and b.state == "rejected"
            and "queued after this tracking update" in (b.vtex_message or "")
        )


async def test_transient_errors_are_retried(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await handled(h)
        r = await h.admin.post(
            "/_sandbox/faults", json={"spec": f"POST {INVOICE_ROUTE}:503=1,limit=4,retry-after=0"}
        )
        assert r.status_code == 200, r.text
        [inv] = queue(h, invoice(oid, "NF-1"))
        for _ in range(20):
            await drain(h)
            action = h.state.actions.get(inv)
            assert action is not None
            if action.state == "done":
                break
            import asyncio

            await asyncio.sleep(0.05)
        assert action is not None and action.state == "done" and action.attempts >= 2


async def test_order_change_uses_the_v2_api(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, skus=(100,)) as h:
        [oid] = await handled(h, items=[{"skuId": "100", "quantity": 2}])
        [change] = queue(
            h,
            {
                "type": "change",
                "orderId": oid,
                "reason": "customer asked for one less",
                "replace": [
                    {
                        "from": {"items": [{"id": "100", "quantity": 2}]},
                        "to": {"items": [{"id": "100", "quantity": 1}]},
                    }
                ],
            },
        )
        await drain(h)
        action = h.state.actions.get(change)
        assert action is not None
        assert action.state == "done", action.vtex_message
        assert await h.requests(route="/api/order-system/orders/{changeOrderId}/changes", method="PATCH") == 1
        assert await h.requests(route="/api/oms/pvt/orders/{orderId}/changes") == 0


async def test_actions_of_one_order_run_in_order(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, orders={"actions": {"workers": 8}}) as h:
        ids = await handled(h, 3)
        for oid in ids:
            queue(
                h,
                invoice(oid, f"NF-{oid}"),
                {"type": "tracking", "orderId": oid, "invoiceNumber": f"NF-{oid}", "trackingNumber": "T"},
            )
        await drain(h)
        actions = h.state.actions.list_for("sandbox")
        assert [a.state for a in actions] == ["done"] * 6
        for oid in ids:
            inv, track = (a for a in actions if a.order_id == oid)
            assert inv.done_at is not None and track.done_at is not None and inv.done_at <= track.done_at


async def test_a_cancel_resent_after_a_crash_is_done_when_the_order_is_canceled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from vtexbridge.vtex.errors import Conflict

    async with OrdersHarness(tmp_path) as h:
        [oid] = await handled(h)
        [cancel] = queue(h, {"type": "cancel", "orderId": oid, "reason": "x"})
        first = h.state.actions.claim_next("a-worker-that-died", account="sandbox")
        assert first is not None and first.id == cancel
        await h.service.client.orders.cancel_order(oid, reason="x")  # VTEX accepted it, then the crash
        h.state.actions.retry(first.id, at=datetime.now(UTC))  # its claim expired

        async def refuse(order_id: str, **kw: object) -> None:
            raise Conflict("refused", status=409, vtex_message="Order already canceled")

        monkeypatch.setattr(h.service.client.orders, "cancel_order", refuse)
        await drain(h)
        action = h.state.actions.get(cancel)
        assert action is not None and action.state == "done" and action.attempts == 2
        assert "earlier attempt" in (action.vtex_message or "")
