"""``GET /metrics`` scraped as Prometheus would: VTEX calls, 429s, retries, sync records by outcome,
the order pipeline's lag and queues."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from operator_support import ACCOUNT, build_app, make_settings, open_store, populate
from prometheus_client.parser import text_string_to_metric_families

from vtexbridge.clock import FakeClock
from vtexbridge.config import VtexSettings
from vtexbridge.observability import Metrics
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.state import StateStore
from vtexbridge.state.models import RunStatus
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.transport import Transport

TRADE_POLICIES = "/api/catalog_system/pvt/saleschannel/list"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample ``name`` whose labels include ``labels`` (exactly one must match)."""
    want = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == name and want <= ls]
    assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
    return found[0]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = open_store(make_settings(tmp_path))
    yield s
    s.close()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def app(tmp_path: Path, store: StateStore, metrics: Metrics) -> FastAPI:
    app = build_app(make_settings(tmp_path), store)
    app.state.metrics = metrics
    return app


async def scrape(app: FastAPI) -> Samples:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as c:
        r = await c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return parse(r.text)


async def test_vtex_calls_are_counted_per_route_and_status_with_429s_and_retries(
    app: FastAPI, metrics: Metrics
) -> None:
    sandbox = create_sandbox(SandboxOptions(faults=f"GET {TRADE_POLICIES}:429=1,limit=1", fault_seed=1))
    vtex = VtexSettings.model_validate(
        {
            "account": ACCOUNT,
            "base_url": "http://sandbox.test",
            "app_key": DEFAULT_APP_KEY,
            "app_token": DEFAULT_APP_TOKEN,
        }
    )
    transport = Transport(
        vtex, http_transport=httpx.ASGITransport(app=sandbox), clock=FakeClock(), metrics=metrics.transport
    )
    async with transport:
        client = VtexClient(transport)
        policies = await client.catalog.list_trade_policies()  # 429 once, then 200
        assert policies
        await client.catalog.list_trade_policies()
    samples = await scrape(app)
    route = {"api": "catalog", "route": TRADE_POLICIES}
    assert value(samples, "vtexbridge_vtex_requests_total", **route, method="GET", status="200") == 2
    assert value(samples, "vtexbridge_vtex_requests_total", **route, method="GET", status="429") == 1
    assert value(samples, "vtexbridge_vtex_rate_limited_total", **route) == 1
    assert value(samples, "vtexbridge_vtex_request_duration_seconds_count", **route) == 3
    assert value(samples, "vtexbridge_vtex_request_duration_seconds_bucket", **route, le="+Inf") == 3
    assert value(samples, "vtexbridge_vtex_retries_total", api="catalog") == 1


async def test_sync_records_by_outcome_count_runs_finished_after_the_first_scrape(
    app: FastAPI, store: StateStore
) -> None:
    populate(store)  # a run finished before this process looked: history, not counted
    samples = await scrape(app)
    assert not [k for k in samples if k[0] == "vtexbridge_sync_records_total"]
    run = store.runs.start(ACCOUNT, "sync")
    store.runs.finish(
        run, RunStatus.SUCCEEDED, counts={"sku": {"update": 7, "unchanged": 143}, "price": {"update": 2}}
    )
    samples = await scrape(app)
    assert value(samples, "vtexbridge_sync_records_total", kind="sku", outcome="update") == 7
    assert value(samples, "vtexbridge_sync_records_total", kind="sku", outcome="unchanged") == 143
    assert value(samples, "vtexbridge_sync_records_total", kind="price", outcome="update") == 2
    assert value(samples, "vtexbridge_sync_runs_total", status="succeeded") == 1
    assert value(samples, "vtexbridge_sync_run_duration_seconds_count") == 1
    samples = await scrape(app)  # counted once
    assert value(samples, "vtexbridge_sync_records_total", kind="sku", outcome="update") == 7


async def test_state_figures_entities_errors_orders_and_actions(app: FastAPI, store: StateStore) -> None:
    populate(store)
    samples = await scrape(app)
    assert value(samples, "vtexbridge_entities", kind="sku") == 5
    assert value(samples, "vtexbridge_entity_errors", kind="sku") == 1
    assert value(samples, "vtexbridge_orders", status="ready-for-handling") == 2
    assert value(samples, "vtexbridge_orders_undelivered") == 1
    assert value(samples, "vtexbridge_orders_oldest_undelivered_seconds") >= 2 * 3600 - 5
    assert value(samples, "vtexbridge_actions", state="rejected") == 1
    assert value(samples, "vtexbridge_actions", state="done") == 1
    assert value(samples, "vtexbridge_actions_oldest_pending_seconds") == 0


async def test_order_pipeline_lag_and_events(app: FastAPI, metrics: Metrics) -> None:
    now = datetime.now(UTC)
    metrics.orders.event("feed", "delivered")
    metrics.orders.delivered("ready-for-handling", now - timedelta(seconds=42), now)
    metrics.orders.action_finished("invoice", "done", now - timedelta(seconds=3), now)
    samples = await scrape(app)
    assert value(samples, "vtexbridge_orders_events_total", source="feed", outcome="delivered") == 1
    assert value(samples, "vtexbridge_orders_deliveries_total", status="ready-for-handling") == 1
    assert value(samples, "vtexbridge_orders_pipeline_lag_seconds_sum", stage="delivery") == pytest.approx(42)
    assert value(samples, "vtexbridge_orders_pipeline_lag_seconds_bucket", stage="delivery", le="60.0") == 1
    assert value(samples, "vtexbridge_orders_pipeline_lag_seconds_bucket", stage="delivery", le="30.0") == 0
    assert value(samples, "vtexbridge_orders_actions_total", kind="invoice", state="done") == 1
    assert value(samples, "vtexbridge_orders_pipeline_lag_seconds_count", stage="action") == 1


async def test_an_app_without_metrics_makes_its_own(tmp_path: Path, store: StateStore) -> None:
    app = build_app(make_settings(tmp_path), store)
    samples = await scrape(app)
    assert value(samples, "vtexbridge_orders_undelivered") == 0


async def test_create_app_serves_the_metrics_it_is_given_and_apps_never_share(
    tmp_path: Path, store: StateStore
) -> None:
    from vtexbridge.web.app import create_app

    settings = make_settings(tmp_path)
    given = Metrics()
    given.orders.event("hook", "delivered")
    app = create_app(settings, state=store, metrics=given)
    assert app.state.metrics is given
    samples = await scrape(app)
    assert value(samples, "vtexbridge_orders_events_total", source="hook", outcome="delivered") == 1
    other = create_app(settings, state=store)
    assert isinstance(other.state.metrics, Metrics) and other.state.metrics is not given
    other_samples = await scrape(other)
    assert not [k for k in other_samples if k[0] == "vtexbridge_orders_events_total"]
