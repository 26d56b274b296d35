"""The dashboard's pages, rendered from a state store with a known history (no browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from operator_support import (
    ACCOUNT,
    ORDER_OK,
    ORDER_REFUSED,
    ORDER_STUCK,
    build_app,
    make_settings,
    open_store,
    populate,
)

from vtexbridge.errors import ConfigError
from vtexbridge.overview import ProgressPublisher, pipeline_overview
from vtexbridge.state import StateStore
from vtexbridge.web.auth import AuthPolicy, set_policy


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = open_store(make_settings(tmp_path))
    yield s
    s.close()


def http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


@pytest.fixture
def app(tmp_path: Path, store: StateStore) -> FastAPI:
    populate(store)
    return build_app(make_settings(tmp_path), store)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http(app) as c:
        yield c


async def test_root_redirects_to_the_dashboard(client: httpx.AsyncClient) -> None:
    r = await client.get("/", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/dashboard/"


async def test_overview_shows_catalog_run_errors_and_pipeline(client: httpx.AsyncClient) -> None:
    r = await client.get("/dashboard/")
    assert r.status_code == 200
    page = r.text
    assert ACCOUNT in page
    assert "category 3" in page and "sku 5" in page  # the catalog VTEX accepted
    assert "partial" in page and "/dashboard/runs/1" in page  # the run summary
    assert "P0004-02" in page and "packaged_weight_kg" in page
    assert "not a decimal number: &#39;0,46&#39;" in page  # escaped, as written
    assert "examples/erp/skus.csv:14" in page
    assert "Category not found" in page  # VTEX's message
    assert "Retry all" in page
    assert "ready-for-handling" in page and "handling" in page  # orders by stage
    assert ORDER_STUCK in page and "ERP folder not writable" in page  # stuck, with its reason
    assert "Invoice not found for this order" in page  # an action VTEX refused
    assert "No sync is running." in page


async def test_run_page_shows_counts_per_kind_and_outcome(client: httpx.AsyncClient) -> None:
    page = (await client.get("/dashboard/runs/1")).text
    assert "Sync run #1" in page
    for outcome in ("create", "unchanged", "failed", "invalid"):
        assert f">{outcome}<" in page
    assert "12" in page  # requests
    assert (await client.get("/dashboard/runs/999")).status_code == 404
    assert (await client.get("/dashboard/runs/abc")).status_code == 404


async def test_order_page_shows_the_timeline(client: httpx.AsyncClient) -> None:
    page = (await client.get(f"/dashboard/orders/{ORDER_OK}")).text
    assert "Timeline" in page
    assert "event from feed" in page
    assert "delivered to the ERP (ready-for-handling)" in page
    assert "erp/orders/1001-01.json" in page
    assert "start handling accepted by VTEX" in page
    assert "invoice queued" in page and "invoice done" in page
    assert (await client.get("/dashboard/orders/nope")).status_code == 404


async def test_errors_page_filters_by_kind(client: httpx.AsyncClient) -> None:
    page = (await client.get("/dashboard/errors", params={"kind": "product"})).text
    assert "P0009" in page and "P0004-02" not in page
    assert "P0004-02" in (await client.get("/dashboard/errors")).text


async def test_partials_render_alone(client: httpx.AsyncClient) -> None:
    for name in ("summary", "progress", "runs", "errors", "pipeline"):
        r = await client.get(f"/dashboard/partials/{name}")
        assert r.status_code == 200
        assert "<html" not in r.text
    assert (await client.get("/dashboard/partials/nope")).status_code == 404


async def test_progress_of_a_running_sync(client: httpx.AsyncClient, store: StateStore) -> None:
    run = store.runs.start(ACCOUNT, "sync", holder="test:2")
    progress = ProgressPublisher(store, ACCOUNT, run, interval_s=0)
    progress.update("sku", total=150)
    progress.update("sku", advance=30)
    page = (await client.get("/dashboard/partials/progress")).text
    assert f"Sync run #{run} running" in page
    assert "30 of 150 records (20 %)" in page


async def test_retry_errors_without_a_trigger_explains(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/dashboard/errors/retry",
        data={"kind": "sku", "key": "P0004-02"},
        headers={"X-Requested-With": "fetch"},
    )
    assert r.status_code == 200
    assert "vtexbridge sync" in r.text


async def test_retry_errors_calls_the_trigger(app: FastAPI, client: httpx.AsyncClient) -> None:
    calls: list[Sequence[tuple[str, str]] | None] = []

    async def trigger(only: Sequence[tuple[str, str]] | None) -> str:
        calls.append(only)
        return "Sync run started."

    app.state.sync_trigger = trigger
    r = await client.post(
        "/dashboard/errors/retry",
        data={"kind": "sku", "key": "P0004-02"},
        headers={"X-Requested-With": "fetch"},
    )
    assert r.text == "Sync run started."
    r = await client.post("/dashboard/errors/retry", data={}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/dashboard/?notice=Sync+run+started")
    assert calls == [[("sku", "P0004-02")], None]


async def test_retry_of_a_refused_action_queues_it_again(
    client: httpx.AsyncClient, store: StateStore
) -> None:
    ids = {a.order_id: a.id for a in store.actions.list_for(ACCOUNT)}
    r = await client.post(
        f"/dashboard/actions/{ids[ORDER_REFUSED]}/retry", headers={"X-Requested-With": "fetch"}
    )
    assert "queued again" in r.text
    action = store.actions.get(ids[ORDER_REFUSED])
    assert action is not None and action.state == "pending"
    r = await client.post(f"/dashboard/actions/{ids[ORDER_OK]}/retry", headers={"X-Requested-With": "fetch"})
    assert "only rejected or failed" in r.text


async def test_cross_site_posts_are_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/dashboard/errors/retry", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = await client.post("/dashboard/errors/retry", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


async def test_static_files_are_served_locally(client: httpx.AsyncClient) -> None:
    assert "refreshAll" in (await client.get("/dashboard/static/dashboard.js")).text
    assert (await client.get("/dashboard/static/dashboard.css")).status_code == 200
    page = (await client.get("/dashboard/")).text
    assert "http://" not in page.split("<main>")[0] and "https://" not in page  # no CDN


async def test_a_non_loopback_bind_needs_the_token(tmp_path: Path, store: StateStore) -> None:
    settings = make_settings(tmp_path, host="0.0.0.0", token="s3cret-token")
    async with http(build_app(settings, store)) as c:
        assert (await c.get("/dashboard/")).status_code == 401
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/dashboard/", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (
            await c.get("/dashboard/", headers={"Authorization": "Bearer s3cret-token"})
        ).status_code == 200
        assert (await c.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})).status_code == 200
        r = await c.get("/dashboard/errors?token=s3cret-token&kind=sku", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/errors?kind=sku"
        assert (await c.get("/dashboard/errors?kind=sku")).status_code == 200  # the cookie now
        assert (await c.get("/health")).status_code == 200  # not an operator page


def test_policy_refuses_an_open_non_loopback_bind() -> None:
    with pytest.raises(ConfigError, match="VTEXBRIDGE_WEB__TOKEN"):
        AuthPolicy("0.0.0.0").check()
    AuthPolicy("127.0.0.1").check()
    AuthPolicy("::1").check()
    AuthPolicy("localhost").check()

    class State:
        pass

    state = State()
    policy = set_policy(state, "10.0.0.5", "tok-123456")
    assert state.auth_policy is policy  # type: ignore[attr-defined]
    assert policy.allows("tok-123456") and not policy.allows("nope") and not policy.allows(None)


async def test_orders_by_stage_and_the_stuck_ones(client: httpx.AsyncClient, store: StateStore) -> None:
    overview = pipeline_overview(store, ACCOUNT, recent=5)
    assert overview.stages == {
        "seen": 3,
        "delivered": 1,
        "handling": 1,
        "invoiced": 1,
        "tracking": 0,
        "canceled": 0,
    }
    assert overview.undelivered == 1 and [o.state.order_id for o in overview.stuck] == [ORDER_STUCK]
    stages = {o.state.order_id: o.stage for o in overview.recent}
    assert stages == {
        ORDER_OK: "invoiced",
        ORDER_REFUSED: "waiting for the ERP",
        ORDER_STUCK: "waiting for the ERP",
    }
    page = (await client.get("/dashboard/partials/pipeline")).text
    assert '<span class="n">3</span> seen' in page and '<span class="n">1</span> invoiced' in page
    assert "waiting for the ERP (oldest 2.0 h)" in page
