"""Support of the continuous sync's acceptance tests (#13): the sandbox served in this process,
``vtexbridge serve`` subprocesses against it, pushes, and reads of the sandbox and the queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.acceptance.sync_acceptance_support import ACCOUNT, seed_trade_policies
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.serving import serve_in_thread
from vtexbridge.state.engine import normalise_url

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


def serve_env(tmp_path: Path, url: str, erp: Path, state_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    env.update(
        VTEXBRIDGE_VTEX__ACCOUNT=ACCOUNT,
        VTEXBRIDGE_VTEX__BASE_URL=url,
        VTEXBRIDGE_VTEX__APP_KEY=DEFAULT_APP_KEY,
        VTEXBRIDGE_VTEX__APP_TOKEN=DEFAULT_APP_TOKEN,
        VTEXBRIDGE_ERP__KIND="folder",
        VTEXBRIDGE_ERP__PATH=str(erp),
        VTEXBRIDGE_STATE__URL=state_url,
        VTEXBRIDGE_SYNC__REPORT_DIR=str(tmp_path / "reports"),
        VTEXBRIDGE_SYNC__CONTINUOUS__INTAKE_TOKEN=TOKEN,
        VTEXBRIDGE_SYNC__CONTINUOUS__COALESCE_S="0.3",
        VTEXBRIDGE_LOG__LEVEL="warning",
    )
    return env


def start_serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
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


def batch(n: int, values: dict[str, int]) -> dict[str, Any]:
    rows = [{"sku_key": s, "warehouse_key": WAREHOUSE, "quantity": values[s]} for s in SKUS]
    return {"batchId": f"kill-test-{n:03d}", "records": {"inventory": rows}}


def push(port: int, body: dict[str, Any]) -> bool:
    try:
        r = httpx.post(
            f"http://127.0.0.1:{port}/erp/changes",
            json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5,
        )  # fmt: skip
    except httpx.HTTPError:
        return False
    assert r.status_code == 202, r.text
    return True


def queue_rows(state_url: str) -> list[tuple[str, str, str, str]]:
    """``(batch_id, erp_key, state, claimed_by)`` of every queued change."""
    engine = sa.create_engine(normalise_url(state_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT batch_id, erp_key, state, claimed_by FROM change_queue"))
            return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        engine.dispose()


def stock_of(url: str) -> dict[str, int]:
    with httpx.Client(base_url=url, timeout=10) as admin:
        skus = {str(s["Id"]): s["RefId"] for s in admin.get("/_sandbox/catalog").json()["skus"]}
        lines = admin.get("/_sandbox/inventory").json()["inventory"]
    return {skus[str(i["skuId"])]: i["quantity"] for i in lines if i["warehouseId"] == WAREHOUSE}


def inventory_writes(url: str, since: int) -> int:
    with httpx.Client(base_url=url, timeout=10) as admin:
        body = admin.get(f"/_sandbox/requests?since={since}&writes=1").json()
    return sum(n for route, n in body["counts"].items() if "inventory" in route)
