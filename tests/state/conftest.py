"""State fixtures: the same tests run on SQLite (a file per test) and PostgreSQL (a schema per module).

SQLite: the schema is migrated once per session into a template file, and each test gets a copy.
PostgreSQL: each test module gets its own schema (``vbstate_<random>``, selected through the
connection's ``search_path``), migrated once and emptied between tests, and dropped at the end, so
runs on the same server never see each other's rows.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from vtexbridge.clock import FakeClock
from vtexbridge.state import StateStore, migrations
from vtexbridge.state.engine import normalise_url
from vtexbridge.state.tables import table_names

BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.pg)]


def schema_url(pg_url: str, schema: str) -> str:
    """``pg_url`` with every connection's search_path set to ``schema``."""
    url = normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


class PgSchemas:
    """Creates throw-away schemas on the test server and drops them all at the end."""

    def __init__(self) -> None:
        self._admin: sa.Engine | None = None
        self._schemas: list[str] = []
        self._migrated: tuple[str, str] | None = None  # (schema, url)

    def _engine(self, pg_url: str) -> sa.Engine:
        if self._admin is None:
            self._admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
        return self._admin

    def new(self, pg_url: str) -> str:
        """A new empty schema; returns a URL that uses it."""
        return schema_url(pg_url, self._create(pg_url))

    def migrated(self, pg_url: str) -> str:
        """The module's migrated schema, emptied of rows."""
        if self._migrated is None:
            schema = self._create(pg_url)
            url = schema_url(pg_url, schema)
            migrations.upgrade(url)
            self._migrated = (schema, url)
            return url
        schema, url = self._migrated
        tables = ", ".join(f'"{schema}"."{name}"' for name in table_names())
        with self._engine(pg_url).connect() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        return url

    def _create(self, pg_url: str) -> str:
        schema = f"vbstate_{uuid.uuid4().hex[:12]}"
        with self._engine(pg_url).connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        return schema

    def drop_all(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for schema in self._schemas:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self._admin.dispose()


@pytest.fixture(scope="module")
def pg_schemas() -> Iterator[PgSchemas]:
    schemas = PgSchemas()
    yield schemas
    schemas.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("state-template") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")  # the engine is disposed: the WAL is checkpointed away
    return path


@pytest.fixture(params=BACKENDS)
def state_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_schemas: PgSchemas
) -> str:
    """A migrated, empty state database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "state.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    return pg_schemas.migrated(request.getfixturevalue("pg_url"))


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path, pg_schemas: PgSchemas) -> str:
    """A state database with no tables at all, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return pg_schemas.new(request.getfixturevalue("pg_url"))


@pytest.fixture
def pg_empty_url(pg_url: str, pg_schemas: PgSchemas) -> str:
    """An empty PostgreSQL schema (no tables)."""
    return pg_schemas.new(pg_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_700_000_000.0)


@pytest.fixture
def store(state_url: str, clock: FakeClock) -> Iterator[StateStore]:
    with StateStore(state_url, clock=clock) as s:
        yield s
