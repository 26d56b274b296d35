"""Throw-away PostgreSQL schemas for tests and benches: ``with scratch_schema(pg_url) as url: ...``.

Each run gets its own schema (``{prefix}_<random>``) on a shared server, selected through every
connection's ``search_path``, migrated to the current revision and dropped at the end, so runs on the
same server never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from vtexbridge.state import migrations
from vtexbridge.state.engine import normalise_url

__all__ = ["schema_url", "scratch_schema"]


def schema_url(pg_url: str, schema: str) -> str:
    """``pg_url`` with every connection's search_path set to ``schema``."""
    url = normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def scratch_schema(pg_url: str, prefix: str = "vbscratch", *, migrate: bool = True) -> Iterator[str]:
    """A new schema of ``pg_url`` (migrated unless ``migrate`` is false); yields its URL, drops it after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = schema_url(pg_url, schema)
        if migrate:
            migrations.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
