"""Engines for the state database: SQLite (embedded default) or PostgreSQL (shared by many workers).

SQLite connections get ``journal_mode=WAL`` (readers never block the writer), ``synchronous=NORMAL``
(durable at each checkpoint, safe against application crashes), ``foreign_keys=ON`` and a busy
timeout. Transactions on SQLite begin ``IMMEDIATE`` by default, so a writer takes the database's
single write lock at ``BEGIN`` and waits for it there (up to the busy timeout) instead of failing
half-way through when another process wrote first; read-only work opts into a deferred ``BEGIN``
with the ``vtexbridge_begin="DEFERRED"`` execution option.

PostgreSQL URLs are normalised to the psycopg 3 driver: ``postgresql://`` and ``postgres://`` become
``postgresql+psycopg://``.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from vtexbridge.errors import ConfigError

BEGIN_OPTION = "vtexbridge_begin"
DEFAULT_BUSY_TIMEOUT_S = 10.0
_PG_DRIVERS = {"postgres", "postgresql", "postgresql+psycopg"}
_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}


def normalise_url(url: str | URL) -> URL:
    """Parse a state URL and pick our driver; raise :class:`ConfigError` for anything unsupported."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"state.url {str(url)!r} is not a database URL "
            "(e.g. sqlite:///vtexbridge.db or postgresql://user@host/db)"
        ) from None
    if parsed.drivername in _PG_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in _SQLITE_DRIVERS:
        return parsed.set(drivername="sqlite")
    raise ConfigError(
        f"state.url uses {parsed.drivername!r}; vtexbridge supports sqlite:///path and postgresql://..."
    )


def display_url(url: str | URL) -> str:
    """The URL with any password replaced by ``***``, for messages and ``state status``."""
    return make_url(url).render_as_string(hide_password=True)


def is_memory_sqlite(url: URL) -> bool:
    return url.drivername == "sqlite" and url.database in (None, "", ":memory:")


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL and in-memory SQLite)."""
    parsed = normalise_url(url)
    if parsed.drivername != "sqlite" or is_memory_sqlite(parsed) or parsed.database is None:
        return None
    return Path(parsed.database)


def create_state_engine(
    url: str | URL, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, echo: bool = False
) -> Engine:
    """Create the engine for ``url`` with the pragmas and transaction mode described above."""
    parsed = normalise_url(url)
    if parsed.drivername == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_s=busy_timeout_s, echo=echo)
    connect_args: dict[str, Any] = {}
    if "application_name" not in parsed.query:
        connect_args["application_name"] = "vtexbridge"
    return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, echo=echo)


def _switch_to_wal(cur: Any, busy_timeout_s: float) -> None:
    """``PRAGMA journal_mode=WAL``, waiting for the lock like any writer would.

    Switching a new database to WAL needs its exclusive lock, and SQLite answers ``database is
    locked`` at once (without calling the busy handler) when another process is doing the same:
    several processes opening a fresh state database together must take turns here.
    """
    deadline = time.monotonic() + busy_timeout_s
    pause = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


def _sqlite_engine(url: URL, *, busy_timeout_s: float, echo: bool) -> Engine:
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": busy_timeout_s},
        "echo": echo,
    }
    memory = is_memory_sqlite(url)
    if memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs["poolclass"] = StaticPool
    engine = sa.create_engine(url, **kwargs)
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN (below) own transactions instead of the sqlite3 module's implicit ones.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            if not memory:
                _switch_to_wal(cur, busy_timeout_s)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
        if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
            raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
