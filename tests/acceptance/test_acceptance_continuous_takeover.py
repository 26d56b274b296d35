"""Acceptance (#13): two ``vtexbridge serve`` processes over one PostgreSQL state: only the one holding
the sync lease applies changes (every change is claimed by it), either takes pushes; kill the holder
with SIGKILL and the other takes over within the lease's TTL, with nothing lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.acceptance.continuous_acceptance_support import (
    SKUS,
    VTEXBRIDGE,
    batch,
    push,
    queue_rows,
    serve_env,
    served,
    start_serve,
    stock_of,
)
from tests.acceptance.sync_acceptance_support import EXAMPLE_ERP
from vtexbridge.state.engine import normalise_url
from vtexbridge.testing.orders import free_port
from vtexbridge.testing.pg import scratch_schema

__all__ = ["served"]  # the fixture
TTL_S = 6


def _holder(state_url: str) -> str | None:
    engine = sa.create_engine(normalise_url(state_url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT holder FROM lease WHERE name = 'run:sync:sandbox'")).scalar()
    finally:
        engine.dispose()


def _drained(state_url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while any(r[2] != "done" for r in queue_rows(state_url)):
        assert time.monotonic() < deadline, "the queue was not drained"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_one_serve_applies_and_the_other_takes_over_when_it_dies(
    tmp_path: Path, served: str, pg_url: str
) -> None:
    erp = tmp_path / "erp"
    shutil.copytree(EXAMPLE_ERP, erp, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    with scratch_schema(pg_url, "vbcontinuous") as state_url:
        env = {**serve_env(tmp_path, served, erp, state_url), "VTEXBRIDGE_SYNC__LEASE_TTL_S": str(TTL_S)}
        done = subprocess.run([str(VTEXBRIDGE), "sync", "--json"], env=env, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        ports = free_port(), free_port()
        procs = [start_serve(env, port, tmp_path / f"serve-{i}.log") for i, port in enumerate(ports)]
        try:
            deadline = time.monotonic() + 30
            while (holder := _holder(state_url)) is None:
                assert time.monotonic() < deadline, "no serve took the lease"
                time.sleep(0.1)
            first = next(i for i, p in enumerate(procs) if holder.endswith(f":{p.pid}"))
            other = 1 - first
            values = {s: 100 + i for i, s in enumerate(SKUS)}
            assert push(ports[other], batch(0, values))  # pushed to the standby: applied by the holder
            _drained(state_url, 60)
            assert {r[3] for r in queue_rows(state_url)} == {holder}, "a change applied by the standby"
            os.kill(procs[first].pid, signal.SIGKILL)
            procs[first].wait(timeout=30)
            killed_at = time.monotonic()
            values = {s: 200 + i for i, s in enumerate(SKUS)}
            assert push(ports[other], batch(1, values))
            _drained(state_url, 60)
            took = time.monotonic() - killed_at
            assert took < TTL_S + 5, f"took over after {took:.1f}s"
            new_holder = _holder(state_url)
            assert new_holder is not None and new_holder.endswith(f":{procs[other].pid}")
            assert {s: stock_of(served)[s] for s in SKUS} == values
            by_batch = {(r[0], r[3]) for r in queue_rows(state_url)}
            assert {b for b, _ in by_batch} == {"kill-test-000", "kill-test-001"}
            assert {h for b, h in by_batch if b == "kill-test-001"} == {new_holder}
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    p.wait(timeout=30)
