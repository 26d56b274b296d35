"""The payment ledger in the state database: VTEX's payments (by paymentId) and their cancellations,
settlements and refunds (by requestId), with the answer given, so that a retry gets the same one.

Counters move with conditional updates (settled never above the value, refunded never above what was
settled), one transaction each, so concurrent requests cannot over-settle or over-refund on either
database. No card data is ever written here: only VTEX's ids, the order's references, the buyer's
document (the credit line's key), the amount and the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from vtexbridge.providers.common import claim_once, insert_once, read, write
from vtexbridge.state.provider_tables import payment, payment_op

__all__ = ["PaymentLedger"]

_COUNTERS = {"settlement": "settled_cents", "refund": "refunded_cents"}


def _plain(row: RowMapping | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


class PaymentLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def open(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert the payment (status undefined) unless it exists; return the stored row."""

        def work(conn: Connection) -> dict[str, Any]:
            key = payment.c.payment_id == values["payment_id"]
            return dict(insert_once(conn, payment, key, {**values, "status": "undefined"}))

        return await write(self.engine, work)

    async def get(self, payment_id: str) -> dict[str, Any] | None:
        def work(conn: Connection) -> dict[str, Any] | None:
            stmt = sa.select(payment).where(payment.c.payment_id == payment_id)
            return _plain(conn.execute(stmt).mappings().first())

        return await read(self.engine, work)

    async def decide(self, payment_id: str, changes: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """Record the ERP's decision on an undefined payment (a decided one keeps its decision)."""

        def work(conn: Connection) -> dict[str, Any]:
            p = payment
            conn.execute(
                sa.update(p)
                .where(p.c.payment_id == payment_id, p.c.status == "undefined", sa.not_(p.c.cancelled))
                .values(**changes, updated_at=now)
            )
            return dict(conn.execute(sa.select(p).where(p.c.payment_id == payment_id)).mappings().one())

        return await write(self.engine, work)

    async def update(self, payment_id: str, **changes: Any) -> None:
        def work(conn: Connection) -> None:
            conn.execute(sa.update(payment).where(payment.c.payment_id == payment_id).values(**changes))

        await write(self.engine, work)

    async def reserve_op(
        self, op: Mapping[str, Any], now: datetime
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Record an operation (pending), taking its amount from what the payment allows, atomically.

        Returns (the op row or None when refused by the limits, the payment row)."""

        def work(conn: Connection) -> tuple[dict[str, Any] | None, dict[str, Any]]:
            p, o = payment, payment_op
            key = (
                (o.c.payment_id == op["payment_id"])
                & (o.c.kind == op["kind"])
                & (o.c.request_id == op["request_id"])
            )
            values = {**op, "state": "pending", "created_at": now}
            existing = claim_once(conn, o, key, values, lambda: _take(conn, op, now))
            row = conn.execute(sa.select(p).where(p.c.payment_id == op["payment_id"])).mappings().one()
            return _plain(existing), dict(row)

        return await write(self.engine, work)

    async def finish_op(self, op: Mapping[str, Any], state: str, response: Mapping[str, Any]) -> None:
        def work(conn: Connection) -> None:
            o = payment_op
            conn.execute(
                sa.update(o)
                .where(
                    o.c.payment_id == op["payment_id"],
                    o.c.kind == op["kind"],
                    o.c.request_id == op["request_id"],
                    o.c.state == "pending",
                )
                .values(state=state, response=dict(response))
            )
            if state == "failed" and op["kind"] in _COUNTERS:  # give the amount back
                column = getattr(payment.c, _COUNTERS[op["kind"]])
                conn.execute(
                    sa.update(payment)
                    .where(payment.c.payment_id == op["payment_id"])
                    .values({column: column - op["value_cents"]})
                )

        await write(self.engine, work)

    async def undecided(self, limit: int = 200) -> list[dict[str, Any]]:
        def work(conn: Connection) -> list[dict[str, Any]]:
            p = payment
            stmt = (
                sa.select(p)
                .where(p.c.status == "undefined", sa.not_(p.c.cancelled))
                .order_by(p.c.created_at)
                .limit(limit)
            )
            return [dict(r) for r in conn.execute(stmt).mappings()]

        return await read(self.engine, work)

    async def callbacks_due(self, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        def work(conn: Connection) -> list[dict[str, Any]]:
            p = payment
            stmt = (
                sa.select(p)
                .where(p.c.callback_state == "due", p.c.status != "undefined", p.c.callback_due_at <= now)
                .order_by(p.c.callback_due_at)
                .limit(limit)
            )
            return [dict(r) for r in conn.execute(stmt).mappings()]

        return await read(self.engine, work)

    async def pending_ops(self) -> list[dict[str, Any]]:
        def work(conn: Connection) -> list[dict[str, Any]]:
            stmt = sa.select(payment_op).where(payment_op.c.state == "pending")
            return [dict(r) for r in conn.execute(stmt).mappings()]

        return await read(self.engine, work)


def _take(conn: Connection, op: Mapping[str, Any], now: datetime) -> bool:
    """Move the payment's counters for ``op`` if its limits allow it; False when they do not."""
    p, value = payment, op["value_cents"]
    where = [p.c.payment_id == op["payment_id"]]
    if op["kind"] == "cancellation":  # an approved or still undecided payment, never settled
        where += [p.c.status.in_(["approved", "undefined"]), sa.not_(p.c.cancelled), p.c.settled_cents == 0]
        change: dict[str, Any] = {"cancelled": True}
    elif op["kind"] == "settlement":
        where += [
            p.c.status == "approved",
            sa.not_(p.c.cancelled),
            p.c.settled_cents + value <= p.c.value_cents,
        ]
        change = {"settled_cents": p.c.settled_cents + value}
    else:
        where += [p.c.status == "approved", p.c.refunded_cents + value <= p.c.settled_cents]
        change = {"refunded_cents": p.c.refunded_cents + value}
    return conn.execute(sa.update(p).where(*where).values(**change, updated_at=now)).rowcount == 1
