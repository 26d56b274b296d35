"""Alembic migrations of the state database, driven from code (no ``alembic.ini`` needed).

``upgrade(url)`` brings a database to the schema this code needs; ``vtexbridge state upgrade`` calls
it. To write a new revision during development, point Alembic at a database at head and let it
compare against ``vtexbridge.state.tables``::

    from alembic import command
    from vtexbridge.state.migrations import alembic_config
    command.revision(alembic_config("sqlite:///dev.db"), message="add x", autogenerate=True)
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError

from vtexbridge.errors import StateError
from vtexbridge.state.engine import BEGIN_OPTION, create_state_engine, display_url

SCRIPT_LOCATION = Path(__file__).resolve().parent
# Alembic keeps the running migration in a module-level context: one migration per process at a time.
_ALEMBIC_LOCK = threading.Lock()


def alembic_config(url: str | URL | None = None, *, connection: Connection | None = None) -> Config:
    """An Alembic config for our migrations, bound to a URL or to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head_revision() -> str:
    """The revision this code's schema corresponds to."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise StateError("no migration revisions shipped with vtexbridge")
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision shipped with this code."""
    return frozenset({s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()})


def current_revision(target: str | URL | Engine) -> str | None:
    """The revision the database is at (None for a database never migrated)."""
    with _connection(target, read_only=True) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: head).

    Safe to run from several processes at once: they take turns (see ``env.py``) and the later ones
    find nothing to do.
    """
    with _ALEMBIC_LOCK, _connection(target) as conn:
        command.upgrade(alembic_config(connection=conn), revision)
        conn.commit()


def downgrade(target: str | URL | Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"`` drops every state table)."""
    with _ALEMBIC_LOCK, _connection(target) as conn:
        command.downgrade(alembic_config(connection=conn), revision)
        conn.commit()


@contextmanager
def _connection(target: str | URL | Engine, *, read_only: bool = False) -> Iterator[Connection]:
    engine = target if isinstance(target, Engine) else create_state_engine(target)
    try:
        with engine.connect() as conn:
            if read_only:
                conn.execution_options(**{BEGIN_OPTION: "DEFERRED"})
            yield conn
    except DBAPIError as e:
        raise StateError(f"state database {display_url(engine.url)}: {e.orig or e}") from e
    finally:
        if engine is not target:
            engine.dispose()


__all__ = [
    "SCRIPT_LOCATION",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "known_revisions",
    "upgrade",
]
