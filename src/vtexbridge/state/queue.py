"""The one claim loop of the state's queues (the hook inbox and the action outbox).

A queue table has ``id``, ``account``, ``state``, ``available_at``, ``claimed_by``, ``claimed_at`` and
``attempts``. A row is ready when it waits and is due, or was claimed longer than ``visibility`` ago
by a worker that never finished it (like a queue's visibility timeout). A claim picks the oldest
ready rows and marks them claimed in one UPDATE, one transaction:

- on PostgreSQL the pick selects ``FOR UPDATE SKIP LOCKED``, so two workers never take the same row;
- on SQLite write transactions begin ``IMMEDIATE`` (one writer at a time), which makes it atomic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from vtexbridge.state._db import Db

DEFAULT_VISIBILITY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Queue:
    """A queue table and the ``state`` values of its waiting and claimed rows."""

    table: sa.Table
    waiting: str
    claimed: str


def claim_rows(
    db: Db,
    queue: Queue,
    worker: str,
    *,
    n: int | None,
    account: str | None = None,
    visibility: timedelta = DEFAULT_VISIBILITY,
    also: Callable[[sa.Table], Sequence[Any]] = lambda _t: (),
    conflict_retries: int = 0,
) -> list[Row[Any]]:
    """Claim up to ``n`` ready rows for ``worker``, oldest first; ``n=None`` claims the oldest one
    (picked by a scalar subquery, evaluated once).

    Args:
        also: further conditions on the row (e.g. "no earlier action of its order is open").
        conflict_retries: how many times to look again when the UPDATE breaks a unique constraint
            (another worker committed a conflicting claim after our snapshot); other errors, and an
            IntegrityError when this is 0, raise :class:`~vtexbridge.errors.StateError`.

    Returns:
        The claimed rows (every column), in no particular order.
    """
    for _ in range(1 + conflict_retries):
        try:
            with db.write(raw_integrity_errors=conflict_retries > 0) as conn:
                return list(conn.execute(_claim_stmt(db, queue, worker, n, account, visibility, also)).all())
        except IntegrityError:
            continue
    return []


def _claim_stmt(
    db: Db,
    queue: Queue,
    worker: str,
    n: int | None,
    account: str | None,
    visibility: timedelta,
    also: Callable[[sa.Table], Sequence[Any]],
) -> sa.Update:
    now = db.now()
    t = queue.table
    ready = sa.or_(
        sa.and_(t.c.state == queue.waiting, t.c.available_at <= now),
        sa.and_(t.c.state == queue.claimed, t.c.claimed_at < now - visibility),
    )
    pick = sa.select(t.c.id).where(ready, *also(t)).order_by(t.c.id)
    if account is not None:
        pick = pick.where(t.c.account == account)
    if n is None:  # the oldest one, by a scalar subquery that runs once
        pick = pick.limit(1).with_for_update(skip_locked=True, of=t)
        which = t.c.id == pick.scalar_subquery()
    else:
        pick = pick.limit(n).with_for_update(skip_locked=True)
        which = t.c.id.in_(pick.scalar_subquery())
    return (
        sa.update(t)
        .where(which)
        .values(state=queue.claimed, claimed_by=worker, claimed_at=now, attempts=t.c.attempts + 1)
        .returning(*t.c)
    )
