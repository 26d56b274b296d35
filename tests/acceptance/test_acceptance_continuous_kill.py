"""Acceptance (#13): ``vtexbridge serve`` killed with SIGKILL while pushed changes are queued, then
started again, loses none and duplicates none: every SKU ends with the last value pushed, each batch's
changes are in the queue once (the client re-sends unanswered batches under the same batch id), and
VTEX got no more writes than changes pushed.

The kill point is random (seed printed, and the batch after which it struck); the sandbox runs in this
process, the two ``serve`` processes over HTTP against it.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_acceptance_support import ACCOUNT, EXAMPLE_ERP, migrated_sqlite, seed_trade_policies

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.serving import serve_in_thread
from vtexbridge.testing.orders import free_port

VTEXBRIDGE = Path(sys.executable).parent / "vtexbridge"
TOKEN = "continuous-kill-test-token-0123456789"
SKUS = [f"P000{p}-0{v}" for p in range(1, 6) for v in (1, 2)]
WAREHOUSE = "cd-sao-paulo"
BATCHES = 30


@pytest.fixture
def served() -> Iterator[str]:
    store = Store()
    seed_trade_policies(store)
    served = serve_in_thread(create_app(SandboxOptions(limits="off"), store=store), name="sandbox")
    yield served.url
    served.stop()
    store.close()


def _env(tmp_path: Path, url: str, erp: Path, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    env.update(
        VTEXBRIDGE_VTEX__ACCOUNT=ACCOUNT,
        VTEXBRIDGE_VTEX__BASE_URL=url,
        VTEXBRIDGE_VTEX__APP_KEY=DEFAULT_APP_KEY,
        VTEXBRIDGE_VTEX__APP_TOKEN=DEFAULT_APP_TOKEN,
        VTEXBRIDGE_ERP__KIND="folder",
        VTEXBRIDGE_ERP__PATH=str(erp),
        VTEXBRIDGE_STATE__URL=f"sqlite:///{state}",
        VTEXBRIDGE_SYNC__REPORT_DIR=str(tmp_path / "reports"),
        VTEXBRIDGE_SYNC__CONTINUOUS__INTAKE_TOKEN=TOKEN,
        VTEXBRIDGE_SYNC__CONTINUOUS__COALESCE_S="0.3",
        VTEXBRIDGE_LOG__LEVEL="warning",
    )
    return env


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(VTEXBRIDGE), "serve", "--no-worker", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "serve did not start"
        time.sleep(0.1)


def _batch(n: int, values: dict[str, int]) -> dict[str, Any]:
    rows = [{"sku_key": s, "warehouse_key": WAREHOUSE, "quantity": values[s]} for s in SKUS]
    return {"batchId": f"kill-test-{n:03d}", "records": {"inventory": rows}}


def _push(port: int, body: dict[str, Any]) -> bool:
    try:
        r = httpx.post(
            f"http://127.0.0.1:{port}/erp/changes",
            json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5,
        )  # fmt: skip
    except httpx.HTTPError:
        return False
    assert r.status_code == 202, r.text
    return True


def _queue_rows(state: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(state) as db:
        return list(db.execute("SELECT batch_id, erp_key, state FROM change_queue"))


def _stock(url: str) -> dict[str, int]:
    with httpx.Client(base_url=url, timeout=10) as admin:
        skus = {str(s["Id"]): s["RefId"] for s in admin.get("/_sandbox/catalog").json()["skus"]}
        lines = admin.get("/_sandbox/inventory").json()["inventory"]
    return {skus[str(i["skuId"])]: i["quantity"] for i in lines if i["warehouseId"] == WAREHOUSE}


def _inventory_writes(url: str, since: int) -> int:
    with httpx.Client(base_url=url, timeout=10) as admin:
        body = admin.get(f"/_sandbox/requests?since={since}&writes=1").json()
    return sum(n for route, n in body["counts"].items() if "inventory" in route)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_with_changes_queued_loses_none_and_duplicates_none(tmp_path: Path, served: str) -> None:
    erp = tmp_path / "erp"
    shutil.copytree(EXAMPLE_ERP, erp, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    state = tmp_path / "state.db"
    migrated_sqlite(state)
    env = _env(tmp_path, served, erp, state)
    first_sync = subprocess.run([str(VTEXBRIDGE), "sync", "--json"], env=env, capture_output=True)
    assert first_sync.returncode == 0, first_sync.stderr.decode()[-2000:]
    with httpx.Client(base_url=served) as admin:
        since = int(admin.get("/_sandbox/requests").json()["cursor"])

    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    kill_after = rng.randint(BATCHES // 3, BATCHES * 2 // 3)
    print(f"seed {seed}: SIGKILL after batch {kill_after} of {BATCHES}")
    values = {s: 0 for s in SKUS}
    answered: set[int] = set()
    port, log = free_port(), tmp_path / "serve.log"
    proc = _serve(env, port, log)
    try:
        for n in range(kill_after):
            values = {s: rng.randint(0, 500) for s in SKUS}
            bodies = {n: _batch(n, values)}
            assert _push(port, bodies[n])
            answered.add(n)
        time.sleep(rng.uniform(0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    pending = [r for r in _queue_rows(state) if r[2] != "done"]
    print(f"queued and not done at the kill: {len(pending)}")
    assert pending, "the kill struck after everything was applied: nothing tested"

    proc = _serve(env, port, log)
    try:
        last_body = _batch(kill_after - 1, values)
        assert _push(port, last_body)  # the ERP re-sends its last batch: the same id queues nothing
        for n in range(kill_after, BATCHES):
            values = {s: rng.randint(0, 500) for s in SKUS}
            assert _push(port, _batch(n, values))
        deadline = time.monotonic() + 120
        while any(r[2] != "done" for r in _queue_rows(state)):
            assert time.monotonic() < deadline, f"not drained: {log.read_text()[-2000:]}"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    rows = _queue_rows(state)
    per_batch: dict[str, int] = {}
    for batch_id, _key, _state in rows:
        per_batch[batch_id] = per_batch.get(batch_id, 0) + 1
    assert per_batch == {f"kill-test-{n:03d}": len(SKUS) for n in range(BATCHES)}, "a batch queued twice"
    assert _stock(served) == {**_stock(served), **values}
    assert {s: _stock(served)[s] for s in SKUS} == values, "a SKU does not hold its last value"
    writes = _inventory_writes(served, since)
    print(f"inventory writes: {writes} for {BATCHES * len(SKUS)} changes pushed")
    assert writes <= BATCHES * len(SKUS)
