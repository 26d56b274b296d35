"""Acceptance: SIGKILL of `vtexbridge orders run` between the ERP's acceptance and the feed commit,
and of `vtexbridge serve` right after the hook answered 200 — then a rerun: nothing lost, nothing
delivered twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vtexbridge.orders.consumer import desired_feed_config
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.state import StateStore
from vtexbridge.testing.orders import (
    ADMIN_HEADERS,
    HOOK_SECRET,
    Served,
    add_sellable_sku,
    free_port,
    harness_settings,
    serve_in_thread,
)

HERE = Path(__file__).resolve().parent
VISIBILITY = 2


@pytest.fixture
def sandbox() -> Iterator[Served]:
    store = Store()
    add_sellable_sku(store, 100)
    served = serve_in_thread(create_app(SandboxOptions(limits="off"), store=store))
    yield served
    served.stop()
    store.close()


def env_for(tmp_path: Path, sandbox: Served, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    env.update(
        {
            "PYTHONPATH": str(HERE) + os.pathsep + env.get("PYTHONPATH", ""),
            "VTEXBRIDGE_VTEX__BASE_URL": sandbox.url,
            "VTEXBRIDGE_VTEX__APP_KEY": ADMIN_HEADERS["X-VTEX-API-AppKey"],
            "VTEXBRIDGE_VTEX__APP_TOKEN": ADMIN_HEADERS["X-VTEX-API-AppToken"],
            "VTEXBRIDGE_STATE__URL": f"sqlite:///{tmp_path / 'state.db'}",
            "VTEXBRIDGE_ORDERS__FEED__EMPTY_POLL_S": "0.05",
            "VTEXBRIDGE_ORDERS__FEED__VISIBILITY_TIMEOUT_S": str(VISIBILITY),
            "VTEXBRIDGE_ORDERS__ACTIONS__FOLDER": "",
            "VTEXBRIDGE_LOG__LEVEL": "warning",
        }
    )
    env.update(extra)
    return env


def sink_env(tmp_path: Path, block_at: int = 0) -> dict[str, str]:
    options = (
        f'{{path = "{tmp_path / "erp"}", log = "{tmp_path / "writes.log"}", '
        f'block_at = {block_at}, marker = "{tmp_path / "blocked"}"}}'
    )
    return {
        "VTEXBRIDGE_ORDERS__SINK__KIND": "plugin",
        "VTEXBRIDGE_ORDERS__SINK__PLUGIN": "orders_kill_sink:KillableSink",
        "VTEXBRIDGE_ORDERS__SINK__OPTIONS": options,
    }


def vtexbridge(*args: str) -> list[str]:
    return [sys.executable, "-m", "vtexbridge", *args]


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def admin(sandbox: Served) -> httpx.Client:
    return httpx.Client(base_url=sandbox.url, headers=ADMIN_HEADERS, timeout=10)


def test_sigkill_between_erp_delivery_and_feed_commit(tmp_path: Path, sandbox: Served) -> None:
    settings = harness_settings(tmp_path, orders={"feed": {"visibility_timeout_s": VISIBILITY}})
    with admin(sandbox) as api:
        r = api.post("/api/orders/feed/config", json=desired_feed_config(settings.orders).body())
        assert r.status_code == 200, r.text
        ids = [
            api.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]}).json()["orderId"]
            for _ in range(10)
        ]

    output = tmp_path / "run.log"
    with output.open("wb") as out:
        proc = subprocess.Popen(
            vtexbridge("orders", "run"),
            env=env_for(tmp_path, sandbox, **sink_env(tmp_path, block_at=3)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: (tmp_path / "blocked").exists() or proc.poll() is not None, 60, "the sink to block"
            )
            assert proc.poll() is None, output.read_text()
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    blocked = (tmp_path / "blocked").read_text()
    order_id, status = blocked.split(":")
    assert (tmp_path / "erp" / f"{order_id}.{status}.json").exists()  # the ERP has it ...
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as state:
        assert state.get_delivery("sandbox", order_id, status) is None  # ... the state store does not
    with admin(sandbox) as api:
        [feed] = api.get("/_sandbox/feeds").json()["feeds"]
        assert feed["messages"] == 10  # and nothing was committed

    time.sleep(VISIBILITY + 0.5)  # the uncommitted events come back
    rerun = subprocess.run(
        vtexbridge("orders", "run", "--once"),
        env=env_for(tmp_path, sandbox, **sink_env(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    lines = [line.split() for line in (tmp_path / "writes.log").read_text().splitlines()]
    wrote = Counter(key for key, what in lines if what == "wrote")
    # None twice: no order was written a second time. (Deliveries run concurrently, so the kill may
    # land between another order's file and its log line: the ERP's files are the truth, below.)
    assert all(n == 1 for n in wrote.values()), wrote
    # None lost: the ERP has exactly one file per order.
    assert sorted(p.name for p in (tmp_path / "erp").glob("*.json")) == sorted(
        f"{o}.ready-for-handling.json" for o in ids
    )
    assert "existing" in {what for key, what in lines if key == blocked}  # redelivery found the ERP's copy
    with admin(sandbox) as api:
        counts = api.get(
            "/_sandbox/requests", params={"route": "/api/oms/pvt/orders/{orderId}/start-handling"}
        ).json()
        assert counts["total"] == 10  # each order handled exactly once
        [feed] = api.get("/_sandbox/feeds").json()["feeds"]
        assert feed["messages"] == 0
        assert {o["status"] for o in api.get("/_sandbox/orders").json()["orders"]} == {"handling"}


def test_a_hook_notification_answered_200_survives_sigkill(tmp_path: Path, sandbox: Served) -> None:
    with admin(sandbox) as api:
        order = api.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]}).json()
    port = free_port()
    env = env_for(
        tmp_path,
        sandbox,
        VTEXBRIDGE_ORDERS__HOOK__SECRET=HOOK_SECRET,
        VTEXBRIDGE_ORDERS__FEED__ENABLED="false",
        VTEXBRIDGE_ORDERS__SINK__PATH=str(tmp_path / "erp"),
    )
    output = tmp_path / "serve.log"
    with output.open("wb") as out:
        proc = subprocess.Popen(
            vtexbridge("serve", "--no-worker", "--port", str(port)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:

            def up() -> bool:
                assert proc.poll() is None, output.read_text()
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_for(up, 30, "serve to start")
            url = f"http://127.0.0.1:{port}/hooks/vtex/orders"
            assert httpx.post(url, json={"hookConfig": "ping"}).status_code == 200
            note = {
                "Domain": "Fulfillment",
                "OrderId": order["orderId"],
                "State": "ready-for-handling",
                "LastChange": order["lastChange"],
            }
            assert (
                httpx.post(url, json=note, headers={"X-Vtexbridge-Hook-Secret": "wrong"}).status_code == 401
            )
            r = httpx.post(url, json=note, headers={"X-Vtexbridge-Hook-Secret": HOOK_SECRET})
            assert r.status_code == 200
            os.kill(proc.pid, signal.SIGKILL)  # at once: the notification must already be on disk
        finally:
            proc.kill()
            proc.wait(timeout=10)
    rerun = subprocess.run(
        vtexbridge("orders", "run", "--once"), env=env, capture_output=True, text=True, timeout=60
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert (tmp_path / "erp" / f"{order['orderId']}.ready-for-handling.json").exists()
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as state:
        assert state.row_counts()["hook_inbox"] == 1
        assert state.claim_inbox(5, "check") == []  # processed and finished
