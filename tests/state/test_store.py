"""StateStore behaviour, run identically on SQLite and PostgreSQL (the ``store`` fixture is parametrised)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest

from vtexbridge.clock import FakeClock
from vtexbridge.errors import StateError, StateLocked
from vtexbridge.state import (
    Accepted,
    ActionState,
    ErrorRow,
    IndexEntry,
    RunStatus,
    StateStore,
)

ACC = "store1"


def h(value: object) -> bytes:
    return hashlib.blake2b(str(value).encode(), digest_size=16).digest()


# --- entity map -----------------------------------------------------------------------------------


def test_accepted_rows_come_back_in_the_index(store: StateStore) -> None:
    n = store.entities.record_accepted(
        ACC,
        [
            Accepted("sku", "A", "101", h("a"), parent_key="P1"),
            Accepted("sku", "B", "102", h("b"), active=False),
            Accepted("product", "P1", "11", h("p")),
        ],
    )
    assert n == 3
    assert store.entities.load_index(ACC, "sku") == {
        "A": IndexEntry("101", h("a"), True),
        "B": IndexEntry("102", h("b"), False),
    }
    assert store.entities.load_index(ACC, "product") == {"P1": IndexEntry("11", h("p"), True)}
    assert store.entities.load_index("other", "sku") == {}
    rec = store.entities.get(ACC, "sku", "A")
    assert rec is not None and rec.parent_key == "P1" and rec.accepted_at.tzinfo is UTC
    assert store.entities.find_erp_key(ACC, "sku", "102") == "B"
    assert store.entities.find_erp_key(ACC, "sku", "999") is None


def test_accepted_batch_is_idempotent_and_last_row_wins(store: StateStore, clock: FakeClock) -> None:
    rows = [Accepted("sku", str(i), str(1000 + i), h(i)) for i in range(50)]
    store.entities.record_accepted(ACC, rows)
    first = store.entities.load_index(ACC, "sku")
    clock.advance(60)
    store.entities.record_accepted(ACC, rows)
    assert store.entities.load_index(ACC, "sku") == first
    assert store.row_counts()["entity_map"] == 50

    store.entities.record_accepted(
        ACC, [Accepted("sku", "7", "x", h("old")), Accepted("sku", "7", "y", h("new"))]
    )
    assert store.entities.load_index(ACC, "sku")["7"] == IndexEntry("y", h("new"), True)


def test_update_without_vtex_id_keeps_the_known_id(store: StateStore) -> None:
    store.entities.record_accepted(ACC, [Accepted("sku", "A", "101", h(1))])
    store.entities.record_accepted(ACC, [Accepted("sku", "A", None, h(2))])
    assert store.entities.load_index(ACC, "sku")["A"] == IndexEntry("101", h(2), True)


def test_acceptance_clears_the_entitys_error_and_in_flight_mark(store: StateStore) -> None:
    store.entities.record_errors(ACC, [ErrorRow("sku", "A", "bad"), ErrorRow("sku", "B", "bad")])
    store.entities.mark_in_flight(ACC, "sku", ["A", "C"])
    store.entities.record_accepted(ACC, [Accepted("sku", "A", "1", h(1))])
    assert [e.erp_key for e in store.entities.list_errors(ACC)] == ["B"]
    assert [f.erp_key for f in store.entities.list_in_flight(ACC)] == ["C"]


def test_payload_hash_must_be_a_16_byte_digest(store: StateStore) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        store.entities.record_accepted(ACC, [Accepted("sku", "A", "1", hashlib.sha256(b"x").digest())])


def test_forget_entities(store: StateStore) -> None:
    store.entities.record_accepted(ACC, [Accepted("sku", k, k, h(k)) for k in "ABC"])
    assert store.entities.forget(ACC, "sku", ["A", "B", "Z"]) == 2
    assert list(store.entities.load_index(ACC, "sku")) == ["C"]


def test_many_keys_are_chunked(store: StateStore) -> None:
    keys = [f"K{i}" for i in range(1_234)]
    store.entities.record_errors(ACC, [ErrorRow("sku", k, "bad") for k in keys])
    store.entities.mark_in_flight(ACC, "sku", keys)
    store.entities.record_accepted(ACC, [Accepted("sku", k, k, h(k)) for k in keys])
    assert store.entities.list_errors(ACC) == [] and store.entities.list_in_flight(ACC) == []
    assert store.entities.forget(ACC, "sku", keys) == len(keys)


# --- errors, in flight, runs ----------------------------------------------------------------------


def test_errors_keep_first_seen_and_count_attempts(store: StateStore, clock: FakeClock) -> None:
    run = store.runs.start(ACC)
    store.entities.record_errors(ACC, [ErrorRow("sku", "A", "price missing", field="price")], run_id=run)
    first_seen = store.entities.list_errors(ACC)[0].first_seen
    clock.advance(30)
    store.entities.record_errors(
        ACC,
        [
            ErrorRow(
                "sku",
                "A",
                "VTEX refused the SKU",
                source="skus.csv:12",
                vtex_status=400,
                vtex_code="C001",
                vtex_message="RefId already exists",
            ),
            ErrorRow("brand", "X", "no name", field="name"),
        ],
        run_id=run,
    )
    sku_errors = store.entities.list_errors(ACC, "sku")
    assert len(sku_errors) == 1
    err = sku_errors[0]
    assert (err.attempts, err.first_seen, err.last_seen) == (
        2,
        first_seen,
        first_seen + timedelta(seconds=30),
    )
    assert (err.message, err.field, err.vtex_status, err.vtex_message) == (
        "VTEX refused the SKU",
        None,
        400,
        "RefId already exists",
    )
    assert err.run_id == run and err.source == "skus.csv:12"
    assert store.entities.count_errors(ACC) == {"sku": 1, "brand": 1}
    assert store.entities.clear_errors(ACC, "brand", ["X"]) == 1
    assert [e.kind for e in store.entities.list_errors(ACC)] == ["sku"]


def test_in_flight_marks(store: StateStore) -> None:
    run = store.runs.start(ACC)
    store.entities.mark_in_flight(ACC, "sku", ["A", "B", "A"], run_id=run)
    store.entities.mark_in_flight(ACC, "product", ["P"], operation="update")
    assert [(f.kind, f.erp_key, f.operation) for f in store.entities.list_in_flight(ACC)] == [
        ("product", "P", "update"),
        ("sku", "A", "create"),
        ("sku", "B", "create"),
    ]
    assert store.entities.clear_in_flight(ACC, "sku", ["A"]) == 1
    assert [f.erp_key for f in store.entities.list_in_flight(ACC, "sku")] == ["B"]


def test_runs(store: StateStore, clock: FakeClock) -> None:
    first = store.runs.start(ACC, holder="host:1")
    clock.advance(5)
    store.runs.finish(first, RunStatus.PARTIAL, counts={"sku": {"create": 3}}, requests=9, errors=1)
    second = store.runs.start(ACC, "orders")
    store.runs.start("other")
    runs = store.runs.list_recent(ACC)
    assert [r.id for r in runs] == [second, first]
    done = runs[1]
    assert (done.status, done.counts, done.requests, done.errors, done.holder) == (
        "partial",
        {"sku": {"create": 3}},
        9,
        1,
        "host:1",
    )
    assert done.finished_at is not None and done.finished_at - done.started_at == timedelta(seconds=5)
    assert runs[0].status == "running" and runs[0].finished_at is None
    assert [r.id for r in store.runs.list_recent(ACC, flow="orders")] == [second]
    with pytest.raises(StateError, match="no run"):
        store.runs.finish(999_999, "failed")
    with pytest.raises(ValueError):
        store.runs.finish(first, "nonsense")


# --- orders ---------------------------------------------------------------------------------------


def test_record_delivery_is_new_only_once(store: StateStore, clock: FakeClock) -> None:
    assert store.orders.record_delivery(
        ACC, "o-1", "ready-for-handling", sink="folder", erp_ref="in/o-1.json"
    )
    assert not store.orders.record_delivery(ACC, "o-1", "ready-for-handling", sink="folder")
    clock.advance(1)
    assert store.orders.record_delivery(ACC, "o-1", "canceled", sink="folder")
    got = store.orders.get_delivery(ACC, "o-1", "ready-for-handling")
    assert got is not None and got.erp_ref == "in/o-1.json"
    assert store.orders.get_delivery(ACC, "o-1", "invoiced") is None
    assert [d.status for d in store.orders.list_deliveries(ACC, "o-1")] == ["ready-for-handling", "canceled"]


def test_order_status_ignores_older_events(store: StateStore) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    assert store.orders.note_status(ACC, "o-1", "handling", changed_at=t0 + timedelta(minutes=5))
    assert not store.orders.note_status(ACC, "o-1", "ready-for-handling", changed_at=t0)
    state = store.orders.get(ACC, "o-1")
    assert state is not None and state.last_status == "handling"
    assert store.orders.note_status(ACC, "o-1", "invoiced", changed_at=t0 + timedelta(minutes=9))
    assert store.orders.get(ACC, "o-1").last_status == "invoiced"  # type: ignore[union-attr]
    assert store.orders.get(ACC, "nope") is None


def test_handling_is_started_once(store: StateStore) -> None:
    assert store.orders.mark_handling_started(ACC, "o-1")
    assert not store.orders.mark_handling_started(ACC, "o-1")
    store.orders.note_status(ACC, "o-2", "ready-for-handling")
    assert store.orders.mark_handling_started(ACC, "o-2")
    state = store.orders.get(ACC, "o-2")
    assert (
        state is not None
        and state.handling_started_at is not None
        and state.last_status == "ready-for-handling"
    )


def test_feed_events_dedup_and_pruning(store: StateStore, clock: FakeClock) -> None:
    assert not store.feed.is_seen(ACC, "e1")
    store.feed.mark(ACC, ["e1", "e2"])
    store.feed.mark(ACC, ["e1"], committed=True)
    assert store.feed.is_seen(ACC, "e1")
    assert not store.feed.is_seen("other", "e1")
    assert store.feed.seen(ACC, ["e1", "e2", "e3"]) == {"e1", "e2"}
    clock.advance(3600)
    store.feed.mark(ACC, ["e3"])
    assert store.feed.prune(clock.now() - timedelta(minutes=30)) == 2
    assert store.feed.seen(ACC, ["e1", "e2", "e3"]) == {"e3"}


# --- hook inbox -----------------------------------------------------------------------------------


def test_inbox_claims_oldest_first_and_never_twice(store: StateStore) -> None:
    ids = [store.inbox.put(ACC, {"OrderId": f"o-{i}", "State": "ready-for-handling"}) for i in range(5)]
    first = store.inbox.claim(3, "w1")
    assert [i.id for i in first] == ids[:3]
    assert first[0].body == {"OrderId": "o-0", "State": "ready-for-handling"}
    assert all(i.state == "claimed" and i.claimed_by == "w1" and i.attempts == 1 for i in first)
    second = store.inbox.claim(10, "w2")
    assert [i.id for i in second] == ids[3:]
    assert store.inbox.claim(10, "w3") == []
    assert store.inbox.finish([ids[0], ids[3]], worker="w1") == 1  # ids[3] belongs to w2
    assert store.inbox.finish([ids[3]]) == 1


def test_inbox_retry_later_and_abandoned_claims(store: StateStore, clock: FakeClock) -> None:
    a = store.inbox.put(ACC, {"n": 1})
    b = store.inbox.put("other", {"n": 2})
    assert [i.id for i in store.inbox.claim(5, "w1", account=ACC)] == [a]
    assert store.inbox.retry(a, error="sink down", at=clock.now() + timedelta(seconds=60))
    assert [i.id for i in store.inbox.claim(5, "w1")] == [b]
    clock.advance(61)
    again = store.inbox.claim(5, "w1")
    assert [(i.id, i.attempts, i.last_error) for i in again] == [(a, 2, "sink down")]
    # w1 dies holding both: after the visibility timeout another worker gets them.
    assert store.inbox.claim(5, "w2", visibility=timedelta(minutes=5)) == []
    clock.advance(301)
    assert [i.id for i in store.inbox.claim(5, "w2", visibility=timedelta(minutes=5))] == [a, b]
    assert store.inbox.finish([a, b], worker="w1") == 0
    assert store.inbox.finish([a, b], worker="w2") == 2
    clock.advance(10)
    assert store.inbox.prune(clock.now()) == 2
    assert store.row_counts()["hook_inbox"] == 0


# --- actions outbox -------------------------------------------------------------------------------


def test_enqueue_action_refuses_a_second_dedup_key(store: StateStore) -> None:
    first, new = store.actions.enqueue(
        ACC, "o-1", "invoice", {"invoiceNumber": "NF-1"}, dedup_key="invoice:NF-1"
    )
    assert new
    again, new = store.actions.enqueue(
        ACC, "o-1", "invoice", {"invoiceNumber": "NF-1"}, dedup_key="invoice:NF-1"
    )
    assert (again, new) == (first, False)
    other, new = store.actions.enqueue("other", "o-1", "invoice", {}, dedup_key="invoice:NF-1")
    assert new and other != first
    no_key_1, _ = store.actions.enqueue(ACC, "o-1", "tracking", {})
    no_key_2, _ = store.actions.enqueue(ACC, "o-1", "tracking", {})
    assert no_key_1 != no_key_2
    found = store.actions.find(ACC, "invoice:NF-1")
    assert found is not None and found.id == first and found.payload == {"invoiceNumber": "NF-1"}


def test_actions_of_one_order_run_one_at_a_time_in_order(store: StateStore) -> None:
    inv, _ = store.actions.enqueue(ACC, "o-1", "invoice", {"n": 1}, source_ref="out/inv1.json")
    trk, _ = store.actions.enqueue(ACC, "o-1", "tracking", {"n": 2})
    other, _ = store.actions.enqueue(ACC, "o-2", "cancel", {})
    a = store.actions.claim_next("w1")
    assert a is not None and (a.id, a.state, a.attempts, a.source_ref) == (inv, "running", 1, "out/inv1.json")
    b = store.actions.claim_next("w2")
    assert b is not None and b.id == other  # o-1's tracking waits for its invoice
    assert store.actions.claim_next("w3") is None
    assert store.actions.finish(inv, ActionState.DONE, worker="w1")
    c = store.actions.claim_next("w3")
    assert c is not None and c.id == trk


def test_rejected_action_keeps_vtex_message_and_unblocks_the_order(store: StateStore) -> None:
    inv, _ = store.actions.enqueue(ACC, "o-1", "invoice", {})
    trk, _ = store.actions.enqueue(ACC, "o-1", "tracking", {})
    store.actions.claim_next("w")
    assert store.actions.finish(inv, "rejected", "Order status should be handling", vtex_status=409)
    assert not store.actions.finish(inv, "done")  # no longer running
    rejected = store.actions.get(inv)
    assert rejected is not None
    assert (rejected.state, rejected.vtex_status, rejected.vtex_message) == (
        "rejected",
        409,
        "Order status should be handling",
    )
    assert rejected.done_at is not None
    nxt = store.actions.claim_next("w")
    assert nxt is not None and nxt.id == trk
    assert [a.id for a in store.actions.list_for(ACC, states=["rejected"])] == [inv]
    with pytest.raises(ValueError, match="final state"):
        store.actions.finish(trk, "pending")


def test_retry_later_holds_back_the_orders_next_actions(store: StateStore, clock: FakeClock) -> None:
    inv, _ = store.actions.enqueue(ACC, "o-1", "invoice", {})
    store.actions.enqueue(ACC, "o-1", "tracking", {})
    store.actions.claim_next("w")
    assert store.actions.retry(inv, at=clock.now() + timedelta(seconds=30), message="429", vtex_status=429)
    assert store.actions.claim_next("w") is None
    clock.advance(31)
    again = store.actions.claim_next("w")
    assert again is not None and (again.id, again.attempts, again.vtex_message) == (inv, 2, "429")


def test_abandoned_action_is_reclaimed_and_the_old_worker_cannot_finish(
    store: StateStore, clock: FakeClock
) -> None:
    inv, _ = store.actions.enqueue(ACC, "o-1", "invoice", {})
    store.actions.claim_next("w1")
    clock.advance(120)
    assert store.actions.heartbeat(inv, "w1")
    clock.advance(299)
    assert store.actions.claim_next("w2") is None  # heartbeat kept it
    clock.advance(2)
    taken = store.actions.claim_next("w2")
    assert taken is not None and (taken.id, taken.claimed_by, taken.attempts) == (inv, "w2", 2)
    assert not store.actions.finish(inv, "done", worker="w1")
    assert not store.actions.heartbeat(inv, "w1")
    assert store.actions.finish(inv, "done", worker="w2")


def test_requeue_after_rejection(store: StateStore) -> None:
    inv, _ = store.actions.enqueue(ACC, "o-1", "invoice", {"v": 1})
    assert not store.actions.requeue(inv)  # pending: nothing to requeue
    store.actions.claim_next("w")
    store.actions.finish(inv, "rejected", "invoiceValue must be > 0")
    assert store.actions.requeue(inv, payload={"v": 2})
    again = store.actions.claim_next("w")
    assert again is not None and again.payload == {"v": 2} and again.attempts == 2


def test_a_requeued_earlier_action_waits_for_the_running_one(store: StateStore) -> None:
    inv, _ = store.actions.enqueue(ACC, "o-1", "invoice", {})
    trk, _ = store.actions.enqueue(ACC, "o-1", "tracking", {})
    store.actions.claim_next("w")
    store.actions.finish(inv, "rejected", "bad invoice")
    running = store.actions.claim_next("w")
    assert running is not None and running.id == trk
    assert store.actions.requeue(inv)
    assert store.actions.claim_next("w2") is None  # o-1 already has a running action
    store.actions.finish(trk, "done")
    again = store.actions.claim_next("w2")
    assert again is not None and again.id == inv


def test_claims_can_be_limited_to_an_account(store: StateStore) -> None:
    store.actions.enqueue("a1", "o-1", "invoice", {})
    mine, _ = store.actions.enqueue("a2", "o-1", "invoice", {})
    got = store.actions.claim_next("w", account="a2")
    assert got is not None and got.id == mine


# --- leases, kv -----------------------------------------------------------------------------------


def test_lease_is_exclusive_until_it_expires(store: StateStore, clock: FakeClock) -> None:
    ttl = timedelta(seconds=30)
    assert store.leases.acquire("run:sync:acc", "h1", ttl)
    acquired_at = store.leases.get("run:sync:acc").acquired_at  # type: ignore[union-attr]
    assert not store.leases.acquire("run:sync:acc", "h2", ttl)
    clock.advance(20)
    assert store.leases.acquire("run:sync:acc", "h1", ttl)  # re-entrant: extends
    lease = store.leases.get("run:sync:acc")
    assert lease is not None and lease.acquired_at == acquired_at
    assert lease.expires_at == clock.now() + ttl
    clock.advance(20)
    assert store.leases.renew("run:sync:acc", "h1", ttl)
    assert not store.leases.renew("run:sync:acc", "h2", ttl)
    clock.advance(31)
    assert store.leases.acquire("run:sync:acc", "h2", ttl)  # expired: taken over
    assert not store.leases.renew("run:sync:acc", "h1", ttl)
    assert not store.leases.release("run:sync:acc", "h1")
    with pytest.raises(StateLocked, match="held by h2"):
        store.leases.require("run:sync:acc", "h1", ttl)
    assert store.leases.release("run:sync:acc", "h2")
    store.leases.require("run:sync:acc", "h1", ttl)
    assert store.leases.get("run:sync:acc").holder == "h1"  # type: ignore[union-attr]


def test_kv_values(store: StateStore) -> None:
    assert store.values.get("feed", "cursor") is None
    assert store.values.get("feed", "cursor", default=0) == 0
    store.values.put("feed", "cursor", {"lastChange": "2026-01-01T00:00:00Z"})
    store.values.put("feed", "cursor", {"lastChange": "2026-01-02T00:00:00Z", "n": [1, 2]})
    assert store.values.get("feed", "cursor") == {"lastChange": "2026-01-02T00:00:00Z", "n": [1, 2]}


def test_timestamps_are_utc_and_naive_ones_are_refused(store: StateStore) -> None:
    store.actions.enqueue(ACC, "o-1", "invoice", {}, available_at=datetime(2026, 1, 1, 12, tzinfo=UTC))
    action = store.actions.list_for(ACC)[0]
    assert action.available_at == datetime(2026, 1, 1, 12, tzinfo=UTC) and action.available_at.tzinfo is UTC
    with pytest.raises(ValueError, match="naive datetime"):
        store.actions.enqueue(ACC, "o-2", "invoice", {}, available_at=datetime(2026, 1, 1))


def test_row_counts_cover_every_table(store: StateStore) -> None:
    counts = store.row_counts()
    assert set(counts) >= {"entity_map", "entity_error", "action_outbox", "hook_inbox", "lease", "kv"}
    assert set(counts.values()) == {0}


# --- volume ---------------------------------------------------------------------------------------


def test_100k_entities_write_and_load(state_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Smoke test at volume: 100,000 SKUs in batches of 5,000, then one index load. Prints timings."""
    n, batch = 100_000, 5_000
    rows = [
        Accepted("sku", f"SKU-{i:07d}", str(100_000 + i), h(i), parent_key=f"P-{i // 3}") for i in range(n)
    ]
    with StateStore(state_url) as store:
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            store.entities.record_accepted("volume", rows[i : i + batch])
        t1 = time.perf_counter()
        index = store.entities.load_index("volume", "sku")
        t2 = time.perf_counter()
    assert len(index) == n
    assert index["SKU-0012345"] == IndexEntry("112345", h(12345), True)
    with capsys.disabled():
        dialect = store.engine.dialect.name
        print(f"\n[{dialect}] entities.record_accepted {n:,}: {t1 - t0:.2f}s; load_index: {t2 - t1:.2f}s")
