"""The order sweep: list VTEX's orders and deliver those no event announced.

The feed and the hook are fast doors into the pipeline, not the only ones: orders placed before the
feed was configured, orders whose feed event expired or was lost, and hook notifications VTEX never
sent would otherwise never reach the ERP. On start and every ``orders.sweep_every_s``, the sweep
lists the orders that are *now* in one of the statuses the integration handles
(``orders.statuses``, ``GET /api/oms/pvt/orders?f_status=...``), created within a window, and hands
every order with no delivery record for that status to :meth:`Pipeline.process` — the same
exactly-once path as the feed and the hook (Get Order, re-check the status, the sink, the delivery
record, start-handling once). ``orders status`` and the dashboard count those deliveries like any
other; the metrics count them under the source ``sweep``.

**Window.** The first sweep of an account covers ``orders.sweep_window_days`` (30) days back; each
later one starts ``orders.sweep_lookback_s`` before the start of the last *complete* sweep (an
order created earlier may reach a handled status only now — a payment approved a day later — and
VTEX indexes the list a little after the fact). The status filter keeps the list short: a handled
order leaves ``ready-for-handling``. An order that fails (the ERP is down) leaves the watermark
where it was, so the next sweep covers it again. VTEX lists at most 30 pages of 100 orders per
query: a window holding more is split in two until each half fits.

The watermark is kept in the state store's key-value table (scope ``orders.sweep``, key: the
account), so every worker of a shared PostgreSQL state shares it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from vtexbridge.clock import Clock
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.consumer import sleep_or_stop
from vtexbridge.orders.pipeline import OrderEvent, Outcome, Pipeline, state_call
from vtexbridge.orders.settings import OrdersSettings
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import VtexError
from vtexbridge.vtex.models.orders import OrderSummary
from vtexbridge.vtex.orders import LIST_PAGES_MAX, LIST_PER_PAGE_MAX

__all__ = ["WATERMARK_SCOPE", "OrderSweep", "SweepReport"]

_log = logging.getLogger(__name__)
WATERMARK_SCOPE = "orders.sweep"
_MIN_SPLIT = timedelta(seconds=1)
_CONCURRENCY = 4


@dataclass
class SweepReport:
    """What one sweep found and did."""

    since: datetime
    until: datetime
    listed: int = 0
    delivered: int = 0
    already: int = 0
    ignored: int = 0
    failed: list[str] = field(default_factory=list)
    pages: int = 0

    @property
    def complete(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        text = (
            f"sweep: {self.listed} order(s) listed since {self.since:%Y-%m-%d %H:%M}, "
            f"{self.delivered} delivered, {self.already} already delivered"
        )
        if self.failed:
            text += f", {len(self.failed)} failed (tried again next sweep)"
        return text


class OrderSweep:
    """Lists the orders in the handled statuses and delivers those the ERP has not received."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        client: VtexClient,
        store: StateStore,
        settings: OrdersSettings,
        account: str,
        clock: Clock,
    ) -> None:
        self.pipeline = pipeline
        self.client = client
        self.store = store
        self.settings = settings
        self.account = account
        self.clock = clock
        self.last: SweepReport | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.sweep_every_s > 0

    async def window(self) -> tuple[datetime, datetime]:
        """``(since, until)`` of the next sweep."""
        now = self.clock.now()
        mark = await state_call(self.store.values.get, WATERMARK_SCOPE, self.account)
        if isinstance(mark, str):
            try:
                last = datetime.fromisoformat(mark)
            except ValueError:
                last = None
            if last is not None and last.tzinfo is not None:
                return min(last, now) - timedelta(seconds=self.settings.sweep_lookback_s), now
        return now - timedelta(days=self.settings.sweep_window_days), now

    async def sweep(self) -> SweepReport:
        """One sweep; the watermark moves only when every listed order went through."""
        since, until = await self.window()
        report = SweepReport(since, until)
        slots = asyncio.Semaphore(_CONCURRENCY)
        tasks: list[asyncio.Task[None]] = []
        async for summary in self._orders(since, until, report):
            report.listed += 1
            tasks.append(asyncio.create_task(self._one(summary, report, slots)))
        if tasks:
            await asyncio.gather(*tasks)
        if report.complete:
            await state_call(self.store.values.put, WATERMARK_SCOPE, self.account, until.isoformat())
        self.last = report
        if report.delivered or report.failed:
            _log.info("%s", report.summary())
        return report

    async def _one(self, summary: OrderSummary, report: SweepReport, slots: asyncio.Semaphore) -> None:
        status = summary.status
        delivered = await state_call(self.store.orders.get_delivery, self.account, summary.orderId, status)
        if delivered is not None:
            report.already += 1
            return
        event = OrderEvent(summary.orderId, status, None, "sweep", f"sweep:{summary.orderId}:{status}")
        async with slots:
            try:
                result = await self.pipeline.process(event)
            except VtexbridgeError as e:  # ProcessingError included: the next sweep tries again
                _log.warning("sweep: order %s not delivered: %s", summary.orderId, e.user_message)
                report.failed.append(summary.orderId)
                return
        if result.outcome is Outcome.DELIVERED:
            report.delivered += 1
        elif result.outcome is Outcome.ALREADY_DELIVERED:
            report.already += 1
        else:
            report.ignored += 1

    def _orders(self, since: datetime, until: datetime, report: SweepReport) -> _Listing:
        return _Listing(self, since, until, report)

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> None:
        """Sweep now, then every ``orders.sweep_every_s`` until ``stop`` (``once``: one sweep)."""
        if not self.enabled:
            return
        while not stop.is_set():
            try:
                await self.sweep()
            except VtexError as e:
                _log.warning("the order sweep could not list orders: %s", e.user_message)
            if once:
                return
            await sleep_or_stop(self.clock, self.settings.sweep_every_s, stop)


class _Listing:
    """The orders of a window, page by page; a window with more than VTEX lists is split in two."""

    def __init__(self, sweep: OrderSweep, since: datetime, until: datetime, report: SweepReport) -> None:
        self.sweep = sweep
        self.windows = [(since, until)]
        self.report = report
        self.seen: set[str] = set()

    def __aiter__(self) -> _Listing:
        self.buffer: list[OrderSummary] = []
        return self

    async def __anext__(self) -> OrderSummary:
        while not self.buffer:
            if not self.windows:
                raise StopAsyncIteration
            since, until = self.windows.pop(0)
            self.buffer = await self._window(since, until)
        return self.buffer.pop(0)

    async def _window(self, since: datetime, until: datetime) -> list[OrderSummary]:
        orders = self.sweep.client.orders
        statuses = self.sweep.settings.statuses
        out: list[OrderSummary] = []
        page = 1
        while True:
            listing = await orders.list_orders(
                status=statuses,
                created_between=(since, until),
                page=page,
                per_page=LIST_PER_PAGE_MAX,
                order_by="creationDate,asc",
            )
            self.report.pages += 1
            if page == 1 and listing.paging.pages > LIST_PAGES_MAX and until - since > _MIN_SPLIT:
                middle = since + (until - since) / 2
                self.windows[:0] = [(since, middle), (middle, until)]
                return []
            for o in listing.orders:
                if o.orderId not in self.seen and o.status in statuses:
                    self.seen.add(o.orderId)
                    out.append(o)
            if page >= min(listing.paging.pages, LIST_PAGES_MAX) or not listing.orders:
                return out
            page += 1
