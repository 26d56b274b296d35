"""HTTP sink: POST with an idempotency key, retries on 5xx/429/network, 4xx refused, 409 accepted."""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client import CollectorRegistry

from vtexbridge.clock import FakeClock
from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkRejected
from vtexbridge.erp.sinks.http import HttpSink
from vtexbridge.vtex.metrics import TransportMetrics

DELIVERY = OrderDelivery(
    "acme", "O-1", "ready-for-handling", {"orderId": "O-1", "status": "ready-for-handling"}
)


def sink_with(
    script: list[httpx.Response | Exception], seen: list[httpx.Request], clock: FakeClock
) -> HttpSink:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        outcome = script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return HttpSink(
        "https://erp.example.com/orders",
        headers={"Authorization": "Bearer erp-token"},
        attempts=4,
        backoff_s=1.0,
        clock=clock,
        transport=httpx.MockTransport(handler),
    )


async def test_posts_the_document_with_its_key() -> None:
    seen: list[httpx.Request] = []
    sink = sink_with([httpx.Response(201, json={"id": "ERP-77"})], seen, FakeClock())
    result = await sink.deliver(DELIVERY)
    await sink.aclose()
    assert result.written and result.erp_ref == "ERP-77"
    [req] = seen
    assert req.headers["Idempotency-Key"] == "O-1:ready-for-handling"
    assert req.headers["Authorization"] == "Bearer erp-token"
    assert json.loads(req.content) == DELIVERY.document


async def test_retries_then_accepts_with_doubling_waits_and_retry_after() -> None:
    seen: list[httpx.Request] = []
    clock = FakeClock()
    script: list[httpx.Response | Exception] = [
        httpx.Response(503),
        httpx.ConnectError("refused"),
        httpx.Response(429, headers={"Retry-After": "10"}),
        httpx.Response(200),
    ]
    sink = sink_with(script, seen, clock)
    result = await sink.deliver(DELIVERY)
    assert result.written and result.erp_ref == "O-1:ready-for-handling"
    # the transport's policy: full jitter (the fake clock's random() is 0.5) of 1 s, then 2 s; the
    # ERP's Retry-After is obeyed as given
    assert clock.sleeps == [0.5, 1.0, 10.0]


async def test_conflict_means_the_erp_has_it() -> None:
    sink = sink_with([httpx.Response(409)], [], FakeClock())
    result = await sink.deliver(DELIVERY)
    assert not result.written


async def test_a_4xx_is_a_refusal_with_the_erps_answer() -> None:
    sink = sink_with([httpx.Response(422, text="unknown customer")], [], FakeClock())
    with pytest.raises(SinkRejected, match="HTTP 422: unknown customer"):
        await sink.deliver(DELIVERY)


async def test_gives_up_after_the_attempts() -> None:
    seen: list[httpx.Request] = []
    sink = sink_with([httpx.Response(500)] * 4, seen, FakeClock())
    with pytest.raises(SinkError, match="after 4 attempts: HTTP 500"):
        await sink.deliver(DELIVERY)
    assert len(seen) == 4


async def test_408_and_425_are_retried_and_every_call_is_counted_by_target() -> None:
    seen: list[httpx.Request] = []
    registry = CollectorRegistry()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return [httpx.Response(408), httpx.Response(425), httpx.Response(201, json={"id": 9})][len(seen) - 1]

    sink = HttpSink(
        "https://erp.example.com/orders",
        clock=FakeClock(),
        transport=httpx.MockTransport(handler),
        metrics=TransportMetrics(registry),
    )
    result = await sink.deliver(DELIVERY)
    await sink.aclose()
    assert result.erp_ref == "9" and len(seen) == 3
    assert not any(h.lower().startswith("x-vtex") for h in seen[0].headers)  # never our VTEX credentials
    labels = {"api": "erp-sink", "route": "", "method": "POST"}
    for status in ("408", "425", "201"):
        assert registry.get_sample_value("vtexbridge_vtex_requests_total", {**labels, "status": status}) == 1


async def test_a_long_retry_after_ends_the_attempts_and_the_password_is_never_shown() -> None:
    seen: list[httpx.Request] = []
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(429, headers={"Retry-After": "120"})

    sink = HttpSink(
        "https://bridge:s3cret-pw@erp.example.com/orders",
        backoff_max_s=30.0,
        clock=clock,
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(SinkError, match="after 1 attempts: HTTP 429") as info:
        await sink.deliver(DELIVERY)
    await sink.aclose()
    assert len(seen) == 1 and clock.sleeps == []  # the pipeline delivers it again later
    assert "s3cret-pw" not in str(info.value) and "https://erp.example.com/orders" in str(info.value)
    assert seen[0].headers["Authorization"].startswith("Basic ")


async def test_replay_is_marked() -> None:
    seen: list[httpx.Request] = []
    sink = sink_with([httpx.Response(200)], seen, FakeClock())
    d = DELIVERY
    await sink.deliver(OrderDelivery(d.account, d.order_id, d.status, d.document, replay=True))
    assert seen[0].headers["X-Vtexbridge-Replay"] == "1"
