"""`vtexbridge serve` (``serve_forever``) on a real port against the sandbox, with an external seller
configured: ``/metrics`` counts the worker's VTEX calls and the order flow, the seller's simulation
answers from offers loaded before the server accepted connections, and shutdown is clean."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from vtexbridge.cli import build_app
from vtexbridge.cli.serve import serve_forever
from vtexbridge.marketplace.runtime import MarketplaceRuntime
from vtexbridge.observability import Metrics
from vtexbridge.orders.consumer import desired_feed_config
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.testing.orders import (
    ADMIN_HEADERS,
    Served,
    add_sellable_sku,
    free_port,
    harness_settings,
    serve_in_thread,
)

ROOT = Path(__file__).resolve().parents[2]
SELLER, KEY, TOKEN = "erpseller", "vtexappkey-marketplace-SELLERKEY", "token-that-vtex-presents"
VTEX_HEADERS = {"X-VTEX-API-AppKey": KEY, "X-VTEX-API-AppToken": TOKEN}


@pytest.fixture
def sandbox() -> Iterator[Served]:
    store = Store()
    add_sellable_sku(store, 100)
    served = serve_in_thread(create_sandbox(SandboxOptions(limits="off"), store=store))
    yield served
    served.stop()
    store.close()


def wait_for(check: Callable[[], bool], what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and want <= set(s.labels.items())
    )


def test_serve_with_metrics_and_the_marketplace_runtime(
    tmp_path: Path, sandbox: Served, caplog: pytest.LogCaptureFixture
) -> None:
    erp = tmp_path / "erp-snapshot"
    shutil.copytree(ROOT / "examples" / "erp", erp, ignore=shutil.ignore_patterns("*.py", "*.md"))
    settings = harness_settings(
        tmp_path,
        base_url=sandbox.url,
        erp={"kind": "folder", "path": str(erp)},
        marketplace={"seller": {"seller_id": SELLER, "app_key": KEY, "app_token": TOKEN}},
    )
    with httpx.Client(base_url=sandbox.url, headers=ADMIN_HEADERS) as api:
        api.post("/api/orders/feed/config", json=desired_feed_config(settings.orders).body())
        placed = api.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]})
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["orderId"]

    port = free_port()
    servers: list[uvicorn.Server] = []
    loaded_at_start: list[int] = []
    failures: list[BaseException] = []
    apps: list[FastAPI] = []

    def on_server(server: uvicorn.Server) -> None:
        # Called before the server starts: the runtime must already be attached and its offers loaded.
        app = server.config.app
        assert isinstance(app, FastAPI)
        apps.append(app)
        runtime = app.state.marketplace
        assert isinstance(runtime, MarketplaceRuntime) and runtime.seller is not None
        loaded_at_start.append(len(runtime.seller.index))
        servers.append(server)

    def main() -> None:
        try:
            asyncio.run(serve_forever(settings, "127.0.0.1", port, on_server=on_server))
        except BaseException as e:  # reported by the test below
            failures.append(e)

    caplog.set_level(logging.WARNING)
    thread = threading.Thread(target=main, name="serve", daemon=True)
    thread.start()
    try:
        wait_for(lambda: (bool(servers) and servers[0].started) or bool(failures), "the server to start")
        assert not failures, failures
        [server] = servers
        assert loaded_at_start and loaded_at_start[0] > 0  # the ERP's offers, before any request
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as web:
            sim = web.post(
                "/marketplace/seller/pvt/orderForms/simulation",
                json={"items": [{"id": "P0001-01", "quantity": 1}]},
                headers=VTEX_HEADERS,
            )
            assert sim.status_code == 200, sim.text
            assert sim.json()["items"][0]["price"] == 65890
            assert sim.json()["items"][0]["quantity"] == 1  # in stock

            order_file = Path(settings.orders.sink.path) / f"{order_id}.ready-for-handling.json"
            wait_for(order_file.exists, "the worker to deliver the order")

            def scraped() -> str:
                r = web.get("/metrics")
                assert r.status_code == 200
                return r.text

            wait_for(
                lambda: (
                    # by the feed, or by the sweep of orders the feed has not announced yet
                    sample(scraped(), "vtexbridge_orders_events_total", outcome="delivered") == 1
                ),
                "the delivery to be counted",
            )
            text = scraped()
        # the worker's VTEX calls, on the app's registry
        calls = "vtexbridge_vtex_requests_total"
        assert sample(text, calls, route="/api/orders/feed", method="GET", status="200") >= 1
        assert sample(text, calls, route="/api/oms/pvt/orders/{orderId}", method="GET", status="200") >= 1
        assert sample(text, "vtexbridge_orders_deliveries_total", status="ready-for-handling") == 1
        assert sample(text, "vtexbridge_orders_pipeline_lag_seconds_count", stage="delivery") == 1
        metrics = apps[0].state.metrics
        assert isinstance(metrics, Metrics)
        assert metrics.render().decode().count("vtexbridge_vtex_requests_total{") >= 2
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert failures == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


def test_a_taken_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    env = {"VTEXBRIDGE_STATE__URL": f"sqlite:///{tmp_path / 'state.db'}", "VTEXBRIDGE_LOG__LEVEL": "error"}
    env |= {"VTEXBRIDGE_VTEX__APP_KEY": "k-0000", "VTEXBRIDGE_VTEX__APP_TOKEN": "t-0000"}
    try:
        started = time.monotonic()
        result = CliRunner().invoke(build_app(), ["serve", "--port", str(port)], env=env)
    finally:
        taken.close()
    assert result.exit_code == 2, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in " ".join(result.output.split())
    assert time.monotonic() - started < 60  # refused, not left waiting
    assert not (tmp_path / "state.db").exists()  # nothing was started
