"""A short, per-order history kept for operators (``vtexbridge orders status``).

The state store holds the facts the guarantees depend on (last status, deliveries, handling started,
the actions outbox); this journal adds what helps a person understand an order: the events seen
(status announced, status found, where from) and the last errors of each step, with their time.
It lives in the store's small-values table (scope ``orders:journal:<account>``, key = order id),
capped so that it stays small. It is diagnostic only: losing an entry never affects delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vtexbridge.clock import Clock
from vtexbridge.state import StateStore

__all__ = ["Journal", "JournalEntry"]

MAX_SEEN = 20
MAX_ERRORS = 10


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What to add to an order's journal in one write."""

    seen: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    note: str | None = None
    clear_errors: bool = False


class Journal:
    """Per-order notes in the state store's ``kv`` table (synchronous; call from a thread)."""

    def __init__(self, store: StateStore, account: str, clock: Clock) -> None:
        self.store = store
        self.scope = f"orders:journal:{account}"
        self.clock = clock

    def get(self, order_id: str) -> dict[str, Any]:
        value = self.store.values.get(self.scope, order_id, None)
        return dict(value) if isinstance(value, dict) else {"seen": [], "errors": [], "notes": []}

    def add(self, order_id: str, entry: JournalEntry) -> None:
        doc = self.get(order_id)
        at = self.clock.now().isoformat()
        if entry.seen is not None:
            doc["seen"] = [*list(doc.get("seen") or []), {**entry.seen, "at": at}][-MAX_SEEN:]
        if entry.clear_errors:
            doc["errors"] = []
        if entry.error is not None:
            doc["errors"] = [*list(doc.get("errors") or []), {**entry.error, "at": at}][-MAX_ERRORS:]
        if entry.note is not None:
            doc["notes"] = [*list(doc.get("notes") or []), {"note": entry.note, "at": at}][-MAX_ERRORS:]
        self.store.values.put(self.scope, order_id, doc)
