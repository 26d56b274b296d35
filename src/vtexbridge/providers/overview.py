"""What the provider ledgers hold, for the dashboard: transactions by outcome and pending decisions.

Read from the state database (so every process sharing it shows the same figures), synchronous (the
dashboard runs it off the event loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from vtexbridge.state.provider_tables import fraud_tx, giftcard_op, giftcard_tx, payment, payment_op

__all__ = ["ProvidersOverview", "providers_overview"]


@dataclass(frozen=True, slots=True)
class ProvidersOverview:
    """Counts per protocol: ``outcomes[protocol][outcome]``; ``pending`` are decisions the ERP owes."""

    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    pending_payments: int = 0
    pending_analyses: int = 0
    unfinished: int = 0  # ledger rows a crash or an ERP timeout left half-done (finished on retry)
    callbacks_failed: int = 0

    @property
    def empty(self) -> bool:
        return not any(self.outcomes.values())


def _by(conn: sa.Connection, column: sa.ColumnElement[str]) -> dict[str, int]:
    rows = conn.execute(sa.select(column, sa.func.count()).group_by(column))
    return {str(k): int(n) for k, n in rows}


def providers_overview(engine: Engine) -> ProvidersOverview:
    with engine.connect() as conn:
        gift = _by(conn, giftcard_tx.c.status)
        for kind, n in _by(conn, giftcard_op.c.kind + ":" + giftcard_op.c.state).items():
            gift[kind] = n
        pays = _by(conn, payment.c.status)
        for kind, n in _by(conn, payment_op.c.kind + ":" + payment_op.c.state).items():
            pays[kind] = n
        fraud = _by(conn, fraud_tx.c.status)
        pending_payments = conn.execute(
            sa.select(sa.func.count()).where(payment.c.status == "undefined", sa.not_(payment.c.cancelled))
        ).scalar_one()
        pending_analyses = conn.execute(
            sa.select(sa.func.count()).where(fraud_tx.c.status == "received", sa.not_(fraud_tx.c.stopped))
        ).scalar_one()
        unfinished = (
            conn.execute(sa.select(sa.func.count()).where(giftcard_tx.c.status == "pending")).scalar_one()
            + conn.execute(sa.select(sa.func.count()).where(giftcard_op.c.state == "pending")).scalar_one()
            + conn.execute(sa.select(sa.func.count()).where(payment_op.c.state == "pending")).scalar_one()
        )
        failed = conn.execute(
            sa.select(sa.func.count()).where(payment.c.callback_state == "failed")
        ).scalar_one()
    return ProvidersOverview(
        outcomes={"gift card": gift, "payment": pays, "antifraud": fraud},
        pending_payments=int(pending_payments),
        pending_analyses=int(pending_analyses),
        unfinished=int(unfinished),
        callbacks_failed=int(failed),
    )
