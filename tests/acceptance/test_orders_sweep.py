"""Acceptance (#12): orders no event announced reach the ERP through the order sweep, exactly once.

50 orders placed before the feed is configured, 20 whose feed events are removed before they are
read, 10 whose hook notifications are lost: ``orders run --once`` (``service.run(once=True)``)
delivers all 80 to the sink once each, and start-handling is called once per order, counted in the
sandbox's request log; a second run delivers nothing and starts nothing.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from orders_acceptance_support import CountingSink

from vtexbridge.sandbox.options import DEFAULT_APP_KEY
from vtexbridge.sandbox.orderflow import orders_runtime
from vtexbridge.testing.orders import OrdersHarness

START = "/api/oms/pvt/orders/{orderId}/start-handling"


def _drop_feed_events(h: OrdersHarness) -> int:
    queue = h.sandbox_store.table("sandbox", f"feedqueue:{DEFAULT_APP_KEY}")
    n = len(queue)
    queue.clear()
    return n


async def test_sweep_delivers_what_no_event_announced(tmp_path: Path) -> None:
    sink = CountingSink(tmp_path / "erp" / "orders")
    h = OrdersHarness(tmp_path, sink=sink, orders={"hook": {"public_url": "http://erp.example/hook"}})
    before_feed = await h.place(50)  # no feed exists yet: VTEX keeps no event for it
    async with h:  # configures the feed
        lost_feed = await h.place(20)
        assert _drop_feed_events(h) >= 20  # expired / lost before anyone read them
        # a hook whose notifications never reach us (answered, then lost on the way)
        deliverer = orders_runtime(h.sandbox.state.sandbox).deliverer
        deliverer.transport = httpx.MockTransport(lambda request: httpx.Response(200))
        await h.service.register_hook()
        lost_hook = await h.place(10)
        _drop_feed_events(h)
        ids = before_feed + lost_feed + lost_hook
        assert await h.requests(route=START) == 0

        await h.service.run(once=True)
        report = h.service.sweep.last
        assert report is not None and report.complete
        assert report.delivered == 80

        assert sorted(sink.handed) == sorted(f"{oid}:ready-for-handling" for oid in ids)
        assert len(sink.handed) == 80 and set(sink.handed.values()) == {1}
        assert await h.requests(route=START) == 80
        assert all(len(h.state.orders.list_deliveries("sandbox", oid)) == 1 for oid in ids)
        assert set((await h.statuses()).values()) == {"handling"}

        # again: nothing new, nothing delivered twice, nothing started twice
        await h.service.run(once=True)
        again = h.service.sweep.last
        assert again is not None and again.delivered == 0
        assert len(sink.handed) == 80 and set(sink.handed.values()) == {1}
        assert await h.requests(route=START) == 80


async def test_sweep_window_moves_only_after_a_complete_sweep(tmp_path: Path) -> None:
    sink = CountingSink(tmp_path / "erp" / "orders", fail_first=1)
    h = OrdersHarness(tmp_path, sink=sink, orders={"sweep_lookback_s": 60})
    await h.place(3)
    async with h:
        first_since, _ = await h.service.sweep.window()
        report = await h.service.sweep.sweep()
        assert report.delivered == 2 and len(report.failed) == 1  # the ERP refused one: kept
        again_since, _ = await h.service.sweep.window()
        assert abs((again_since - first_since).total_seconds()) < 5  # 30 days back again
        report = await h.service.sweep.sweep()
        assert report.listed == 1 and report.delivered == 1 and report.complete  # the 2 are handling now
        since, until = await h.service.sweep.window()
        assert (until - since).total_seconds() < 120  # since the last sweep, minus the lookback
        assert len(sink.handed) == 3 and set(sink.handed.values()) == {1}
