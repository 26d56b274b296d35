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
    n = store.record_accepted_batch(
        ACC,
        [
            Accepted("sku", "A", "101", h("a"), parent_key="P1"),
            Accepted("sku", "B", "102", h("b"), active=False),
            Accepted("product", "P1", "11", h("p")),
        ],
    )
    assert n == 3
    assert store.load_entity_index(ACC, "sku") == {
        "A": IndexEntry("101", h("a"), True),
        "B": IndexEntry("102", h("b"), False),
    }
    assert store.load_entity_index(ACC, "product") == {"P1": IndexEntry("11", h("p"), True)}
    assert store.load_entity_index("other", "sku") == {}
    rec = store.get_entity(ACC, "sku", "A")
    assert rec is not None and rec.parent_key == "P1" and rec.accepted_at.tzinfo is UTC
    assert store.find_erp_key(ACC, "sku", "102") == "B"
    assert store.find_erp_key(ACC, "sku", "999") is None


def test_accepted_batch_is_idempotent_and_last_row_wins(store: StateStore, clock: FakeClock) -> None:
    rows = [Accepted("sku", str(i), str(1000 + i), h(i)) for i in range(50)]
    store.record_accepted_batch(ACC, rows)
    first = store.load_entity_index(ACC, "sku")
    clock.advance(60)
    store.record_accepted_batch(ACC, rows)
    assert store.load_entity_index(ACC, "sku") == first
    assert store.row_counts()["entity_map"] == 50

    store.record_accepted_batch(
        ACC, [Accepted("sku", "7", "x", h("old")), Accepted("sku", "7", "y", h("new"))]
    )
    assert store.load_entity_index(ACC, "sku")["7"] == IndexEntry("y", h("new"), True)


def test_update_without_vtex_id_keeps_the_known_id(store: StateStore) -> None:
    store.record_accepted_batch(ACC, [Accepted("sku", "A", "101", h(1))])
    store.record_accepted_batch(ACC, [Accepted("sku", "A", None, h(2))])
    assert store.load_entity_index(ACC, "sku")["A"] == IndexEntry("101", h(2), True)


def test_acceptance_clears_the_entitys_error_and_in_flight_mark(store: StateStore) -> None:
    store.record_errors_batch(ACC, [ErrorRow("sku", "A", "bad"), ErrorRow("sku", "B", "bad")])
    store.mark_in_flight(ACC, "sku", ["A", "C"])
    store.record_accepted_batch(ACC, [Accepted("sku", "A", "1", h(1))])
    assert [e.erp_key for e in store.list_errors(ACC)] == ["B"]
    assert [f.erp_key for f in store.list_in_flight(ACC)] == ["C"]


def test_payload_hash_must_be_a_16_byte_digest(store: StateStore) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        store.record_accepted_batch(ACC, [Accepted("sku", "A", "1", hashlib.sha256(b"x").digest())])


def test_forget_entities(store: StateStore) -> None:
    store.record_accepted_batch(ACC, [Accepted("sku", k, k, h(k)) for k in "ABC"])
    assert store.forget_entities(ACC, "sku", ["A", "B", "Z"]) == 2
    assert list(store.load_entity_index(ACC, "sku")) == ["C"]


def test_many_keys_are_chunked(store: StateStore) -> None:
    keys = [f"K{i}" for i in range(1_234)]
    store.record_errors_batch(ACC, [ErrorRow("sku", k, "bad") for k in keys])
    store.mark_in_flight(ACC, "sku", keys)
    store.record_accepted_batch(ACC, [Accepted("sku", k, k, h(k)) for k in keys])
    assert store.list_errors(ACC) == [] and store.list_in_flight(ACC) == []
    assert store.forget_entities(ACC, "sku", keys) == len(keys)


# --- errors, in flight, runs ----------------------------------------------------------------------


def test_errors_keep_first_seen_and_count_attempts(store: StateStore, clock: FakeClock) -> None:
    run = store.start_run(ACC)
    store.record_errors_batch(ACC, [ErrorRow("sku", "A", "price missing", field="price")], run_id=run)
    first_seen = store.list_errors(ACC)[0].first_seen
    clock.advance(30)
    store.record_errors_batch(
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
    sku_errors = store.list_errors(ACC, "sku")
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
    assert store.count_errors(ACC) == {"sku": 1, "brand": 1}
    assert store.clear_errors(ACC, "brand", ["X"]) == 1
    assert [e.kind for e in store.list_errors(ACC)] == ["sku"]


def test_in_flight_marks(store: StateStore) -> None:
    run = store.start_run(ACC)
    store.mark_in_flight(ACC, "sku", ["A", "B", "A"], run_id=run)
    store.mark_in_flight(ACC, "product", ["P"], operation="update")
    assert [(f.kind, f.erp_key, f.operation) for f in store.list_in_flight(ACC)] == [
        ("product", "P", "update"),
        ("sku", "A", "create"),
        ("sku", "B", "create"),
    ]
    assert store.clear_in_flight(ACC, "sku", ["A"]) == 1
    assert [f.erp_key for f in store.list_in_flight(ACC, "sku")] == ["B"]


def test_runs(store: StateStore, clock: FakeClock) -> None:
    first = store.start_run(ACC, holder="host:1")
    clock.advance(5)
    store.finish_run(first, RunStatus.PARTIAL, counts={"sku": {"create": 3}}, requests=9, errors=1)
    second = store.start_run(ACC, "orders")
    store.start_run("other")
    runs = store.list_runs(ACC)
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
    assert [r.id for r in store.list_runs(ACC, flow="orders")] == [second]
    with pytest.raises(StateError, match="no run"):
        store.finish_run(999_999, "failed")
    with pytest.raises(ValueError):
        store.finish_run(first, "nonsense")


# --- orders ---------------------------------------------------------------------------------------


def test_record_delivery_is_new_only_once(store: StateStore, clock: FakeClock) -> None:
    assert store.record_delivery(ACC, "o-1", "ready-for-handling", sink="folder", erp_ref="in/o-1.json")
    assert not store.record_delivery(ACC, "o-1", "ready-for-handling", sink="folder")
    clock.advance(1)
    assert store.record_delivery(ACC, "o-1", "canceled", sink="folder")
    got = store.get_delivery(ACC, "o-1", "ready-for-handling")
    assert got is not None and got.erp_ref == "in/o-1.json"
    assert store.get_delivery(ACC, "o-1", "invoiced") is None
    assert [d.status for d in store.list_deliveries(ACC, "o-1")] == ["ready-for-handling", "canceled"]


def test_order_status_ignores_older_events(store: StateStore) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    assert store.note_order_status(ACC, "o-1", "handling", changed_at=t0 + timedelta(minutes=5))
    assert not store.note_order_status(ACC, "o-1", "ready-for-handling", changed_at=t0)
    state = store.get_order_state(ACC, "o-1")
    assert state is not None and state.last_status == "handling"
    assert store.note_order_status(ACC, "o-1", "invoiced", changed_at=t0 + timedelta(minutes=9))
    assert store.get_order_state(ACC, "o-1").last_status == "invoiced"  # type: ignore[union-attr]
    assert store.get_order_state(ACC, "nope") is None


def test_handling_is_started_once(store: StateStore) -> None:
    assert store.mark_handling_started(ACC, "o-1")
    assert not store.mark_handling_started(ACC, "o-1")
    store.note_order_status(ACC, "o-2", "ready-for-handling")
    assert store.mark_handling_started(ACC, "o-2")
    state = store.get_order_state(ACC, "o-2")
    assert (
        state is not None
        and state.handling_started_at is not None
        and state.last_status == "ready-for-handling"
    )


def test_feed_events_dedup_and_pruning(store: StateStore, clock: FakeClock) -> None:
    assert not store.feed_event_seen(ACC, "e1")
    store.mark_feed_events(ACC, ["e1", "e2"])
    store.mark_feed_events(ACC, ["e1"], committed=True)
    assert store.feed_event_seen(ACC, "e1")
    assert not store.feed_event_seen("other", "e1")
    assert store.seen_feed_events(ACC, ["e1", "e2", "e3"]) == {"e1", "e2"}
    clock.advance(3600)
    store.mark_feed_events(ACC, ["e3"])
    assert store.prune_feed_events(clock.now() - timedelta(minutes=30)) == 2
    assert store.seen_feed_events(ACC, ["e1", "e2", "e3"]) == {"e3"}


# --- hook inbox -----------------------------------------------------------------------------------


def test_inbox_claims_oldest_first_and_never_twice(store: StateStore) -> None:
    ids = [store.put_inbox(ACC, {"OrderId": f"o-{i}", "State": "ready-for-handling"}) for i in range(5)]
    first = store.claim_inbox(3, "w1")
    assert [i.id for i in first] == ids[:3]
    assert first[0].body == {"OrderId": "o-0", "State": "ready-for-handling"}
    assert all(i.state == "claimed" and i.claimed_by == "w1" and i.attempts == 1 for i in first)
    second = store.claim_inbox(10, "w2")
    assert [i.id for i in second] == ids[3:]
    assert store.claim_inbox(10, "w3") == []
    assert store.finish_inbox([ids[0], ids[3]], worker="w1") == 1  # ids[3] belongs to w2
    assert store.finish_inbox([ids[3]]) == 1


def test_inbox_retry_later_and_abandoned_claims(store: StateStore, clock: FakeClock) -> None:
    a = store.put_inbox(ACC, {"n": 1})
    b = store.put_inbox("other", {"n": 2})
    assert [i.id for i in store.claim_inbox(5, "w1", account=ACC)] == [a]
    assert store.retry_inbox(a, error="sink down", at=clock.now() + timedelta(seconds=60))
    assert [i.id for i in store.claim_inbox(5, "w1")] == [b]
    clock.advance(61)
    again = store.claim_inbox(5, "w1")
    assert [(i.id, i.attempts, i.last_error) for i in again] == [(a, 2, "sink down")]
    # w1 dies holding both: after the visibility timeout another worker gets them.
    assert store.claim_inbox(5, "w2", visibility=timedelta(minutes=5)) == []
    clock.advance(301)
    assert [i.id for i in store.claim_inbox(5, "w2", visibility=timedelta(minutes=5))] == [a, b]
    assert store.finish_inbox([a, b], worker="w1") == 0
    assert store.finish_inbox([a, b], worker="w2") == 2
    clock.advance(10)
    assert store.prune_inbox(clock.now()) == 2
    assert store.row_counts()["hook_inbox"] == 0


# --- actions outbox -------------------------------------------------------------------------------


def test_enqueue_action_refuses_a_second_dedup_key(store: StateStore) -> None:
    first, new = store.enqueue_action(
        ACC, "o-1", "invoice", {"invoiceNumber": "NF-1"}, dedup_key="invoice:NF-1"
    )
    assert new
    again, new = store.enqueue_action(
        ACC, "o-1", "invoice", {"invoiceNumber": "NF-1"}, dedup_key="invoice:NF-1"
    )
    assert (again, new) == (first, False)
    other, new = store.enqueue_action("other", "o-1", "invoice", {}, dedup_key="invoice:NF-1")
    assert new and other != first
    no_key_1, _ = store.enqueue_action(ACC, "o-1", "tracking", {})
    no_key_2, _ = store.enqueue_action(ACC, "o-1", "tracking", {})
    assert no_key_1 != no_key_2
    found = store.find_action(ACC, "invoice:NF-1")
    assert found is not None and found.id == first and found.payload == {"invoiceNumber": "NF-1"}


def test_actions_of_one_order_run_one_at_a_time_in_order(store: StateStore) -> None:
    inv, _ = store.enqueue_action(ACC, "o-1", "invoice", {"n": 1}, source_ref="out/inv1.json")
    trk, _ = store.enqueue_action(ACC, "o-1", "tracking", {"n": 2})
    other, _ = store.enqueue_action(ACC, "o-2", "cancel", {})
    a = store.claim_next_action("w1")
    assert a is not None and (a.id, a.state, a.attempts, a.source_ref) == (inv, "running", 1, "out/inv1.json")
    b = store.claim_next_action("w2")
    assert b is not None and b.id == other  # o-1's tracking waits for its invoice
    assert store.claim_next_action("w3") is None
    assert store.finish_action(inv, ActionState.DONE, worker="w1")
    c = store.claim_next_action("w3")
    assert c is not None and c.id == trk


def test_rejected_action_keeps_vtex_message_and_unblocks_the_order(store: StateStore) -> None:
    inv, _ = store.enqueue_action(ACC, "o-1", "invoice", {})
    trk, _ = store.enqueue_action(ACC, "o-1", "tracking", {})
    store.claim_next_action("w")
    assert store.finish_action(inv, "rejected", "Order status should be handling", vtex_status=409)
    assert not store.finish_action(inv, "done")  # no longer running
    rejected = store.get_action(inv)
    assert rejected is not None
    assert (rejected.state, rejected.vtex_status, rejected.vtex_message) == (
        "rejected",
        409,
        "Order status should be handling",
    )
    assert rejected.done_at is not None
    nxt = store.claim_next_action("w")
    assert nxt is not None and nxt.id == trk
    assert [a.id for a in store.list_actions(ACC, states=["rejected"])] == [inv]
    with pytest.raises(ValueError, match="final state"):
        store.finish_action(trk, "pending")


def test_retry_later_holds_back_the_orders_next_actions(store: StateStore, clock: FakeClock) -> None:
    inv, _ = store.enqueue_action(ACC, "o-1", "invoice", {})
    store.enqueue_action(ACC, "o-1", "tracking", {})
    store.claim_next_action("w")
    assert store.retry_action(inv, at=clock.now() + timedelta(seconds=30), message="429", vtex_status=429)
    assert store.claim_next_action("w") is None
    clock.advance(31)
    again = store.claim_next_action("w")
    assert again is not None and (again.id, again.attempts, again.vtex_message) == (inv, 2, "429")


def test_abandoned_action_is_reclaimed_and_the_old_worker_cannot_finish(
    store: StateStore, clock: FakeClock
) -> None:
    inv, _ = store.enqueue_action(ACC, "o-1", "invoice", {})
    store.claim_next_action("w1")
    clock.advance(120)
    assert store.heartbeat_action(inv, "w1")
    clock.advance(299)
    assert store.claim_next_action("w2") is None  # heartbeat kept it
    clock.advance(2)
    taken = store.claim_next_action("w2")
    assert taken is not None and (taken.id, taken.claimed_by, taken.attempts) == (inv, "w2", 2)
    assert not store.finish_action(inv, "done", worker="w1")
    assert not store.heartbeat_action(inv, "w1")
    assert store.finish_action(inv, "done", worker="w2")


def test_requeue_after_rejection(store: StateStore) -> None:
    inv, _ = store.enqueue_action(ACC, "o-1", "invoice", {"v": 1})
    assert not store.requeue_action(inv)  # pending: nothing to requeue
    store.claim_next_action("w")
    store.finish_action(inv, "rejected", "invoiceValue must be > 0")
    assert store.requeue_action(inv, payload={"v": 2})
    again = store.claim_next_action("w")
    assert again is not None and again.payload == {"v": 2} and again.attempts == 2


def test_a_requeued_earlier_action_waits_for_the_running_one(store: StateStore) -> None:
    inv, _ = store.enqueue_action(ACC, "o-1", "invoice", {})
    trk, _ = store.enqueue_action(ACC, "o-1", "tracking", {})
    store.claim_next_action("w")
    store.finish_action(inv, "rejected", "bad invoice")
    running = store.claim_next_action("w")
    assert running is not None and running.id == trk
    assert store.requeue_action(inv)
    assert store.claim_next_action("w2") is None  # o-1 already has a running action
    store.finish_action(trk, "done")
    again = store.claim_next_action("w2")
    assert again is not None and again.id == inv


def test_claims_can_be_limited_to_an_account(store: StateStore) -> None:
    store.enqueue_action("a1", "o-1", "invoice", {})
    mine, _ = store.enqueue_action("a2", "o-1", "invoice", {})
    got = store.claim_next_action("w", account="a2")
    assert got is not None and got.id == mine


# --- leases, kv -----------------------------------------------------------------------------------


def test_lease_is_exclusive_until_it_expires(store: StateStore, clock: FakeClock) -> None:
    ttl = timedelta(seconds=30)
    assert store.acquire_lease("run:sync:acc", "h1", ttl)
    acquired_at = store.get_lease("run:sync:acc").acquired_at  # type: ignore[union-attr]
    assert not store.acquire_lease("run:sync:acc", "h2", ttl)
    clock.advance(20)
    assert store.acquire_lease("run:sync:acc", "h1", ttl)  # re-entrant: extends
    lease = store.get_lease("run:sync:acc")
    assert lease is not None and lease.acquired_at == acquired_at
    assert lease.expires_at == clock.now() + ttl
    clock.advance(20)
    assert store.renew_lease("run:sync:acc", "h1", ttl)
    assert not store.renew_lease("run:sync:acc", "h2", ttl)
    clock.advance(31)
    assert store.acquire_lease("run:sync:acc", "h2", ttl)  # expired: taken over
    assert not store.renew_lease("run:sync:acc", "h1", ttl)
    assert not store.release_lease("run:sync:acc", "h1")
    with pytest.raises(StateLocked, match="held by h2"):
        store.require_lease("run:sync:acc", "h1", ttl)
    assert store.release_lease("run:sync:acc", "h2")
    store.require_lease("run:sync:acc", "h1", ttl)
    assert store.get_lease("run:sync:acc").holder == "h1"  # type: ignore[union-attr]


def test_kv_values(store: StateStore) -> None:
    assert store.get_value("feed", "cursor") is None
    assert store.get_value("feed", "cursor", default=0) == 0
    store.put_value("feed", "cursor", {"lastChange": "2026-01-01T00:00:00Z"})
    store.put_value("feed", "cursor", {"lastChange": "2026-01-02T00:00:00Z", "n": [1, 2]})
    assert store.get_value("feed", "cursor") == {"lastChange": "2026-01-02T00:00:00Z", "n": [1, 2]}


def test_timestamps_are_utc_and_naive_ones_are_refused(store: StateStore) -> None:
    store.enqueue_action(ACC, "o-1", "invoice", {}, available_at=datetime(2026, 1, 1, 12, tzinfo=UTC))
    action = store.list_actions(ACC)[0]
    assert action.available_at == datetime(2026, 1, 1, 12, tzinfo=UTC) and action.available_at.tzinfo is UTC
    with pytest.raises(ValueError, match="naive datetime"):
        store.enqueue_action(ACC, "o-2", "invoice", {}, available_at=datetime(2026, 1, 1))


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
            store.record_accepted_batch("volume", rows[i : i + batch])
        t1 = time.perf_counter()
        index = store.load_entity_index("volume", "sku")
        t2 = time.perf_counter()
    assert len(index) == n
    assert index["SKU-0012345"] == IndexEntry("112345", h(12345), True)
    with capsys.disabled():
        dialect = store.engine.dialect.name
        print(f"\n[{dialect}] record_accepted_batch {n:,}: {t1 - t0:.2f}s; load_entity_index: {t2 - t1:.2f}s")
