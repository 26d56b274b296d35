"""``vtexbridge demo`` end to end: sandbox, config, sync, orders, invoices, dashboard; twice."""

from __future__ import annotations

import asyncio
import socket
import threading
import tomllib
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from vtexbridge.cli import build_app
from vtexbridge.cli.demo import DemoError, DemoOptions, config_text, run_demo
from vtexbridge.config import load_settings
from vtexbridge.state import StateStore

pytestmark = pytest.mark.timeout(300)


def test_demo_twice_then_serving_the_dashboard(tmp_path: Path) -> None:
    directory = tmp_path / ".demo"
    result = CliRunner().invoke(build_app(), ["demo", "--no-wait", "--dir", str(directory), "--orders", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    for title in ("Start the local VTEX sandbox", "Sync the example ERP store", "Place orders", "Done in"):
        assert title in out
    assert out.count("VTEX status: invoiced") == 2
    assert f"vtexbridge sync -c {directory}/vtexbridge.toml" in out  # the equivalent commands

    config = tomllib.loads((directory / "vtexbridge.toml").read_text())
    assert "app_token" not in config["vtex"]  # secrets live in secrets.toml only
    assert (directory / "secrets.toml").stat().st_mode & 0o077 == 0
    settings = load_settings(directory / "vtexbridge.toml", env={})
    assert settings.vtex.app_token is not None
    orders = sorted((directory / "erp" / "orders").glob("*.json"))
    assert len(orders) == 2
    with StateStore.open(settings.state.url) as store:
        [first] = store.list_runs(settings.vtex.account, flow="sync")
        assert first.status == "succeeded" and first.requests > 1000
        assert store.count_entities(settings.vtex.account)["sku"] == 150
        assert store.count_errors(settings.vtex.account) == {}
        assert store.count_actions(settings.vtex.account) == {"done": 4}  # 2 invoices, 2 tracking

    seen: dict[str, str] = {}

    def on_serving(url: str, server: uvicorn.Server) -> None:
        def look() -> None:
            try:
                seen["page"] = httpx.get(url, timeout=10).text
                seen["metrics"] = httpx.get(url.replace("/dashboard/", "/metrics"), timeout=10).text
            finally:
                server.should_exit = True

        threading.Thread(target=look, daemon=True).start()

    state = asyncio.run(run_demo(DemoOptions(directory, port=0, orders=2), on_serving=on_serving))
    assert [o.status for o in state.orders] == ["invoiced", "invoiced"]
    assert sorted((directory / "erp" / "orders").glob("*.json")) == orders  # nothing new
    with StateStore.open(settings.state.url) as store:
        second = store.list_runs(settings.vtex.account, flow="sync")[0]
        assert second.id != first.id and second.requests == 0  # nothing changed, nothing sent
        assert store.count_actions(settings.vtex.account) == {"done": 4}

    page = seen["page"]
    assert "Catalog in VTEX" in page and "sku 150" in page
    assert state.orders[0].order_id in page
    assert "invoiced" in page
    metrics = seen["metrics"]
    assert 'vtexbridge_entities{kind="sku"} 150.0' in metrics
    assert 'vtexbridge_sync_runs_total{status="succeeded"} 1.0' in metrics


def test_config_reads_back_and_keeps_relative_paths(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    directory.mkdir()
    (directory / "vtexbridge.toml").write_text(
        config_text("http://127.0.0.1:9", tmp_path / "erp", directory, 8780), encoding="utf-8"
    )
    (directory / "secrets.toml").write_text('[vtex]\napp_key = "k"\napp_token = "t"\n', encoding="utf-8")
    settings = load_settings(directory / "vtexbridge.toml", env={})
    assert settings.vtex.base_url == "http://127.0.0.1:9"
    assert settings.state.url == f"sqlite:///{(directory / 'state.db').resolve()}"
    assert settings.erp is not None
    assert settings.orders.sink.path == Path("erp/orders")
    assert settings.web.port == 8780 and settings.web.host == "127.0.0.1"


def test_a_busy_dashboard_port_is_reported_before_any_step(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        with pytest.raises(DemoError, match=f"cannot listen on 127.0.0.1:{port}"):
            asyncio.run(run_demo(DemoOptions(tmp_path / ".demo", port=port)))
    finally:
        taken.close()
    assert not (tmp_path / ".demo" / "vtexbridge.toml").exists()
