"""The gift card ledger in the state database: VTEX's transactions and their cancellations/settlements.

Every write is one transaction with a conditional update, so the ledger's own limits hold under
concurrency on both databases: a transaction's cancellations never exceed its value and its
settlements never exceed what is left after cancellations. The ERP's balance is changed only by the
adapter, keyed by the ledger's ids (see :mod:`vtexbridge.providers.adapters.base`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from vtexbridge.providers.common import claim_once, insert_once, read, write
from vtexbridge.state.provider_tables import giftcard_op, giftcard_tx

__all__ = ["GiftCardLedger", "OpRow", "TxRow"]


@dataclass(frozen=True, slots=True)
class TxRow:
    tx_id: str
    card_id: str
    request_id: str
    operation: str
    value_cents: int
    cancelled_cents: int
    settled_cents: int
    status: str
    description: str | None
    reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OpRow:
    op_id: str
    tx_id: str
    kind: str
    request_id: str
    value_cents: int
    state: str
    created_at: datetime


def _tx(row: RowMapping) -> TxRow:
    return TxRow(**{f: row[f] for f in TxRow.__slots__})


def _op(row: RowMapping) -> OpRow:
    return OpRow(**{f: row[f] for f in OpRow.__slots__})


class GiftCardLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def open_tx(self, values: Mapping[str, Any]) -> TxRow:
        """Insert the transaction (``status`` pending) unless it exists; return the stored row."""

        def work(conn: Connection) -> TxRow:
            key = giftcard_tx.c.tx_id == values["tx_id"]
            row = insert_once(conn, giftcard_tx, key, {**values, "status": "pending"})
            return _tx(row)

        return await write(self.engine, work)

    async def close_tx(self, tx_id: str, status: str, reason: str | None, now: datetime) -> TxRow:
        def work(conn: Connection) -> TxRow:
            t = giftcard_tx
            conn.execute(
                sa.update(t)
                .where(t.c.tx_id == tx_id, t.c.status == "pending")
                .values(status=status, reason=reason, updated_at=now)
            )
            return _tx(conn.execute(sa.select(t).where(t.c.tx_id == tx_id)).mappings().one())

        return await write(self.engine, work)

    async def reserve_op(self, op: Mapping[str, Any], now: datetime) -> tuple[OpRow | None, TxRow]:
        """Record a cancellation or settlement (pending) and take its amount from what the transaction
        has left, atomically; the existing op when this request was seen; None when it exceeds it."""

        def work(conn: Connection) -> tuple[OpRow | None, TxRow]:
            t, o = giftcard_tx, giftcard_op
            value = op["value_cents"]
            if op["kind"] == "cancellation":
                guard = t.c.cancelled_cents + value <= t.c.value_cents
                change = {"cancelled_cents": t.c.cancelled_cents + value}
            else:
                guard = t.c.settled_cents + t.c.cancelled_cents + value <= t.c.value_cents
                change = {"settled_cents": t.c.settled_cents + value}

            def take() -> bool:
                stmt = sa.update(t).where(t.c.tx_id == op["tx_id"], t.c.status == "authorized", guard)
                return conn.execute(stmt.values(**change, updated_at=now)).rowcount == 1

            values = {**op, "state": "pending", "created_at": now}
            existing = claim_once(conn, o, o.c.op_id == op["op_id"], values, take)
            tx = _tx(conn.execute(sa.select(t).where(t.c.tx_id == op["tx_id"])).mappings().one())
            return (_op(existing) if existing is not None else None), tx

        return await write(self.engine, work)

    async def finish_op(self, op_id: str, *, refused: bool = False) -> None:
        """Mark the op done; a refused op gives its amount back to the transaction."""

        def work(conn: Connection) -> None:
            o, t = giftcard_op, giftcard_tx
            row = conn.execute(sa.select(o).where(o.c.op_id == op_id)).mappings().one()
            if row["state"] != "pending":
                return
            conn.execute(
                sa.update(o).where(o.c.op_id == op_id).values(state="refused" if refused else "done")
            )
            if refused:
                column = "cancelled_cents" if row["kind"] == "cancellation" else "settled_cents"
                conn.execute(
                    sa.update(t)
                    .where(t.c.tx_id == row["tx_id"])
                    .values({column: getattr(t.c, column) - row["value_cents"]})
                )

        await write(self.engine, work)

    async def get_tx(self, card_id: str, tx_id: str) -> TxRow | None:
        def work(conn: Connection) -> TxRow | None:
            t = giftcard_tx
            row = (
                conn.execute(sa.select(t).where(t.c.tx_id == tx_id, t.c.card_id == card_id))
                .mappings()
                .first()
            )
            return _tx(row) if row else None

        return await read(self.engine, work)

    async def get_tx_any(self, tx_id: str) -> TxRow:
        def work(conn: Connection) -> TxRow:
            t = giftcard_tx
            return _tx(conn.execute(sa.select(t).where(t.c.tx_id == tx_id)).mappings().one())

        return await read(self.engine, work)

    async def list_txs(self, card_id: str, limit: int = 500) -> list[TxRow]:
        def work(conn: Connection) -> list[TxRow]:
            t = giftcard_tx
            stmt = (
                sa.select(t)
                .where(t.c.card_id == card_id, t.c.status == "authorized")
                .order_by(t.c.created_at, t.c.tx_id)
                .limit(limit)
            )
            return [_tx(r) for r in conn.execute(stmt).mappings()]

        return await read(self.engine, work)

    async def list_ops(self, tx_id: str, kind: str) -> list[OpRow]:
        def work(conn: Connection) -> list[OpRow]:
            o = giftcard_op
            stmt = (
                sa.select(o)
                .where(o.c.tx_id == tx_id, o.c.kind == kind, o.c.state == "done")
                .order_by(o.c.created_at, o.c.op_id)
            )
            return [_op(r) for r in conn.execute(stmt).mappings()]

        return await read(self.engine, work)

    async def pending(self) -> tuple[list[TxRow], list[OpRow]]:
        """Transactions and operations a crash (or an ERP timeout) left half-done."""

        def work(conn: Connection) -> tuple[list[TxRow], list[OpRow]]:
            txs = conn.execute(sa.select(giftcard_tx).where(giftcard_tx.c.status == "pending")).mappings()
            ops = conn.execute(sa.select(giftcard_op).where(giftcard_op.c.state == "pending")).mappings()
            return [_tx(r) for r in txs], [_op(r) for r in ops]

        return await read(self.engine, work)
