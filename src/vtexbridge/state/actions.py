"""The action outbox: what the order pipeline must tell VTEX (start handling, invoice, tracking,
cancel), queued durably, claimed by workers and closed with VTEX's answer.

Actions of one order run one at a time, in order: a claim never hands out an action while an
earlier action of the same order is open, and a partial unique index refuses a second running
action for one order even in the rare interleavings a snapshot cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from vtexbridge.state._db import Db, count_per
from vtexbridge.state.models import Action, ActionState
from vtexbridge.state.queue import DEFAULT_VISIBILITY, Queue, claim_rows
from vtexbridge.state.tables import action_outbox

_OUTBOX = Queue(action_outbox, waiting=ActionState.PENDING.value, claimed=ActionState.RUNNING.value)


def _in_order(t: sa.Table) -> Sequence[Any]:
    """No earlier action of the row's order is open, and no other action of its order is running."""
    o = t.alias("other")
    running, pending = ActionState.RUNNING.value, ActionState.PENDING.value
    same_order = sa.and_(o.c.account == t.c.account, o.c.order_id == t.c.order_id, o.c.id != t.c.id)
    earlier_open = sa.exists().where(same_order, o.c.id < t.c.id, o.c.state.in_((pending, running)))
    other_running = sa.exists().where(same_order, o.c.state == running)
    return (~earlier_open, ~other_running)


class ActionOutbox:
    """Actions to send to VTEX, per order (``store.actions``)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def enqueue(
        self,
        account: str,
        order_id: str,
        kind: str,
        payload: Any,
        *,
        dedup_key: str | None = None,
        source_ref: str | None = None,
        available_at: datetime | None = None,
    ) -> tuple[int, bool]:
        """Queue an action for an order. A ``dedup_key`` (e.g. ``invoice:<number>``) is accepted once
        per account, whatever became of the first action.

        Returns:
            (action id, True) when queued; (the existing action's id, False) when the key was taken.
        """
        now = self._db.now()
        t = action_outbox
        values = {
            "account": account,
            "order_id": order_id,
            "kind": kind,
            "payload": payload,
            "dedup_key": dedup_key,
            "state": ActionState.PENDING.value,
            "available_at": available_at or now,
            "source_ref": source_ref,
            "created_at": now,
        }
        stmt = (
            self._db.insert(t)
            .values(values)
            .on_conflict_do_nothing(index_elements=[t.c.account, t.c.dedup_key])
            .returning(t.c.id)
        )
        with self._db.write() as conn:
            new_id = conn.execute(stmt).scalar_one_or_none()
            if new_id is not None:
                return int(new_id), True
            existing = conn.execute(
                sa.select(t.c.id).where(t.c.account == account, t.c.dedup_key == dedup_key)
            ).scalar_one()
            return int(existing), False

    def claim_next(
        self, worker: str, *, account: str | None = None, visibility: timedelta = DEFAULT_VISIBILITY
    ) -> Action | None:
        """Claim the oldest runnable action, or None.

        An action is runnable when it is pending and due (or running but abandoned for longer than
        ``visibility``), no earlier action of its order is still pending or running, and no other
        action of its order is running: actions of one order run one at a time, in order.
        """
        # The only constraint the claim can break is "one running action per order": another
        # worker committed a claim on the same order after our snapshot. Look again (5 tries).
        rows = claim_rows(
            self._db,
            _OUTBOX,
            worker,
            n=None,
            account=account,
            visibility=visibility,
            also=_in_order,
            conflict_retries=4,
        )
        return Action(**rows[0]._mapping) if rows else None

    def heartbeat(self, action_id: int, worker: str) -> bool:
        """Extend a running action's claim; False if ``worker`` no longer holds it."""
        t = action_outbox
        stmt = (
            sa.update(t)
            .where(t.c.id == action_id, t.c.state == ActionState.RUNNING.value, t.c.claimed_by == worker)
            .values(claimed_at=self._db.now())
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def finish(
        self,
        action_id: int,
        state: ActionState | str,
        message: str | None = None,
        *,
        vtex_status: int | None = None,
        worker: str | None = None,
    ) -> bool:
        """Close a running action as done, rejected (keep VTEX's ``message``), failed or cancelled.

        Returns:
            False if the action was not running (or, with ``worker``, was claimed by someone else).
        """
        final = ActionState(state)
        if not final.terminal:
            raise ValueError(f"actions.finish takes a final state, not {final.value!r}; use actions.retry")
        t = action_outbox
        stmt = (
            sa.update(t)
            .where(t.c.id == action_id, t.c.state == ActionState.RUNNING.value)
            .values(state=final.value, vtex_status=vtex_status, vtex_message=message, done_at=self._db.now())
        )
        if worker is not None:
            stmt = stmt.where(t.c.claimed_by == worker)
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def retry(
        self,
        action_id: int,
        *,
        at: datetime,
        message: str | None = None,
        vtex_status: int | None = None,
        worker: str | None = None,
    ) -> bool:
        """Put a running action back to pending, due at ``at``; later actions of its order keep waiting."""
        t = action_outbox
        stmt = (
            sa.update(t)
            .where(t.c.id == action_id, t.c.state == ActionState.RUNNING.value)
            .values(
                state=ActionState.PENDING.value,
                available_at=at,
                claimed_by=None,
                claimed_at=None,
                vtex_status=vtex_status,
                vtex_message=message,
            )
        )
        if worker is not None:
            stmt = stmt.where(t.c.claimed_by == worker)
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def requeue(self, action_id: int, *, payload: Any = None) -> bool:
        """An operator's retry of a rejected/failed/cancelled action (optionally with a fixed payload)."""
        t = action_outbox
        values: dict[str, Any] = {
            "state": ActionState.PENDING.value,
            "available_at": self._db.now(),
            "done_at": None,
        }
        if payload is not None:
            values["payload"] = payload
        closed = (ActionState.REJECTED.value, ActionState.FAILED.value, ActionState.CANCELLED.value)
        stmt = sa.update(t).where(t.c.id == action_id, t.c.state.in_(closed)).values(values)
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def get(self, action_id: int) -> Action | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(action_outbox).where(action_outbox.c.id == action_id)).first()
        return Action(**row._mapping) if row else None

    def find(self, account: str, dedup_key: str) -> Action | None:
        """The action queued under ``dedup_key`` (e.g. whether an invoice number was already sent)."""
        t = action_outbox
        with self._db.read() as conn:
            row = conn.execute(sa.select(t).where(t.c.account == account, t.c.dedup_key == dedup_key)).first()
        return Action(**row._mapping) if row else None

    def list_for(
        self,
        account: str,
        *,
        order_id: str | None = None,
        states: Iterable[ActionState | str] | None = None,
        limit: int = 100,
    ) -> list[Action]:
        t = action_outbox
        stmt = sa.select(t).where(t.c.account == account).order_by(t.c.id).limit(limit)
        if order_id is not None:
            stmt = stmt.where(t.c.order_id == order_id)
        if states is not None:
            stmt = stmt.where(t.c.state.in_([ActionState(s).value for s in states]))
        with self._db.read() as conn:
            return [Action(**r._mapping) for r in conn.execute(stmt)]

    def count(self, account: str) -> dict[str, int]:
        """Actions in the outbox, per state."""
        return count_per(self._db, action_outbox, action_outbox.c.state, account)
