"""The SQL watermark source: the rows of a SQL ERP changed since the last accepted watermark.

For each entity with a change-tracking column (``sync.continuous.sql_watermarks``: an ``updated_at``
timestamp, or a monotonically increasing row version), its query (``erp.queries``) is read as
``SELECT * FROM (<query>) WHERE <column> > :watermark ORDER BY <column>``, at most ``claim_limit``
rows per poll, and the rows are queued like a pushed batch (a ``_deleted`` column deletes, as in delta
files). The watermark is kept in the state database and **advanced only once every change read was
settled** (VTEX accepted it, or refused it): until then nothing more is read, and a kill re-reads
the same rows under the same batch id, which queues nothing twice.

The first poll of an entity only records the current highest value (the full reconciliation covers
what was there before). Deletions are found by the reconciliation, or by a ``_deleted`` column.
The column must grow with every change (equal values arriving later would be missed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from vtexbridge.erp.records import Entity
from vtexbridge.erp.rows import normalise_column
from vtexbridge.state.change_tables import change_queue
from vtexbridge.state.changes import CLAIMED, PENDING
from vtexbridge.state.store import StateStore
from vtexbridge.sync.continuous.delta import parse_batch
from vtexbridge.sync.continuous.intake import queue_batch

__all__ = ["SqlWatch"]

log = logging.getLogger(__name__)
SCOPE = "continuous-sql"


class SqlWatch:
    """Polls the watermarked queries of ``engine`` into ``store.changes`` (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        queries: Mapping[Entity, str],
        watermarks: Mapping[str, str],
        store: StateStore,
        account: str,
        *,
        limit: int = 5000,
        max_key_length: int = 255,
        weight_unit: str = "g",
    ) -> None:
        self.engine = engine
        self.columns = {Entity(e): c for e, c in watermarks.items() if Entity(e) in queries}
        self.queries = {e: queries[e] for e in self.columns}
        self.store = store
        self.queue = store.changes
        self.account = account
        self.limit = limit
        self.max_key_length = max_key_length
        self.weight_unit = weight_unit

    def poll(self) -> int:
        """One pass over every watermarked entity; returns the changes queued."""
        return sum(self.poll_entity(entity) for entity in self.columns)

    def poll_entity(self, entity: Entity) -> int:
        key = f"{self.account}:{entity.value}"
        mark = self.store.values.get(SCOPE, key) or {}
        pending = mark.get("pending")
        if pending is not None:
            if self._unsettled(pending["batch"]):
                return 0  # VTEX has not accepted the last read yet: the watermark stays
            mark = {"value": pending["value"]}
            self.store.values.put(SCOPE, key, mark)
        if "value" not in mark:
            self.store.values.put(SCOPE, key, {"value": _jsonable(self._top(entity))})
            return 0
        rows, top = self._read(entity, _typed(mark["value"]))
        if not rows:
            return 0
        batch = parse_batch(
            {entity.value: rows},
            source=f"sql:{entity.value}",
            max_key_length=self.max_key_length,
            weight_unit=self.weight_unit,
        )
        for refusal in batch.refused:
            log.error(
                "SQL change refused: %s %s field %s: %s",
                entity.value,
                refusal.key,
                refusal.field,
                refusal.message,
            )
        batch_id = f"sql:{entity.value}:{mark['value']}:{_jsonable(top)}"[:255]
        queue_batch(self.queue, self.account, batch, source="sql", batch_id=batch_id)
        self.store.values.put(SCOPE, key, {**mark, "pending": {"value": _jsonable(top), "batch": batch_id}})
        return batch.accepted

    def _unsettled(self, batch_id: str) -> bool:
        t = change_queue
        stmt = sa.select(sa.func.count()).where(
            t.c.account == self.account, t.c.batch_id == batch_id, t.c.state.in_((PENDING, CLAIMED))
        )
        with self.store.db.read() as conn:
            return int(conn.execute(stmt).scalar_one()) > 0

    def _top(self, entity: Entity) -> Any:
        column = self.columns[entity]
        query = f"SELECT MAX(vb_q.{column}) FROM ({self.queries[entity]}) AS vb_q"
        with self.engine.connect() as conn:
            return conn.execute(sa.text(query)).scalar()

    def _read(self, entity: Entity, since: Any) -> tuple[list[dict[str, Any]], Any]:
        column = self.columns[entity]
        query = (
            f"SELECT * FROM ({self.queries[entity]}) AS vb_q "
            f"WHERE vb_q.{column} > :mark ORDER BY vb_q.{column}"
        )
        out: list[dict[str, Any]] = []
        top = since
        with self.engine.connect() as conn:
            result = conn.execute(sa.text(query), {"mark": since})
            names = [normalise_column(c) for c in result.keys()]  # noqa: SIM118 - a Result's columns
            wanted = column.lower()
            for row in result.fetchmany(self.limit):
                obj = {n: v for n, v in zip(names, row, strict=True) if v is not None}
                top = obj.pop(wanted, top)
                if "_deleted" in obj and not isinstance(obj["_deleted"], bool):
                    obj["_deleted"] = str(obj["_deleted"]).strip().lower() in ("true", "1", "yes")
                out.append(obj)
        return out, top


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    return value if value is not None else _LOWEST


_LOWEST = -(2**62)
"""Below every row version (a table that was empty at the first poll)."""
