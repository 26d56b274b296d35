"""Several workers sharing one store: each thread opens its own StateStore (its own connections), as
separate processes on separate machines would. The point is PostgreSQL (``SKIP LOCKED`` and the
one-running-action-per-order index); SQLite runs the same tests through its single writer."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from vtexbridge.errors import StateLocked
from vtexbridge.state import StateStore, migrations
from vtexbridge.state.engine import create_state_engine

WORKERS = 4
DEADLINE_S = 20.0


def run_threads(n: int, target: Callable[[int], None]) -> None:
    """Run ``target(i)`` in ``n`` threads started together; re-raise the first failure."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def wrapped(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S + 10)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    if errors:
        raise errors[0]


def test_inbox_items_are_claimed_exactly_once(state_url: str) -> None:
    with StateStore(state_url) as store:
        ids = [store.inbox.put("acc", {"OrderId": f"o-{i}"}) for i in range(120)]
    claims: Counter[int] = Counter()
    lock = threading.Lock()

    def worker(i: int) -> None:
        name = f"w{i}"
        with StateStore(state_url) as store:
            while items := store.inbox.claim(5, name):
                with lock:
                    claims.update(item.id for item in items)
                assert store.inbox.finish([item.id for item in items], worker=name) == len(items)

    run_threads(WORKERS, worker)
    assert sorted(claims) == ids
    assert set(claims.values()) == {1}


def test_actions_never_run_twice_nor_two_of_one_order_at_once(state_url: str) -> None:
    orders, per_order = 6, 5
    with StateStore(state_url) as store:
        for k in range(per_order):  # interleaved, as ERP files would arrive
            for o in range(orders):
                store.actions.enqueue("acc", f"o-{o}", "tracking", {"k": k})
    total = orders * per_order
    lock = threading.Lock()
    running: dict[str, str] = {}
    overlaps: list[str] = []
    claims: Counter[int] = Counter()
    finished_by_order: defaultdict[str, list[int]] = defaultdict(list)
    finished = 0

    def worker(i: int) -> None:
        nonlocal finished
        name = f"w{i}"
        deadline = time.monotonic() + DEADLINE_S
        with StateStore(state_url) as store:
            while time.monotonic() < deadline:
                action = store.actions.claim_next(name)
                if action is None:
                    with lock:
                        if finished == total:
                            return
                    time.sleep(0.002)
                    continue
                with lock:
                    if action.order_id in running:
                        overlaps.append(f"{action.order_id}: {running[action.order_id]} and {name}")
                    running[action.order_id] = name
                    claims[action.id] += 1
                time.sleep(0.001)  # "calling VTEX"
                with lock:
                    del running[action.order_id]  # before the finish commits, so no false alarm
                    finished_by_order[action.order_id].append(action.id)
                assert store.actions.finish(action.id, "done", worker=name)
                with lock:
                    finished += 1
        raise AssertionError("deadline passed with actions left")

    run_threads(WORKERS, worker)
    assert overlaps == []
    assert len(claims) == total and set(claims.values()) == {1}
    for order, done in finished_by_order.items():
        assert done == sorted(done), f"{order} ran out of order: {done}"
    with StateStore(state_url) as store:
        assert {a.state for a in store.actions.list_for("acc")} == {"done"}


def test_one_lease_holder_among_racing_processes(state_url: str) -> None:
    won: list[str] = []

    def contender(i: int) -> None:
        with StateStore(state_url) as store:
            if store.leases.acquire("run:sync:acc", f"h{i}", timedelta(minutes=1)):
                won.append(f"h{i}")

    run_threads(WORKERS, contender)
    assert len(won) == 1


def test_racing_deliveries_and_invoices_are_recorded_once(state_url: str) -> None:
    new_deliveries: list[bool] = []
    queued: list[tuple[int, bool]] = []

    def worker(i: int) -> None:
        with StateStore(state_url) as store:
            new_deliveries.append(
                store.orders.record_delivery("acc", "o-1", "ready-for-handling", sink=f"s{i}")
            )
            queued.append(store.actions.enqueue("acc", "o-1", "invoice", {}, dedup_key="invoice:NF-9"))

    run_threads(WORKERS, worker)
    assert sorted(new_deliveries) == [False] * (WORKERS - 1) + [True]
    assert len({action_id for action_id, _ in queued}) == 1
    assert sum(new for _, new in queued) == 1


def test_concurrent_upgrades_from_several_processes_take_turns(empty_url: str) -> None:
    # Each process imports first, then sleeps until the common start time, so the migrations overlap.
    code = (
        "import sys, time; from vtexbridge.state.migrations import upgrade; "
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); upgrade(sys.argv[1])"
    )
    start = str(time.time() + 1.5)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, empty_url, start], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outcomes = [(p.communicate(timeout=60)[1].decode(), p.returncode) for p in procs]
    assert [err for err, rc in outcomes if rc != 0] == []
    assert migrations.current_revision(empty_url) == migrations.head_revision()


def test_a_writer_blocked_past_the_busy_timeout_gets_state_locked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    migrations.upgrade(url)
    holder = create_state_engine(url)
    impatient = create_state_engine(url, busy_timeout_s=0.05)
    try:
        with holder.begin() as conn, StateStore(impatient) as store:
            conn.exec_driver_sql("INSERT INTO kv (scope, key, value, updated_at) VALUES ('a', 'b', '1', '')")
            assert store.values.get("s", "k") is None  # readers are not blocked (WAL)
            with pytest.raises(StateLocked, match="busy"):
                store.values.put("s", "k", 1)
    finally:
        holder.dispose()
        impatient.dispose()
