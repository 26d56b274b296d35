"""The order journal: each order's last status and progress, and what the ERP sink accepted.

``order_state`` keeps, per order, the last status seen (an older event never overwrites a newer
one) and when VTEX accepted start-handling; ``order_delivery`` records each (order, status) the
ERP sink durably accepted, once. The operator's counts read these and the action outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from vtexbridge.state._db import Db, count_per, upserted
from vtexbridge.state.models import ActionState, Delivery, OrderState
from vtexbridge.state.tables import action_outbox, order_delivery, order_state


class OrderJournal:
    """Order states and deliveries (``store.orders``)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def note_status(
        self, account: str, order_id: str, status: str, *, changed_at: datetime | None = None
    ) -> bool:
        """Remember an order's status; an event older than the one recorded does not overwrite it.

        Returns:
            True when ``status`` is now the order's last status.
        """
        now = self._db.now()
        t = order_state
        ins = self._db.insert(t)
        stmt = ins.values(
            account=account,
            order_id=order_id,
            last_status=status,
            status_changed_at=changed_at,
            first_seen_at=now,
            updated_at=now,
        ).on_conflict_do_update(
            index_elements=[t.c.account, t.c.order_id],
            set_={
                "last_status": ins.excluded.last_status,
                "status_changed_at": ins.excluded.status_changed_at,
                "updated_at": ins.excluded.updated_at,
            },
            where=sa.or_(
                t.c.status_changed_at.is_(None),
                ins.excluded.status_changed_at.is_(None),
                t.c.status_changed_at <= ins.excluded.status_changed_at,
            ),
        )
        with self._db.write() as conn:
            return upserted(conn, stmt)

    def mark_handling_started(self, account: str, order_id: str) -> bool:
        """Record that VTEX accepted start-handling; True the first time only."""
        now = self._db.now()
        t = order_state
        ins = self._db.insert(t)
        stmt = ins.values(
            account=account, order_id=order_id, first_seen_at=now, updated_at=now, handling_started_at=now
        ).on_conflict_do_update(
            index_elements=[t.c.account, t.c.order_id],
            set_={
                "handling_started_at": ins.excluded.handling_started_at,
                "updated_at": ins.excluded.updated_at,
            },
            where=t.c.handling_started_at.is_(None),
        )
        with self._db.write() as conn:
            return upserted(conn, stmt)

    def get(self, account: str, order_id: str) -> OrderState | None:
        t = order_state
        with self._db.read() as conn:
            row = conn.execute(sa.select(t).where(t.c.account == account, t.c.order_id == order_id)).first()
        return OrderState(**row._mapping) if row else None

    def list_recent(self, account: str, *, limit: int = 50) -> list[OrderState]:
        """The orders known to the pipeline, most recently updated first."""
        t = order_state
        stmt = (
            sa.select(t)
            .where(t.c.account == account)
            .order_by(t.c.updated_at.desc(), t.c.order_id.desc())
            .limit(limit)
        )
        with self._db.read() as conn:
            return [OrderState(**r._mapping) for r in conn.execute(stmt)]

    def record_delivery(
        self, account: str, order_id: str, status: str, *, sink: str, erp_ref: str | None = None
    ) -> bool:
        """Record that the ERP sink durably accepted the order in ``status``.

        Returns:
            True if this is the first delivery of (order, status); False if it was already recorded.
        """
        t = order_delivery
        stmt = (
            self._db.insert(t)
            .values(
                account=account,
                order_id=order_id,
                status=status,
                sink=sink,
                erp_ref=erp_ref,
                accepted_at=self._db.now(),
            )
            .on_conflict_do_nothing(index_elements=[t.c.account, t.c.order_id, t.c.status])
        )
        with self._db.write() as conn:
            return upserted(conn, stmt)

    def get_delivery(self, account: str, order_id: str, status: str) -> Delivery | None:
        t = order_delivery
        stmt = sa.select(t).where(t.c.account == account, t.c.order_id == order_id, t.c.status == status)
        with self._db.read() as conn:
            row = conn.execute(stmt).first()
        return Delivery(**row._mapping) if row else None

    def list_deliveries(self, account: str, order_id: str) -> list[Delivery]:
        t = order_delivery
        stmt = sa.select(t).where(t.c.account == account, t.c.order_id == order_id).order_by(t.c.accepted_at)
        with self._db.read() as conn:
            return [Delivery(**r._mapping) for r in conn.execute(stmt)]

    # --- operator reads (dashboard and /metrics: counts and short lists, never a full scan) ------

    def count_by_status(self, account: str) -> dict[str, int]:
        """Orders known to the pipeline, per last status seen."""
        return count_per(self._db, order_state, sa.func.coalesce(order_state.c.last_status, ""), account)

    def list_undelivered(
        self, account: str, statuses: Iterable[str], *, limit: int = 50
    ) -> tuple[int, list[OrderState]]:
        """Orders whose last status is one of ``statuses`` and has no delivery yet.

        Returns:
            (how many there are, the ``limit`` oldest by status change).
        """
        t, d = order_state, order_delivery
        delivered = sa.exists().where(
            d.c.account == t.c.account, d.c.order_id == t.c.order_id, d.c.status == t.c.last_status
        )
        where = sa.and_(t.c.account == account, t.c.last_status.in_(list(statuses)), ~delivered)
        oldest = sa.func.coalesce(t.c.status_changed_at, t.c.updated_at)
        with self._db.read() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(t).where(where)).scalar_one()
            rows = conn.execute(sa.select(t).where(where).order_by(oldest, t.c.order_id).limit(limit))
            return int(n), [OrderState(**r._mapping) for r in rows]

    def count_stages(self, account: str) -> dict[str, int]:
        """How many orders reached each stage of the pipeline: ``seen``, ``delivered`` (the ERP
        accepted it in some status), ``handling`` (start handling accepted), ``invoiced`` and
        ``tracking`` (VTEX accepted that action), ``canceled`` (last status, or a cancel accepted)."""
        t, d, a = order_state, order_delivery, action_outbox
        done = ActionState.DONE.value

        def orders_with(kind: str) -> sa.Select[Any]:
            return sa.select(sa.func.count(sa.distinct(a.c.order_id))).where(
                a.c.account == account, a.c.kind == kind, a.c.state == done
            )

        canceled = sa.or_(
            t.c.last_status == "canceled",
            sa.exists().where(
                a.c.account == t.c.account,
                a.c.order_id == t.c.order_id,
                a.c.kind == "cancel",
                a.c.state == done,
            ),
        )
        queries = {
            "seen": sa.select(sa.func.count()).select_from(t).where(t.c.account == account),
            "delivered": sa.select(sa.func.count(sa.distinct(d.c.order_id))).where(d.c.account == account),
            "handling": sa.select(sa.func.count())
            .select_from(t)
            .where(t.c.account == account, t.c.handling_started_at.is_not(None)),
            "invoiced": orders_with("invoice"),
            "tracking": orders_with("tracking"),
            "canceled": sa.select(sa.func.count()).select_from(t).where(t.c.account == account, canceled),
        }
        with self._db.read() as conn:
            return {name: int(conn.execute(q).scalar_one()) for name, q in queries.items()}
