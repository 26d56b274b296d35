"""The orders feed v3 consumer: VTEX's queue of order events, committed only after the ERP has them.

On start it asserts the feed configuration (``FromWorkflow`` on ``orders.statuses``, the configured
visibility timeout and retention) and replaces it when it differs or is missing. Then it loops:

1. ``GET /api/orders/feed?maxlot=10``. A 404 means VTEX dropped the configuration (it does after a
   retention period without events): it is created again and the loop goes on.
2. Each event gets a key (its ``eventId``; else order + state + change time). Keys already processed
   (``feed_event_seen``) are not processed again: their handles are only committed (a duplicate, or
   an event whose commit was lost in a crash).
3. New events are grouped by order (one Get Order per order and lot, whatever the number of events)
   and handed to the :class:`~vtexbridge.orders.pipeline.Pipeline`, a few orders at a time.
4. The keys of the events processed are recorded, **then** their handles — including those of events
   ignored because of their status, as VTEX requires — are committed, then marked committed. An
   event whose processing failed is not committed: VTEX shows it again after the visibility timeout.

A read that returns items is followed at once by the next one; after an empty read the consumer waits
``orders.feed.empty_poll_s``, never less than 5 s against VTEX itself (see
:func:`effective_empty_poll`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from vtexbridge.clock import Clock
from vtexbridge.orders.pipeline import OrderEvent, Pipeline, ProcessingError, parse_time
from vtexbridge.orders.settings import MIN_EMPTY_POLL_S, OrdersConfig, OrdersSettings
from vtexbridge.state import StateStore
from vtexbridge.state.executor import state_call
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import NotFound, VtexError
from vtexbridge.vtex.models.feed import FeedConfig, FeedConfigUpdate, FeedEvent, FeedQueue, WorkflowFilter

__all__ = [
    "FeedConsumer",
    "LotReport",
    "desired_feed_config",
    "effective_empty_poll",
    "event_key",
    "sleep_or_stop",
]

_log = logging.getLogger(__name__)


def effective_empty_poll(settings: OrdersConfig) -> float:
    """The wait after an empty read: ``orders.feed.empty_poll_s``, raised to 5 s against VTEX itself.

    Smaller values are honoured only with ``vtex.base_url`` set (the local sandbox or a proxy), where
    tests and benchmarks need them.
    """
    configured = settings.orders.feed.empty_poll_s
    if settings.vtex.base_url is None and configured < MIN_EMPTY_POLL_S:
        return MIN_EMPTY_POLL_S
    return configured


def event_key(event: FeedEvent) -> str:
    """The dedup key of a feed event: its ``eventId``, else order + state + change time."""
    if event.eventId:
        return event.eventId
    return f"{event.orderId}:{event.state}:{event.currentChange or event.lastChange}"


def desired_feed_config(settings: OrdersSettings) -> FeedConfigUpdate:
    return FeedConfigUpdate(
        filter=WorkflowFilter(status=list(settings.statuses)),
        queue=FeedQueue(
            visibilityTimeoutInSeconds=settings.feed.visibility_timeout_s,
            MessageRetentionPeriodInSeconds=settings.feed.retention_s,
        ),
    )


def _matches(current: FeedConfig, desired: FeedConfigUpdate) -> bool:
    f, q = current.filter, current.queue
    want_filter = desired.filter
    assert isinstance(want_filter, WorkflowFilter)
    return (
        f is not None
        and q is not None
        and f.type == "FromWorkflow"
        and set(f.status or []) == set(want_filter.status or [])
        and q.visibilityTimeoutInSeconds == desired.queue.visibilityTimeoutInSeconds
        and q.MessageRetentionPeriodInSeconds == desired.queue.MessageRetentionPeriodInSeconds
    )


async def sleep_or_stop(
    clock: Clock, seconds: float, stop: asyncio.Event, wake: asyncio.Event | None = None
) -> None:
    """Sleep on ``clock`` for ``seconds``, returning early when ``stop`` (or ``wake``) is set."""
    if stop.is_set() or (wake is not None and wake.is_set()):
        return
    waiters = [asyncio.ensure_future(clock.sleep(seconds)), asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


@dataclass(slots=True)
class LotReport:
    """What one read of the feed did."""

    read: int = 0
    processed: int = 0
    duplicates: int = 0
    failed: int = 0
    committed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class FeedConsumer:
    """Reads the feed into the pipeline; see the module docstring."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        client: VtexClient,
        store: StateStore,
        settings: OrdersSettings,
        account: str,
        clock: Clock,
        empty_poll_s: float,
        concurrency: int | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.client = client
        self.store = store
        self.settings = settings
        self.account = account
        self.clock = clock
        self.empty_poll_s = empty_poll_s
        # Orders of a lot are processed together; Get Order stays bounded by the pipeline.
        self.concurrency = concurrency or settings.feed.max_lot
        self.reports: list[LotReport] = []
        self.config_recreated = 0

    async def ensure_config(self) -> bool:
        """Create or replace the feed configuration unless it already is the desired one.

        Returns:
            True when it was written.
        """
        desired = desired_feed_config(self.settings)
        current = await self.client.feed.get_feed_config()
        if current is not None and _matches(current, desired):
            return False
        await self.client.feed.set_feed_config(desired)
        _log.info(
            "feed configuration %s: FromWorkflow %s, visibility %d s",
            "created" if current is None else "replaced",
            ", ".join(self.settings.statuses),
            self.settings.feed.visibility_timeout_s,
        )
        return True

    async def _recreate(self, why: str) -> None:
        _log.warning("the orders feed configuration is gone (%s); creating it again", why)
        await self.client.feed.set_feed_config(desired_feed_config(self.settings))
        self.config_recreated += 1

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> None:
        """Consume until ``stop`` is set (or, with ``once``, until a read comes back empty).

        Up to ``orders.feed.lots_in_flight`` lots are processed at once: the next read happens as soon
        as a slot is free (the events of lots in flight are hidden by VTEX's visibility timeout), so
        the feed keeps draining while orders of earlier lots wait on VTEX or the ERP.
        """
        await self._ensure_config_until_ok(stop, once=once)
        lots: set[asyncio.Task[LotReport]] = set()
        try:
            while not stop.is_set():
                if len(lots) >= self.settings.feed.lots_in_flight:
                    await asyncio.wait(lots, return_when=asyncio.FIRST_COMPLETED)
                    self._reap(lots)
                    continue
                try:
                    events = await self._read()
                except VtexError as e:
                    _log.warning("reading the orders feed failed: %s", e.user_message)
                    if once:
                        raise
                    await sleep_or_stop(self.clock, self.settings.feed.error_backoff_s, stop)
                    continue
                if events is None:
                    continue  # the configuration was re-created: read again at once
                if events:
                    lots.add(asyncio.create_task(self._handle_lot(events)))
                    continue
                if lots:  # empty because the rest is in flight: let it finish before deciding
                    await asyncio.wait(lots)
                    self._reap(lots)
                    if once:
                        continue
                elif once:
                    return
                await sleep_or_stop(self.clock, self.empty_poll_s, stop)
        finally:
            if lots:
                await asyncio.gather(*lots, return_exceptions=True)
                self._reap(lots)

    def _reap(self, lots: set[asyncio.Task[LotReport]]) -> None:
        for task in [t for t in lots if t.done()]:
            lots.discard(task)
            error = task.exception()
            if error is not None:
                message = error.user_message if isinstance(error, VtexError) else repr(error)
                _log.warning("a lot of the orders feed failed (its events come back): %s", message)

    async def _read(self) -> list[FeedEvent] | None:
        """One read; None when the feed was gone (404) and its configuration was created again."""
        try:
            return await self.client.feed.get_feed_items(max_lot=self.settings.feed.max_lot)
        except NotFound:
            await self._recreate("the feed answered 404")
            return None

    async def _handle_lot(self, events: Sequence[FeedEvent]) -> LotReport:
        report = await self.handle(events)
        self.reports.append(report)
        if len(self.reports) > 100:
            del self.reports[:50]
        return report

    async def _ensure_config_until_ok(self, stop: asyncio.Event, *, once: bool = False) -> None:
        while not stop.is_set():
            try:
                await self.ensure_config()
                return
            except VtexError as e:
                if not e.retryable or once:  # once (cron): say it and stop, never wait forever (#17)
                    raise
                _log.warning("cannot check the feed configuration yet: %s", e.user_message)
                await sleep_or_stop(self.clock, self.settings.feed.error_backoff_s, stop)

    async def handle(self, events: Sequence[FeedEvent]) -> LotReport:
        """Process and commit one lot of events."""
        report = LotReport(read=len(events))
        if not events:
            return report
        keys = [event_key(e) for e in events]
        seen = await state_call(self.store.feed.seen, self.account, keys)
        by_order: dict[str, list[tuple[str, FeedEvent]]] = {}
        for key, event in zip(keys, events, strict=True):
            if key in seen:
                continue
            group = by_order.setdefault(event.orderId, [])
            if all(k != key for k, _ in group):
                group.append((key, event))
        report.duplicates = len(events) - sum(len(g) for g in by_order.values())
        done_keys = await self._process_orders(by_order, report)
        if done_keys:
            await state_call(self.store.feed.mark, self.account, done_keys)
        committable = seen | set(done_keys)
        handles = [e.handle for k, e in zip(keys, events, strict=True) if k in committable]
        if handles:
            try:
                await self.client.feed.commit_feed_items(handles)
            except NotFound:
                # The configuration (and with it the queue) was dropped: nothing left to commit.
                await self._recreate("the commit answered 404")
            report.committed = len(handles)
            await state_call(self.store.feed.mark, self.account, committable, committed=True)
        return report

    async def _process_orders(
        self, by_order: dict[str, list[tuple[str, FeedEvent]]], report: LotReport
    ) -> list[str]:
        slots = asyncio.Semaphore(self.concurrency)

        async def one(order_id: str, group: list[tuple[str, FeedEvent]]) -> list[str]:
            latest = max(group, key=lambda ke: ke[1].currentChange or ke[1].lastChange or "")[1]
            event = OrderEvent(
                order_id=order_id,
                state=latest.state,
                changed_at=parse_time(latest.currentChange or latest.lastChange),
                source="feed",
                key=group[0][0],
            )
            async with slots:
                try:
                    result = await self.pipeline.process(event)
                except ProcessingError as e:
                    _log.warning("order %s: %s (the event stays in the feed)", order_id, e.user_message)
                    report.failed += len(group)
                    return []
                except Exception:
                    _log.exception("order %s: unexpected failure (the event stays in the feed)", order_id)
                    report.failed += len(group)
                    return []
            report.processed += len(group)
            report.outcomes[result.outcome.value] = report.outcomes.get(result.outcome.value, 0) + 1
            return [k for k, _ in group]

        results = await asyncio.gather(*(one(o, g) for o, g in by_order.items()))
        return [k for keys in results for k in keys]
