"""The marketplace protocols' objects for one ``vtexbridge serve`` process, built from the settings.

``vtexbridge serve`` builds one :class:`MarketplaceRuntime` beside the app, attaches it
(:func:`attach`), awaits :meth:`MarketplaceRuntime.ready` (the seller's offers are loaded before the
first simulation) and runs :meth:`MarketplaceRuntime.run` with the order worker::

    runtime = MarketplaceRuntime.build(settings, state=service.store, client=service.client)
    attach(app, runtime)
    await runtime.ready()
    background.append(asyncio.create_task(runtime.run(stop)))
    ...
    await runtime.aclose()

When nothing was attached, the route modules build it on first use from the app's services (the
first simulation then waits for the offers to load).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.erp.readers import Reader, open_reader
from vtexbridge.erp.sinks import Sink
from vtexbridge.marketplace.seller.orders import SellerOrders
from vtexbridge.marketplace.seller.outbound import MarketplaceServices
from vtexbridge.marketplace.seller.payment import PaymentHandler, load_payment_handler
from vtexbridge.marketplace.seller.service import SellerProtocol
from vtexbridge.marketplace.seller.simulation import OfferIndex
from vtexbridge.marketplace.settings import MarketplaceConfig, MarketplaceSettings
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient

if TYPE_CHECKING:
    from vtexbridge.marketplace.affiliate.catalog_sink import CatalogSink
    from vtexbridge.marketplace.affiliate.service import AffiliateProtocol

__all__ = ["MarketplaceRuntime", "attach"]


def _base_dir(settings: MarketplaceConfig) -> Any:
    return settings.config_path.parent if settings.config_path is not None else None


@dataclass
class MarketplaceRuntime:
    """The seller side (A) and the affiliate side (B), each present when configured."""

    seller: SellerProtocol | None = None
    affiliate: AffiliateProtocol | None = None
    owned: list[Any] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    """Why a configured side could not be built (``"affiliate"`` -> reason); its routes answer it."""
    _ready: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _loaded: bool = field(default=False, init=False, repr=False)

    @classmethod
    def build(
        cls,
        settings: MarketplaceConfig,
        *,
        state: StateStore,
        client: VtexClient | None,
        marketplace: MarketplaceSettings | None = None,
        sink: Sink | None = None,
        reader: Callable[[], Reader] | None = None,
        catalog_sink: CatalogSink | None = None,
        payment: PaymentHandler | None = None,
        affiliate_payment: PaymentHandler | None = None,
        clock: Clock | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> MarketplaceRuntime:
        """Build what ``marketplace`` (default ``settings.marketplace``) configures.

        Injected parts (sink, reader, catalog sink, payment handlers, an httpx transport for the
        marketplace services and Payment Gateway calls) replace the ones built from the settings.

        Raises:
            ConfigError: a payment handler cannot be loaded.
        """
        mkp = marketplace or settings.marketplace
        clock = clock or SystemClock()
        runtime = cls()
        if mkp.seller is not None:
            s = mkp.seller
            # h4: the outbound calls are counted with the client's (one /metrics)
            metrics = client.transport.metrics if client is not None else None
            if sink is None:
                from vtexbridge.orders.service import build_sink

                sink = build_sink(settings, clock=clock, metrics=metrics)
                runtime.owned.append(sink)
            erp = settings.erp
            if reader is None and erp is not None:
                base = _base_dir(settings)

                def reader() -> Reader:
                    return open_reader(erp, base_dir=base)

            if payment is None and s.payment == "seller" and s.payment_handler:
                payment = load_payment_handler(s.payment_handler)
            services = MarketplaceServices(
                settings.vtex, http_transport=http_transport, clock=clock, metrics=metrics
            )
            runtime.owned.append(services)
            index = OfferIndex()
            orders = SellerOrders(
                settings=s,
                account=settings.vtex.account,
                sink=sink,
                state=state,
                index=index,
                clock=clock,
                payment=payment,
                services=services,
            )
            runtime.seller = SellerProtocol(s, orders, index, reader=reader, clock=clock, client=client)
        if mkp.affiliate is not None:
            from vtexbridge.marketplace.affiliate.service import AffiliateProtocol

            if client is None:
                runtime.problems["affiliate"] = (
                    "marketplace.affiliate needs a VTEX client (the seller's account)"
                )
                return runtime
            runtime.affiliate = AffiliateProtocol.build(
                settings,
                mkp.affiliate,
                state=state,
                client=client,
                catalog_sink=catalog_sink,
                payment=affiliate_payment,
                clock=clock,
                http_transport=http_transport,
            )
            runtime.owned.append(runtime.affiliate)
        return runtime

    @classmethod
    def from_services(cls, services: Any) -> MarketplaceRuntime:
        """Build from a ``web.deps.WebServices`` (settings, store, client)."""
        return cls.build(services.settings, state=services.store, client=services.client)

    async def ready(self) -> None:
        """Load the seller's offers once (concurrent callers wait for the same load)."""
        if self.seller is None or self._loaded:
            return
        if self._ready is None or self._ready.get_loop() is not asyncio.get_running_loop():
            self._ready = asyncio.ensure_future(self._load())
        await asyncio.shield(self._ready)

    async def _load(self) -> None:
        if self.seller is not None:
            await self.seller.refresh()
        self._loaded = True

    async def run(self, stop: asyncio.Event) -> None:
        """Background work until ``stop``: the seller's offer refresh, the affiliate's catalog follow-up."""
        tasks = []
        if self.seller is not None:
            tasks.append(asyncio.create_task(self.seller.run_refresh(stop)))
        if self.affiliate is not None:
            tasks.append(asyncio.create_task(self.affiliate.run(stop)))
        if tasks:
            await asyncio.gather(*tasks)

    async def aclose(self) -> None:
        for part in reversed(self.owned):
            with contextlib.suppress(Exception):
                await part.aclose()
        self.owned.clear()


def attach(app: Any, runtime: MarketplaceRuntime) -> None:
    """Make ``runtime`` the one the app's protocol routes use."""
    app.state.marketplace = runtime
