"""Shared by the orders acceptance tests: the four kinds of ERP sink, counted at the boundary the
pipeline promises (deliveries handed to the sink per order and status), an HTTP ERP that records
every POST, and waiting helpers.

"Nothing written twice" is counted as **hand-offs**: every call of ``deliver`` that the sink
accepted, per ``<orderId>:<status>``. A folder or SQL sink cannot write a second file or row for one
key, so counting files or rows would prove nothing; a second hand-off is what a duplicate delivery
by the pipeline looks like, whatever the sink does with it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from vtexbridge.erp.sinks import OrderDelivery, Sink, SinkError, SinkResult
from vtexbridge.erp.sinks.folder import FolderSink
from vtexbridge.erp.sinks.http import HttpSink
from vtexbridge.erp.sinks.plugin import load_sink
from vtexbridge.erp.sinks.sql import SqlSink

SINK_KINDS = ("folder", "sql", "http", "plugin")


async def accepted_per_order(admin: httpx.AsyncClient, route: str, method: str) -> Counter[str]:
    """How many ``method route`` requests the sandbox answered 2xx, per order (its request log).

    Fails when the log's ring dropped entries (the counts would be partial)."""
    log = (await admin.get("/_sandbox/requests", params={"route": route, "method": method})).json()
    assert log["cursor"] <= 10_000, "the sandbox's request log dropped entries: counts would be partial"
    return Counter(e["path"].split("/")[5] for e in log["entries"] if 200 <= e["status"] < 300)


class HttpErp:
    """An ERP's HTTP endpoint (ASGI): records every POST per ``Idempotency-Key``; 201 the first
    time, 409 after (as the HTTP sink expects)."""

    def __init__(self) -> None:
        self.posts: Counter[str] = Counter()
        self.documents: dict[str, Any] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        key = dict(scope["headers"]).get(b"idempotency-key", b"").decode()
        self.posts[key] += 1
        first = key not in self.documents
        if first:
            self.documents[key] = json.loads(body)
        status = 201 if first else 409
        payload = json.dumps({"id": f"ERP-{len(self.documents)}"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class ListPlugin:
    """A plugin sink (loaded through ``load_sink("module:attribute")`` like any other): keeps the
    documents it accepted, idempotent per ``delivery.key``."""

    def __init__(self, name: str = "erp") -> None:
        self.name = name
        self.accepted: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def deliver(self, delivery: OrderDelivery) -> str:
        with self.lock:
            self.accepted.setdefault(delivery.key, delivery.document)
            return f"{self.name}:{delivery.key}"


def build_sink(kind: str, root: Path) -> tuple[Sink, Callable[[], set[str]]]:
    """A real sink of ``kind`` writing under ``root``, and a function that lists the keys the ERP holds."""
    if kind == "folder":
        folder = FolderSink(root / "erp" / "orders", fsync=False)

        def in_folder() -> set[str]:
            return {json.loads(p.read_text())["key"] for p in folder.path.glob("*.json")}

        return folder, in_folder
    if kind == "sql":
        sql = SqlSink(f"sqlite:///{root / 'erp.db'}")

        def in_table() -> set[str]:
            with sql.engine.connect() as conn:
                rows = conn.execute(sa.select(sql.orders.c.order_id, sql.orders.c.status)).all()
            return {f"{o}:{s}" for o, s in rows}

        return sql, in_table
    if kind == "http":
        erp = HttpErp()
        http = HttpSink("http://erp.test/orders", transport=httpx.ASGITransport(app=erp), backoff_s=0.01)
        return http, lambda: set(erp.documents)
    assert kind == "plugin"
    plugin = load_sink(f"{__name__}:ListPlugin", {"name": "acme"})
    return plugin, lambda: set(plugin.plugin.accepted)


class CountingSink:
    """Wraps a sink: counts every delivery handed to it and accepted, per ``order:status``; can fail
    on demand (the ERP offline)."""

    def __init__(self, inner: Sink | Path, *, fail_first: int = 0) -> None:
        self.inner: Sink = FolderSink(inner, fsync=False) if isinstance(inner, Path) else inner
        self.name = self.inner.name
        self.handed: Counter[str] = Counter()
        self.calls = 0
        self.failures_left = fail_first
        self.failed = 0

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        self.calls += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            self.failed += 1
            raise SinkError("ERP offline (test)")
        result = await self.inner.deliver(delivery)
        self.handed[delivery.key] += 1
        return result

    async def aclose(self) -> None:
        await self.inner.aclose()

    def twice(self) -> dict[str, int]:
        """Keys handed more than once (should be empty)."""
        return {k: n for k, n in self.handed.items() if n != 1}


async def until(
    check: Callable[[], bool] | Callable[[], Awaitable[bool]],
    *,
    within: float = 30.0,
    what: str = "condition",
) -> None:
    """Wait (polling every 20 ms) until ``check()`` is true; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)
