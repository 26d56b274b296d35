"""The plumbing every state repository shares: one engine, its transactions, and their boundary.

A :class:`Db` holds the engine (and a deferred-``BEGIN`` reader view of it), the clock, and the
dialect's ``INSERT ... ON CONFLICT``. :meth:`Db.write` and :meth:`Db.read` are the only ways the
repositories reach the database: each is one transaction, and turns driver errors into
:class:`~vtexbridge.errors.StateError` / :class:`~vtexbridge.errors.StateLocked`.

Secrets at rest (h3, issue #11): every INSERT/UPDATE parameter is redacted by one engine event
installed here, for every table and every caller (see :func:`redact_writes`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from vtexbridge.clock import Clock
from vtexbridge.errors import StateError, StateLocked
from vtexbridge.log import redact_value
from vtexbridge.state.engine import BEGIN_OPTION, display_url

IN_CHUNK = 500  # keys per IN (...) list: well under SQLite's bound-parameter limit
_LOCKED_RE = re.compile(
    r"database is locked|database table is locked|could not obtain lock|deadlock detected", re.I
)


class Db:
    """One engine's transactions, clock and dialect, shared by the repositories of a store."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.sqlite = engine.dialect.name == "sqlite"
        self._reader = engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        redact_writes(engine)

    def now(self) -> datetime:
        return self.clock.now()

    def insert(self, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT (both offer ``on_conflict_do_update`` / ``on_conflict_do_nothing``)."""
        return sqlite.insert(table) if self.sqlite else postgresql.insert(table)

    @contextmanager
    def write(self, *, raw_integrity_errors: bool = False) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except DBAPIError as e:
            if raw_integrity_errors and isinstance(e, IntegrityError):
                raise
            raise translate(e, self.engine) from e
        except StatementError as e:
            raise _unwrap(e) from None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read-only transaction (a deferred ``BEGIN`` on SQLite: it never waits for writers)."""
        try:
            with self._reader.connect() as conn:
                yield conn
        except (DBAPIError, self._driver_error) as e:  # the driver's own, from a raw cursor
            raise translate(e, self.engine) from e
        except StatementError as e:
            raise _unwrap(e) from None


def translate(e: Exception, engine: Engine) -> StateError:
    detail = str(e.orig or e if isinstance(e, DBAPIError) else e).strip()
    where = display_url(engine.url)
    if _LOCKED_RE.search(detail):
        return StateLocked(f"state database {where} is busy (another process holds its lock): {detail}")
    return StateError(f"state database {where}: {detail}")


def _unwrap(e: StatementError) -> Exception:
    """A bad argument (e.g. a naive datetime) caught while binding: give the caller its own error."""
    return e.orig if isinstance(e.orig, Exception) else e


def upserted(conn: Connection, stmt: sa.Executable) -> bool:
    """Whether an INSERT ... ON CONFLICT wrote a row (SQLAlchemy keeps INSERT rowcounts only on request)."""
    return conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount == 1


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), IN_CHUNK):
        yield items[i : i + IN_CHUNK]


def keys_by_kind(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for kind, erp_key in keys:
        out[kind].append(erp_key)
    return out


def count_per(db: Db, table: sa.Table, key: Any, account: str) -> dict[str, int]:
    """How many rows of ``account`` in ``table`` per value of ``key`` (a column or an expression)."""
    stmt = sa.select(key, sa.func.count()).where(table.c.account == account).group_by(key)
    with db.read() as conn:
        return {str(k): int(n) for k, n in conn.execute(stmt)}


def delete_keys(conn: Connection, table: sa.Table, account: str, kind: str, erp_keys: list[str]) -> int:
    """Delete rows of ``(account, kind, erp_key in erp_keys)``, a chunk of keys at a time."""
    removed = 0
    for chunk in chunks(erp_keys):
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


def redact_writes(engine: Engine) -> None:
    """Install the redaction of INSERT/UPDATE parameters on ``engine`` (once)."""
    if not sa.event.contains(engine, "before_cursor_execute", _before_execute):
        sa.event.listen(engine, "before_cursor_execute", _before_execute, retval=True)


# --- end of the secrets-at-rest block -------------------------------------------------------------
