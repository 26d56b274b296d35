"""An invoice VTEX accepted just before the worker died (#11 "orders that get stuck", item 2): the
outcome is resolved by reading the order's invoices (same number = done), for full and partial
invoices alike, and the tracking update behind it then flows. An invoice of an order whose handling
has not started yet waits for it instead of being rejected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vtexbridge.orders.action_format import parse_action
from vtexbridge.orders.actions import enqueue
from vtexbridge.orders.pipeline import OrderEvent
from vtexbridge.testing.orders import OrdersHarness

INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"


def queue(h: OrdersHarness, *raw: dict[str, Any]) -> list[int]:
    return [q.id for q in enqueue(h.state, "sandbox", [parse_action(r, source="test") for r in raw])]


async def drain(h: OrdersHarness) -> None:
    await h.service.actions.run(asyncio.Event(), h.service.wakeups.actions, once=True)


async def posted_invoices(h: OrdersHarness) -> list[int]:
    r = await h.admin.get("/_sandbox/requests", params={"route": INVOICE, "method": "POST"})
    return [e["status"] for e in r.json()["entries"]]


@pytest.mark.parametrize("partial", [False, True], ids=["full", "partial"])
async def test_an_invoice_accepted_before_the_worker_died_is_done(tmp_path: Path, partial: bool) -> None:
    """Measured before the fix: the full invoice ended ``rejected`` ("nothing left to invoice") and
    its tracking was refused; the partial one was posted a second time."""
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        await h.service.pipeline.process(OrderEvent(oid, "ready-for-handling", None, "feed", oid))
        extra = {"invoiceValue": "49.90", "items": [{"id": "100", "price": "49.90", "quantity": 1}]}
        inv, track = queue(
            h,
            {
                "type": "invoice",
                "orderId": oid,
                "invoiceNumber": "NF-1",
                "issuanceDate": "2024-05-01",
                **(extra if partial else {}),
            },
            {"type": "tracking", "orderId": oid, "invoiceNumber": "NF-1", "trackingNumber": "BR1"},
        )
        dying = h.state.actions.claim_next("a-worker-that-died", account="sandbox")
        assert dying is not None and dying.id == inv
        await h.service.actions.send(dying)  # VTEX accepted it; the worker died before recording it
        h.state.actions.retry(dying.id, at=datetime.now(UTC))  # its claim expired
        await drain(h)
        a, t = h.state.actions.get(inv), h.state.actions.get(track)
        assert a is not None and a.state == "done" and a.attempts == 2, a and a.vtex_message
        assert "earlier attempt" in (a.vtex_message or "")
        assert t is not None and t.state == "done", t and t.vtex_message
        assert await posted_invoices(h) == [200]  # posted once
        packages = (await h.order(oid))["order"]["packageAttachment"]["packages"]
        assert [(p["invoiceNumber"], p["trackingNumber"]) for p in packages] == [("NF-1", "BR1")]


async def test_an_invoice_before_handling_started_waits_for_it(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)  # ready-for-handling: the pipeline has not started it yet
        [inv] = queue(
            h, {"type": "invoice", "orderId": oid, "invoiceNumber": "NF-9", "issuanceDate": "2024-05-01"}
        )
        await drain(h)
        a = h.state.actions.get(inv)
        assert a is not None and a.state == "pending" and "not handling yet" in (a.vtex_message or "")
        await h.service.pipeline.process(OrderEvent(oid, "ready-for-handling", None, "feed", oid))
        await asyncio.sleep(0.3)  # its retry delay
        await drain(h)
        a = h.state.actions.get(inv)
        assert a is not None and a.state == "done", a and a.vtex_message
        answers = await posted_invoices(h)
        assert answers[-1] == 200 and set(answers[:-1]) == {409}  # refused until started, then once


async def test_an_invoice_refused_just_before_handling_started_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """VTEX refused the invoice (ready-for-handling), and handling started before we read the order
    (seen in a kill run): retried, not rejected."""
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        [inv] = queue(
            h, {"type": "invoice", "orderId": oid, "invoiceNumber": "NF-7", "issuanceDate": "2024-05-01"}
        )
        real = h.service.client.orders.invoice_order

        async def refused_then_started(order_id: str, invoice: Any, **kw: Any) -> Any:
            try:
                return await real(order_id, invoice, **kw)
            finally:  # the pipeline starts handling the order meanwhile
                await h.service.pipeline.process(OrderEvent(oid, "ready-for-handling", None, "feed", oid))

        monkeypatch.setattr(h.service.client.orders, "invoice_order", refused_then_started)
        action = await h.service.actions.claim()
        assert action is not None and action.id == inv
        assert await h.service.actions.run_action(action) is None  # retried later
        monkeypatch.setattr(h.service.client.orders, "invoice_order", real)
        await asyncio.sleep(0.3)
        await drain(h)
        a = h.state.actions.get(inv)
        assert a is not None and a.state == "done", a and a.vtex_message


async def test_a_tracking_update_accepted_before_the_worker_died_is_not_sent_again(tmp_path: Path) -> None:
    """Found by the random-kill acceptance (seed 396757486): a tracking number VTEX accepted just
    before the worker died was sent a second time when its action was claimed again."""
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        await h.service.pipeline.process(OrderEvent(oid, "ready-for-handling", None, "feed", oid))
        [inv] = queue(
            h, {"type": "invoice", "orderId": oid, "invoiceNumber": "NF-2", "issuanceDate": "2024-05-01"}
        )
        await drain(h)
        assert (a := h.state.actions.get(inv)) is not None and a.state == "done"
        [track] = queue(
            h, {"type": "tracking", "orderId": oid, "invoiceNumber": "NF-2", "trackingNumber": "BR2"}
        )
        dying = h.state.actions.claim_next("a-worker-that-died", account="sandbox")
        assert dying is not None and dying.id == track
        await h.service.actions.send(dying)  # VTEX accepted it; the worker died before recording it
        h.state.actions.retry(dying.id, at=datetime.now(UTC))  # its claim expired
        await drain(h)
        t = h.state.actions.get(track)
        assert t is not None and t.state == "done" and t.attempts == 2, t and t.vtex_message
        assert "earlier attempt" in (t.vtex_message or "")
        r = await h.admin.get("/_sandbox/requests", params={"route": INVOICE + "/{invoiceNumber}"})
        assert [e["method"] for e in r.json()["entries"]] == ["PATCH"]  # the tracking number, once
