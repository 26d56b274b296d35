"""The pipeline against the in-process sandbox: re-checked status, exactly-once delivery, start
handling once, sink failures, bounded Get Order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkResult
from vtexbridge.erp.sinks.folder import FolderSink
from vtexbridge.orders.pipeline import OrderEvent, Outcome, ProcessingError
from vtexbridge.testing.orders import OrdersHarness
from vtexbridge.vtex.models.orders import Order

START = "/api/oms/pvt/orders/{orderId}/start-handling"
GET_ORDER = "/api/oms/pvt/orders/{orderId}"


def event(order_id: str, state: str = "ready-for-handling") -> OrderEvent:
    return OrderEvent(order_id, state, None, "feed", f"k-{order_id}-{state}")


async def test_delivers_once_and_starts_handling_once(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        first = await h.service.pipeline.process(event(oid))
        assert first.outcome is Outcome.DELIVERED and first.handling == "started"
        [file] = h.order_files()
        assert file.name == f"{oid}.ready-for-handling.json" and first.erp_ref == str(file)
        assert (await h.order(oid))["order"]["status"] == "handling"
        stat = file.stat()
        again = await h.service.pipeline.process(event(oid))
        # the news of this event is delivered and handling is recorded: the order is not even read
        assert again.outcome is Outcome.ALREADY_DELIVERED and again.handling == "already"
        assert await h.requests(route=GET_ORDER) == 1
        later = await h.service.pipeline.process(event(oid, "handling"))
        # the order is handling now: not a configured status, nothing delivered, no second call
        assert later.outcome is Outcome.IGNORED and later.status == "handling"
        assert await h.requests(route=START) == 1
        assert file.stat().st_mtime_ns == stat.st_mtime_ns
        state = h.state.orders.get("sandbox", oid)
        assert state is not None and state.handling_started_at is not None and state.last_status == "handling"
        [delivery] = h.state.orders.list_deliveries("sandbox", oid)
        assert delivery.status == "ready-for-handling" and delivery.sink == "folder"


async def test_a_recorded_delivery_skips_the_sink_and_handling_is_gated(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, orders={"start_handling": True}) as h:
        [oid] = await h.place(1)
        h.state.orders.record_delivery("sandbox", oid, "ready-for-handling", sink="folder", erp_ref="x")
        h.state.orders.mark_handling_started("sandbox", oid)
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.ALREADY_DELIVERED and result.handling == "already"
        assert h.order_files() == [] and await h.requests(route=START) == 0


async def test_a_crash_after_delivery_before_start_handling_is_caught_up(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        h.state.orders.record_delivery("sandbox", oid, "ready-for-handling", sink="folder", erp_ref="x")
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.ALREADY_DELIVERED and result.handling == "started"
        assert h.order_files() == [] and await h.requests(route=START) == 1


async def test_the_event_is_a_hint_the_order_is_the_truth(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        await h.service.client.orders.cancel_order(oid, reason="shopper gave up")
        result = await h.service.pipeline.process(event(oid, "ready-for-handling"))
        assert result.outcome is Outcome.DELIVERED and result.status == "canceled"
        assert [p.name for p in h.order_files()] == [f"{oid}.canceled.json"]
        assert await h.requests(route=START) == 0  # never on an order that is not ready-for-handling
        journal = h.service.pipeline.journal.get(oid)
        assert (
            journal["seen"][-1]["event"] == "ready-for-handling"
            and journal["seen"][-1]["status"] == "canceled"
        )


async def test_an_order_already_handling_is_not_delivered_nor_started(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        r = await h.admin.post(f"/_sandbox/orders/{oid}/advance", json={"to": "handling"})
        assert r.status_code == 200, r.text
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.IGNORED and result.status == "handling"
        assert h.order_files() == [] and await h.requests(route=START) == 0


async def test_oms003_is_noted_and_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        real = h.service.client.orders.start_handling

        async def canceled_meanwhile(order_id: str, **kw: Any) -> None:
            await h.admin.post(f"/api/oms/pvt/orders/{order_id}/cancel", json={"reason": "shopper"})
            await real(order_id, **kw)

        monkeypatch.setattr(h.service.client.orders, "start_handling", canceled_meanwhile)
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.DELIVERED and result.handling == "refused"
        state = h.state.orders.get("sandbox", oid)
        assert state is not None and state.handling_started_at is None
        [error] = h.service.pipeline.journal.get(oid)["errors"]
        assert error["step"] == "start-handling" and "OMS003" in error["message"]


async def test_start_handling_can_be_turned_off(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, orders={"start_handling": False}) as h:
        [oid] = await h.place(1)
        result = await h.service.pipeline.process(event(oid))
        assert result.handling == "off" and await h.requests(route=START) == 0
        assert (await h.order(oid))["order"]["status"] == "ready-for-handling"


class FlakySink:
    name = "flaky"

    def __init__(self, folder: Path, failures: int) -> None:
        self.inner = FolderSink(folder, fsync=False)
        self.failures = failures
        self.calls = 0

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            raise SinkError("ERP offline")
        return await self.inner.deliver(delivery)

    async def aclose(self) -> None:
        return None


async def test_a_sink_failure_keeps_the_event_and_records_the_error(tmp_path: Path) -> None:
    sink = FlakySink(tmp_path / "erp" / "orders", failures=1)
    async with OrdersHarness(tmp_path, sink=sink) as h:
        [oid] = await h.place(1)
        with pytest.raises(ProcessingError, match="ERP offline") as e:
            await h.service.pipeline.process(event(oid))
        assert e.value.step == "sink"
        assert h.state.orders.get_delivery("sandbox", oid, "ready-for-handling") is None
        assert await h.requests(route=START) == 0  # nothing is started before the ERP has the order
        assert h.service.pipeline.journal.get(oid)["errors"][0]["step"] == "sink"
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.DELIVERED and result.handling == "started"
        assert h.service.pipeline.journal.get(oid)["errors"] == []  # cleared once delivered


async def test_a_crash_between_sink_and_record_redelivers_nothing_new(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, orders={"start_handling": False}) as h:
        [oid] = await h.place(1)
        order = await h.service.client.orders.get_order(oid)
        # the sink accepted it, then the process died before record_delivery
        written = await h.service.sink.deliver(
            OrderDelivery("sandbox", oid, order.status, _document(order), replay=False)
        )
        assert written.written
        before = h.order_files()[0].stat()
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.DELIVERED
        after = h.order_files()[0].stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
        assert h.state.orders.get_delivery("sandbox", oid, "ready-for-handling") is not None


def _document(order: Order) -> dict[str, Any]:
    from vtexbridge.orders.schema import build_document

    return build_document(order.model_dump(mode="json"), status=order.status, account="sandbox")


async def test_unknown_order(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        result = await h.service.pipeline.process(event("999-01"))
        assert result.outcome is Outcome.NOT_FOUND


async def test_get_order_is_never_a_burst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with OrdersHarness(tmp_path, orders={"get_order_concurrency": 3, "start_handling": False}) as h:
        ids = await h.place(12)
        real = h.service.client.orders.get_order
        in_flight = peak = 0

        async def counting(order_id: str, **kw: Any) -> Order:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                await asyncio.sleep(0.01)
                return await real(order_id, **kw)
            finally:
                in_flight -= 1

        monkeypatch.setattr(h.service.client.orders, "get_order", counting)
        await asyncio.gather(*(h.service.pipeline.process(event(i)) for i in ids))
        assert peak == 3 and len(h.order_files()) == 12


async def test_events_of_one_order_are_processed_one_at_a_time(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path) as h:
        [oid] = await h.place(1)
        results = await asyncio.gather(*(h.service.pipeline.process(event(oid)) for _ in range(5)))
        assert [r.outcome for r in results].count(Outcome.DELIVERED) == 1
        assert await h.requests(route=START) == 1 and len(h.order_files()) == 1


async def test_replay_rewrites_the_current_status(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, orders={"start_handling": False}) as h:
        [oid] = await h.place(1)
        await h.service.pipeline.process(event(oid))
        path = h.order_files()[0]
        path.write_text("{}")  # the ERP mangled its copy
        status, result = await h.service.replay(oid)
        assert status == "ready-for-handling" and result.written
        assert path.read_text() != "{}"
