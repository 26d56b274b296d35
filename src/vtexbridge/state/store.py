"""StateStore: the state database's engine and its repositories, one per area.

One store object per process (it owns a connection pool and is safe to share between threads). The
store opens the engine, checks the schema and counts rows; the SQL lives in one repository per area,
reached as attributes:

- ``store.entities`` (:class:`~vtexbridge.state.entities.EntityMap`): the entity map, writes in
  flight and entity errors;
- ``store.runs`` (:class:`~vtexbridge.state.runs.RunLog`): run records;
- ``store.orders`` (:class:`~vtexbridge.state.orders.OrderJournal`): order states and deliveries;
- ``store.feed`` / ``store.inbox`` (:mod:`vtexbridge.state.feed`): feed dedup and the hook inbox;
- ``store.actions`` (:class:`~vtexbridge.state.actions.ActionOutbox`): the action outbox;
- ``store.leases`` (:class:`~vtexbridge.state.leases.Leases`): named leases;
- ``store.values`` (:class:`~vtexbridge.state.values.Values`): small JSON values;
- ``store.changes`` (:class:`~vtexbridge.state.changes.ChangeQueue`): the continuous sync's intake
  queue of ERP changes (#13).

Each repository method is one short transaction; batch methods write a whole batch in one
transaction, so a kill loses at most the batch being written, never half of it.

Concurrency. On PostgreSQL several workers on several machines share the store: claims select with
``FOR UPDATE SKIP LOCKED`` so two workers never take the same row (:mod:`vtexbridge.state.queue`),
and a partial unique index refuses a second running action for one order even in the rare
interleavings a snapshot cannot see. On SQLite there is one writer at a time: write transactions
begin ``IMMEDIATE`` (see :mod:`vtexbridge.state.engine`), which makes every claim atomic.

Time comes from the injected clock (``vtexbridge.clock``); leases and claim timeouts assume the
machines sharing a store have NTP-synchronised clocks (seconds of skew against TTLs of minutes).
"""

from __future__ import annotations

from typing import Self

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.errors import SchemaOutdated, StateError
from vtexbridge.state import migrations
from vtexbridge.state._db import Db
from vtexbridge.state.actions import ActionOutbox
from vtexbridge.state.changes import ChangeQueue
from vtexbridge.state.engine import create_state_engine, display_url, sqlite_path
from vtexbridge.state.entities import EntityMap
from vtexbridge.state.feed import FeedDedup, HookInbox
from vtexbridge.state.leases import Leases
from vtexbridge.state.models import SchemaStatus
from vtexbridge.state.orders import OrderJournal
from vtexbridge.state.runs import RunLog
from vtexbridge.state.tables import TABLES
from vtexbridge.state.values import Values

UPGRADE_COMMAND = "vtexbridge state upgrade"


class StateStore:
    """The state database: its engine and schema, and one repository per area (see the module doc).

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
        self.db = Db(self.engine, clock or SystemClock())
        self.entities = EntityMap(self.db)
        self.runs = RunLog(self.db)
        self.orders = OrderJournal(self.db)
        self.feed = FeedDedup(self.db)
        self.inbox = HookInbox(self.db)
        self.actions = ActionOutbox(self.db)
        self.leases = Leases(self.db)
        self.values = Values(self.db)
        self.changes = ChangeQueue(self.db)
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
        with self.db.read() as conn:
            present = set(sa.inspect(conn).get_table_names())
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                if t.name in present
                else None
                for t in TABLES
            }
