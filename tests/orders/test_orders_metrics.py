"""The order flow counted in a Metrics: feed and hook events by outcome, ERP deliveries with their
lag, actions by final state with their lag, and the worker's VTEX calls, against the sandbox."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkResult
from vtexbridge.observability import Metrics
from vtexbridge.orders.service import OrdersService
from vtexbridge.testing.orders import OrdersHarness

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples_of(metrics: Metrics) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples ``name`` whose labels include ``labels`` (0 when none)."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


async def test_the_order_flow_is_counted(tmp_path: Path) -> None:
    started = time.monotonic()
    async with OrdersHarness(tmp_path) as h:
        metrics = Metrics()
        async with OrdersService(
            h.settings,
            store=h.state,
            metrics=metrics,
            http_transport=httpx.ASGITransport(app=h.sandbox),
        ) as service:
            a, b = await h.place(2)
            await service.run(once=True)  # both from the feed
            assert len(h.order_files()) == 2
            # the hook announces one of them again: already delivered, nothing new for the ERP
            h.state.inbox.put(
                "sandbox",
                {"Domain": "Marketplace", "OrderId": a, "State": "ready-for-handling", "Origin": {}},
            )
            h.drop_action(
                "inv.json",
                {"type": "invoice", "orderId": a, "invoiceNumber": "NF-1", "issuanceDate": "2024-05-01"},
            )
            h.drop_action(
                "bad.json",
                {
                    "type": "invoice",
                    "orderId": "0000-01",
                    "invoiceNumber": "NF-2",
                    "issuanceDate": "2024-05-01",
                },
            )
            await service.run(once=True)

        s = samples_of(metrics)
        events = "vtexbridge_orders_events_total"
        assert total(s, events, source="feed", outcome="delivered") == 2
        assert total(s, events, source="hook", outcome="already-delivered") == 1
        assert total(s, events, outcome="error") == 0
        assert total(s, "vtexbridge_orders_deliveries_total", status="ready-for-handling") == 2
        lag = "vtexbridge_orders_pipeline_lag_seconds"
        assert total(s, f"{lag}_count", stage="delivery") == 2
        assert total(s, f"{lag}_bucket", stage="delivery", le="+Inf") == 2
        # two lags, each from the order's placement to the ERP's acceptance: within the test's duration
        assert 0 < total(s, f"{lag}_sum", stage="delivery") <= 2 * (time.monotonic() - started)
        actions = "vtexbridge_orders_actions_total"
        assert total(s, actions, kind="invoice", state="done") == 1
        assert total(s, actions, kind="invoice", state="rejected") == 1  # VTEX: no such order
        assert total(s, f"{lag}_count", stage="action") == 2
        # the client built by the service counted its calls: feed reads, Get Order, the invoice
        calls = "vtexbridge_vtex_requests_total"
        assert total(s, calls, route="/api/orders/feed", method="GET", status="200") >= 2
        assert total(s, calls, route="/api/oms/pvt/orders/{orderId}", method="GET", status="200") >= 2
        assert (
            total(s, calls, route="/api/oms/pvt/orders/{orderId}/invoice", method="POST", status="200") == 1
        )
        assert b in {p.name.split(".")[0] for p in h.order_files()}


async def test_a_failed_event_is_counted_as_an_error(tmp_path: Path) -> None:
    async with OrdersHarness(tmp_path, orders={"feed": {"enabled": False}}) as h:
        metrics = Metrics()
        async with OrdersService(
            h.settings,
            store=h.state,
            metrics=metrics,
            sink=_Refusing(),
            http_transport=httpx.ASGITransport(app=h.sandbox),
        ) as service:
            [a] = await h.place(1)
            h.state.inbox.put("sandbox", {"OrderId": a, "State": "ready-for-handling"})
            await service.inbox.process_batch()
        s = samples_of(metrics)
        assert total(s, "vtexbridge_orders_events_total", source="hook", outcome="error") == 1
        assert total(s, "vtexbridge_orders_deliveries_total") == 0


class _Refusing:
    name = "folder"

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        raise SinkError("ERP offline (test)")

    async def aclose(self) -> None:
        return None
