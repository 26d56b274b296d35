"""Migrations: a database built by ``upgrade head`` equals ``tables.metadata``, every revision
round-trips, and a store refuses a database that is not at the code's revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from vtexbridge.errors import ConfigError, SchemaOutdated, StateError
from vtexbridge.state import StateStore, migrations
from vtexbridge.state.engine import create_state_engine, display_url, normalise_url, sqlite_path
from vtexbridge.state.tables import metadata, table_names


def schema_diff(url: str) -> list[Any]:
    engine = create_state_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()


def tables_in(url: str) -> set[str]:
    engine = create_state_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_builds_exactly_the_declared_schema(empty_url: str) -> None:
    assert migrations.current_revision(empty_url) is None
    migrations.upgrade(empty_url)
    assert migrations.current_revision(empty_url) == migrations.head_revision()
    assert schema_diff(empty_url) == []
    assert tables_in(empty_url) == {*table_names(), "alembic_version"}


def test_every_revision_round_trips(empty_url: str) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    migrations.upgrade(empty_url)
    for down_to in [*reversed(revisions[:-1]), "base"]:
        migrations.downgrade(empty_url, down_to)
    assert tables_in(empty_url) <= {"alembic_version"}
    migrations.upgrade(empty_url)
    assert schema_diff(empty_url) == []


def test_upgrade_is_idempotent(empty_url: str) -> None:
    migrations.upgrade(empty_url)
    migrations.upgrade(empty_url)
    assert migrations.current_revision(empty_url) == migrations.head_revision()


def test_store_refuses_an_uninitialised_database(empty_url: str) -> None:
    with pytest.raises(SchemaOutdated, match="vtexbridge state upgrade") as info:
        StateStore(empty_url)
    assert info.value.exit_code == 2


def test_store_refuses_a_database_from_a_newer_version(empty_url: str) -> None:
    migrations.upgrade(empty_url)
    engine = create_state_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    with pytest.raises(StateError, match="newer version") as info:
        StateStore(empty_url)
    assert not isinstance(info.value, SchemaOutdated)


def test_open_with_create_builds_an_embedded_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'state.db'}"
    with StateStore.open(url, create=True) as store:
        assert store.schema_status().up_to_date
    with StateStore.open(url, create=True) as store:  # second open: nothing to do
        assert store.row_counts()["entity_map"] == 0


@pytest.mark.pg
def test_open_never_migrates_postgresql(pg_empty_url: str) -> None:
    url = pg_empty_url
    with pytest.raises(SchemaOutdated, match="vtexbridge state upgrade"):
        StateStore.open(url, create=True)
    assert migrations.current_revision(url) is None


def test_open_without_create_refuses_a_new_sqlite_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaOutdated, match="does not exist"):
        StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    assert not (tmp_path / "state.db").exists()


def test_unreachable_database_is_a_state_error() -> None:
    with pytest.raises(StateError, match=r"127\.0\.0\.1:1/nowhere") as info:
        StateStore("postgresql://postgres:secret@127.0.0.1:1/nowhere")
    assert "secret" not in str(info.value)


def test_database_enforces_one_running_action_per_order(state_url: str) -> None:
    with StateStore(state_url) as store:
        a, _ = store.actions.enqueue("acc", "o-1", "invoice", {})
        b, _ = store.actions.enqueue("acc", "o-1", "tracking", {})
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE action_outbox SET state = 'running'"))
        with store.engine.begin() as conn:  # two orders running at once is fine
            conn.execute(sa.text("UPDATE action_outbox SET state = 'running', order_id = 'o-' || id"))
        assert {store.actions.get(i).state for i in (a, b)} == {"running"}  # type: ignore[union-attr]


# --- engine ---------------------------------------------------------------------------------------


def test_urls_are_normalised_to_our_drivers() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ConfigError, match="supports sqlite"):
        normalise_url("mysql://u@h/db")
    with pytest.raises(ConfigError, match="not a database URL"):
        normalise_url("vtexbridge.db")
    assert display_url("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db"
    assert sqlite_path("sqlite:///dir/x.db") == Path("dir/x.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql://h/db") is None


def test_sqlite_connections_use_wal_and_the_pragmas(tmp_path: Path) -> None:
    engine = create_state_engine(f"sqlite:///{tmp_path / 'p.db'}", busy_timeout_s=3)
    with engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    engine.dispose()
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 3000}


def test_in_memory_sqlite_store(tmp_path: Path) -> None:
    with StateStore.open("sqlite://", create=True) as store:
        store.values.put("s", "k", 1)
        assert store.values.get("s", "k") == 1
