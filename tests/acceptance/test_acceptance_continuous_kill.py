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
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.acceptance.continuous_acceptance_support import (
    BATCHES,
    SKUS,
    VTEXBRIDGE,
    batch,
    inventory_writes,
    push,
    queue_rows,
    serve_env,
    served,
    start_serve,
    stock_of,
)
from tests.acceptance.sync_acceptance_support import EXAMPLE_ERP, migrated_sqlite
from vtexbridge.testing.orders import free_port

__all__ = ["served"]  # the fixture


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_with_changes_queued_loses_none_and_duplicates_none(tmp_path: Path, served: str) -> None:
    erp = tmp_path / "erp"
    shutil.copytree(EXAMPLE_ERP, erp, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    state_url = migrated_sqlite(tmp_path / "state.db")
    env = serve_env(tmp_path, served, erp, state_url)
    first_sync = subprocess.run([str(VTEXBRIDGE), "sync", "--json"], env=env, capture_output=True)
    assert first_sync.returncode == 0, first_sync.stderr.decode()[-2000:]
    with httpx.Client(base_url=served) as admin:
        since = int(admin.get("/_sandbox/requests").json()["cursor"])

    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    kill_after = rng.randint(BATCHES // 3, BATCHES * 2 // 3)
    print(f"seed {seed}: SIGKILL after batch {kill_after} of {BATCHES}")
    values = {s: 0 for s in SKUS}
    port, log = free_port(), tmp_path / "serve.log"
    proc = start_serve(env, port, log)
    try:
        for n in range(kill_after):
            values = {s: rng.randint(0, 500) for s in SKUS}
            assert push(port, batch(n, values))
        time.sleep(rng.uniform(0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    pending = [r for r in queue_rows(state_url) if r[2] != "done"]
    print(f"queued and not done at the kill: {len(pending)}")
    assert pending, "the kill struck after everything was applied: nothing tested"

    proc = start_serve(env, port, log)
    try:
        last_body = batch(kill_after - 1, values)
        assert push(port, last_body)  # the ERP re-sends its last batch: the same id queues nothing
        for n in range(kill_after, BATCHES):
            values = {s: rng.randint(0, 500) for s in SKUS}
            assert push(port, batch(n, values))
        deadline = time.monotonic() + 120
        while any(r[2] != "done" for r in queue_rows(state_url)):
            assert time.monotonic() < deadline, f"not drained: {log.read_text()[-2000:]}"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    rows = queue_rows(state_url)
    per_batch: dict[str, int] = {}
    for batch_id, _key, _state, _by in rows:
        per_batch[batch_id] = per_batch.get(batch_id, 0) + 1
    assert per_batch == {f"kill-test-{n:03d}": len(SKUS) for n in range(BATCHES)}, "a batch queued twice"
    assert stock_of(served) == {**stock_of(served), **values}
    assert {s: stock_of(served)[s] for s in SKUS} == values, "a SKU does not hold its last value"
    writes = inventory_writes(served, since)
    print(f"inventory writes: {writes} for {BATCHES * len(SKUS)} changes pushed")
    assert writes <= BATCHES * len(SKUS)
