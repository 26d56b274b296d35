"""Shared by the orders crash tests: the sandbox over HTTP in a thread, the environment of a
``vtexbridge`` subprocess (state database, killable sink plugin, fast intervals), and the sink's log."""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.state import migrations
from vtexbridge.state.engine import normalise_url
from vtexbridge.testing.orders import ADMIN_HEADERS, Served, add_sellable_sku, serve_in_thread

HERE = Path(__file__).resolve().parent
VISIBILITY = 2


def env_for(tmp_path: Path, sandbox: Served, *, state_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    env.update(
        {
            "PYTHONPATH": str(HERE) + os.pathsep + env.get("PYTHONPATH", ""),
            "VTEXBRIDGE_VTEX__BASE_URL": sandbox.url,
            "VTEXBRIDGE_VTEX__APP_KEY": ADMIN_HEADERS["X-VTEX-API-AppKey"],
            "VTEXBRIDGE_VTEX__APP_TOKEN": ADMIN_HEADERS["X-VTEX-API-AppToken"],
            "VTEXBRIDGE_STATE__URL": state_url or f"sqlite:///{tmp_path / 'state.db'}",
            "VTEXBRIDGE_ORDERS__FEED__EMPTY_POLL_S": "0.05",
            "VTEXBRIDGE_ORDERS__FEED__VISIBILITY_TIMEOUT_S": str(VISIBILITY),
            "VTEXBRIDGE_ORDERS__ACTIONS__FOLDER": "",
            "VTEXBRIDGE_LOG__LEVEL": "warning",
        }
    )
    env.update(extra)
    return env


def sink_env(tmp_path: Path, block_at: int = 0) -> dict[str, str]:
    options = (
        f'{{path = "{tmp_path / "erp"}", log = "{tmp_path / "writes.log"}", '
        f'block_at = {block_at}, marker = "{tmp_path / "blocked"}"}}'
    )
    return {
        "VTEXBRIDGE_ORDERS__SINK__KIND": "plugin",
        "VTEXBRIDGE_ORDERS__SINK__PLUGIN": "orders_kill_sink:KillableSink",
        "VTEXBRIDGE_ORDERS__SINK__OPTIONS": options,
    }


def vtexbridge(*args: str) -> list[str]:
    return [sys.executable, "-m", "vtexbridge", *args]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def admin(sandbox: Served) -> httpx.Client:
    return httpx.Client(base_url=sandbox.url, headers=ADMIN_HEADERS, timeout=10)


@dataclass(frozen=True, slots=True)
class HandOff:
    """One line of the kill sink's log: a delivery handed to the sink and accepted."""

    key: str
    what: str
    pid: int
    started: float
    accepted: float


def hand_offs(log: Path) -> list[HandOff]:
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        key, what, pid, started, accepted = line.split()
        out.append(HandOff(key, what, int(pid), float(started), float(accepted)))
    return out


def served_sandbox() -> Iterator[Served]:
    """The sandbox over HTTP in a thread, with one sellable SKU (for a fixture to ``yield from``)."""
    store = Store()
    add_sellable_sku(store, 100)
    served = serve_in_thread(create_app(SandboxOptions(limits="off"), store=store))
    yield served
    served.stop()
    store.close()


def pg_schema(pg_url: str, prefix: str) -> Iterator[str]:
    """A migrated state store in a fresh PostgreSQL schema, dropped afterwards (``yield from``)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    migrations.upgrade(rendered)
    yield rendered
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()
