"""What arrives from VTEX's order channels: the feed's dedup record and the hook inbox.

``feed_event_seen`` remembers which feed events were processed (and whether VTEX accepted their
commit), so a redelivered event is skipped. ``hook_inbox`` stores each hook notification durably
before the hook is answered; workers claim items from it (:mod:`vtexbridge.state.queue`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from vtexbridge.state._db import Db, chunks
from vtexbridge.state.models import InboxItem, InboxState
from vtexbridge.state.queue import DEFAULT_VISIBILITY, Queue, claim_rows
from vtexbridge.state.tables import feed_event_seen, hook_inbox

_INBOX = Queue(hook_inbox, waiting=InboxState.AVAILABLE.value, claimed=InboxState.CLAIMED.value)


class FeedDedup:
    """Feed events already processed (``store.feed``)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def is_seen(self, account: str, event_key: str) -> bool:
        return event_key in self.seen(account, [event_key])

    def seen(self, account: str, event_keys: Iterable[str]) -> set[str]:
        """The subset of ``event_keys`` already processed."""
        keys = list(dict.fromkeys(event_keys))
        t = feed_event_seen
        seen: set[str] = set()
        with self._db.read() as conn:
            for chunk in chunks(keys):
                stmt = sa.select(t.c.event_key).where(t.c.account == account, t.c.event_key.in_(chunk))
                seen.update(conn.execute(stmt).scalars())
        return seen

    def mark(self, account: str, event_keys: Iterable[str], *, committed: bool = False) -> None:
        """Record events as processed; with ``committed=True``, also that VTEX accepted their commit."""
        now = self._db.now()
        params = [
            {"account": account, "event_key": k, "seen_at": now, "committed_at": now if committed else None}
            for k in sorted(set(event_keys))
        ]
        if not params:
            return
        t = feed_event_seen
        ins = self._db.insert(t)
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.account, t.c.event_key],
            set_={"committed_at": sa.func.coalesce(t.c.committed_at, ins.excluded.committed_at)},
        )
        with self._db.write() as conn:
            conn.execute(stmt, params)

    def prune(self, older_than: datetime) -> int:
        """Forget events seen before ``older_than`` (keep at least VTEX's feed retention, 14 days)."""
        with self._db.write() as conn:
            return conn.execute(
                sa.delete(feed_event_seen).where(feed_event_seen.c.seen_at < older_than)
            ).rowcount


class HookInbox:
    """Hook notifications, stored before they are answered and claimed by workers (``store.inbox``)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def put(self, account: str, body: Any) -> int:
        """Store a hook notification durably; returns its id."""
        now = self._db.now()
        values = {
            "account": account,
            "body": body,
            "received_at": now,
            "state": InboxState.AVAILABLE.value,
            "available_at": now,
        }
        with self._db.write() as conn:
            return int(
                conn.execute(sa.insert(hook_inbox).values(values).returning(hook_inbox.c.id)).scalar_one()
            )

    def claim(
        self,
        n: int,
        worker: str,
        *,
        account: str | None = None,
        visibility: timedelta = DEFAULT_VISIBILITY,
    ) -> list[InboxItem]:
        """Claim up to ``n`` items, oldest first. Items claimed longer than ``visibility`` ago by a
        worker that never finished them are claimable again (like a queue's visibility timeout)."""
        rows = claim_rows(self._db, _INBOX, worker, n=n, account=account, visibility=visibility)
        return sorted((InboxItem(**r._mapping) for r in rows), key=lambda i: i.id)

    def finish(self, item_ids: Sequence[int], *, worker: str | None = None) -> int:
        """Mark items done (only those still claimed, and by ``worker`` when given)."""
        t = hook_inbox
        done = 0
        with self._db.write() as conn:
            for chunk in chunks(list(item_ids)):
                stmt = (
                    sa.update(t)
                    .where(t.c.id.in_(chunk), t.c.state == InboxState.CLAIMED.value)
                    .values(state=InboxState.DONE.value, done_at=self._db.now())
                )
                if worker is not None:
                    stmt = stmt.where(t.c.claimed_by == worker)
                done += conn.execute(stmt).rowcount
        return done

    def retry(self, item_id: int, *, error: str, at: datetime | None = None) -> bool:
        """Put a claimed item back, available from ``at`` (default now), keeping the error."""
        t = hook_inbox
        stmt = (
            sa.update(t)
            .where(t.c.id == item_id, t.c.state == InboxState.CLAIMED.value)
            .values(
                state=InboxState.AVAILABLE.value,
                available_at=at or self._db.now(),
                claimed_by=None,
                claimed_at=None,
                last_error=error,
            )
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def prune(self, older_than: datetime) -> int:
        """Delete items done before ``older_than``."""
        t = hook_inbox
        with self._db.write() as conn:
            return conn.execute(
                sa.delete(t).where(t.c.state == InboxState.DONE.value, t.c.done_at < older_than)
            ).rowcount
