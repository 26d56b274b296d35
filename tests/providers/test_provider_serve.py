"""``vtexbridge serve`` (``serve_forever``) with the provider protocols configured: the runtime is
attached before the server accepts connections, a transaction a crash left pending is finished at
start, and the ERP's later decision on a payment reaches the gateway (the sandbox) through the
callback by serve's own follow-up loop, with nobody calling it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from tests.providers.provider_support import KEY, TOKEN
from vtexbridge.cli.serve import serve_forever
from vtexbridge.providers.adapters.sql import SqlErp
from vtexbridge.providers.common import derived_id
from vtexbridge.providers.runtime import ProvidersRuntime
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.serving import serve_in_thread
from vtexbridge.state import StateStore
from vtexbridge.state.provider_tables import giftcard_tx
from vtexbridge.testing.orders import free_port, harness_settings


def wait_for(check: Callable[[], bool], what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_serve_recovers_and_follows_up_decisions(tmp_path: Path) -> None:
    sandbox = serve_in_thread(create_sandbox(SandboxOptions(limits="off")))
    erp = SqlErp.local(tmp_path / "erp")
    erp.seed(
        cards=[{"id": "C1", "redemption_code": "CODE-1", "redemption_token": "T1", "balance_cents": 1_000}],
        accounts=[{"customer": "REVIEW", "credit_limit_cents": 100_000, "review": True}],
    )
    creds: dict[str, Any] = {"app_key": KEY, "app_token": TOKEN, "adapter": {"path": str(tmp_path / "erp")}}
    settings = harness_settings(
        tmp_path,
        base_url=sandbox.url,
        providers={
            "giftcard": creds,
            "payment": {**creds, "decision_poll_s": 0.05, "callback_backoff_s": 0.05},
        },
    )
    # a debit a crash left half-done: in the ledger (pending), never applied in the ERP
    store = StateStore.open(settings.state.url, create=True)
    tx = derived_id("giftcard", "C1", "CRASHED")
    now = store.db.now()
    with store.engine.begin() as conn:
        conn.execute(giftcard_tx.insert().values(
            tx_id=tx, card_id="C1", request_id="CRASHED", operation="Debit", value_cents=300,
            status="pending", created_at=now, updated_at=now))  # fmt: skip
    store.close()

    port = free_port()
    servers: list[uvicorn.Server] = []
    failures: list[BaseException] = []

    def on_server(server: uvicorn.Server) -> None:
        app = server.config.app
        assert isinstance(app, FastAPI) and isinstance(app.state.providers, ProvidersRuntime)
        servers.append(server)

    def main() -> None:
        try:
            asyncio.run(serve_forever(settings, "127.0.0.1", port, worker=False, on_server=on_server))
        except BaseException as e:
            failures.append(e)

    thread = threading.Thread(target=main, name="serve", daemon=True)
    thread.start()
    try:
        wait_for(lambda: (bool(servers) and servers[0].started) or bool(failures), "the server to start")
        assert not failures, failures
        card = asyncio.run(erp.get_card("C1"))
        wait_for(lambda: asyncio.run(erp.get_card("C1")).balance_cents == 700, "the recovery")  # type: ignore[union-attr]
        assert card is not None
        with httpx.Client(base_url=sandbox.url, timeout=30) as admin:
            body = {
                "serviceUrl": f"http://127.0.0.1:{port}/providers/payment",
                "appKey": KEY,
                "appToken": TOKEN,
            }
            assert admin.put("/_sandbox/providers/payment", json=body).status_code == 200
            order = admin.post(
                "/_sandbox/providers/orders",
                json={"value": 30.0, "buyer": {"document": "REVIEW", "email": "r@example.com"},
                      "payment": {"method": "Promissories", "value": 30.0}},
            ).json()  # fmt: skip
            assert order["status"] == "payment-pending", order
            erp.decide(order["payment"]["paymentId"], "approved", "credit committee")

            def authorized() -> bool:
                return bool(
                    admin.get(f"/_sandbox/providers/orders/{order['orderId']}").json()["status"]
                    == "authorized"
                )

            wait_for(authorized, "the callback to reach the gateway")
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=20)
        sandbox.stop()
        erp.close()
