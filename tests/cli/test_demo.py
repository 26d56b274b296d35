"""``vtexbridge demo`` end to end: sandbox, config, sync, orders, invoices, dashboard; twice."""

from __future__ import annotations

import asyncio
import re
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
    assert out.count("VTEX: invoiced") == 2
    assert f"vtexbridge sync -c {directory}/vtexbridge.toml" in out  # the equivalent commands

    config = tomllib.loads((directory / "vtexbridge.toml").read_text())
    # Every command printed names the sandbox's real port, the one written to the config.
    port = int(config["vtex"]["base_url"].rsplit(":", 1)[1])
    ports = {int(p) for p in re.findall(r"--port (\d+)", out)} | {
        int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", out)
    }
    assert ports == {port}, out
    assert f"vtexbridge sandbox --state {directory}/sandbox.db --port {port} &" in out  # restart recipe
    assert "app_token" not in config["vtex"]  # secrets live in secrets.toml only
    assert (directory / "secrets.toml").stat().st_mode & 0o077 == 0
    settings = load_settings(directory / "vtexbridge.toml", env={})
    assert settings.vtex.app_token is not None
    orders = sorted((directory / "erp" / "orders").glob("*.json"))
    assert len(orders) == 2
    with StateStore.open(settings.state.url) as store:
        [first] = store.runs.list_recent(settings.vtex.account, flow="sync")
        assert first.status == "succeeded" and first.requests > 1000
        assert store.entities.count(settings.vtex.account)["sku"] == 150
        assert store.entities.count_errors(settings.vtex.account) == {}
        assert store.actions.count(settings.vtex.account) == {"done": 4}  # 2 invoices, 2 tracking

    seen: dict[str, str] = {}

    def on_serving(url: str, server: uvicorn.Server) -> None:
        def look() -> None:
            try:
                seen["page"] = httpx.get(url, timeout=10).text
                seen["metrics"] = httpx.get(url.replace("/dashboard/", "/metrics"), timeout=10).text
                # The recipe's doctor works while the demo (and its sandbox) runs.
                doctor = CliRunner().invoke(build_app(), ["doctor", "-c", str(directory / "vtexbridge.toml")])
                seen["doctor"] = f"{doctor.exit_code}\n{doctor.output}"
            finally:
                server.should_exit = True

        threading.Thread(target=look, daemon=True).start()

    state = asyncio.run(run_demo(DemoOptions(directory, port=0, orders=2), on_serving=on_serving))
    assert [o.status for o in state.orders] == ["invoiced", "invoiced"]
    assert sorted((directory / "erp" / "orders").glob("*.json")) == orders  # nothing new
    with StateStore.open(settings.state.url) as store:
        second = store.runs.list_recent(settings.vtex.account, flow="sync")[0]
        assert second.id != first.id and second.requests == 0  # nothing changed, nothing sent
        assert store.actions.count(settings.vtex.account) == {"done": 4}

    assert seen["doctor"].startswith("0\n") and "every API area answered" in seen["doctor"], seen["doctor"]
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


@pytest.mark.parametrize("command", ["demo", "sandbox", "serve"])
def test_a_port_out_of_range_is_refused_not_wrapped(command: str, tmp_path: Path) -> None:
    option = "--port"
    result = CliRunner().invoke(build_app(), [command, option, "99999"])
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in result.output
    assert not (tmp_path / ".demo").exists()


def test_the_sandbox_says_nothing_before_failing_to_bind() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(build_app(), ["sandbox", "--port", str(port)])
    finally:
        taken.close()
    assert result.exit_code == 2
    assert "VTEX sandbox on" not in result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
