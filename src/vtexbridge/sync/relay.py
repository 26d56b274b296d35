"""Progress told on the event loop, passed on from a thread of its own.

The executor tells its :class:`~vtexbridge.sync.apply.Progress` of every step as it ends, on the
event loop. What listens may do I/O: the dashboard's publisher writes the progress to the state
store (every half second), which must not happen on a server's event loop. :class:`ProgressRelay`
only counts on the loop (a dict update) and hands the counts over, in order, from its own thread
every ``interval_s``. Hand-written: it is a few lines around a thread, and no library does this.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from vtexbridge.sync.apply import Progress
from vtexbridge.sync.graph import Kind

__all__ = ["ProgressRelay"]


class ProgressRelay:
    """A :class:`Progress` that forwards to ``inner`` from a thread; :meth:`close` flushes and stops."""

    def __init__(self, inner: Progress, *, interval_s: float = 0.1) -> None:
        self.inner = inner
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._totals: dict[Kind, int] | None = None
        self._pending: dict[Kind, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vtexbridge-progress", daemon=True)
        self._thread.start()

    def start(self, totals: Mapping[Kind, int]) -> None:
        with self._lock:
            self._totals = dict(totals)

    def advance(self, kind: Kind, n: int = 1) -> None:
        with self._lock:
            self._pending[kind] = self._pending.get(kind, 0) + n

    def close(self) -> None:
        """Hand over what is left and stop the thread (blocking: call it from a thread)."""
        self._stop.set()
        self._thread.join()
        self._flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            totals, self._totals = self._totals, None
            pending, self._pending = self._pending, {}
        if totals is not None:
            self.inner.start(totals)
        for kind, n in pending.items():
            self.inner.advance(kind, n)
