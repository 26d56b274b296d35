"""Acceptance: the pipeline loses nothing and delivers nothing twice when the feed duplicates and
shuffles events, orders change while events are in flight, VTEX drops the feed configuration, the
ERP sink fails for a while, and the hook and the feed run together.

"Twice" is counted as deliveries handed to the sink per order and status (``CountingSink.handed``),
and the exactly-once tests run against every kind of sink (folder, SQL, HTTP, plugin)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from orders_acceptance_support import SINK_KINDS, CountingSink, build_sink, until

from vtexbridge.sandbox.orderflow import orders_runtime
from vtexbridge.testing.orders import HOOK_SECRET, OrdersHarness
from vtexbridge.vtex.models.feed import HookConfigUpdate, HookEndpoint, WorkflowFilter

STATUSES = ["ready-for-handling", "canceled"]


@pytest.fixture(params=SINK_KINDS)
async def erp(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[CountingSink, Callable[[], set[str]]]]:
    """Each kind of real sink, counted; and what the ERP behind it holds."""
    inner, held = build_sink(request.param, tmp_path)
    sink = CountingSink(inner)
    yield sink, held
    await sink.aclose()


async def test_duplicated_shuffled_and_out_of_order_events(
    tmp_path: Path, erp: tuple[CountingSink, Callable[[], set[str]]]
) -> None:
    sink, held = erp
    async with OrdersHarness(tmp_path, sink=sink) as h:
        await h.feed_options(duplicateRate=0.6, shuffle=True, seed=7)
        ids = await h.place(40)
        canceled_early = ids[:10]
        for oid in canceled_early:  # canceled before the pipeline saw them
            await h.service.client.orders.cancel_order(oid, reason="changed mind")
        stop = asyncio.Event()
        worker = asyncio.create_task(h.service.run(stop))
        try:
            expected = {f"{o}:canceled" for o in canceled_early} | {
                f"{o}:ready-for-handling" for o in ids[10:]
            }
            await until(lambda: set(sink.handed) == expected, what="first deliveries")
            canceled_late = ids[10:15]  # canceled after the ERP got them (VTEX allows it while handling)
            for oid in canceled_late:
                await h.service.client.orders.cancel_order(oid, reason="late")
            expected |= {f"{o}:canceled" for o in canceled_late}
            await until(lambda: set(sink.handed) == expected, what="late cancellations")
            await until(lambda: _feed_empty(h), what="the feed to be drained")
        finally:
            stop.set()
            await worker
        assert sink.twice() == {}  # never handed twice
        assert held() == expected  # and the ERP holds each
        duplicates = sum(r.duplicates for r in h.service.consumer.reports)
        assert duplicates > 0  # the sandbox did duplicate events
        # start-handling only for orders that were ready-for-handling when read
        assert await h.requests(route="/api/oms/pvt/orders/{orderId}/start-handling") == 30
        for oid in canceled_early:
            assert h.state.orders.get("sandbox", oid).handling_started_at is None  # type: ignore[union-attr]


async def _feed_empty(h: OrdersHarness) -> bool:
    """Every event of the feed committed (the sandbox's queue is empty)."""
    feeds = (await h.admin.get("/_sandbox/feeds")).json()["feeds"]
    return all(f["messages"] == 0 for f in feeds)


async def test_feed_configuration_dropped_by_vtex_is_recreated(tmp_path: Path) -> None:
    sink = CountingSink(tmp_path / "erp" / "orders")
    async with OrdersHarness(tmp_path, sink=sink) as h:
        stop = asyncio.Event()
        worker = asyncio.create_task(h.service.run(stop))
        try:
            first = await h.place(15)
            await until(lambda: len(sink.handed) == 15, what="first orders")
            await h.service.client.feed.delete_feed_config()  # VTEX dropped it
            await until(
                lambda: h.service.consumer.config_recreated == 1, what="the configuration to come back"
            )
            second = await h.place(15)
            await until(lambda: len(sink.handed) == 30, what="orders after the re-creation")
        finally:
            stop.set()
            await worker
        assert set(sink.handed) == {f"{o}:ready-for-handling" for o in first + second}
        assert sink.twice() == {}
        assert await h.requests(route="/api/orders/feed/config", method="POST") == 2
        config = (await h.admin.get("/api/orders/feed/config")).json()
        assert config["filter"] == {"type": "FromWorkflow", "status": STATUSES}


async def test_a_sink_failing_for_a_while_loses_nothing(tmp_path: Path) -> None:
    sink = CountingSink(tmp_path / "erp" / "orders", fail_first=25)
    async with OrdersHarness(tmp_path, sink=sink, orders={"feed": {"visibility_timeout_s": 1}}) as h:
        ids = await h.place(20)
        stop = asyncio.Event()
        worker = asyncio.create_task(h.service.run(stop))
        try:
            await until(lambda: len(sink.handed) == 20, within=30, what="all orders after the ERP came back")
        finally:
            stop.set()
            await worker
        assert sink.failed == 25 and sink.twice() == {}
        assert await h.requests(route="/api/oms/pvt/orders/{orderId}/start-handling") == 20
        errors_seen = [
            e for oid in ids for e in h.service.pipeline.journal.get(oid)["seen"] if e["outcome"] == "error"
        ]
        assert errors_seen  # the failures were recorded against the orders


async def test_hook_and_feed_together_deliver_once(
    tmp_path: Path, erp: tuple[CountingSink, Callable[[], set[str]]]
) -> None:
    sink, held = erp
    async with OrdersHarness(tmp_path, sink=sink) as h:
        h.wire_hook()
        await h.service.register_hook("http://bridge.test/hooks/vtex/orders")  # VTEX pings it: answered
        stop = asyncio.Event()
        worker = asyncio.create_task(h.service.run(stop))
        try:
            ids = await h.place(50)
            await until(lambda: len(sink.handed) == 50, what="50 orders")
            await until(lambda: _feed_empty(h), what="the feed, the safety net, to be drained")
            await until(lambda: h.state.row_counts()["hook_inbox"] >= 50, what="hook notifications")
        finally:
            stop.set()
            await worker
        assert set(sink.handed) == {f"{o}:ready-for-handling" for o in ids}
        assert sink.twice() == {}
        assert held() == set(sink.handed)
        assert await h.requests(route="/api/oms/pvt/orders/{orderId}/start-handling") == 50
        deliveries = (await h.admin.get("/_sandbox/hook/deliveries")).json()
        assert deliveries["delivered"] >= 50 and deliveries["failed"] == 0
        assert h.state.inbox.claim(100, "check") == []  # every notification processed
        feed_read = sum(max(r.read, 0) for r in h.service.consumer.reports)
        assert feed_read >= 50  # the feed saw every order too, and delivered none a second time
        hook_done = h.state.row_counts()["hook_inbox"]
        assert hook_done is not None and hook_done >= 50  # both paths carried every order


async def test_hook_with_a_wrong_secret_is_refused_and_the_feed_still_delivers(tmp_path: Path) -> None:
    sink = CountingSink(tmp_path / "erp" / "orders")
    async with OrdersHarness(tmp_path, sink=sink) as h:
        h.wire_hook()
        # VTEX is configured with a secret that is not ours: the ping is answered, notifications are not
        await h.service.client.feed.set_hook_config(
            HookConfigUpdate(
                filter=WorkflowFilter(status=STATUSES),
                hook=HookEndpoint(
                    url="http://bridge.test/hooks/vtex/orders",
                    headers={h.settings.orders.hook.header: "not-" + HOOK_SECRET},
                ),
            )
        )
        deliverer = orders_runtime(h.sandbox.state.sandbox).deliverer
        ids = await h.place(5)
        stop = asyncio.Event()
        worker = asyncio.create_task(h.service.run(stop))
        try:
            await until(lambda: len(sink.handed) == 5, what="orders through the feed")
            await until(lambda: len(deliverer.history()) >= 5, what="hook attempts")
        finally:
            stop.set()
            await worker
        attempts = deliverer.history()
        assert attempts and all(a["status"] == 401 for a in attempts)
        assert h.state.row_counts()["hook_inbox"] == 0
        assert set(sink.handed) == {f"{o}:ready-for-handling" for o in ids}
