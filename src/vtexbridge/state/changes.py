"""The change intake's repository (#13): every query of ``change_queue`` and ``change_batch``.

The store's ``changes`` repository (``store.changes``), over the store's engine, clock and
transaction helpers (one short transaction per method, like the other repositories). The queue is written
*before* the intake answers 2xx, so an accepted change survives a kill; the loop holding the sync
lease claims it, and marks it done only after VTEX accepted it. A claim left by a process that died
is released by the next holder of the lease (:meth:`ChangeQueue.release_claims`).

Coalescing: :meth:`ChangeQueue.claim` takes the oldest pending units (stock and prices first) and,
with each, every pending change of the same unit, so the loop writes only the last value of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vtexbridge.state.change_tables import change_batch, change_queue
from vtexbridge.state.models import IndexEntry
from vtexbridge.state.tables import entity_map

if TYPE_CHECKING:
    from vtexbridge.state._db import Db

__all__ = ["CLAIMED", "DONE", "FAILED", "PENDING", "ChangeQueue", "ChangeStats", "QueuedChange", "QueuedUnit"]

PENDING, CLAIMED, DONE, FAILED = "pending", "claimed", "done", "failed"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class QueuedUnit:
    """A change to queue: one unit (``kind`` + ``key``), ``op`` upsert/delete, and its records."""

    kind: str
    key: str
    op: str
    payload: dict[str, Any] | None
    priority: int


@dataclass(frozen=True, slots=True)
class QueuedChange:
    """A claimed row of the queue."""

    id: int
    kind: str
    erp_key: str
    op: str
    payload: dict[str, Any] | None
    received_at: datetime
    attempts: int
    source: str


@dataclass(frozen=True, slots=True)
class ChangeStats:
    """Queue depth (pending and claimed), the oldest of them, and the changes that failed."""

    depth: int
    oldest: datetime | None
    failed: int


class ChangeQueue:
    """The durable queue of ERP changes of every account, over ``store``'s database."""

    def __init__(self, db: Db) -> None:
        self.db = db

    # --- intake ---------------------------------------------------------------------------------

    def put_batch(
        self,
        account: str,
        units: Sequence[QueuedUnit],
        *,
        source: str,
        batch_id: str | None = None,
        answer: dict[str, Any] | None = None,
    ) -> tuple[bool, dict[str, Any] | None]:
        """Queue ``units`` in one transaction. With ``batch_id``, a batch already taken queues
        nothing: returns ``(False, the answer given then)``; otherwise ``(True, answer)``."""
        now = self.db.now()
        rows = [
            {
                "account": account,
                "kind": u.kind,
                "erp_key": u.key,
                "op": u.op,
                "payload": u.payload,
                "priority": u.priority,
                "source": source,
                "batch_id": batch_id,
                "received_at": now,
                "state": PENDING,
                "available_at": now,
                "attempts": 0,
            }
            for u in units
        ]
        with self.db.write() as conn:
            if batch_id is not None:
                ins = self.db.insert(change_batch).values(
                    account=account, batch_id=batch_id, received_at=now, answer=answer or {}
                )
                stmt = ins.on_conflict_do_nothing(index_elements=["account", "batch_id"])
                taken = conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount == 1
                if not taken:
                    t = change_batch
                    old = conn.execute(
                        sa.select(t.c.answer).where(t.c.account == account, t.c.batch_id == batch_id)
                    ).scalar_one_or_none()
                    return False, old
            if rows:
                conn.execute(sa.insert(change_queue), rows)
        return True, answer

    # --- the loop -------------------------------------------------------------------------------

    def claim(self, account: str, worker: str, limit: int) -> list[QueuedChange]:
        """Claim the ``limit`` oldest ready units (priority first) with every pending change of each,
        ready or waiting for a retry (so an older change never lands after a newer one); returns the
        rows claimed, oldest first."""
        now = self.db.now()
        t = change_queue
        ready = sa.and_(t.c.account == account, t.c.state == PENDING, t.c.available_at <= now)
        pick = sa.select(t.c.kind, t.c.erp_key).where(ready).order_by(t.c.priority, t.c.id).limit(limit)
        with self.db.write() as conn:
            units = {(k, key) for k, key in conn.execute(pick)}
            claimed: list[QueuedChange] = []
            by_kind: dict[str, list[str]] = {}
            for kind, key in units:
                by_kind.setdefault(kind, []).append(key)
            for kind, keys in by_kind.items():
                for chunk in _chunks(sorted(keys)):
                    stmt = (
                        sa.update(t)
                        .where(t.c.account == account, t.c.state == PENDING, t.c.kind == kind)
                        .where(t.c.erp_key.in_(chunk))
                        .values(state=CLAIMED, claimed_by=worker, claimed_at=now, attempts=t.c.attempts + 1)
                        .returning(
                            t.c.id, t.c.kind, t.c.erp_key, t.c.op, t.c.payload,
                            t.c.received_at, t.c.attempts, t.c.source,
                        )
                    )  # fmt: skip
                    claimed.extend(QueuedChange(*r) for r in conn.execute(stmt))
        return sorted(claimed, key=lambda c: c.id)

    def release_claims(self, account: str) -> int:
        """Put every claimed change of ``account`` back (the lease's new holder: its claimer died)."""
        t = change_queue
        stmt = (
            sa.update(t)
            .where(t.c.account == account, t.c.state == CLAIMED)
            .values(state=PENDING, claimed_by=None, claimed_at=None)
        )
        with self.db.write() as conn:
            return int(conn.execute(stmt).rowcount)

    def finish(self, ids: Iterable[int]) -> int:
        """Mark claimed changes done (VTEX accepted them, or a later change of their unit)."""
        return self._set(ids, state=DONE, done_at=self.db.now())

    def retry(self, ids: Iterable[int], *, error: str, at: datetime) -> int:
        """Put claimed changes back, available from ``at``, keeping the error."""
        return self._set(
            ids, state=PENDING, available_at=at, claimed_by=None, claimed_at=None, last_error=error
        )

    def fail(self, ids: Iterable[int], *, error: str) -> int:
        """Give claimed changes up (VTEX refused them, or too many tries): kept with their error."""
        return self._set(ids, state=FAILED, done_at=self.db.now(), last_error=error)

    def _set(self, ids: Iterable[int], **values: Any) -> int:
        t = change_queue
        n = 0
        with self.db.write() as conn:
            for chunk in _chunks(sorted(ids)):
                stmt = sa.update(t).where(t.c.id.in_(chunk), t.c.state == CLAIMED).values(**values)
                n += conn.execute(stmt).rowcount
        return n

    def prune(self, older_than: datetime) -> int:
        """Delete changes done before ``older_than``, and batch ids received before it."""
        t, b = change_queue, change_batch
        with self.db.write() as conn:
            n = conn.execute(sa.delete(t).where(t.c.state == DONE, t.c.done_at < older_than)).rowcount
            conn.execute(sa.delete(b).where(b.c.received_at < older_than))
        return int(n)

    # --- reads ----------------------------------------------------------------------------------

    def stats(self, account: str) -> ChangeStats:
        t = change_queue
        waiting = sa.and_(t.c.account == account, t.c.state.in_((PENDING, CLAIMED)))
        with self.db.read() as conn:
            depth, oldest = conn.execute(
                sa.select(sa.func.count(), sa.func.min(t.c.received_at)).where(waiting)
            ).one()
            failed = conn.execute(
                sa.select(sa.func.count()).where(t.c.account == account, t.c.state == FAILED)
            ).scalar_one()
        return ChangeStats(int(depth), oldest, int(failed))

    def overview(self, account: str) -> dict[str, Any]:
        """The dashboard's card: depth, age of the oldest pending change (s), failed, done in the
        last minute."""
        stats = self.stats(account)
        now = self.db.now()
        t = change_queue
        minute = now - timedelta(minutes=1)
        with self.db.read() as conn:
            recent = conn.execute(
                sa.select(sa.func.count()).where(
                    t.c.account == account, t.c.state == DONE, t.c.done_at >= minute
                )
            ).scalar_one()
        age = (now - stats.oldest).total_seconds() if stats.oldest is not None else 0.0
        return {
            "depth": stats.depth,
            "oldest_s": max(0.0, age),
            "failed": stats.failed,
            "per_minute": int(recent),
        }

    def list_changes(
        self, account: str, *, state: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The latest changes (of ``state``), newest first, for the status answer and the dashboard."""
        t = change_queue
        stmt = sa.select(
            t.c.id, t.c.kind, t.c.erp_key, t.c.op, t.c.state, t.c.source, t.c.batch_id,
            t.c.received_at, t.c.done_at, t.c.attempts, t.c.last_error,
        ).where(t.c.account == account)  # fmt: skip
        if state is not None:
            stmt = stmt.where(t.c.state == state)
        with self.db.read() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt.order_by(t.c.id.desc()).limit(limit))]

    def index_of(self, account: str, kind: str, keys: Iterable[str]) -> dict[str, IndexEntry]:
        """The state entries (``entity_map``) of ``keys`` of ``kind`` that exist."""
        return self._index(account, kind, entity_map.c.erp_key, keys)

    def index_by_parent(self, account: str, kind: str, parent_keys: Iterable[str]) -> dict[str, IndexEntry]:
        """The state entries of ``kind`` whose parent is one of ``parent_keys`` (a product's links)."""
        return self._index(account, kind, entity_map.c.parent_key, parent_keys)

    def _index(
        self, account: str, kind: str, column: sa.Column[Any], keys: Iterable[str]
    ) -> dict[str, IndexEntry]:
        t = entity_map
        out: dict[str, IndexEntry] = {}
        wanted = sorted(set(keys))
        with self.db.read() as conn:
            for chunk in _chunks(wanted):
                stmt = sa.select(t.c.erp_key, t.c.vtex_id, t.c.payload_hash, t.c.active).where(
                    t.c.account == account, t.c.kind == kind, column.in_(chunk)
                )
                for key, vtex_id, digest, active in conn.execute(stmt):
                    out[key] = IndexEntry(
                        vtex_id, bytes(digest) if digest is not None else None, bool(active)
                    )
        return out


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
