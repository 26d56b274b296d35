"""The SQLite engine's connection set-up: switching a new database to WAL takes turns."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from vtexbridge.state.engine import _switch_to_wal


class _Cursor:
    """Answers ``database is locked`` (as SQLite does, without waiting) ``locked`` times, then works."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.locked = locked
        self.message = message
        self.calls: list[str] = []

    def execute(self, sql: str, *args: Any) -> None:
        self.calls.append(sql)
        if len(self.calls) <= self.locked:
            raise sqlite3.OperationalError(self.message)


def test_a_locked_wal_switch_is_tried_again_until_it_goes_through() -> None:
    cur = _Cursor(locked=3)
    _switch_to_wal(cur, busy_timeout_s=5.0)
    assert cur.calls == ["PRAGMA journal_mode=WAL"] * 4


def test_a_wal_switch_locked_past_the_busy_timeout_fails() -> None:
    cur = _Cursor(locked=10_000)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _switch_to_wal(cur, busy_timeout_s=0.05)
    assert 1 < len(cur.calls) < 10_000


def test_other_errors_are_not_retried() -> None:
    cur = _Cursor(locked=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _switch_to_wal(cur, busy_timeout_s=5.0)
    assert len(cur.calls) == 1
