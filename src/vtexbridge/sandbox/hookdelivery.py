"""Delivery of orders-hook notifications: the sandbox calling *out* to the configured URL.

How it runs: the app has no startup hook for route modules, so delivery is lazy and per event loop.
:meth:`HookDeliverer.submit` (called from a request handler, so on the serving loop) starts one
asyncio task per notification; the task POSTs the body with the hook's headers, waits at most
``policy.timeout`` seconds for a 200, and on any other outcome sleeps on the sandbox clock for the
back-off of :class:`~vtexbridge.sandbox.rules.hook.RetryPolicy` (geometric: 1 s, 2 s, 4 s ... by
default; ``POST /_sandbox/hook/options`` shortens it for tests) and tries again until
``max_attempts``. At most ``concurrency`` requests are in flight per loop. Every attempt is recorded
(``GET /_sandbox/hook/deliveries``). Pending deliveries live in memory only: a restarted sandbox
does not resume them (VTEX's hook is a best-effort fast path; the feed is the durable one).

Each attempt uses its own ``httpx.AsyncClient`` so that no connection pool outlives the loop it was
made on (an in-process test's loop, or uvicorn's). ``transport`` may be injected (an
``httpx.MockTransport`` or ``ASGITransport``) to deliver without sockets. The clients share one SSL
context (:func:`_ssl_context`): building one per client costs ~30 ms of CPU (loading the CA bundle),
which would cap deliveries at ~30/s.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from vtexbridge.clock import Clock
from vtexbridge.sandbox.rules.hook import PING, RetryPolicy

__all__ = ["Delivery", "HookDeliverer", "PingResult"]


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One SSL context for every delivery client (creating it is the expensive part of a client)."""
    return httpx.create_ssl_context()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification to deliver."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    app_key: str
    account: str


@dataclass(frozen=True, slots=True)
class PingResult:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(slots=True)
class HookDeliverer:
    """Delivers notifications with retries; one per sandbox app (kept in the runtime's ``app_state``)."""

    clock: Clock
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    transport: httpx.AsyncBaseTransport | None = None
    concurrency: int = 8
    history_size: int = 2000
    _history: deque[dict[str, Any]] = field(init=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _semaphore_of: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = field(
        default=None, init=False
    )
    _delivered: int = field(default=0, init=False)
    _failed: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._history = deque(maxlen=self.history_size)

    def submit(self, delivery: Delivery) -> None:
        """Schedule ``delivery`` on the running loop (call from a request handler)."""
        task = asyncio.get_running_loop().create_task(self._run(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        """Deliveries not finished yet (in flight or waiting for a retry)."""
        return sum(1 for t in self._tasks if not t.done())

    async def drain(self) -> None:
        """Wait until every scheduled delivery (of this loop) has finished; wrap in ``asyncio.timeout``."""
        loop = asyncio.get_running_loop()
        while True:
            mine = [t for t in self._tasks if not t.done() and t.get_loop() is loop]
            if not mine:
                return
            await asyncio.gather(*mine, return_exceptions=True)

    def cancel(self) -> None:
        """Drop every pending delivery (``POST /_sandbox/reset``)."""
        for task in list(self._tasks):
            task.cancel()
        self._history.clear()
        self._delivered = self._failed = 0

    def history(self, *, order_id: str | None = None) -> list[dict[str, Any]]:
        """Recorded attempts, oldest first (optionally of one order)."""
        return [a for a in self._history if order_id is None or a["orderId"] == order_id]

    def summary(self) -> dict[str, Any]:
        return {
            "delivered": self._delivered,
            "failed": self._failed,
            "pending": self.pending,
            "policy": self.policy.to_json(),
        }

    async def ping(self, url: str, headers: dict[str, str]) -> PingResult:
        """POST ``{"hookConfig": "ping"}`` as VTEX does when a hook is configured."""
        status, error = await self._post(url, headers, PING)
        return PingResult(status, error)

    def _semaphore(self) -> asyncio.Semaphore:
        # One per loop: a semaphore is bound to the loop it is first used on.
        loop = asyncio.get_running_loop()
        if self._semaphore_of is None or self._semaphore_of[0] is not loop:
            self._semaphore_of = (loop, asyncio.Semaphore(self.concurrency))
        return self._semaphore_of[1]

    async def _post(
        self, url: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int | None, str | None]:
        timeout = self.policy.timeout
        try:
            async with asyncio.timeout(timeout):
                async with httpx.AsyncClient(
                    transport=self.transport, timeout=timeout, verify=_ssl_context()
                ) as client:
                    response = await client.post(url, json=body, headers=headers)
                    return response.status_code, None
        except TimeoutError:
            return None, f"no answer within {timeout:g} s"
        except httpx.HTTPError as e:
            return None, f"{type(e).__name__}: {e}"

    async def _run(self, delivery: Delivery) -> None:
        failures = 0
        while True:
            async with self._semaphore():
                status, error = await self._post(delivery.url, delivery.headers, delivery.body)
            ok = status == 200
            self._history.append(
                {
                    "url": delivery.url,
                    "appKey": delivery.app_key,
                    "account": delivery.account,
                    "orderId": delivery.body.get("OrderId"),
                    "state": delivery.body.get("State"),
                    "attempt": failures + 1,
                    "status": status,
                    "error": error if error is not None or ok else f"answered {status}, not 200",
                    "delivered": ok,
                    "at": self.clock.now().isoformat(),
                }
            )
            if ok:
                self._delivered += 1
                return
            failures += 1
            delay = self.policy.delay(failures)
            if delay is None:
                self._failed += 1
                return
            await self.clock.sleep(delay)
