"""The antifraud ledger: one row per VTEX transaction analysed (by VTEX's transaction id), with the
ERP's decision, and the state of the ``hook`` notification when the decision came later."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from vtexbridge.providers.common import insert_once, read, write
from vtexbridge.state.provider_tables import fraud_tx

__all__ = ["FraudLedger"]


class FraudLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def open(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert the analysis (status received) unless it exists; return the stored row."""

        def work(conn: Connection) -> dict[str, Any]:
            key = fraud_tx.c.tx_id == values["tx_id"]
            row = insert_once(conn, fraud_tx, key, {**values, "status": "received", "reasons": []})
            return dict(row)

        return await write(self.engine, work)

    async def get(self, tx_id: str) -> dict[str, Any] | None:
        def work(conn: Connection) -> dict[str, Any] | None:
            row = conn.execute(sa.select(fraud_tx).where(fraud_tx.c.tx_id == tx_id)).mappings().first()
            return dict(row) if row is not None else None

        return await read(self.engine, work)

    async def update(
        self, tx_id: str, changes: Mapping[str, Any], *, only_undecided: bool = False
    ) -> dict[str, Any]:
        def work(conn: Connection) -> dict[str, Any]:
            t = fraud_tx
            stmt = sa.update(t).where(t.c.tx_id == tx_id)
            if only_undecided:
                stmt = stmt.where(t.c.status == "received", sa.not_(t.c.stopped))
            conn.execute(stmt.values(**changes))
            return dict(conn.execute(sa.select(t).where(t.c.tx_id == tx_id)).mappings().one())

        return await write(self.engine, work)

    async def undecided(self, limit: int = 200) -> list[dict[str, Any]]:
        def work(conn: Connection) -> list[dict[str, Any]]:
            t = fraud_tx
            stmt = sa.select(t).where(t.c.status == "received", sa.not_(t.c.stopped)).order_by(t.c.created_at)
            return [dict(r) for r in conn.execute(stmt.limit(limit)).mappings()]

        return await read(self.engine, work)

    async def hooks_due(self, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        def work(conn: Connection) -> list[dict[str, Any]]:
            t = fraud_tx
            stmt = (
                sa.select(t).where(t.c.hook_state == "due", t.c.hook_due_at <= now).order_by(t.c.hook_due_at)
            )
            return [dict(r) for r in conn.execute(stmt.limit(limit)).mappings()]

        return await read(self.engine, work)
