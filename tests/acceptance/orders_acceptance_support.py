"""Shared by the orders acceptance tests: a sink that counts real writes, and waiting helpers."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkResult
from vtexbridge.erp.sinks.folder import FolderSink


class CountingSink:
    """A folder sink that counts what it really wrote per (order, status), and can fail on demand."""

    name = "folder"

    def __init__(self, folder: Path, *, fail_first: int = 0) -> None:
        self.inner = FolderSink(folder, fsync=False)
        self.writes: Counter[str] = Counter()
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
        if result.written:
            self.writes[delivery.key] += 1
        return result

    async def aclose(self) -> None:
        return None


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
