"""The dashboard's lists (runs, orders, errors: paged, searchable), a run's errors, what each run
changed, the orders' VTEX status, the favicon, and the live progress of any sync (no browser)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from operator_support import (
    ACCOUNT,
    ORDER_OK,
    ORDER_REFUSED,
    ORDER_STUCK,
    make_settings,
    open_store,
    populate,
)

from vtexbridge.config import Settings
from vtexbridge.erp.config import ErpSettings
from vtexbridge.order_status import snapshot_scope
from vtexbridge.overview import read_progress
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.state import StateStore
from vtexbridge.state.browse import MAX_PAGE, page_runs
from vtexbridge.state.models import ErrorRow, RunStatus
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.runner import SyncOptions, entities_named, run_sync
from vtexbridge.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def settings_with_erp(tmp_path: Path) -> Settings:
    erp = tmp_path / "erp"
    return make_settings(tmp_path).model_copy(update={"erp": ErpSettings(kind="folder", path=erp)})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = open_store(make_settings(tmp_path))
    populate(s)
    yield s
    s.close()


@pytest.fixture
def app(tmp_path: Path, store: StateStore) -> FastAPI:
    return create_app(settings_with_erp(tmp_path), state=store)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
        yield c


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def more_runs(store: StateStore, n: int) -> None:
    for i in range(n):
        run = store.runs.start(ACCOUNT, "sync", holder=f"cron:{i}")
        store.runs.finish(run, RunStatus.SUCCEEDED, counts={"price": {"update": 2, "unchanged": 148}})


async def test_runs_are_paged_and_searchable(client: httpx.AsyncClient, store: StateStore) -> None:
    more_runs(store, 30)  # 31 runs
    r = await client.get("/dashboard/runs")
    assert r.status_code == 200
    page = text(r.text)
    assert "1 to 25 of 31 runs" in page and "#31" in page and "#7" in page and "#6 " not in page
    assert 'rel="next" href="/dashboard/runs?offset=25"' in r.text
    second = text((await client.get("/dashboard/runs", params={"offset": "25"})).text)
    assert "26 to 31 of 31 runs" in second and "#1 " in second and "#7 " not in second
    found = text((await client.get("/dashboard/runs", params={"q": "partial"})).text)
    assert "1 to 1 of 1 runs" in found and "#1" in found
    assert "1 to 1 of 1 runs" in text((await client.get("/dashboard/runs", params={"q": "#12"})).text)
    nothing = text((await client.get("/dashboard/runs", params={"q": "100%_"})).text)
    assert "no runs match" in nothing  # % and _ are searched as written
    junk = await client.get("/dashboard/runs", params={"offset": "-3", "q": "x" * 5000})
    assert junk.status_code == 200
    assert page_runs(store, ACCOUNT, limit=10**6).limit == MAX_PAGE  # a page is bounded


async def test_each_run_says_what_it_changed_per_entity(client: httpx.AsyncClient, store: StateStore) -> None:
    more_runs(store, 1)
    page = (await client.get("/dashboard/runs")).text
    assert "price 2 updated" in page  # not "price 150": what changed, not what was read
    assert "category 3 new" in page and "sku 5 new" in page
    assert re.search(r'class="chip bad"[^>]*>product 1 failed<', page)  # 4 unchanged: not a change


async def test_a_run_page_lists_that_runs_errors(client: httpx.AsyncClient, store: StateStore) -> None:
    page = text((await client.get("/dashboard/runs/1")).text)
    assert "Entities in error from this run" in page and "2 still in error" in page
    assert "P0004-02" in page and "P0009" in page and "Category not found" in page
    more_runs(store, 1)
    assert "No entity of this run is in error now." in text((await client.get("/dashboard/runs/2")).text)


async def test_orders_are_listed_with_their_vtex_status(client: httpx.AsyncClient, store: StateStore) -> None:
    r = await client.get("/dashboard/orders")
    assert r.status_code == 200
    rows = {
        m[0]: text(m[1])
        for m in re.findall(r'<a href="/dashboard/orders/([^"]+)">.*?</a></td>(.*?)</tr>', r.text, re.S)
    }
    assert set(rows) == {ORDER_OK, ORDER_REFUSED, ORDER_STUCK}
    # The first status seen was ready-for-handling; VTEX accepted its invoice since.
    assert rows[ORDER_OK].startswith("invoiced")
    assert (
        rows[ORDER_STUCK].startswith("ready-for-handling") and "ERP folder not writable" in rows[ORDER_STUCK]
    )
    recent = (await client.get("/dashboard/partials/pipeline")).text.split('data-testid="recent-orders"')[1]
    row = recent.split(f">{ORDER_OK}</a>")[1].split("</tr>")[0]
    assert "<td>invoiced</td>" in row  # the overview's recent orders too
    # VTEX's own answer (kept by `orders status`), a partly invoiced order:
    later = datetime.now(UTC).isoformat()
    store.values.put(
        snapshot_scope(ACCOUNT),
        ORDER_REFUSED,
        {"status": "handling", "value": 12000, "invoiced": 5000, "at": later},
    )
    page = text((await client.get("/dashboard/orders", params={"q": ORDER_REFUSED})).text)
    assert "1 to 1 of 1 orders" in page
    assert "handling, partly invoiced (50.00 of 120.00)" in page
    assert "no orders match" in text((await client.get("/dashboard/orders", params={"q": "nope"})).text)


async def test_errors_are_searchable_and_paths_are_relative_to_the_erp_folder(
    tmp_path: Path, client: httpx.AsyncClient, store: StateStore
) -> None:
    erp = tmp_path / "erp"
    store.entities.record_errors(
        ACCOUNT,
        [
            ErrorRow(
                "price",
                f"P{i:04d}-01",
                "negative price",
                field="base_price",
                source=f"{erp}/prices.csv:{i + 2}",
            )
            for i in range(40)
        ],
    )
    page = (await client.get("/dashboard/errors", params={"q": "negative"})).text
    assert "1 to 25 of 40 entities in error" in text(page)
    assert ">prices.csv:2<" in page and str(erp) + "/" not in page.split("<tbody>")[1].split('title="')[0]
    assert "Retry" in page
    second = text((await client.get("/dashboard/errors", params={"q": "negative", "offset": "25"})).text)
    assert "26 to 40 of 40" in second
    only = text((await client.get("/dashboard/errors", params={"kind": "sku"})).text)
    assert "P0004-02" in only and "P0001-01" not in only
    overview = (await client.get("/dashboard/")).text
    assert ">prices.csv:" in overview  # the overview's panel shortens them too


async def test_no_page_has_inline_script_or_style(client: httpx.AsyncClient) -> None:
    for path in (
        "/dashboard/",
        "/dashboard/runs",
        "/dashboard/runs/1",
        "/dashboard/orders",
        f"/dashboard/orders/{ORDER_OK}",
        "/dashboard/errors",
    ):
        html = (await client.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", html), path
        assert 'rel="icon" href="/dashboard/static/favicon.svg"' in html
        for link in ("/dashboard/runs", "/dashboard/orders", "/dashboard/errors"):
            assert f'href="{link}"' in html


async def test_the_favicon(client: httpx.AsyncClient) -> None:
    r = await client.get("/favicon.ico", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/dashboard/static/favicon.svg"
    icon = await client.get("/dashboard/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


async def test_any_sync_publishes_its_progress_per_entity(tmp_path: Path) -> None:
    """A sync started by the CLI (no progress of its own) is seen live by a dashboard: the runner
    publishes each entity's progress under its run id."""
    settings = Settings.model_validate(
        {
            "vtex": {
                "account": ACCOUNT,
                "base_url": "http://sandbox.test",
                "app_key": DEFAULT_APP_KEY,
                "app_token": DEFAULT_APP_TOKEN,
            },
            "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
            "erp": {"kind": "folder", "path": str(ROOT / "examples" / "erp")},
            "sync": {"report_dir": str(tmp_path)},
        }
    )
    sandbox = create_sandbox(SandboxOptions(limits="off", account=ACCOUNT, seed="demo"))
    seen: list[Any] = []

    class Spy:
        """A second observer: what a dashboard reading the same store sees while the sync runs."""

        def start(self, totals: dict[Kind, int]) -> None:
            pass

        def advance(self, kind: Kind, n: int = 1) -> None:
            with StateStore(settings.state.url) as reader:
                seen.append(read_progress(reader, ACCOUNT))

    try:
        outcome = await run_sync(
            settings,
            SyncOptions(only=entities_named(["categories", "brands"])),
            http_transport=httpx.ASGITransport(app=sandbox),
            progress=Spy(),
        )
    finally:
        sandbox.state.sandbox.store.close()
    run_id = outcome.report.run_id
    live = [p for p in seen if p is not None and p.run_id == run_id]
    assert live, "no progress was published while the sync ran"
    assert {"category", "brand"} <= set(live[-1].kinds)
    with StateStore(settings.state.url) as reader:
        final = read_progress(reader, ACCOUNT)
    assert final is not None and final.finished and final.run_id == run_id
    assert final.kinds["category"]["done"] == final.kinds["category"]["total"] > 0
