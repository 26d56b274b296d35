"""Fault injection: SPEC parsing, 429/5xx with Retry-After, latency, dropped connections, seeding."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from vtexbridge.clock import FakeClock
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.faults import ConnectionDropped, FaultInjector, FaultRule, FaultSpecError, parse_spec
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions

AUTH = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
BRAND = "/api/catalog_system/pvt/brand/list"


def test_parse_spec_full_syntax() -> None:
    rules = parse_spec(
        "*:429=0.05,503=5%; /pricing/*:latency=20ms ;PUT /api/logistics/*:drop=0.1,limit=1,retry-after=3"
    )
    assert rules[0] == FaultRule(pattern="*", status={429: 0.05, 503: 0.05})
    assert rules[1].pattern == "/pricing/*"
    assert rules[1].latency_ms == 20
    assert rules[1].latency_max_ms == 20
    assert (rules[2].method, rules[2].drop, rules[2].limit, rules[2].retry_after) == ("PUT", 0.1, 1, 3)
    ranged = parse_spec("/x:latency=10-1.5s")[0]
    assert (ranged.latency_ms, ranged.latency_max_ms) == (10, 1500)


@pytest.mark.parametrize(
    "spec",
    [
        "*",
        "*:418=0.5",
        "*:429=2",
        "*:429=0.6,503=0.6",
        "*:latency=fast",
        "*:latency=50-10ms",
        "*:bogus=1",
        "*:429",
        ":429=1",
    ],
)
def test_parse_spec_rejects(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_spec(spec)


def test_seeded_injector_is_deterministic() -> None:
    def run(seed: int) -> list[int | None]:
        injector = FaultInjector(parse_spec("*:429=0.3,503=0.3"), seed=seed)
        return [injector.decide("GET", "/a/{b}", "/a/1").status for _ in range(50)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    statuses = run(7)
    assert {429, 503, None} == set(statuses)


def test_rules_match_template_or_concrete_path_and_method() -> None:
    injector = FaultInjector([FaultRule(pattern="/api/x/{id}", method="PUT", status={500: 1.0})])
    assert injector.decide("PUT", "/api/x/{id}", "/api/x/1").status == 500
    assert injector.decide("GET", "/api/x/{id}", "/api/x/1").status is None
    injector.set_rules([FaultRule(pattern="/api/x/1", status={502: 1.0})])
    assert injector.decide("GET", "/api/x/{id}", "/api/x/1").status == 502
    assert injector.decide("GET", "/api/x/{id}", "/api/x/2").status is None


async def test_injected_429_has_retry_after_and_limit_stops_it() -> None:
    app = create_app(SandboxOptions(faults=f"GET {BRAND}:429=1,limit=2,retry-after=4"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://s.vtexcommercestable.com.br", headers=AUTH
    ) as c:
        first = await c.get(BRAND)
        second = await c.get(BRAND)
        third = await c.get(BRAND)
        faults = (await c.get("/_sandbox/faults")).json()
    assert (first.status_code, first.headers["Retry-After"]) == (429, "4")
    assert second.status_code == 429
    assert third.status_code == 200
    assert faults["rules"][0]["injected"] == 2


async def test_latency_uses_the_app_clock() -> None:
    clock = FakeClock()
    app = create_app(SandboxOptions(faults="/api/catalog_system/*:latency=250ms"), clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://s.vtexcommercestable.com.br", headers=AUTH
    ) as c:
        assert (await c.get(BRAND)).status_code == 200
        assert (await c.get("/api/catalog/pvt/brand/1")).status_code == 404
    assert clock.sleeps == [0.25]


async def test_faults_admin_replaces_rules(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.post(
        "/_sandbox/faults", json=[{"pattern": "/api/catalog_system/*", "status": {"503": 1.0}}]
    )
    assert r.status_code == 200
    got = await sandbox_client.get(BRAND)
    assert got.status_code == 503
    assert got.headers["Retry-After"] == "1"
    assert got.headers["X-Sandbox-Fault"] == "injected"
    assert (await sandbox_client.post("/_sandbox/faults", json={"spec": "*:500=1", "seed": 3})).json()[
        "seed"
    ] == 3
    assert (await sandbox_client.get(BRAND)).status_code == 500
    assert (await sandbox_client.post("/_sandbox/faults", json=[])).json()["rules"] == []
    assert (await sandbox_client.get(BRAND)).status_code == 200
    bad = await sandbox_client.post("/_sandbox/faults", json=[{"pattern": "*", "status": {"404": 1}}])
    assert bad.status_code == 400
    assert (await sandbox_client.post("/_sandbox/faults", json=[{"nope": 1}])).status_code == 400


async def test_drop_in_process_raises(sandbox_client: httpx.AsyncClient) -> None:
    await sandbox_client.post("/_sandbox/faults", json={"spec": f"{BRAND}:drop=1"})
    with pytest.raises(ConnectionDropped):
        await sandbox_client.get(BRAND)
    log = (await sandbox_client.get("/_sandbox/requests")).json()
    assert log["entries"][-1]["status"] == 0


async def test_drop_over_http_closes_the_connection(sandbox_server: object, sandbox_app: Starlette) -> None:
    url = sandbox_server.url  # type: ignore[attr-defined]
    async with httpx.AsyncClient(base_url=url, headers=AUTH) as c:
        await c.post("/_sandbox/faults", json={"spec": f"{BRAND}:drop=1,limit=1"})
        with pytest.raises(httpx.TransportError):
            await c.get(BRAND)
        assert (await c.get(BRAND)).status_code == 200


def test_cli_hides_uvicorn_tracebacks_of_dropped_connections() -> None:
    import logging
    import sys

    from vtexbridge.cli.sandbox import _hide_dropped_connections

    def record(exc: BaseException | None) -> logging.LogRecord:
        info = (type(exc), exc, None) if exc else None
        return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "boom", None, info)

    assert _hide_dropped_connections(record(ConnectionDropped("x"))) is False
    assert _hide_dropped_connections(record(RuntimeError("x"))) is True
    assert _hide_dropped_connections(record(None)) is True
    assert sys.exc_info() == (None, None, None)
