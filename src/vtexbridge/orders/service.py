"""One worker of the order pipeline: the feed consumer, the hook inbox, the action sources and the
actions outbox around one state store, one VTEX client and one ERP sink.

``vtexbridge orders run`` and ``vtexbridge serve`` both run an :class:`OrdersService`::

    async with OrdersService.from_settings(settings) as service:
        await service.run(stop)          # until stop is set
        await service.run(once=True)     # drain what is there now, then return

With ``once``, the steps run in order until each has nothing left: the feed until a read comes back
empty, the inbox until nothing is claimable, one order sweep (:mod:`.sweep`), a scan of the action
sources, the runnable actions, a last scan to settle the files, and one pruning. Otherwise they run
side by side until ``stop`` is set; each finishes the order or action it is working on before returning.

- **Metrics**: with ``metrics`` (:class:`~vtexbridge.observability.Metrics`), a client built here
  counts its VTEX calls in ``metrics.transport``, and the pipeline and the actions outbox record
  events, deliveries, actions and their lag in ``metrics.orders``.
- **Marketplace seller orders**: :meth:`OrdersService.route_marketplace_orders` (or
  ``marketplace_orders=``) sends the actions of orders a VTEX marketplace placed on us to the
  marketplace instead of the OMS (see :mod:`.marketplace_orders`).
- **Pruning**: every ``orders.prune_interval_s`` (and once per ``once`` run), feed event keys and
  finished hook inbox items older than ``orders.prune_after_s`` are deleted (feed keys are kept at
  least ``orders.feed.retention_s``, as long as VTEX may show their event again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from vtexbridge.aio import in_thread
from vtexbridge.clock import Clock, SystemClock
from vtexbridge.erp.sinks import Sink, SinkResult
from vtexbridge.erp.sinks.folder import FolderSink
from vtexbridge.erp.sinks.http import HttpSink, header_values
from vtexbridge.erp.sinks.plugin import load_sink
from vtexbridge.erp.sinks.sql import SqlSink
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.action_sources import FolderSource, ScanReport, SqlOutboxSource
from vtexbridge.orders.actions import ActionRunner
from vtexbridge.orders.consumer import FeedConsumer, effective_empty_poll, sleep_or_stop
from vtexbridge.orders.inbox import InboxProcessor
from vtexbridge.orders.marketplace_orders import MarketplaceOrders
from vtexbridge.orders.pipeline import Pipeline
from vtexbridge.orders.settings import OrdersConfig, SinkSettings
from vtexbridge.orders.sweep import OrderSweep
from vtexbridge.state import StateStore
from vtexbridge.state.executor import state_call
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.models.feed import HookConfigUpdate, HookEndpoint, WorkflowFilter
from vtexbridge.vtex.transport import Transport

if TYPE_CHECKING:
    from vtexbridge.observability import Metrics

__all__ = ["OrdersService", "PruneReport", "Wakeups", "build_sink", "resolve_path", "worker_name"]

_log = logging.getLogger(__name__)


def worker_name() -> str:
    """``host:pid:random``: who claimed an inbox item or an action."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def resolve_path(settings: OrdersConfig, path: Path) -> Path:
    """A relative path from the configuration is relative to the config file's folder (else the cwd)."""
    if path.is_absolute() or settings.config_path is None:
        return path
    return settings.config_path.parent / path


def build_sink(
    settings: OrdersConfig,
    sink: SinkSettings | None = None,
    *,
    clock: Clock | None = None,
    metrics: TransportMetrics | None = None,
) -> Sink:
    """The ERP sink that ``orders.sink`` describes (an HTTP sink counts its calls in ``metrics``).

    Raises:
        ConfigError: a plugin cannot be loaded.
    """
    s = sink or settings.orders.sink
    if s.kind == "folder":
        return FolderSink(resolve_path(settings, s.path), fsync=s.fsync)
    if s.kind == "sql":
        assert s.url is not None
        return SqlSink(
            s.url.get_secret_value(),
            orders_table=s.orders_table,
            items_table=s.items_table,
            create_tables=s.create_tables,
        )
    if s.kind == "http":
        assert s.url is not None
        return HttpSink(
            s.url.get_secret_value(),
            headers=header_values(s.headers),
            timeout_s=s.timeout_s,
            attempts=s.attempts,
            backoff_s=s.backoff_s,
            clock=clock,
            metrics=metrics,
        )
    assert s.plugin is not None
    return load_sink(s.plugin, s.options)


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What one pruning deleted."""

    feed_events: int
    inbox_items: int


@dataclass(slots=True)
class Wakeups:
    """Events that let the web routes wake the worker at once (created on the running loop)."""

    inbox: asyncio.Event = field(default_factory=asyncio.Event)
    actions: asyncio.Event = field(default_factory=asyncio.Event)


class OrdersService:
    """Owns the pipeline's parts; see the module docstring.

    Args:
        settings: the whole configuration.
        store, client, sink: injected parts (tests); built from ``settings`` when absent, and then
            closed by :meth:`aclose`.
        clock: time and sleeping.
        http_transport: replaces the network of a client built here (the sandbox in process).
        metrics: where the flow is counted; a client built here counts its calls in
            ``metrics.transport`` (an injected client keeps its own transport's metrics).
        marketplace_orders: where the actions of marketplace seller orders go (see
            :meth:`route_marketplace_orders`).
    """

    def __init__(
        self,
        settings: OrdersConfig,
        *,
        store: StateStore | None = None,
        client: VtexClient | None = None,
        sink: Sink | None = None,
        clock: Clock | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        worker: str | None = None,
        metrics: Metrics | None = None,
        marketplace_orders: MarketplaceOrders | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.clock: Clock = clock or SystemClock()
        self.account = settings.vtex.account
        self.worker = worker or worker_name()
        self._owned: list[Any] = []
        self.store, self.client, self.sink = self._own_parts(store, client, sink, http_transport)
        self._build_flow(marketplace_orders)
        self.folder_source, self.sql_source = self._action_sources()
        self._wakeups: Wakeups | None = None

    def _own_parts(
        self,
        store: StateStore | None,
        client: VtexClient | None,
        sink: Sink | None,
        http_transport: httpx.AsyncBaseTransport | None,
    ) -> tuple[StateStore, VtexClient, Sink]:
        """The injected store, client and sink, or ones built here (and closed by :meth:`aclose`)."""
        settings, metrics = self.settings, self.metrics
        transport_metrics = metrics.transport if metrics is not None else None
        if store is None:
            store = StateStore.open(settings.state.url, create=True, clock=self.clock)
            self._owned.append(store)
        if client is None:
            client = VtexClient(
                Transport(
                    settings.vtex,
                    http_transport=http_transport,
                    clock=self.clock,
                    metrics=transport_metrics,
                )
            )
            self._owned.append(client)
        if sink is None:
            sink = build_sink(settings, clock=self.clock, metrics=transport_metrics)
            self._owned.append(sink)
        return store, client, sink

    def _build_flow(self, marketplace_orders: MarketplaceOrders | None) -> None:
        """The pipeline and its doors (feed, hook inbox, sweep), and the actions worker."""
        orders, store, client = self.settings.orders, self.store, self.client
        order_metrics = self.metrics.orders if self.metrics is not None else None
        self.pipeline = Pipeline(
            account=self.account,
            settings=orders,
            store=store,
            client=client,
            sink=self.sink,
            clock=self.clock,
            metrics=order_metrics,
            worker=self.worker,
        )
        self.consumer = FeedConsumer(
            pipeline=self.pipeline,
            client=client,
            store=store,
            settings=orders,
            account=self.account,
            clock=self.clock,
            empty_poll_s=effective_empty_poll(self.settings),
        )
        self.inbox = InboxProcessor(
            pipeline=self.pipeline,
            store=store,
            settings=orders.hook,
            account=self.account,
            clock=self.clock,
            worker=self.worker,
            concurrency=orders.hook.inbox_batch,  # Get Order stays bounded by the pipeline
        )
        # h7 (#12): the order sweep, a third door into the same pipeline (orders/sweep.py)
        self.sweep = OrderSweep(
            pipeline=self.pipeline,
            client=client,
            store=store,
            settings=orders,
            account=self.account,
            clock=self.clock,
        )
        self.actions = ActionRunner(
            store=store,
            client=client,
            account=self.account,
            settings=orders.actions,
            clock=self.clock,
            worker=self.worker,
            marketplace=marketplace_orders,
            metrics=order_metrics,
        )

    def _action_sources(self) -> tuple[FolderSource | None, SqlOutboxSource | None]:
        """The configured action sources: a folder of files, an SQL outbox table."""
        actions = self.settings.orders.actions
        folder_source = (
            FolderSource(
                resolve_path(self.settings, actions.folder),
                store=self.store,
                account=self.account,
                min_age_s=actions.min_age_s,
            )
            if actions.folder is not None
            else None
        )
        sql_source = (
            SqlOutboxSource(
                actions.sql_url.get_secret_value(),
                table=actions.sql_table,
                store=self.store,
                account=self.account,
            )
            if actions.sql_url is not None
            else None
        )
        return folder_source, sql_source

    @classmethod
    def from_settings(cls, settings: OrdersConfig, **kwargs: Any) -> OrdersService:
        return cls(settings, **kwargs)

    def route_marketplace_orders(self, router: MarketplaceOrders | None) -> None:
        """Send the actions of the orders ``router`` owns (marketplace seller orders) through it.

        ``vtexbridge serve`` and ``vtexbridge orders run`` give the external seller's orders
        (``seller_router(runtime.seller.orders)``) when ``[marketplace.seller]`` is configured.
        """
        self.actions.marketplace = router

    @property
    def wakeups(self) -> Wakeups:
        if self._wakeups is None:
            self._wakeups = Wakeups()
        return self._wakeups

    async def __aenter__(self) -> OrdersService:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close what this service built (injected parts are the caller's)."""
        for part in reversed(self._owned):
            if isinstance(part, StateStore):
                part.close()
            else:
                await part.aclose()
        self._owned.clear()
        if self.sql_source is not None:
            self.sql_source.close()

    # --- running ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None, *, once: bool = False) -> None:
        """Run the worker until ``stop`` is set, or (``once``) until everything is drained."""
        stop = stop or asyncio.Event()
        wake = self.wakeups
        if once:
            if self.settings.orders.feed.enabled:
                await self.consumer.run(stop, once=True)
            await self.inbox.run(stop, wake.inbox, once=True)
            await self.sweep.run(stop, once=True)  # h7: what no event announced
            await self.scan_sources()
            await self.actions.run(stop, wake.actions, once=True)
            await self.scan_sources()
            await self._prune_logged()
            return
        tasks = [
            asyncio.create_task(self.inbox.run(stop, wake.inbox), name="orders-inbox"),
            asyncio.create_task(self._sources_loop(stop), name="orders-action-sources"),
            asyncio.create_task(self.actions.run(stop, wake.actions), name="orders-actions"),
            asyncio.create_task(self._prune_loop(stop), name="orders-prune"),
            asyncio.create_task(self.sweep.run(stop), name="orders-sweep"),  # h7
        ]
        if self.settings.orders.feed.enabled:
            tasks.append(asyncio.create_task(self.consumer.run(stop), name="orders-feed"))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    stop.set()
                    raise task.exception()  # type: ignore[misc]
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def scan_sources(self) -> list[ScanReport]:
        """One scan of the action sources (folder, SQL outbox); wakes the actions worker."""
        reports = []
        for source in (self.folder_source, self.sql_source):
            if source is None:
                continue
            try:
                reports.append(await in_thread(source.scan))  # file work: not on the state thread
            except Exception:
                _log.exception("scanning the action source %s failed", type(source).__name__)
        if any(r.actions_queued for r in reports):
            self.wakeups.actions.set()
        return reports

    async def _sources_loop(self, stop: asyncio.Event) -> None:
        interval = self.settings.orders.actions.scan_interval_s
        while not stop.is_set():
            await self.scan_sources()
            await sleep_or_stop(self.clock, interval, stop)

    async def prune(self) -> PruneReport:
        """Delete feed event keys and finished hook inbox items older than ``orders.prune_after_s``.

        Feed event keys are kept at least ``orders.feed.retention_s`` (VTEX may show an event whose
        commit was lost again until then); unfinished inbox items are never deleted.
        """
        orders = self.settings.orders
        now = self.clock.now()
        keep_events = max(orders.prune_after_s, float(orders.feed.retention_s))
        events = await state_call(self.store.feed.prune, now - timedelta(seconds=keep_events))
        items = await state_call(self.store.inbox.prune, now - timedelta(seconds=orders.prune_after_s))
        if events or items:
            _log.info("pruned %d feed event key(s) and %d finished hook inbox item(s)", events, items)
        return PruneReport(events, items)

    async def _prune_logged(self) -> PruneReport | None:
        try:
            return await self.prune()
        except Exception as e:  # housekeeping: never stops the worker
            message = e.user_message if isinstance(e, VtexbridgeError) else f"{type(e).__name__}: {e}"
            _log.warning("pruning the feed event keys and the hook inbox failed: %s", message)
            return None

    async def _prune_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._prune_logged()
            await sleep_or_stop(self.clock, self.settings.orders.prune_interval_s, stop)

    # --- operator commands --------------------------------------------------------------------

    async def replay(self, order_id: str) -> tuple[str, SinkResult]:
        """Deliver ``order_id`` again, in its current status, even if the ERP already has it."""
        order = await self.client.orders.get_order(order_id)
        result = await self.pipeline.deliver_order(order, source="replay", replay=True)
        return order.status, result

    async def register_hook(self, url: str | None = None) -> str:
        """Create or replace VTEX's hook configuration (VTEX pings the URL first).

        Raises:
            ValueError: no URL or no secret configured.
            VtexError: VTEX refused it (e.g. 400 when the ping did not get a 200).
        """
        hook = self.settings.orders.hook
        url = url or hook.public_url
        if not url:
            raise ValueError("orders.hook.public_url is not set")
        if hook.secret is None:
            raise ValueError("orders.hook.secret is not set (VTEXBRIDGE_ORDERS__HOOK__SECRET)")
        config = HookConfigUpdate(
            filter=WorkflowFilter(status=list(self.settings.orders.statuses)),
            hook=HookEndpoint(url=url, headers={hook.header: hook.secret.get_secret_value()}),
        )
        await self.client.feed.set_hook_config(config)
        _log.info("hook registered with VTEX: %s", url)
        return url
