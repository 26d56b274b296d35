"""The sync's acceptance tests use the harness of ``tests/sync`` (in-process sandbox, settings, the
field-by-field check); this module makes it importable from here and adds the state fixtures' helpers."""

from __future__ import annotations

from pathlib import Path

from tests.sync.sync_harness import (
    ACCOUNT,
    EXAMPLE_ERP,
    ROOT,
    Sandbox,
    assert_matches_erp,
    copy_store,
    dump_over_http,
    edit_csv,
    edit_csv_where,
    seed_trade_policies,
    settings_for,
    sync,
)
from vtexbridge.state import migrations

__all__ = [
    "ACCOUNT",
    "EXAMPLE_ERP",
    "ROOT",
    "Sandbox",
    "assert_matches_erp",
    "copy_store",
    "dump_over_http",
    "edit_csv",
    "edit_csv_where",
    "migrated_sqlite",
    "seed_trade_policies",
    "settings_for",
    "sync",
]


def migrated_sqlite(path: Path) -> str:
    """A migrated SQLite state database at ``path``."""
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    return url
