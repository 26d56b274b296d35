"""Shared fixtures: a clean environment for every test, and service checks for PostgreSQL and Redis.

A test that needs PostgreSQL or Redis asks for the ``pg_url`` / ``redis_url`` fixture. When the
service is absent the test is skipped with the reason, unless ``VTEXBRIDGE_REQUIRE_SERVICES=1``
(set by ``.ci/run``), in which case it fails: CI always runs them.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("VTEXBRIDGE_REQUIRE_SERVICES") == "1"
ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("VTEXBRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("VTEXBRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, under VTEXBRIDGE_REQUIRE_SERVICES=1, fail) when the service is not listening."""
    if _port_open(host, port):
        return
    msg = f"{name} is not reachable at {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{msg}, and VTEXBRIDGE_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(f"{msg} (start it, or set VTEXBRIDGE_TEST_PG_URL / VTEXBRIDGE_TEST_REDIS_URL)")


@pytest.fixture
def pg_url() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return PG_URL


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's VTEXBRIDGE_* settings or config file."""
    for name in list(os.environ):
        if name.startswith("VTEXBRIDGE_") and name not in (
            "VTEXBRIDGE_REQUIRE_SERVICES",
            "VTEXBRIDGE_TEST_PG_URL",
            "VTEXBRIDGE_TEST_REDIS_URL",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """A command run in-process (``setup_logging``) changes the root logger's level and handlers for
    the whole process: put them back, so no later test loses its captured log lines (``caplog``) or
    writes to a stream a finished CliRunner closed."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    chatty = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "alembic")}
    yield
    for h in list(root.handlers):
        if h not in handlers and getattr(h, "_vtexbridge", False):
            root.removeHandler(h)
    root.setLevel(level)
    for name, was in chatty.items():
        logging.getLogger(name).setLevel(was)
