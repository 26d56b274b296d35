"""The demo's provider step: configuration read back from the demo's files (secrets from the secrets
file only), the two orders run through the sandbox's gateway, and the outcome read in the ERP; a
second run changes nothing."""

from __future__ import annotations

import tomllib
from pathlib import Path

from vtexbridge.cli.demo import providers as demo
from vtexbridge.config import load_settings
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.serving import serve_in_thread
from vtexbridge.state import StateStore
from vtexbridge.web.routes.providers import provider_routes


async def test_the_demo_order_is_captured_and_the_other_released(tmp_path: Path) -> None:
    sandbox = serve_in_thread(create_app(SandboxOptions(limits="off")))
    base = f'[vtex]\nbase_url = "{sandbox.url}"\n[state]\nurl = "sqlite:///state.db"\n'
    (tmp_path / "vtexbridge.toml").write_text(base + demo.config_text())
    (tmp_path / "secrets.toml").write_text(demo.secrets_text())
    assert (
        "app_token" not in tomllib.loads((tmp_path / "vtexbridge.toml").read_text())["providers"]["payment"]
    )
    demo.write_demo_erp(tmp_path / "erp" / "providers")
    settings = load_settings(
        tmp_path / "vtexbridge.toml", env={"VTEXBRIDGE_SECRETS_FILE": str(tmp_path / "secrets.toml")}
    )
    assert settings.providers.payment is not None and settings.providers.payment.app_token is not None
    store = StateStore.open(settings.state.url, create=True)
    try:
        record = tmp_path / "demo-provider-orders.json"
        first = await demo.run_provider_order(settings, store, sandbox.url, record, provider_routes)
        assert first.invoiced["status"] == "invoiced" and first.cancelled["status"] == "canceled"
        assert first.card_balance == 30.0  # 50.00 - 20.00 captured; the cancelled order's 20.00 came back
        assert first.credit_used == 100.0  # the invoiced order's 100.00; the cancelled one was released
        again = await demo.run_provider_order(settings, store, sandbox.url, record, provider_routes)
        assert (again.card_balance, again.credit_used) == (30.0, 100.0)
    finally:
        sandbox.stop()
        store.close()
