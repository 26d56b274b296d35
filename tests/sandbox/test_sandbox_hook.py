"""Orders hook in the sandbox: the configuration ping, deliveries with headers, retries, real sockets."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.sandbox.orders_support import HEADERS, Served, add_sku, place
from vtexbridge.clock import FakeClock
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, SandboxOptions
from vtexbridge.sandbox.orderflow import orders_runtime
from vtexbridge.sandbox.rules.hook import RetryPolicy
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store

HOOK = "/api/orders/hook/config"
URL = "https://erp.example.com/vtex/hook"
READY_ONLY = {"type": "FromWorkflow", "status": ["ready-for-handling"]}


class Receiver:
    """A fake hook endpoint: answers from ``script`` (then 200) and records every request."""

    def __init__(self, script: list[int | Exception] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if b"hookConfig" not in request.content and self.script:
            outcome = self.script.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            return httpx.Response(outcome)
        return httpx.Response(200, json={"ok": True})

    def notifications(self) -> list[dict[str, Any]]:
        import json

        return [json.loads(r.content) for r in self.requests if b"hookConfig" not in r.content]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_700_000_000.0)


@pytest.fixture
def sandbox_app(sandbox_options: SandboxOptions, sandbox_store: Store, clock: FakeClock) -> Starlette:
    seed(sandbox_store, "sandbox", "demo")
    add_sku(sandbox_store, 100, stock=1000)
    return create_app(sandbox_options, store=sandbox_store, clock=clock)


def _wire(app: Starlette, receiver: Callable[[httpx.Request], Any], **policy: Any) -> Any:
    deliverer = orders_runtime(app.state.sandbox).deliverer
    deliverer.transport = httpx.MockTransport(receiver)
    if policy:
        deliverer.policy = RetryPolicy(**policy)
    return deliverer


async def _configure(client: httpx.AsyncClient, flt: dict[str, Any] | None = None) -> httpx.Response:
    body = {"filter": flt or READY_ONLY, "hook": {"url": URL, "headers": {"X-ERP-Secret": "s3cr3t"}}}
    return await client.post(HOOK, json=body)


async def test_configuration_pings_the_url_with_its_headers(
    sandbox_client: httpx.AsyncClient, sandbox_app: Starlette
) -> None:
    receiver = Receiver()
    _wire(sandbox_app, receiver)
    response = await _configure(sandbox_client)
    assert response.status_code == 200
    [ping] = receiver.requests
    assert ping.method == "POST" and str(ping.url) == URL
    assert ping.content == b'{"hookConfig":"ping"}' and ping.headers["x-erp-secret"] == "s3cr3t"
    config = (await sandbox_client.get(HOOK)).json()
    assert config["hook"] == {"url": URL, "headers": {"X-ERP-Secret": "s3cr3t"}}
    assert config["filter"] == READY_ONLY
    assert (await sandbox_client.delete(HOOK)).status_code == 200
    assert (await sandbox_client.get(HOOK)).status_code == 404
    assert (await sandbox_client.delete(HOOK)).status_code == 404


@pytest.mark.parametrize("outcome", [500, 204, httpx.ConnectError("refused")])
async def test_a_failed_ping_refuses_the_configuration(
    sandbox_client: httpx.AsyncClient, sandbox_app: Starlette, outcome: int | Exception
) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome)

    _wire(sandbox_app, answer)
    response = await _configure(sandbox_client)
    assert response.status_code == 400
    assert "must answer 200" in response.json()["error"]["message"]
    assert (await sandbox_client.get(HOOK)).status_code == 404


async def test_invalid_hook_configurations(sandbox_client: httpx.AsyncClient, sandbox_app: Starlette) -> None:
    _wire(sandbox_app, Receiver())
    no_url = {"filter": READY_ONLY, "hook": {"url": "ftp://x", "headers": {}}}
    assert (await sandbox_client.post(HOOK, json=no_url)).status_code == 400
    mixed = {"filter": {"type": "FromOrders", "status": ["x"]}, "hook": {"url": URL, "headers": {}}}
    assert (await sandbox_client.post(HOOK, json=mixed)).status_code == 409


async def test_deliveries_carry_the_configured_headers(
    sandbox_client: httpx.AsyncClient, sandbox_app: Starlette
) -> None:
    receiver = Receiver()
    deliverer = _wire(sandbox_app, receiver)
    await _configure(sandbox_client, {"type": "FromWorkflow"})
    order = await place(sandbox_client)
    await deliverer.drain()
    notes = receiver.notifications()
    assert sorted(n["State"] for n in notes) == sorted(
        [
            "order-created",
            "on-order-completed",
            "payment-pending",
            "payment-approved",
            "window-to-cancel",
            "ready-for-handling",
        ]
    )
    ready = next(n for n in notes if n["State"] == "ready-for-handling")
    assert ready == {
        "Domain": "Fulfillment",
        "OrderId": order["orderId"],
        "State": "ready-for-handling",
        "LastState": "window-to-cancel",
        "LastChange": ready["LastChange"],
        "CurrentChange": ready["CurrentChange"],
        "Origin": {"Account": "sandbox", "Key": DEFAULT_APP_KEY},
    }
    assert all(r.headers["x-erp-secret"] == "s3cr3t" for r in receiver.requests)
    assert all(r.headers["content-type"] == "application/json" for r in receiver.requests)


async def test_failed_deliveries_are_retried_on_a_geometric_back_off(
    sandbox_client: httpx.AsyncClient, sandbox_app: Starlette, clock: FakeClock
) -> None:
    receiver = Receiver([500, httpx.ConnectError("refused"), 503])
    deliverer = _wire(sandbox_app, receiver, base_delay=2.0, factor=3.0, max_attempts=5)
    await _configure(sandbox_client)
    await place(sandbox_client)
    await deliverer.drain()
    assert clock.sleeps == [2.0, 6.0, 18.0]
    attempts = (await sandbox_client.get("/_sandbox/hook/deliveries")).json()
    assert [(a["attempt"], a["status"], a["delivered"]) for a in attempts["deliveries"]] == [
        (1, 500, False),
        (2, None, False),
        (3, 503, False),
        (4, 200, True),
    ]
    assert attempts["delivered"] == 1 and attempts["failed"] == 0 and attempts["pending"] == 0


async def test_deliveries_give_up_after_max_attempts(
    sandbox_client: httpx.AsyncClient, sandbox_app: Starlette, clock: FakeClock
) -> None:
    receiver = Receiver([500, 500, 500, 500])
    deliverer = _wire(sandbox_app, receiver)
    options = await sandbox_client.post(
        "/_sandbox/hook/options", json={"maxAttempts": 3, "baseDelaySeconds": 1}
    )
    assert options.json()["maxAttempts"] == 3
    await _configure(sandbox_client)
    await place(sandbox_client)
    await deliverer.drain()
    assert clock.sleeps == [1.0, 2.0]
    summary = (await sandbox_client.get("/_sandbox/hook/deliveries")).json()
    assert summary["failed"] == 1 and summary["delivered"] == 0
    assert (await sandbox_client.post("/_sandbox/hook/options", json={"factor": 0.5})).status_code == 400


async def test_a_slow_receiver_counts_as_a_failure(
    sandbox_client: httpx.AsyncClient, sandbox_app: Starlette
) -> None:
    calls: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        calls.append(request.content.decode())
        if b"hookConfig" not in request.content and len(calls) == 2:
            await asyncio.sleep(1.0)
        return httpx.Response(200)

    deliverer = _wire(sandbox_app, slow, timeout=0.05, base_delay=0.0, max_attempts=2)
    await _configure(sandbox_client)
    await place(sandbox_client)
    await deliverer.drain()
    history = deliverer.history()
    assert history[0]["error"] == "no answer within 0.05 s" and history[1]["delivered"] is True


async def test_hook_is_removed_after_three_idle_days(
    sandbox_client: httpx.AsyncClient, sandbox_app: Starlette, clock: FakeClock
) -> None:
    _wire(sandbox_app, Receiver())
    await _configure(sandbox_client)
    clock.advance(3 * 24 * 3600 + 1)
    assert (await sandbox_client.get(HOOK)).status_code == 404


# -- over real sockets -----------------------------------------------------------------------------------


def _receiver_app(seen: list[tuple[dict[str, str], dict[str, Any]]], lock: threading.Lock) -> Starlette:
    async def hook(request: Request) -> Response:
        body = await request.json()
        with lock:
            seen.append((dict(request.headers), body))
        return JSONResponse({"received": True})

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


async def test_delivery_over_real_http(
    sandbox_server: Served,
    sandbox_server_factory: Callable[[Starlette], Served],
    sandbox_store: Store,
) -> None:
    seed(sandbox_store, "sandbox", "demo")
    add_sku(sandbox_store, 100, stock=1000)
    seen: list[tuple[dict[str, str], dict[str, Any]]] = []
    lock = threading.Lock()
    receiver = sandbox_server_factory(_receiver_app(seen, lock))
    async with httpx.AsyncClient(base_url=sandbox_server.url, headers=HEADERS, timeout=10) as client:
        body = {
            "filter": READY_ONLY,
            "hook": {"url": f"{receiver.url}/hook", "headers": {"Authorization": "Bearer erp"}},
        }
        response = await client.post(HOOK, json=body)
        assert response.status_code == 200, response.text
        order = await place(client)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with lock:
                if len(seen) >= 2:
                    break
            await asyncio.sleep(0.02)
    with lock:
        ping, note = seen[0], seen[1]
    assert ping[1] == {"hookConfig": "ping"}
    assert note[1]["OrderId"] == order["orderId"] and note[1]["State"] == "ready-for-handling"
    assert note[0]["authorization"] == "Bearer erp"
