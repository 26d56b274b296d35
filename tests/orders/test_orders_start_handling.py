"""Start handling under VTEX's faults (#11 "orders that get stuck", item 1): retried after a 5xx, a
timeout or a dropped connection; an unknown outcome resolved by reading the order's status; the
event never committed before handling started; a lost answer recorded as a start, not an error."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from vtexbridge.orders.pipeline import OrderEvent, Outcome, ProcessingError
from vtexbridge.testing.orders import OrdersHarness

START = "/api/oms/pvt/orders/{orderId}/start-handling"


def event(order_id: str) -> OrderEvent:
    return OrderEvent(order_id, "ready-for-handling", None, "feed", f"k-{order_id}")


class LoseAnswers(httpx.AsyncBaseTransport):
    """Hands each matching request to the sandbox (which applies it), then loses its answer
    (a dropped connection), ``times`` times per path."""

    def __init__(self, inner: httpx.AsyncBaseTransport, suffix: str, times: int = 1) -> None:
        self.inner = inner
        self.suffix = suffix
        self.times = times
        self.lost: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        path = request.url.path
        if request.method == "POST" and path.endswith(self.suffix) and self.lost[path] < self.times:
            await response.aread()
            self.lost[path] += 1
            raise httpx.RemoteProtocolError("connection dropped after the request (test)", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _faults(h: OrdersHarness, spec: str) -> None:
    r = await h.admin.post("/_sandbox/faults", json={"spec": spec, "seed": 11})
    assert r.status_code == 200, r.text


async def _start_answers(h: OrdersHarness) -> Counter[int]:
    r = await h.admin.get("/_sandbox/requests", params={"route": START})
    return Counter(e["status"] for e in r.json()["entries"])


async def test_start_handling_answering_500_is_retried_and_the_event_kept(tmp_path: Path) -> None:
    """Measured before the fix: 5 of 5 orders with start-handling answering 500 stayed
    ready-for-handling, their events committed."""
    async with OrdersHarness(tmp_path) as h:
        ids = await h.place(5)
        await _faults(h, f"POST {START}:500=1,limit=15")  # 5 orders x 3 attempts: every first pass fails
        for oid in ids:
            with pytest.raises(ProcessingError) as e:
                await h.service.pipeline.process(event(oid))
            assert e.value.step == "start-handling"  # kept: the caller does not commit it
        assert set((await h.statuses()).values()) == {"ready-for-handling"}
        for oid in ids:  # the event comes back
            result = await h.service.pipeline.process(event(oid))
            assert result.outcome is Outcome.ALREADY_DELIVERED and result.handling == "started"
        assert set((await h.statuses()).values()) == {"handling"}
        assert (await _start_answers(h))[204] == 5
        for oid in ids:
            assert h.service.pipeline.journal.get(oid)["errors"] == []


async def test_the_feed_event_is_not_committed_before_handling_started(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, orders={"feed": {"visibility_timeout_s": 1}}) as h:
        ids = await h.place(6)
        await _faults(h, f"POST {START}:500=1,limit=18")
        stop = asyncio.Event()
        worker = asyncio.create_task(h.service.run(stop))
        try:
            for _ in range(400):
                if set((await h.statuses()).values()) == {"handling"}:
                    break
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await worker
        assert set((await h.statuses()).values()) == {"handling"}
        assert (await _start_answers(h)) == Counter({500: 18, 204: 6})
        assert all(h.state.orders.get("sandbox", o).handling_started_at for o in ids)  # type: ignore[union-attr]


@pytest.mark.parametrize("times", [1, 3])
async def test_a_lost_answer_is_resolved_by_reading_the_status(tmp_path: Path, times: int) -> None:
    """Measured before the fix: 18 of 18 orders whose start-handling answer was lost showed a false
    start-handling error, and none was recorded as started."""
    lose: dict[str, LoseAnswers] = {}

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        lose["t"] = LoseAnswers(inner, "/start-handling", times=times)
        return lose["t"]

    async with OrdersHarness(tmp_path, wrap_transport=wrap) as h:
        ids = await h.place(4)
        results = [await h.service.pipeline.process(event(oid)) for oid in ids]
        assert [r.handling for r in results] == ["started"] * 4
        assert sum(lose["t"].lost.values()) == 4 * min(times, 3)
        answers = await _start_answers(h)
        assert answers[204] == 4  # VTEX started each order once; the repeats were answered 409
        for oid in ids:
            state = h.state.orders.get("sandbox", oid)
            assert state is not None and state.handling_started_at is not None
            assert h.service.pipeline.journal.get(oid)["errors"] == []


async def test_a_later_event_records_a_start_whose_answer_was_lost(tmp_path: Path) -> None:
    """Delivered, start-handling went through but was never recorded (the answer was lost and the
    read failed): the next event finds the order handling and records the start, no second call."""
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        h.state.orders.record_delivery("sandbox", oid, "ready-for-handling", sink="folder", erp_ref="x")
        await h.service.client.orders.start_handling(oid)  # the lost attempt
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.IGNORED and result.status == "handling"
        state = h.state.orders.get("sandbox", oid)
        assert state is not None and state.handling_started_at is not None
        assert (await _start_answers(h)) == Counter({204: 1})


async def test_someone_else_started_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        real = h.service.client.orders.start_handling

        async def someone_else_was_faster(order_id: str, **kw: Any) -> None:
            await h.admin.post(f"/_sandbox/orders/{order_id}/advance", json={"to": "handling"})
            await real(order_id, **kw)

        monkeypatch.setattr(h.service.client.orders, "start_handling", someone_else_was_faster)
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.DELIVERED and result.handling == "already"
        assert h.service.pipeline.journal.get(oid)["errors"] == []
        state = h.state.orders.get("sandbox", oid)
        assert state is not None and state.handling_started_at is not None
