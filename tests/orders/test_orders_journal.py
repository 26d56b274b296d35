"""The per-order journal (capped, diagnostic) and listing the orders the pipeline knows."""

from __future__ import annotations

from pathlib import Path

from vtexbridge.clock import FakeClock
from vtexbridge.orders.journal import MAX_ERRORS, MAX_SEEN, Journal, JournalEntry
from vtexbridge.state import StateStore


def test_journal_is_capped_and_errors_can_be_cleared(tmp_path: Path) -> None:
    clock = FakeClock(start=1_700_000_000)
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", create=True, clock=clock) as store:
        journal = Journal(store, "acme", clock)
        assert journal.get("O-1") == {"seen": [], "errors": [], "notes": []}
        for n in range(MAX_SEEN + 5):
            journal.add("O-1", JournalEntry(seen={"n": n}, error={"step": "sink", "message": str(n)}))
            clock.advance(1)
        doc = journal.get("O-1")
        assert [s["n"] for s in doc["seen"]] == list(range(5, MAX_SEEN + 5))
        assert len(doc["errors"]) == MAX_ERRORS and doc["errors"][-1]["message"] == str(MAX_SEEN + 4)
        assert doc["seen"][0]["at"].startswith("2023-11-14T")
        journal.add("O-1", JournalEntry(note="replayed", clear_errors=True))
        doc = journal.get("O-1")
        assert doc["errors"] == [] and doc["notes"][0]["note"] == "replayed"
        assert journal.get("O-2")["seen"] == []  # per order


def test_orders_are_listed_most_recent_first(tmp_path: Path) -> None:
    clock = FakeClock(start=1_700_000_000)
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", create=True, clock=clock) as store:
        for n in range(5):
            store.orders.note_status("acme", f"O-{n}", "ready-for-handling")
            clock.advance(1)
        store.orders.note_status("other", "X-1", "canceled")
        clock.advance(1)
        store.orders.mark_handling_started("acme", "O-1")
        listed = store.orders.list_recent("acme", limit=3)
        assert [s.order_id for s in listed] == ["O-1", "O-4", "O-3"]
        assert listed[0].handling_started_at is not None
