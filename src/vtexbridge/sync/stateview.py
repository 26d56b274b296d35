"""What the planner reads of the state, two ways: over the state store, or from plain dicts (tests).

:class:`StoreView` loads one kind's index when the planner asks for it (``entities.load_index``), so
only one kind's index is in memory at a time. :class:`MemoryState` holds everything in dicts and can
apply what an executor would record, which lets unit tests chain plans without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from vtexbridge.state.models import Accepted, IndexEntry
from vtexbridge.state.store import StateStore

__all__ = ["MemoryState", "StoreView"]


class StoreView:
    """The planner's view of one account in a :class:`StateStore`."""

    def __init__(self, store: StateStore, account: str) -> None:
        self.store = store
        self.account = account
        self._in_flight: dict[tuple[str, str], str] | None = None

    def index(self, kind: str) -> dict[str, IndexEntry]:
        return self.store.entities.load_index(self.account, kind)

    def in_flight(self) -> Mapping[tuple[str, str], str]:
        if self._in_flight is None:
            self._in_flight = {
                (f.kind, f.erp_key): f.operation for f in self.store.entities.list_in_flight(self.account)
            }
        return self._in_flight

    def error_keys(self) -> Mapping[str, set[str]]:
        out: dict[str, set[str]] = {}
        for e in self.store.entities.list_errors(self.account):
            out.setdefault(e.kind, set()).add(e.erp_key)
        return out

    def known_parents(self) -> Mapping[str, Mapping[str, str | None]]:
        return {}  # the whole state is in view


@dataclass
class MemoryState:
    """A state held in dicts: ``entities[kind][key] = IndexEntry``."""

    entities: dict[str, dict[str, IndexEntry]] = field(default_factory=dict)
    flights: dict[tuple[str, str], str] = field(default_factory=dict)
    errors: dict[str, set[str]] = field(default_factory=dict)

    def index(self, kind: str) -> dict[str, IndexEntry]:
        return dict(self.entities.get(kind, {}))

    def in_flight(self) -> Mapping[tuple[str, str], str]:
        return self.flights

    def error_keys(self) -> Mapping[str, set[str]]:
        return self.errors

    def known_parents(self) -> Mapping[str, Mapping[str, str | None]]:
        return {}

    def accept(self, rows: Iterable[Accepted]) -> None:
        """Record accepted rows, as ``StateStore.entities.record_accepted`` does."""
        for r in rows:
            table = self.entities.setdefault(r.kind, {})
            old = table.get(r.erp_key)
            vtex_id = r.vtex_id if r.vtex_id is not None else (old.vtex_id if old else None)
            table[r.erp_key] = IndexEntry(vtex_id, r.payload_hash, r.active)
            self.flights.pop((r.kind, r.erp_key), None)
            self.errors.get(r.kind, set()).discard(r.erp_key)

    def forget(self, kind: str, keys: Iterable[str]) -> None:
        table = self.entities.get(kind, {})
        for k in keys:
            table.pop(k, None)
