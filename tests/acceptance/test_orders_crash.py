"""Acceptance: SIGKILL of `vtexbridge orders run` between the ERP's acceptance and the feed commit,
and of `vtexbridge serve` right after the hook answered 200 — then a rerun: nothing lost, nothing
delivered twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from orders_kill_support import (
    VISIBILITY,
    admin,
    env_for,
    served_sandbox,
    sink_env,
    vtexbridge,
    wait_for,
)

from vtexbridge.orders.consumer import desired_feed_config
from vtexbridge.state import StateStore
from vtexbridge.testing.orders import (
    HOOK_SECRET,
    Served,
    free_port,
    harness_settings,
)


@pytest.fixture
def sandbox() -> Iterator[Served]:
    yield from served_sandbox()


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
    before = {line.split()[0] for line in (tmp_path / "writes.log").read_text().splitlines()}
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as state:
        assert state.orders.get_delivery("sandbox", order_id, status) is None  # ... the state store does not
        # accepted by the ERP, not recorded when the process died: the only ones that may come again
        orphans = {k for k in before if state.orders.get_delivery("sandbox", *k.split(":")) is None}
    assert blocked in orphans
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
    handed = Counter(fields[0] for fields in lines)
    # None twice: each order was handed to the sink once, except those whose acceptance the kill
    # kept from being recorded (the blocked one, and any accepted concurrently): handed once more,
    # and the sink found its copy.
    assert handed == Counter(
        {f"{o}:ready-for-handling": 1 + (f"{o}:ready-for-handling" in orphans) for o in ids}
    )
    assert [f[1] for f in lines if f[0] == blocked] == ["wrote", "existing"]  # redelivery found the copy
    # None lost: the ERP has exactly one file per order.
    assert sorted(p.name for p in (tmp_path / "erp").glob("*.json")) == sorted(
        f"{o}.ready-for-handling.json" for o in ids
    )
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
        assert state.inbox.claim(5, "check") == []  # processed and finished
