"""Acceptance: ``vtexbridge sync`` killed with SIGKILL at a random point of a larger sync, then run
again, ends with the sandbox holding exactly the ERP's data — no entity twice — and a third run
sends nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.sync_acceptance_support import (
    ACCOUNT,
    ROOT,
    assert_matches_erp,
    dump_over_http,
    migrated_sqlite,
    seed_trade_policies,
)
from vtexbridge.erp import FolderReader
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.serving import serve_in_thread
from vtexbridge.sync.plan import make_plan
from vtexbridge.sync.stateview import MemoryState

SKUS = 600  # about 7,000 writes: four times the example store
VTEXBRIDGE = Path(sys.executable).parent / "vtexbridge"


@pytest.fixture
def served() -> Iterator[str]:
    """The sandbox (real limits off, trade policy 2 added) on a free loopback port, in a thread."""
    store = Store()
    seed_trade_policies(store)
    app = create_app(SandboxOptions(limits="off"), store=store)
    served = serve_in_thread(app, name="sandbox")
    yield served.url
    served.stop()
    store.close()


def _env(tmp_path: Path, url: str, erp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    env.update(
        VTEXBRIDGE_VTEX__ACCOUNT=ACCOUNT,
        VTEXBRIDGE_VTEX__BASE_URL=url,
        VTEXBRIDGE_VTEX__APP_KEY=DEFAULT_APP_KEY,
        VTEXBRIDGE_VTEX__APP_TOKEN=DEFAULT_APP_TOKEN,
        VTEXBRIDGE_ERP__KIND="folder",
        VTEXBRIDGE_ERP__PATH=str(erp),
        VTEXBRIDGE_SYNC__REPORT_DIR=str(tmp_path / "reports"),
        VTEXBRIDGE_LOG__LEVEL="warning",
        # a sandbox on loopback needs few requests in flight (and each idle connection costs CPU)
        VTEXBRIDGE_SYNC__CONCURRENCY__CATALOG="8",
        VTEXBRIDGE_SYNC__CONCURRENCY__PRICING="2",
        VTEXBRIDGE_SYNC__CONCURRENCY__LOGISTICS="4",
        VTEXBRIDGE_SYNC__CONCURRENCY__MASTERDATA="2",
        VTEXBRIDGE_VTEX__MAX_CONNECTIONS="16",
    )
    return env


def _writes(url: str) -> int:
    with httpx.Client(base_url=url, timeout=10) as admin:
        return int(admin.get("/_sandbox/requests?writes=1").json()["total"])


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_at_a_random_point_then_rerun_ends_in_the_erp_state_without_duplicates(
    tmp_path: Path, served: str
) -> None:
    erp = tmp_path / "erp"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate_store.py"),
            str(erp),
            "--skus",
            str(SKUS),
            "--jobs",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    planned = make_plan(FolderReader(erp), MemoryState()).writes
    state = tmp_path / "state.db"
    migrated_sqlite(state)
    env = _env(tmp_path, served, erp)
    command = [str(VTEXBRIDGE), "sync", "--json", "--state", str(state)]

    rng = random.Random()
    kill_after = rng.randint(planned // 5, planned * 7 // 10)
    log = tmp_path / "killed-run.log"
    with log.open("wb") as out:
        first = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 200
        while _writes(served) < kill_after:
            assert first.poll() is None, (
                f"the sync ended before it could be killed: {log.read_text()[-2000:]}"
            )
            assert time.monotonic() < deadline, "the sync is too slow"
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    killed_at = _writes(served)
    assert killed_at < planned, f"killed after {killed_at} of about {planned} writes"

    again = subprocess.run(command, env=env, capture_output=True, timeout=180, text=True)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    checked = assert_matches_erp(erp, dump_over_http(served))
    assert checked["skus"] == SKUS

    before = _writes(served)
    third = subprocess.run(command, env=env, capture_output=True, timeout=120, text=True)
    assert third.returncode == 0, third.stderr[-2000:]
    assert _writes(served) == before, "the state recorded every write the killed run made"
