"""The hook inbox: claimed, processed once per order, finished; failures retried later."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from vtexbridge.clock import FakeClock
from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkResult
from vtexbridge.orders.inbox import hook_event, is_ping
from vtexbridge.state import InboxItem
from vtexbridge.testing.orders import OrdersHarness


def note(
    order_id: str, state: str = "ready-for-handling", change: str = "2024-05-01T10:00:00.0000000Z"
) -> dict[str, object]:
    return {
        "Domain": "Fulfillment",
        "OrderId": order_id,
        "State": state,
        "LastState": "window-to-cancel",
        "LastChange": change,
        "CurrentChange": change,
        "Origin": {"Account": "sandbox", "Key": "vtexappkey-sandbox-KEY"},
    }


def test_hook_event_and_ping() -> None:
    e = hook_event(note("O-1"))
    assert e is not None and e.order_id == "O-1" and e.state == "ready-for-handling" and e.source == "hook"
    assert e.changed_at is not None and e.changed_at.year == 2024
    assert hook_event({"hookConfig": "ping"}) is None and hook_event([1]) is None
    assert is_ping({"hookConfig": "ping"}) and not is_ping(note("O-1"))


async def test_items_are_processed_and_finished(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        a, b = await h.place(2)
        for body in (
            note(a),
            note(a, change="2024-05-01T10:00:01Z"),
            note(b),
            {"what": "not a notification"},
        ):
            h.state.inbox.put("sandbox", body)
        assert await h.service.inbox.process_batch() == 4
        assert await h.service.inbox.process_batch() == 0
        assert {p.name for p in h.order_files()} == {
            f"{a}.ready-for-handling.json",
            f"{b}.ready-for-handling.json",
        }
        assert await h.requests(route="/api/oms/pvt/orders/{orderId}") == 2  # one Get Order per order


class DownSink:
    name = "down"

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        raise SinkError("ERP offline")

    async def aclose(self) -> None:
        return None


async def test_a_failed_item_comes_back_after_a_backoff(tmp_path: Path) -> None:
    clock = FakeClock(start=1_700_000_000)
    async with OrdersHarness(tmp_path, sink=DownSink(), clock=clock) as h:
        [oid] = await h.place(1)
        item_id = h.state.inbox.put("sandbox", note(oid))
        assert await h.service.inbox.process_batch() == 1
        assert await h.service.inbox.process_batch() == 0  # not due yet
        assert h.state.inbox.claim(5, "peek", account="sandbox", visibility=timedelta(0)) == []
        clock.advance(h.settings.orders.hook.retry_backoff_s + 0.01)
        [item] = h.state.inbox.claim(5, "peek", account="sandbox")
        assert item.id == item_id and item.attempts == 2 and "ERP offline" in (item.last_error or "")


async def test_a_short_claim_waits_for_the_next_notification(tmp_path: Path) -> None:
    """After a claim that took everything (fewer than ``inbox_batch``), the worker claims again only
    when woken (or at the poll): no empty claim per wake-up and per batch end (h9, #15 capacity)."""
    async with OrdersHarness(tmp_path, orders={"hook": {"inbox_poll_s": 30.0}}) as h:
        claims: list[int] = []
        claim = h.state.inbox.claim

        def counting(*args: Any, **kwargs: Any) -> list[InboxItem]:
            items = claim(*args, **kwargs)
            claims.append(len(items))
            return items

        h.state.inbox.claim = counting  # type: ignore[method-assign]
        stop, wake = asyncio.Event(), asyncio.Event()
        worker = asyncio.create_task(h.service.inbox.run(stop, wake))
        try:
            await until(lambda: claims == [0], what="the first (empty) claim")
            for oid in await h.place(3):
                h.state.inbox.put("sandbox", note(oid))
                wake.set()
                await until(lambda oid=oid: f"{oid}.ready-for-handling.json" in names(h), what=oid)
            await asyncio.sleep(0.3)  # a claim after a batch's end would come now
        finally:
            stop.set()
            await worker
        assert claims == [0, 1, 1, 1]  # one claim per notification, none coming back empty


def names(h: OrdersHarness) -> set[str]:
    return {p.name for p in h.order_files()}


async def until(cond: Callable[[], bool], *, what: str) -> None:
    for _ in range(1000):  # 10 s
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")
