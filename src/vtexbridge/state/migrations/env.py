"""Alembic environment: run by ``vtexbridge.state.migrations`` with a connection, never from an ini file.

Migrations run in one transaction on both databases. On PostgreSQL an advisory lock serialises
concurrent ``vtexbridge state upgrade`` runs; on SQLite the immediate ``BEGIN`` of our engine does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection

from vtexbridge.state.engine import create_state_engine
from vtexbridge.state.tables import metadata

MIGRATION_LOCK_KEY = 0x76746578  # "vtex": pg_advisory_xact_lock key held while migrating


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        context.run_migrations()


def run() -> None:
    if context.is_offline_mode():
        raise RuntimeError("vtexbridge migrations run online only (no --sql mode)")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url given to the migration environment")
    engine = create_state_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


run()
