"""Hook notifications, from the durable inbox to the pipeline.

The hook receiver (``web/routes/hook.py``) stores each notification in the state database's
``hook_inbox`` before answering VTEX's 200, and wakes this processor. The processor claims a batch
(an item claimed by a worker that died becomes claimable again after ``orders.hook.visibility_s``),
processes each order once per batch through the :class:`~vtexbridge.orders.pipeline.Pipeline`, marks
the items done, and puts failed ones back with a doubling delay. Several processes may share one
inbox (PostgreSQL): claims never hand an item to two workers.

With the feed running too, the feed is the safety net: an order delivered through the hook is found
in ``order_delivery`` when its feed event arrives, so it is not delivered twice, and the feed event
is simply committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vtexbridge.clock import Clock
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.consumer import sleep_or_stop
from vtexbridge.orders.pipeline import OrderEvent, Pipeline, ProcessingError, parse_time, state_call
from vtexbridge.orders.settings import HookSettings
from vtexbridge.state import InboxItem, StateStore

__all__ = ["PING", "InboxProcessor", "hook_event", "is_ping"]

PING = {"hookConfig": "ping"}
_log = logging.getLogger(__name__)


def is_ping(body: Any) -> bool:
    """VTEX's ``{"hookConfig": "ping"}``, sent when a hook is configured."""
    return isinstance(body, Mapping) and body.get("hookConfig") == "ping"


def _text(body: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def hook_event(body: Any) -> OrderEvent | None:
    """The event of a notification (``{Domain, OrderId, State, LastChange, CurrentChange, Origin}``),
    or None when the body is not one."""
    if not isinstance(body, Mapping):
        return None
    order_id = _text(body, "OrderId", "orderId")
    if order_id is None:
        return None
    state = _text(body, "State", "state")
    change = _text(body, "CurrentChange", "currentChange", "LastChange", "lastChange")
    return OrderEvent(
        order_id=order_id,
        state=state,
        changed_at=parse_time(change),
        source="hook",
        key=f"{order_id}:{state}:{change}",
    )


class InboxProcessor:
    """Drains ``hook_inbox`` into the pipeline."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        store: StateStore,
        settings: HookSettings,
        account: str,
        clock: Clock,
        worker: str,
        concurrency: int = 4,
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.settings = settings
        self.account = account
        self.clock = clock
        self.worker = worker
        self.concurrency = concurrency

    async def run(self, stop: asyncio.Event, wake: asyncio.Event, *, once: bool = False) -> None:
        """Process until ``stop`` (or, with ``once``, until nothing is claimable).

        Up to ``orders.hook.batches_in_flight`` batches are processed at once, so notifications that
        arrive while a batch waits on VTEX or the ERP are claimed without waiting for it.
        """
        batches: set[asyncio.Task[int]] = set()
        try:
            while not stop.is_set():
                if len(batches) >= self.settings.batches_in_flight:
                    await asyncio.wait(batches, return_when=asyncio.FIRST_COMPLETED)
                    self._reap(batches)
                    continue
                wake.clear()
                try:
                    items = await self.claim()
                except VtexbridgeError as e:  # the state database is busy or away: try again soon
                    _log.warning("claiming hook inbox items failed: %s", e.user_message)
                    if once:
                        raise
                    await sleep_or_stop(self.clock, self.settings.inbox_poll_s, stop)
                    continue
                short = bool(items)  # a claim that emptied the inbox: wait for a wake-up (see _idle)
                if items:
                    batches.add(asyncio.create_task(self.process_items(items)))
                    if once or len(items) >= self.settings.inbox_batch:
                        continue  # more may be waiting: claim again at once
                elif once:
                    if not batches:
                        return
                    await asyncio.wait(batches)
                    self._reap(batches)
                    continue
                await self._idle(stop, wake, set() if short else batches)
                self._reap(batches)
        finally:
            if batches:
                await asyncio.gather(*batches, return_exceptions=True)

    async def _idle(self, stop: asyncio.Event, wake: asyncio.Event, batches: set[asyncio.Task[int]]) -> None:
        """Wait for a wake-up, the poll interval, ``stop`` or the end of one of ``batches``.

        A notification stored after the loop's ``wake.clear()`` sets ``wake`` again, so nothing is
        missed by waiting. After a claim that emptied the inbox the loop passes no batches: the end
        of its batch is no reason to claim again (that claim would come back empty, one state
        transaction per wake-up for nothing).
        """
        waiter = asyncio.ensure_future(sleep_or_stop(self.clock, self.settings.inbox_poll_s, stop, wake))
        await asyncio.wait([waiter, *batches], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)

    @staticmethod
    def _reap(batches: set[asyncio.Task[int]]) -> None:
        for task in [t for t in batches if t.done()]:
            batches.discard(task)
            if task.exception() is not None:
                _log.warning("an inbox batch failed (its items come back): %r", task.exception())

    async def claim(self) -> list[InboxItem]:
        items: list[InboxItem] = await state_call(
            self.store.inbox.claim,
            self.settings.inbox_batch,
            self.worker,
            account=self.account,
            visibility=timedelta(seconds=self.settings.visibility_s),
        )
        return items

    async def process_batch(self) -> int:
        """Claim and process one batch; returns the number of items claimed."""
        items = await self.claim()
        return await self.process_items(items) if items else 0

    async def process_items(self, items: list[InboxItem]) -> int:
        """Process claimed items (each order once) and finish them; failed ones are retried later."""
        by_order: dict[str, list[tuple[InboxItem, OrderEvent]]] = {}
        done: list[int] = []
        for item in items:
            event = hook_event(item.body)
            if event is None:
                _log.warning("hook inbox item %d is not an order notification; dropped", item.id)
                done.append(item.id)
                continue
            by_order.setdefault(event.order_id, []).append((item, event))
        slots = asyncio.Semaphore(self.concurrency)

        async def one(group: list[tuple[InboxItem, OrderEvent]]) -> None:
            latest = max(group, key=lambda ie: ie[1].changed_at.timestamp() if ie[1].changed_at else 0.0)
            async with slots:
                try:
                    await self.pipeline.process(latest[1])
                except Exception as e:
                    message = e.user_message if isinstance(e, ProcessingError) else f"{type(e).__name__}: {e}"
                    if not isinstance(e, ProcessingError):
                        _log.exception("order %s: unexpected failure (kept in the inbox)", latest[1].order_id)
                    for item, _ in group:
                        await self._retry(item, message)
                    return
            done.extend(item.id for item, _ in group)

        await asyncio.gather(*(one(g) for g in by_order.values()))
        if done:
            await state_call(self.store.inbox.finish, done, worker=self.worker)
        return len(items)

    async def _retry(self, item: InboxItem, message: str) -> None:
        delay = min(
            self.settings.retry_backoff_max_s, self.settings.retry_backoff_s * 2 ** max(0, item.attempts - 1)
        )
        at = self.clock.now() + timedelta(seconds=delay)
        _log.warning(
            "hook inbox item %d (attempt %d) failed, retry in %.0f s: %s",
            item.id,
            item.attempts,
            delay,
            message,
        )
        await state_call(self.store.inbox.retry, item.id, error=message[:1000], at=at)
