"""StateStore: every query of the state database, as a named method (the only module that runs SQL).

One store object per process (it owns a connection pool and is safe to share between threads).
Each method is one short transaction; batch methods write a whole batch in one transaction, so a
kill loses at most the batch being written, never half of it.

Concurrency. On PostgreSQL several workers on several machines share the store: claims select with
``FOR UPDATE SKIP LOCKED`` so two workers never take the same row, and a partial unique index
refuses a second running action for one order even in the rare interleavings a snapshot cannot see.
On SQLite there is one writer at a time: write transactions begin ``IMMEDIATE`` (see
:mod:`vtexbridge.state.engine`), which makes every claim atomic.

Time comes from the injected clock (``vtexbridge.clock``); leases and claim timeouts assume the
machines sharing a store have NTP-synchronised clocks (seconds of skew against TTLs of minutes).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.errors import SchemaOutdated, StateError, StateLocked
from vtexbridge.log import redact_value
from vtexbridge.state import migrations
from vtexbridge.state.engine import BEGIN_OPTION, create_state_engine, display_url, sqlite_path
from vtexbridge.state.models import (
    Accepted,
    Action,
    ActionState,
    Delivery,
    EntityError,
    EntityRecord,
    ErrorRow,
    InboxItem,
    InboxState,
    IndexEntry,
    InFlight,
    Lease,
    OrderState,
    Run,
    RunStatus,
    SchemaStatus,
)
from vtexbridge.state.tables import (
    HASH_SIZE,
    TABLES,
    action_outbox,
    entity_error,
    entity_in_flight,
    entity_map,
    feed_event_seen,
    hook_inbox,
    kv,
    lease,
    order_delivery,
    order_state,
    sync_run,
)

UPGRADE_COMMAND = "vtexbridge state upgrade"
DEFAULT_VISIBILITY = timedelta(minutes=5)
_IN_CHUNK = 500  # keys per IN (...) list: well under SQLite's bound-parameter limit
_LOAD_PARTITION = 20_000
_LOCKED_RE = re.compile(
    r"database is locked|database table is locked|could not obtain lock|deadlock detected", re.I
)


class StateStore:
    """The state database behind named, typed methods.

    Args:
        url: a state URL (``sqlite:///path``, ``postgresql://...``) or an engine.
        clock: the time source (a fake clock in tests).
        check_schema: raise :class:`SchemaOutdated` unless the database is at the code's revision.

    Raises:
        SchemaOutdated: the database needs ``vtexbridge state upgrade`` (or was never initialised).
        StateError: the database cannot be reached, or is newer than this code.
    """

    def __init__(
        self, url: str | URL | Engine, *, clock: Clock | None = None, check_schema: bool = True
    ) -> None:
        self._owns_engine = not isinstance(url, Engine)
        self.engine: Engine = url if isinstance(url, Engine) else create_state_engine(url)
        self._reader = self.engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})
        self._clock: Clock = clock or SystemClock()
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._driver_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        _redact_writes(self.engine)
        try:
            path = sqlite_path(self.engine.url)
            if check_schema and path is not None and not path.exists():
                raise SchemaOutdated(
                    f"state database {path} does not exist; run `{UPGRADE_COMMAND}` to create it"
                )
            if check_schema:
                self.check_schema()
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, url: str | URL, *, create: bool = False, clock: Clock | None = None) -> Self:
        """Open the store; with ``create=True`` an embedded SQLite database is created or upgraded.

        PostgreSQL is never migrated implicitly: several processes share it, and its upgrade is an
        operator's step (``vtexbridge state upgrade``), so an outdated one raises SchemaOutdated.
        """
        engine = create_state_engine(url)
        try:
            path = sqlite_path(engine.url)
            if create and engine.dialect.name == "sqlite":
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                if migrations.current_revision(engine) != migrations.head_revision():
                    migrations.upgrade(engine)
            store = cls(engine, clock=clock)
        except BaseException:
            engine.dispose()
            raise
        store._owns_engine = True
        return store

    def close(self) -> None:
        """Release the connection pool (only when this store created the engine)."""
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema and status ----------------------------------------------------------------------

    def schema_status(self) -> SchemaStatus:
        """The database's migration revision and the one this code needs."""
        return SchemaStatus(migrations.current_revision(self.engine), migrations.head_revision())

    def check_schema(self) -> None:
        """Raise unless the database is at the revision this code needs."""
        status = self.schema_status()
        if status.up_to_date:
            return
        where = display_url(self.engine.url)
        if status.current is None:
            raise SchemaOutdated(
                f"state database {where} is not initialised; run `{UPGRADE_COMMAND}` to create its tables"
            )
        if status.current not in migrations.known_revisions():
            raise StateError(
                f"state database {where} is at revision {status.current}, unknown to this vtexbridge "
                f"(head {status.head}): it was migrated by a newer version; upgrade vtexbridge"
            )
        raise SchemaOutdated(
            f"state database {where} is at revision {status.current}, this vtexbridge needs "
            f"{status.head}; run `{UPGRADE_COMMAND}`"
        )

    def row_counts(self) -> dict[str, int | None]:
        """Rows per state table (None for a table that does not exist yet)."""
        with self._read() as conn:
            present = set(sa.inspect(conn).get_table_names())
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                if t.name in present
                else None
                for t in TABLES
            }

    # --- entities: id map and accepted hashes ---------------------------------------------------

    def load_entity_index(self, account: str, kind: str) -> dict[str, IndexEntry]:
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
        with self._read() as conn, conn.begin():
            compiled = stmt.compile(dialect=conn.dialect)
            params = compiled.construct_params()
            args: Any = (
                tuple(params[n] for n in compiled.positiontup or ()) if compiled.positional else params
            )
            dbapi_conn: Any = conn.connection.dbapi_connection
            cursor = (
                dbapi_conn.cursor() if self._sqlite else dbapi_conn.cursor(name="vtexbridge_entity_index")
            )
            try:
                cursor.execute(str(compiled), args)
                while part := cursor.fetchmany(_LOAD_PARTITION):
                    # SQLite returns booleans as 0/1.
                    out.update(
                        (k, new(IndexEntry, v, bytes(h) if h is not None else None, a is True or a == 1))
                        for k, v, h, a in part
                    )
            finally:
                cursor.close()
        return out

    def get_entity(self, account: str, kind: str, erp_key: str) -> EntityRecord | None:
        t = entity_map
        stmt = sa.select(t).where(t.c.account == account, t.c.kind == kind, t.c.erp_key == erp_key)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return EntityRecord(**row._mapping) if row else None

    def find_erp_key(self, account: str, kind: str, vtex_id: str) -> str | None:
        """The ERP key mapped to a VTEX id (e.g. the SKU of an order item)."""
        t = entity_map
        stmt = sa.select(t.c.erp_key).where(t.c.account == account, t.c.kind == kind, t.c.vtex_id == vtex_id)
        with self._read() as conn:
            return conn.execute(stmt.limit(1)).scalar_one_or_none()

    def record_accepted_batch(self, account: str, rows: Iterable[Accepted]) -> int:
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
        now = self._now()
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
        ins = self._insert(t)
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
        keys = _keys_by_kind(latest)
        with self._write() as conn:
            conn.execute(stmt, params)
            for table in (entity_error, entity_in_flight):
                # Errors and in-flight marks are rare: look for the kinds that have any first.
                present = sa.select(table.c.kind).where(table.c.account == account, table.c.kind.in_(keys))
                for kind in conn.execute(present.distinct()).scalars().all():
                    self._delete_keys(conn, table, account, kind, keys[kind])
        return len(params)

    def forget_entities(self, account: str, kind: str, erp_keys: Iterable[str]) -> int:
        """Remove entities from the map (their VTEX objects were deleted); returns rows removed."""
        with self._write() as conn:
            return self._delete_keys(conn, entity_map, account, kind, list(erp_keys))

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
        now = self._now()
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
        ins = self._insert(t)
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.account, t.c.kind, t.c.erp_key],
            set_={
                "operation": ins.excluded.operation,
                "run_id": ins.excluded.run_id,
                "sent_at": ins.excluded.sent_at,
            },
        )
        with self._write() as conn:
            conn.execute(stmt, params)

    def clear_in_flight(self, account: str, kind: str, erp_keys: Iterable[str]) -> int:
        with self._write() as conn:
            return self._delete_keys(conn, entity_in_flight, account, kind, list(erp_keys))

    def list_in_flight(self, account: str, kind: str | None = None) -> list[InFlight]:
        """Writes whose outcome is unknown: look each up by RefId before creating it again."""
        t = entity_in_flight
        stmt = sa.select(t).where(t.c.account == account).order_by(t.c.kind, t.c.erp_key)
        if kind is not None:
            stmt = stmt.where(t.c.kind == kind)
        with self._read() as conn:
            return [InFlight(**r._mapping) for r in conn.execute(stmt)]

    # --- entity errors --------------------------------------------------------------------------

    def record_errors_batch(
        self, account: str, errors: Iterable[ErrorRow], *, run_id: int | None = None
    ) -> int:
        """Keep each entity's last error (attempts counted, first_seen kept); one transaction."""
        latest = {(e.kind, e.erp_key): e for e in errors}
        if not latest:
            return 0
        now = self._now()
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
        ins = self._insert(t)
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
        with self._write() as conn:
            conn.execute(stmt, params)
        return len(params)

    def clear_errors(self, account: str, kind: str, erp_keys: Iterable[str]) -> int:
        with self._write() as conn:
            return self._delete_keys(conn, entity_error, account, kind, list(erp_keys))

    def list_errors(
        self, account: str, kind: str | None = None, *, limit: int | None = None
    ) -> list[EntityError]:
        """Current errors, most recent first."""
        t = entity_error
        stmt = sa.select(t).where(t.c.account == account)
        if kind is not None:
            stmt = stmt.where(t.c.kind == kind)
        stmt = stmt.order_by(t.c.last_seen.desc(), t.c.kind, t.c.erp_key).limit(limit)
        with self._read() as conn:
            return [EntityError(**r._mapping) for r in conn.execute(stmt)]

    def count_errors(self, account: str) -> dict[str, int]:
        """Current errors per entity kind."""
        t = entity_error
        stmt = sa.select(t.c.kind, sa.func.count()).where(t.c.account == account).group_by(t.c.kind)
        with self._read() as conn:
            return {str(kind): int(n) for kind, n in conn.execute(stmt)}

    # --- runs -----------------------------------------------------------------------------------

    def start_run(self, account: str, flow: str = "sync", *, holder: str | None = None) -> int:
        """Open a run record and return its id."""
        values: dict[str, Any] = {
            "account": account,
            "flow": flow,
            "status": RunStatus.RUNNING.value,
            "holder": holder,
            "started_at": self._now(),
            "counts": {},
        }
        with self._write() as conn:
            return int(conn.execute(sa.insert(sync_run).values(values).returning(sync_run.c.id)).scalar_one())

    def finish_run(
        self,
        run_id: int,
        status: RunStatus | str,
        *,
        counts: Mapping[str, Any] | None = None,
        requests: int = 0,
        errors: int = 0,
        message: str | None = None,
    ) -> None:
        values = {
            "status": RunStatus(status).value,
            "finished_at": self._now(),
            "counts": dict(counts or {}),
            "requests": requests,
            "errors": errors,
            "message": message,
        }
        with self._write() as conn:
            if conn.execute(sa.update(sync_run).where(sync_run.c.id == run_id).values(values)).rowcount != 1:
                raise StateError(f"no run {run_id} to finish")

    def get_run(self, run_id: int) -> Run | None:
        with self._read() as conn:
            row = conn.execute(sa.select(sync_run).where(sync_run.c.id == run_id)).first()
        return Run(**row._mapping) if row else None

    def list_runs(self, account: str | None = None, *, flow: str | None = None, limit: int = 20) -> list[Run]:
        """Runs, newest first."""
        t = sync_run
        stmt = sa.select(t).order_by(t.c.id.desc()).limit(limit)
        if account is not None:
            stmt = stmt.where(t.c.account == account)
        if flow is not None:
            stmt = stmt.where(t.c.flow == flow)
        with self._read() as conn:
            return [Run(**r._mapping) for r in conn.execute(stmt)]

    # --- orders: state and deliveries -----------------------------------------------------------

    def note_order_status(
        self, account: str, order_id: str, status: str, *, changed_at: datetime | None = None
    ) -> bool:
        """Remember an order's status; an event older than the one recorded does not overwrite it.

        Returns:
            True when ``status`` is now the order's last status.
        """
        now = self._now()
        t = order_state
        ins = self._insert(t)
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
        with self._write() as conn:
            return _upserted(conn, stmt)

    def mark_handling_started(self, account: str, order_id: str) -> bool:
        """Record that VTEX accepted start-handling; True the first time only."""
        now = self._now()
        t = order_state
        ins = self._insert(t)
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
        with self._write() as conn:
            return _upserted(conn, stmt)

    def get_order_state(self, account: str, order_id: str) -> OrderState | None:
        t = order_state
        with self._read() as conn:
            row = conn.execute(sa.select(t).where(t.c.account == account, t.c.order_id == order_id)).first()
        return OrderState(**row._mapping) if row else None

    def list_order_states(self, account: str, *, limit: int = 50) -> list[OrderState]:
        """The orders known to the pipeline, most recently updated first."""
        t = order_state
        stmt = (
            sa.select(t)
            .where(t.c.account == account)
            .order_by(t.c.updated_at.desc(), t.c.order_id.desc())
            .limit(limit)
        )
        with self._read() as conn:
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
            self._insert(t)
            .values(
                account=account,
                order_id=order_id,
                status=status,
                sink=sink,
                erp_ref=erp_ref,
                accepted_at=self._now(),
            )
            .on_conflict_do_nothing(index_elements=[t.c.account, t.c.order_id, t.c.status])
        )
        with self._write() as conn:
            return _upserted(conn, stmt)

    def get_delivery(self, account: str, order_id: str, status: str) -> Delivery | None:
        t = order_delivery
        stmt = sa.select(t).where(t.c.account == account, t.c.order_id == order_id, t.c.status == status)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return Delivery(**row._mapping) if row else None

    def list_deliveries(self, account: str, order_id: str) -> list[Delivery]:
        t = order_delivery
        stmt = sa.select(t).where(t.c.account == account, t.c.order_id == order_id).order_by(t.c.accepted_at)
        with self._read() as conn:
            return [Delivery(**r._mapping) for r in conn.execute(stmt)]

    # --- feed dedup -----------------------------------------------------------------------------

    def feed_event_seen(self, account: str, event_key: str) -> bool:
        return event_key in self.seen_feed_events(account, [event_key])

    def seen_feed_events(self, account: str, event_keys: Iterable[str]) -> set[str]:
        """The subset of ``event_keys`` already processed."""
        keys = list(dict.fromkeys(event_keys))
        t = feed_event_seen
        seen: set[str] = set()
        with self._read() as conn:
            for chunk in _chunks(keys):
                stmt = sa.select(t.c.event_key).where(t.c.account == account, t.c.event_key.in_(chunk))
                seen.update(conn.execute(stmt).scalars())
        return seen

    def mark_feed_events(self, account: str, event_keys: Iterable[str], *, committed: bool = False) -> None:
        """Record events as processed; with ``committed=True``, also that VTEX accepted their commit."""
        now = self._now()
        params = [
            {"account": account, "event_key": k, "seen_at": now, "committed_at": now if committed else None}
            for k in sorted(set(event_keys))
        ]
        if not params:
            return
        t = feed_event_seen
        ins = self._insert(t)
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.account, t.c.event_key],
            set_={"committed_at": sa.func.coalesce(t.c.committed_at, ins.excluded.committed_at)},
        )
        with self._write() as conn:
            conn.execute(stmt, params)

    def prune_feed_events(self, older_than: datetime) -> int:
        """Forget events seen before ``older_than`` (keep at least VTEX's feed retention, 14 days)."""
        with self._write() as conn:
            return conn.execute(
                sa.delete(feed_event_seen).where(feed_event_seen.c.seen_at < older_than)
            ).rowcount

    # --- hook inbox -----------------------------------------------------------------------------

    def put_inbox(self, account: str, body: Any) -> int:
        """Store a hook notification durably; returns its id."""
        now = self._now()
        values = {
            "account": account,
            "body": body,
            "received_at": now,
            "state": InboxState.AVAILABLE.value,
            "available_at": now,
        }
        with self._write() as conn:
            return int(
                conn.execute(sa.insert(hook_inbox).values(values).returning(hook_inbox.c.id)).scalar_one()
            )

    def claim_inbox(
        self,
        n: int,
        worker: str,
        *,
        account: str | None = None,
        visibility: timedelta = DEFAULT_VISIBILITY,
    ) -> list[InboxItem]:
        """Claim up to ``n`` items, oldest first. Items claimed longer than ``visibility`` ago by a
        worker that never finished them are claimable again (like a queue's visibility timeout)."""
        now = self._now()
        t = hook_inbox
        ready = sa.or_(
            sa.and_(t.c.state == InboxState.AVAILABLE.value, t.c.available_at <= now),
            sa.and_(t.c.state == InboxState.CLAIMED.value, t.c.claimed_at < now - visibility),
        )
        pick = sa.select(t.c.id).where(ready).order_by(t.c.id).limit(n).with_for_update(skip_locked=True)
        if account is not None:
            pick = pick.where(t.c.account == account)
        stmt = (
            sa.update(t)
            .where(t.c.id.in_(pick.scalar_subquery()))
            .values(
                state=InboxState.CLAIMED.value, claimed_by=worker, claimed_at=now, attempts=t.c.attempts + 1
            )
            .returning(*t.c)
        )
        with self._write() as conn:
            rows = conn.execute(stmt).all()
        return sorted((InboxItem(**r._mapping) for r in rows), key=lambda i: i.id)

    def finish_inbox(self, item_ids: Sequence[int], *, worker: str | None = None) -> int:
        """Mark items done (only those still claimed, and by ``worker`` when given)."""
        t = hook_inbox
        done = 0
        with self._write() as conn:
            for chunk in _chunks(list(item_ids)):
                stmt = (
                    sa.update(t)
                    .where(t.c.id.in_(chunk), t.c.state == InboxState.CLAIMED.value)
                    .values(state=InboxState.DONE.value, done_at=self._now())
                )
                if worker is not None:
                    stmt = stmt.where(t.c.claimed_by == worker)
                done += conn.execute(stmt).rowcount
        return done

    def retry_inbox(self, item_id: int, *, error: str, at: datetime | None = None) -> bool:
        """Put a claimed item back, available from ``at`` (default now), keeping the error."""
        t = hook_inbox
        stmt = (
            sa.update(t)
            .where(t.c.id == item_id, t.c.state == InboxState.CLAIMED.value)
            .values(
                state=InboxState.AVAILABLE.value,
                available_at=at or self._now(),
                claimed_by=None,
                claimed_at=None,
                last_error=error,
            )
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def prune_inbox(self, older_than: datetime) -> int:
        """Delete items done before ``older_than``."""
        t = hook_inbox
        with self._write() as conn:
            return conn.execute(
                sa.delete(t).where(t.c.state == InboxState.DONE.value, t.c.done_at < older_than)
            ).rowcount

    # --- actions outbox -------------------------------------------------------------------------

    def enqueue_action(
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
        now = self._now()
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
            self._insert(t)
            .values(values)
            .on_conflict_do_nothing(index_elements=[t.c.account, t.c.dedup_key])
            .returning(t.c.id)
        )
        with self._write() as conn:
            new_id = conn.execute(stmt).scalar_one_or_none()
            if new_id is not None:
                return int(new_id), True
            existing = conn.execute(
                sa.select(t.c.id).where(t.c.account == account, t.c.dedup_key == dedup_key)
            ).scalar_one()
            return int(existing), False

    def claim_next_action(
        self, worker: str, *, account: str | None = None, visibility: timedelta = DEFAULT_VISIBILITY
    ) -> Action | None:
        """Claim the oldest runnable action, or None.

        An action is runnable when it is pending and due (or running but abandoned for longer than
        ``visibility``), no earlier action of its order is still pending or running, and no other
        action of its order is running: actions of one order run one at a time, in order.
        """
        for _ in range(5):
            try:
                return self._claim_action_once(worker, account, visibility)
            except IntegrityError:
                # The only constraint this UPDATE can break is "one running action per order":
                # another worker committed a claim on the same order after our snapshot. Look again.
                continue
        return None

    def _claim_action_once(self, worker: str, account: str | None, visibility: timedelta) -> Action | None:
        now = self._now()
        t = action_outbox
        o = action_outbox.alias("other")
        running, pending = ActionState.RUNNING.value, ActionState.PENDING.value
        same_order = sa.and_(o.c.account == t.c.account, o.c.order_id == t.c.order_id, o.c.id != t.c.id)
        earlier_open = sa.exists().where(same_order, o.c.id < t.c.id, o.c.state.in_((pending, running)))
        other_running = sa.exists().where(same_order, o.c.state == running)
        ready = sa.or_(
            sa.and_(t.c.state == pending, t.c.available_at <= now),
            sa.and_(t.c.state == running, t.c.claimed_at < now - visibility),
        )
        pick = (
            sa.select(t.c.id)
            .where(ready, ~earlier_open, ~other_running)
            .order_by(t.c.id)
            .limit(1)
            .with_for_update(skip_locked=True, of=t)
        )
        if account is not None:
            pick = pick.where(t.c.account == account)
        stmt = (
            sa.update(t)
            .where(t.c.id == pick.scalar_subquery())
            .values(state=running, claimed_by=worker, claimed_at=now, attempts=t.c.attempts + 1)
            .returning(*t.c)
        )
        with self._write(raw_integrity_errors=True) as conn:
            row = conn.execute(stmt).first()
        return Action(**row._mapping) if row else None

    def heartbeat_action(self, action_id: int, worker: str) -> bool:
        """Extend a running action's claim; False if ``worker`` no longer holds it."""
        t = action_outbox
        stmt = (
            sa.update(t)
            .where(t.c.id == action_id, t.c.state == ActionState.RUNNING.value, t.c.claimed_by == worker)
            .values(claimed_at=self._now())
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def finish_action(
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
            raise ValueError(f"finish_action takes a final state, not {final.value!r}; use retry_action")
        t = action_outbox
        stmt = (
            sa.update(t)
            .where(t.c.id == action_id, t.c.state == ActionState.RUNNING.value)
            .values(state=final.value, vtex_status=vtex_status, vtex_message=message, done_at=self._now())
        )
        if worker is not None:
            stmt = stmt.where(t.c.claimed_by == worker)
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def retry_action(
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
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def requeue_action(self, action_id: int, *, payload: Any = None) -> bool:
        """An operator's retry of a rejected/failed/cancelled action (optionally with a fixed payload)."""
        t = action_outbox
        values: dict[str, Any] = {
            "state": ActionState.PENDING.value,
            "available_at": self._now(),
            "done_at": None,
        }
        if payload is not None:
            values["payload"] = payload
        closed = (ActionState.REJECTED.value, ActionState.FAILED.value, ActionState.CANCELLED.value)
        stmt = sa.update(t).where(t.c.id == action_id, t.c.state.in_(closed)).values(values)
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def get_action(self, action_id: int) -> Action | None:
        with self._read() as conn:
            row = conn.execute(sa.select(action_outbox).where(action_outbox.c.id == action_id)).first()
        return Action(**row._mapping) if row else None

    def find_action(self, account: str, dedup_key: str) -> Action | None:
        """The action queued under ``dedup_key`` (e.g. whether an invoice number was already sent)."""
        t = action_outbox
        with self._read() as conn:
            row = conn.execute(sa.select(t).where(t.c.account == account, t.c.dedup_key == dedup_key)).first()
        return Action(**row._mapping) if row else None

    def list_actions(
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
        with self._read() as conn:
            return [Action(**r._mapping) for r in conn.execute(stmt)]

    # --- leases ---------------------------------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take the lease ``name`` for ``ttl`` if it is free, expired, or already ours (then renewed)."""
        now = self._now()
        t = lease
        ins = self._insert(t)
        stmt = ins.values(
            name=name, holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl
        ).on_conflict_do_update(
            index_elements=[t.c.name],
            set_={
                "holder": ins.excluded.holder,
                "acquired_at": sa.case((t.c.holder == ins.excluded.holder, t.c.acquired_at), else_=now),
                "renewed_at": ins.excluded.renewed_at,
                "expires_at": ins.excluded.expires_at,
            },
            where=sa.or_(t.c.holder == ins.excluded.holder, t.c.expires_at <= now),
        )
        with self._write() as conn:
            return _upserted(conn, stmt)

    def renew_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Extend our lease (the heartbeat); False if it was lost to another holder."""
        now = self._now()
        t = lease
        stmt = (
            sa.update(t)
            .where(t.c.name == name, t.c.holder == holder)
            .values(renewed_at=now, expires_at=now + ttl)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def release_lease(self, name: str, holder: str) -> bool:
        with self._write() as conn:
            return (
                conn.execute(sa.delete(lease).where(lease.c.name == name, lease.c.holder == holder)).rowcount
                == 1
            )

    def get_lease(self, name: str) -> Lease | None:
        with self._read() as conn:
            row = conn.execute(sa.select(lease).where(lease.c.name == name)).first()
        return Lease(**row._mapping) if row else None

    def require_lease(self, name: str, holder: str, ttl: timedelta) -> None:
        """Acquire the lease or raise :class:`StateLocked` naming who holds it and until when."""
        if self.acquire_lease(name, holder, ttl):
            return
        current = self.get_lease(name)
        who = (
            f"{current.holder} until {current.expires_at:%Y-%m-%d %H:%M:%S} UTC"
            if current
            else "another process"
        )
        raise StateLocked(f"{name} is held by {who}")

    # --- operator reads (dashboard and /metrics: counts and short lists, never a full scan) ------

    def count_entities(self, account: str) -> dict[str, int]:
        """Entities VTEX accepted, per kind."""
        t = entity_map
        stmt = sa.select(t.c.kind, sa.func.count()).where(t.c.account == account).group_by(t.c.kind)
        with self._read() as conn:
            return {str(kind): int(n) for kind, n in conn.execute(stmt)}

    def count_orders(self, account: str) -> dict[str, int]:
        """Orders known to the pipeline, per last status seen."""
        t = order_state
        status = sa.func.coalesce(t.c.last_status, "")
        stmt = sa.select(status, sa.func.count()).where(t.c.account == account).group_by(status)
        with self._read() as conn:
            return {str(s): int(n) for s, n in conn.execute(stmt)}

    def list_undelivered_orders(
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
        with self._read() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(t).where(where)).scalar_one()
            rows = conn.execute(sa.select(t).where(where).order_by(oldest, t.c.order_id).limit(limit))
            return int(n), [OrderState(**r._mapping) for r in rows]

    def count_order_stages(self, account: str) -> dict[str, int]:
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
        with self._read() as conn:
            return {name: int(conn.execute(q).scalar_one()) for name, q in queries.items()}

    def count_actions(self, account: str) -> dict[str, int]:
        """Actions in the outbox, per state."""
        t = action_outbox
        stmt = sa.select(t.c.state, sa.func.count()).where(t.c.account == account).group_by(t.c.state)
        with self._read() as conn:
            return {str(s): int(n) for s, n in conn.execute(stmt)}

    # --- small values ---------------------------------------------------------------------------

    def get_value(self, scope: str, key: str, default: Any = None) -> Any:
        with self._read() as conn:
            row = conn.execute(sa.select(kv.c.value).where(kv.c.scope == scope, kv.c.key == key)).first()
        return default if row is None else row[0]

    def put_value(self, scope: str, key: str, value: Any) -> None:
        """Store a small JSON value (a bookmark); never a secret."""
        ins = self._insert(kv)
        stmt = ins.values(scope=scope, key=key, value=value, updated_at=self._now()).on_conflict_do_update(
            index_elements=[kv.c.scope, kv.c.key],
            set_={"value": ins.excluded.value, "updated_at": ins.excluded.updated_at},
        )
        with self._write() as conn:
            conn.execute(stmt)

    # --- plumbing -------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock.now()

    def _insert(self, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
        return sqlite.insert(table) if self._sqlite else postgresql.insert(table)

    @contextmanager
    def _write(self, *, raw_integrity_errors: bool = False) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except DBAPIError as e:
            if raw_integrity_errors and isinstance(e, IntegrityError):
                raise
            raise _translate(e, self.engine) from e
        except StatementError as e:
            raise _unwrap(e) from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read-only transaction (a deferred ``BEGIN`` on SQLite: it never waits for writers)."""
        try:
            with self._reader.connect() as conn:
                yield conn
        except (DBAPIError, self._driver_error) as e:  # the driver's own, from load_entity_index
            raise _translate(e, self.engine) from e
        except StatementError as e:
            raise _unwrap(e) from None

    @staticmethod
    def _delete_keys(conn: Connection, table: sa.Table, account: str, kind: str, erp_keys: list[str]) -> int:
        removed = 0
        for chunk in _chunks(erp_keys):
            stmt = sa.delete(table).where(
                table.c.account == account, table.c.kind == kind, table.c.erp_key.in_(chunk)
            )
            removed += conn.execute(stmt).rowcount
        return removed


# --- secrets at rest (h3, issue #11): every INSERT/UPDATE parameter is redacted -------------------
# One boundary for every table and every caller: a secret registered with vtexbridge.log (app key
# and token, sink URL, web token, hook secret...) or a URL password / auth header / credential query
# parameter never reaches the database, whoever builds the text (an exception's repr, VTEX's
# message, a hook body). JSON values arrive here serialised (text) or wrapped by the driver (.obj).


def _redact_param(value: Any) -> Any:
    if isinstance(value, str):
        return redact_value(value, queries=False)  # query parameters of stored URLs are data
    wrapped = getattr(value, "obj", None)  # psycopg's Json/Jsonb wrappers
    if wrapped is not None and isinstance(wrapped, dict | list | str):
        value.obj = redact_value(wrapped, queries=False)
    return value


def _redact_params(params: Any) -> Any:
    if isinstance(params, Mapping):
        return {k: _redact_param(v) for k, v in params.items()}
    if isinstance(params, tuple | list):
        return type(params)(_redact_param(v) for v in params)
    return params


# tables of keys, hashes and times only (the sync's bulk writes): nothing there to redact
_KEYS_ONLY = frozenset({"entity_map", "entity_in_flight", "feed_event_seen", "lease"})


def _target(statement: str) -> str | None:
    """The table an INSERT or UPDATE writes (None for any other statement)."""
    words = statement[:120].split(None, 3)
    verb = words[0].upper() if words else ""
    if verb == "INSERT" and len(words) > 2:
        return words[2].strip('"').split("(", 1)[0]
    if verb == "UPDATE" and len(words) > 1:
        return words[1].strip('"')
    return None


def _before_execute(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    table = _target(statement)
    if table is None or table in _KEYS_ONLY:
        return statement, parameters
    if executemany:
        return statement, [_redact_params(p) for p in parameters]
    return statement, _redact_params(parameters)


def _redact_writes(engine: Engine) -> None:
    if not sa.event.contains(engine, "before_cursor_execute", _before_execute):
        sa.event.listen(engine, "before_cursor_execute", _before_execute, retval=True)


# --- end of the secrets-at-rest block -------------------------------------------------------------


def _translate(e: Exception, engine: Engine) -> StateError:
    detail = str(e.orig or e if isinstance(e, DBAPIError) else e).strip()
    where = display_url(engine.url)
    if _LOCKED_RE.search(detail):
        return StateLocked(f"state database {where} is busy (another process holds its lock): {detail}")
    return StateError(f"state database {where}: {detail}")


def _upserted(conn: Connection, stmt: sa.Executable) -> bool:
    """Whether an INSERT ... ON CONFLICT wrote a row (SQLAlchemy keeps INSERT rowcounts only on request)."""
    return conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount == 1


def _unwrap(e: StatementError) -> Exception:
    """A bad argument (e.g. a naive datetime) caught while binding: give the caller its own error."""
    return e.orig if isinstance(e.orig, Exception) else e


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


def _keys_by_kind(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for kind, erp_key in keys:
        out[kind].append(erp_key)
    return out
