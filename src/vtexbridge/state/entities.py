"""The entity map: what VTEX accepted of each ERP entity, the writes in flight, and the last errors.

``entity_map`` holds, per (account, kind, ERP key), the VTEX id, the hash of the payload VTEX accepted
and whether it is active: the planner's memory. ``entity_in_flight`` marks writes sent but not yet
known to be accepted (looked up by RefId before being created again); ``entity_error`` keeps each
entity's last error. Recording an acceptance clears both in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from vtexbridge.state._db import Db, count_per, delete_keys, keys_by_kind
from vtexbridge.state.models import Accepted, EntityError, EntityRecord, ErrorRow, IndexEntry, InFlight
from vtexbridge.state.tables import HASH_SIZE, entity_error, entity_in_flight, entity_map

LOAD_PARTITION = 20_000


class EntityMap:
    """Entities VTEX accepted, writes in flight and entity errors, per account (``store.entities``)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def load_index(self, account: str, kind: str) -> dict[str, IndexEntry]:
        """Every entity of ``kind``: erp_key -> (vtex_id, payload_hash, active).

        The planner's hot path: a million rows load in a few seconds. Rows are streamed (a
        server-side cursor on PostgreSQL) and read through the driver's cursor directly, skipping
        SQLAlchemy's row objects, which would double the time. Memory is about 280 bytes per entity
        in CPython (the key, the id, a 16-byte hash and the tuple), see docs/state.md.
        """
        t = entity_map
        stmt = sa.select(t.c.erp_key, t.c.vtex_id, t.c.payload_hash, t.c.active).where(
            t.c.account == account, t.c.kind == kind
        )
        out: dict[str, IndexEntry] = {}
        new = IndexEntry.__new__
        with self._db.read() as conn, conn.begin():
            compiled = stmt.compile(dialect=conn.dialect)
            params = compiled.construct_params()
            args: Any = (
                tuple(params[n] for n in compiled.positiontup or ()) if compiled.positional else params
            )
            dbapi_conn: Any = conn.connection.dbapi_connection
            cursor = (
                dbapi_conn.cursor() if self._db.sqlite else dbapi_conn.cursor(name="vtexbridge_entity_index")
            )
            try:
                cursor.execute(str(compiled), args)
                while part := cursor.fetchmany(LOAD_PARTITION):
                    # SQLite returns booleans as 0/1.
                    out.update(
                        (k, new(IndexEntry, v, bytes(h) if h is not None else None, a is True or a == 1))
                        for k, v, h, a in part
                    )
            finally:
                cursor.close()
        return out

    def get(self, account: str, kind: str, erp_key: str) -> EntityRecord | None:
        t = entity_map
        stmt = sa.select(t).where(t.c.account == account, t.c.kind == kind, t.c.erp_key == erp_key)
        with self._db.read() as conn:
            row = conn.execute(stmt).first()
        return EntityRecord(**row._mapping) if row else None

    def find_erp_key(self, account: str, kind: str, vtex_id: str) -> str | None:
        """The ERP key mapped to a VTEX id (e.g. the SKU of an order item)."""
        t = entity_map
        stmt = sa.select(t.c.erp_key).where(t.c.account == account, t.c.kind == kind, t.c.vtex_id == vtex_id)
        with self._db.read() as conn:
            return conn.execute(stmt.limit(1)).scalar_one_or_none()

    def record_accepted(self, account: str, rows: Iterable[Accepted]) -> int:
        """Upsert what VTEX accepted, clear those entities' errors and in-flight marks; one transaction.

        Idempotent: recording the same rows again changes nothing but ``accepted_at``. A row whose
        ``vtex_id`` is None keeps the id already recorded. The last row wins when a key repeats.

        Returns:
            The number of distinct entities written.
        """
        latest: dict[tuple[str, str], Accepted] = {}
        for r in rows:
            if r.payload_hash is not None and len(r.payload_hash) != HASH_SIZE:
                size = len(r.payload_hash)
                raise ValueError(
                    f"{r.kind} {r.erp_key!r}: payload_hash must be {HASH_SIZE} bytes, not {size}"
                )
            latest[(r.kind, r.erp_key)] = r
        if not latest:
            return 0
        now = self._db.now()
        params = [
            {
                "account": account,
                "kind": r.kind,
                "erp_key": r.erp_key,
                "vtex_id": r.vtex_id,
                "parent_key": r.parent_key,
                "payload_hash": r.payload_hash,
                "active": r.active,
                "accepted_at": now,
            }
            for _, r in sorted(latest.items())  # one lock order for every writer: no deadlocks
        ]
        t = entity_map
        ins = self._db.insert(t)
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.account, t.c.kind, t.c.erp_key],
            set_={
                "vtex_id": sa.func.coalesce(ins.excluded.vtex_id, t.c.vtex_id),
                "parent_key": ins.excluded.parent_key,
                "payload_hash": ins.excluded.payload_hash,
                "active": ins.excluded.active,
                "accepted_at": ins.excluded.accepted_at,
            },
        )
        keys = keys_by_kind(latest)
        with self._db.write() as conn:
            conn.execute(stmt, params)
            for table in (entity_error, entity_in_flight):
                # Errors and in-flight marks are rare: look for the kinds that have any first.
                present = sa.select(table.c.kind).where(table.c.account == account, table.c.kind.in_(keys))
                for kind in conn.execute(present.distinct()).scalars().all():
                    delete_keys(conn, table, account, kind, keys[kind])
        return len(params)

    def forget(self, account: str, kind: str, erp_keys: Iterable[str]) -> int:
        """Remove entities from the map (their VTEX objects were deleted); returns rows removed."""
        with self._db.write() as conn:
            return delete_keys(conn, entity_map, account, kind, list(erp_keys))

    def count(self, account: str) -> dict[str, int]:
        """Entities VTEX accepted, per kind."""
        return count_per(self._db, entity_map, entity_map.c.kind, account)

    # --- in-flight writes -----------------------------------------------------------------------

    def mark_in_flight(
        self,
        account: str,
        kind: str,
        erp_keys: Iterable[str],
        *,
        operation: str = "create",
        run_id: int | None = None,
    ) -> None:
        """Record, before sending, that these writes are about to go out (committed on return)."""
        now = self._db.now()
        params = [
            {
                "account": account,
                "kind": kind,
                "erp_key": k,
                "operation": operation,
                "run_id": run_id,
                "sent_at": now,
            }
            for k in sorted(set(erp_keys))
        ]
        if not params:
            return
        t = entity_in_flight
        ins = self._db.insert(t)
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.account, t.c.kind, t.c.erp_key],
            set_={
                "operation": ins.excluded.operation,
                "run_id": ins.excluded.run_id,
                "sent_at": ins.excluded.sent_at,
            },
        )
        with self._db.write() as conn:
            conn.execute(stmt, params)

    def clear_in_flight(self, account: str, kind: str, erp_keys: Iterable[str]) -> int:
        with self._db.write() as conn:
            return delete_keys(conn, entity_in_flight, account, kind, list(erp_keys))

    def list_in_flight(self, account: str, kind: str | None = None) -> list[InFlight]:
        """Writes whose outcome is unknown: look each up by RefId before creating it again."""
        t = entity_in_flight
        stmt = sa.select(t).where(t.c.account == account).order_by(t.c.kind, t.c.erp_key)
        if kind is not None:
            stmt = stmt.where(t.c.kind == kind)
        with self._db.read() as conn:
            return [InFlight(**r._mapping) for r in conn.execute(stmt)]

    # --- entity errors --------------------------------------------------------------------------

    def record_errors(self, account: str, errors: Iterable[ErrorRow], *, run_id: int | None = None) -> int:
        """Keep each entity's last error (attempts counted, first_seen kept); one transaction."""
        latest = {(e.kind, e.erp_key): e for e in errors}
        if not latest:
            return 0
        now = self._db.now()
        params = [
            {
                "account": account,
                "kind": e.kind,
                "erp_key": e.erp_key,
                "category": e.category,
                "field": e.field,
                "message": e.message,
                "source": e.source,
                "vtex_status": e.vtex_status,
                "vtex_code": e.vtex_code,
                "vtex_message": e.vtex_message,
                "run_id": run_id,
                "attempts": 1,
                "first_seen": now,
                "last_seen": now,
            }
            for _, e in sorted(latest.items())
        ]
        t = entity_error
        ins = self._db.insert(t)
        replaced = (
            "category",
            "field",
            "message",
            "source",
            "vtex_status",
            "vtex_code",
            "vtex_message",
            "run_id",
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.account, t.c.kind, t.c.erp_key],
            set_={
                **{c: ins.excluded[c] for c in replaced},
                "attempts": t.c.attempts + 1,
                "last_seen": ins.excluded.last_seen,
            },
        )
        with self._db.write() as conn:
            conn.execute(stmt, params)
        return len(params)

    def clear_errors(self, account: str, kind: str, erp_keys: Iterable[str]) -> int:
        with self._db.write() as conn:
            return delete_keys(conn, entity_error, account, kind, list(erp_keys))

    def list_errors(
        self, account: str, kind: str | None = None, *, limit: int | None = None
    ) -> list[EntityError]:
        """Current errors, most recent first."""
        t = entity_error
        stmt = sa.select(t).where(t.c.account == account)
        if kind is not None:
            stmt = stmt.where(t.c.kind == kind)
        stmt = stmt.order_by(t.c.last_seen.desc(), t.c.kind, t.c.erp_key).limit(limit)
        with self._db.read() as conn:
            return [EntityError(**r._mapping) for r in conn.execute(stmt)]

    def count_errors(self, account: str) -> dict[str, int]:
        """Current errors per entity kind."""
        return count_per(self._db, entity_error, entity_error.c.kind, account)
