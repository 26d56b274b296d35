"""Acceptance (#11): `vtexbridge orders run` SIGKILLed at 20+ random moments while 20% of the orders
routes and the feed answer 429/5xx — on SQLite (one worker) and on PostgreSQL (two workers, one of
them killed and restarted at each moment). Orders are delivered, handled, invoiced and tracked
from the actions folder. Then: every order reached the ERP, and was handed to the sink again only
when a kill kept its acceptance from being recorded (never by two workers at once: they claim a
delivery in the shared store); handling started once, every invoice and tracking update accepted
once per order (the sandbox's request log), nothing stuck, no temporary file left.

Every kill point is logged with the seed; replay a failure with ``VTEXBRIDGE_TEST_KILL_SEED=<seed>``.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from orders_kill_support import (
    HandOff,
    admin,
    env_for,
    hand_offs,
    pg_schema,
    served_sandbox,
    sink_env,
    vtexbridge,
)

from vtexbridge.orders.consumer import desired_feed_config
from vtexbridge.state import StateStore
from vtexbridge.testing.orders import Served, harness_settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # ~1 min each on 2 idle cores
KILLS = 20
N = 60
FAULTS = (
    "/api/oms/*:429=0.1,500=0.04,503=0.03,504=0.03,retry-after=0;"
    "/api/orders/*:429=0.1,500=0.05,503=0.05,retry-after=0"
)
START = "/api/oms/pvt/orders/{orderId}/start-handling"
INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"
TRACKING = "/api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}"
_log = logging.getLogger(__name__)


@pytest.fixture
def sandbox() -> Iterator[Served]:
    yield from served_sandbox()


@pytest.fixture
def pg_state(pg_url: str) -> Iterator[str]:
    yield from pg_schema(pg_url, "vbkills")


@dataclass
class Run:
    """The workers of one test and what the kills left behind."""

    tmp_path: Path
    env: dict[str, str]
    state_url: str
    seed: int
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: list[float] = field(default_factory=list)
    orphans: Counter[str] = field(default_factory=Counter)
    kills: list[str] = field(default_factory=list)

    def start(self, slot: int) -> None:
        out = (self.tmp_path / f"worker-{slot}.log").open("ab")
        proc = subprocess.Popen(
            vtexbridge("orders", "run"), env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        if slot < len(self.procs):
            self.procs[slot], self.started[slot] = proc, time.monotonic()
        else:
            self.procs.append(proc)
            self.started.append(time.monotonic())

    def kill(self, slot: int, after: float) -> None:
        proc = self.procs[slot]
        time.sleep(max(0.0, self.started[slot] + after - time.monotonic()))
        assert proc.poll() is None, (self.tmp_path / f"worker-{slot}.log").read_text()[-3000:]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        point = f"kill {len(self.kills) + 1}: worker {slot} (pid {proc.pid}) {after:.2f} s after its start"
        self.kills.append(point)
        _log.warning("%s (seed %d)", point, self.seed)
        self._note_orphans(proc.pid)

    def _note_orphans(self, pid: int) -> None:
        """Acceptances of the killed process that its state store lacks: the only deliveries that may
        be handed to the sink once more."""
        accepted = {h.key for h in hand_offs(self.tmp_path / "writes.log") if h.pid == pid}
        if not accepted:
            return
        with StateStore(self.state_url) as state:
            for key in accepted:
                order_id, status = key.rsplit(":", 1)
                if state.orders.get_delivery("sandbox", order_id, status) is None:
                    self.orphans[key] += 1

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _prepare(tmp_path: Path, sandbox: Served, seed: int) -> None:
    settings = harness_settings(tmp_path)
    with admin(sandbox) as api:
        r = api.post("/api/orders/feed/config", json=desired_feed_config(settings.orders).body())
        assert r.status_code == 200, r.text
        r = api.post("/_sandbox/faults", json={"spec": FAULTS, "seed": seed})
        assert r.status_code == 200, r.text
    (tmp_path / "actions").mkdir()


def _place(tmp_path: Path, sandbox: Served, n: int) -> list[str]:
    """Place ``n`` orders and drop their invoice and tracking at once (the invoices wait for
    handling to start)."""
    with admin(sandbox) as api:
        ids = [
            api.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]}).json()["orderId"]
            for _ in range(n)
        ]
    header = "type,orderId,invoiceNumber,issuanceDate,trackingNumber,courier\n"
    rows = "".join(f"invoice,{o},NF-{o},2024-05-01,,\ntracking,{o},NF-{o},,TR-{o},Correios\n" for o in ids)
    actions = tmp_path / "actions"
    (actions / f".{ids[0]}.tmp").write_text(header + rows)
    (actions / f".{ids[0]}.tmp").rename(actions / f"from-{ids[0]}.csv")
    return ids


def _env(tmp_path: Path, sandbox: Served, state_url: str) -> dict[str, str]:
    return env_for(
        tmp_path,
        sandbox,
        state_url=state_url,
        **sink_env(tmp_path),
        VTEXBRIDGE_ORDERS__FEED__EMPTY_POLL_S="0.2",
        VTEXBRIDGE_ORDERS__ACTIONS__FOLDER=str(tmp_path / "actions"),
        VTEXBRIDGE_ORDERS__ACTIONS__MIN_AGE_S="0",
        VTEXBRIDGE_ORDERS__ACTIONS__SCAN_INTERVAL_S="0.2",
        VTEXBRIDGE_ORDERS__ACTIONS__POLL_S="0.1",
        VTEXBRIDGE_ORDERS__ACTIONS__VISIBILITY_S="3",
        VTEXBRIDGE_ORDERS__ACTIONS__MAX_ATTEMPTS="200",
        VTEXBRIDGE_ORDERS__ACTIONS__BACKOFF_S="0.1",
        VTEXBRIDGE_ORDERS__ACTIONS__BACKOFF_MAX_S="0.5",
        VTEXBRIDGE_ORDERS__DELIVERY_CLAIM_S="3",  # a claim of a killed worker frees its order soon
        VTEXBRIDGE_VTEX__MAX_RETRIES="3",
        VTEXBRIDGE_VTEX__BACKOFF_BASE_S="0.02",
        VTEXBRIDGE_VTEX__BACKOFF_MAX_S="0.2",
    )


def _accepted_per_order(sandbox: Served, route: str, method: str) -> Counter[str]:
    with admin(sandbox) as api:
        entries = api.get("/_sandbox/requests", params={"route": route, "method": method}).json()["entries"]
    return Counter(e["path"].split("/")[5] for e in entries if 200 <= e["status"] < 300)


def _overlapping(offs: list[HandOff]) -> bool:
    """Two hand-offs of one key by different workers in hand at the same time."""
    return any(
        a.pid != b.pid and a.started < b.accepted and b.started < a.accepted
        for i, a in enumerate(offs)
        for b in offs[i + 1 :]
    )


def _done(sandbox: Served, state_url: str) -> bool:
    with admin(sandbox) as api:
        statuses = {o["status"] for o in api.get("/_sandbox/orders").json()["orders"]}
    if statuses != {"invoiced"}:
        return False
    with StateStore(state_url) as state:
        actions = state.actions.list_for("sandbox", limit=3 * N)
    return len(actions) == 2 * N and {a.state for a in actions} == {"done"}


def _kill_and_check(tmp_path: Path, sandbox: Served, state_url: str, workers: int) -> None:
    seed = int(os.environ.get("VTEXBRIDGE_TEST_KILL_SEED") or random.SystemRandom().randrange(10**9))
    _log.warning("random kills: seed %d (replay: VTEXBRIDGE_TEST_KILL_SEED=%d)", seed, seed)
    rng = random.Random(seed)
    _prepare(tmp_path, sandbox, seed)
    ids = _place(tmp_path, sandbox, N - 2 * KILLS)
    run = Run(tmp_path, _env(tmp_path, sandbox, state_url), state_url, seed)
    try:
        for slot in range(workers):
            run.start(slot)
        for _ in range(KILLS):
            ids += _place(tmp_path, sandbox, 2)  # orders keep arriving: kills land in deliveries too
            slot = rng.randrange(workers)
            run.kill(slot, rng.uniform(0.7, 2.2))  # from start-up (imports: ~1 s) to full work
            run.start(slot)
        deadline = time.monotonic() + 120
        while not _done(sandbox, state_url):
            assert time.monotonic() < deadline, (
                f"not every order invoiced and action done in 120 s (seed {seed})"
            )
            time.sleep(0.5)
    finally:
        run.stop_all()
    where = f"seed {seed}; {'; '.join(run.kills)}"
    offs = hand_offs(tmp_path / "writes.log")
    by_key: dict[str, list[HandOff]] = {}
    for h in offs:
        by_key.setdefault(h.key, []).append(h)
    keys = {f"{o}:ready-for-handling" for o in ids}
    _log.warning(
        "%d hand-offs for %d orders; %d acceptance(s) orphaned by the kills; %s",
        len(offs),
        len(keys),
        sum(run.orphans.values()),
        where,
    )
    assert set(by_key) == keys, where  # none lost
    for key, those in by_key.items():  # none handed twice but after a kill that orphaned it
        assert not _overlapping(those), f"{key} in the hands of two workers at once: {where}"
        allowed = 1 + run.orphans[key]
        assert len(those) <= allowed, f"{key} handed {len(those)} times, orphaned {run.orphans[key]}: {where}"
    assert sorted(p.name for p in (tmp_path / "erp").iterdir()) == sorted(
        f"{k.replace(':', '.')}.json" for k in keys
    )
    if workers > 1:
        assert len({h.pid for h in offs}) >= workers, where  # more than one worker delivered
        with StateStore(state_url) as state:
            claimed = {
                a.claimed_by.split(":")[1]
                for a in state.actions.list_for("sandbox", limit=3 * N)
                if a.claimed_by
            }
        assert len(claimed) >= 2, where  # and more than one process ran actions
    with admin(sandbox) as api:
        log = api.get("/_sandbox/requests").json()
    assert log["cursor"] <= 10_000, "the request log dropped entries: per-order counts would be partial"
    for route, method, what in (
        (START, "POST", "start-handling"),
        (INVOICE, "POST", "invoice"),
        (TRACKING, "PATCH", "tracking"),
    ):
        accepted = _accepted_per_order(sandbox, route, method)
        assert accepted == Counter(dict.fromkeys(ids, 1)), f"{what} not accepted once per order: {where}"
    assert list((tmp_path / "actions" / "rejected").iterdir()) == [], where
    assert len(run.kills) >= KILLS


def test_random_sigkills_on_sqlite(tmp_path: Path, sandbox: Served) -> None:
    _kill_and_check(tmp_path, sandbox, f"sqlite:///{tmp_path / 'state.db'}", workers=1)


@pytest.mark.pg
def test_random_sigkills_of_two_workers_on_postgresql(tmp_path: Path, sandbox: Served, pg_state: str) -> None:
    _kill_and_check(tmp_path, sandbox, pg_state, workers=2)
