"""Every request the sandbox served: a bounded ring of recent entries plus exact counters per route.

Tests and benchmarks read it through ``GET /_sandbox/requests`` to assert what a client did ("the
second sync made no write request"). Entries name the matched route *template*
(``/api/catalog/pvt/stockkeepingunit/{skuId}``), so counts group by endpoint, not by id. Requests to
the admin API (``/_sandbox/...``) are not recorded: the log describes what a VTEX client did.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNMATCHED = "<unmatched>"


@dataclass(frozen=True, slots=True)
class RequestEntry:
    """One served request. ``seq`` is a cursor: it only grows, also across ``clear()``."""

    seq: int
    method: str
    route: str
    path: str
    account: str
    status: int
    time: str
    durationMs: float

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Thread-safe: the sandbox may be read from a test thread while uvicorn serves in another."""

    def __init__(self, size: int = 10_000) -> None:
        self._entries: deque[RequestEntry] = deque(maxlen=max(1, size))
        self._counts: Counter[str] = Counter()
        self._total = 0
        self._seq = 0
        self._lock = threading.Lock()

    def record(
        self, *, method: str, route: str, path: str, account: str, status: int, time: str, duration_ms: float
    ) -> RequestEntry:
        with self._lock:
            self._seq += 1
            entry = RequestEntry(self._seq, method, route, path, account, status, time, round(duration_ms, 3))
            self._entries.append(entry)
            self._counts[entry.key] += 1
            self._total += 1
            return entry

    def clear(self) -> None:
        """Forget entries and counters; the cursor keeps growing so old ``since`` values stay valid."""
        with self._lock:
            self._entries.clear()
            self._counts.clear()
            self._total = 0

    @property
    def total(self) -> int:
        return self._total

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def entries(
        self, *, since: int = 0, method: str | None = None, writes: bool = False, route: str | None = None
    ) -> list[RequestEntry]:
        """Recent entries with ``seq > since``, optionally only one method, only writes, or one route."""
        with self._lock:
            items = list(self._entries)
        wanted = method.upper() if method else None
        return [
            e
            for e in items
            if e.seq > since
            and (wanted is None or e.method == wanted)
            and (not writes or e.method in WRITE_METHODS)
            and (route is None or e.route == route)
        ]

    def snapshot(
        self, *, since: int = 0, method: str | None = None, writes: bool = False, route: str | None = None
    ) -> dict[str, Any]:
        """The ``GET /_sandbox/requests`` body.

        ``entries`` and ``counts`` honour the filters; with ``since`` the counts are those of the
        entries still in the ring (exact counters cover everything since the last clear only when no
        cursor is given). ``total`` is the number of requests matching the filters and ``cursor`` the
        value to pass as ``since`` next time.
        """
        with self._lock:
            cursor = self._seq
        entries = self.entries(since=since, method=method, writes=writes, route=route)
        if since or method or writes or route:
            counts: Counter[str] = Counter(e.key for e in entries)
            if not since:
                # Exact counters for filters that only select keys: the ring may have dropped entries.
                counts = Counter(
                    {k: n for k, n in self.counts().items() if _key_matches(k, method, writes, route)}
                )
            body_counts = dict(sorted(counts.items()))
        else:
            body_counts = self.counts()
        return {
            "entries": [e.to_json() for e in entries],
            "counts": body_counts,
            "total": sum(body_counts.values()),
            "cursor": cursor,
        }


def _key_matches(key: str, method: str | None, writes: bool, route: str | None) -> bool:
    verb, _, template = key.partition(" ")
    return (
        (method is None or verb == method.upper())
        and (not writes or verb in WRITE_METHODS)
        and (route is None or template == route)
    )
