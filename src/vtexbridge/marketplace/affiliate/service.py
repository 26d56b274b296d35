"""The external marketplace (affiliate) side as one object: notifications, catalog, orders, auth.

:class:`AffiliateProtocol` is what ``web/routes/affiliate.py`` calls: the VTEX affiliate
notification (``{path}/api/notification``) and the marketplace services endpoint
(``{path}/services/...``), plus what the marketplace's own code calls to sell: ``orders.simulate``,
``orders.place``, ``orders.authorize_dispatch``, ``orders.cancel``, and ``catalog.full_sync``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.marketplace.affiliate.catalog_sink import CatalogSink, FolderCatalogSink
from vtexbridge.marketplace.affiliate.notifications import CatalogFollower, SkuChange, parse_notification
from vtexbridge.marketplace.affiliate.orders import AffiliateOrders
from vtexbridge.marketplace.affiliate.payment_gateway import BUILT_IN, VtexGatewayPayment
from vtexbridge.marketplace.auth import token_matches
from vtexbridge.marketplace.errors import EndpointClosed, NotAuthorized
from vtexbridge.marketplace.seller.payment import PaymentHandler, load_payment_handler
from vtexbridge.marketplace.settings import AffiliateSettings, MarketplaceConfig
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.paths import segments

__all__ = ["AFFILIATE_ROUTE", "AffiliateProtocol"]

AFFILIATE_ROUTE = "/api/fulfillment/pvt/affiliates/{affiliateId}"


class AffiliateProtocol:
    """One affiliate of one VTEX seller."""

    def __init__(
        self,
        settings: AffiliateSettings,
        catalog: CatalogFollower,
        orders: AffiliateOrders,
        sink: CatalogSink,
        *,
        owns_sink: bool = False,
        owned: list[Any] | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.orders = orders
        self.sink = sink
        self._owns_sink = owns_sink
        self._owned = list(owned or [])

    @classmethod
    def build(
        cls,
        settings: MarketplaceConfig,
        affiliate: AffiliateSettings,
        *,
        state: StateStore,
        client: VtexClient,
        catalog_sink: CatalogSink | None = None,
        payment: PaymentHandler | None = None,
        clock: Clock | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> AffiliateProtocol:
        """Wire the parts; the catalog sink and payment handler come from the settings unless given.

        ``payment_handler = "vtex-gateway"`` is the built-in handler: the payment transaction is
        created in the seller's VTEX Payment Gateway (:mod:`.payment_gateway`; ``http_transport``
        replaces its network).

        Raises:
            ConfigError: the payment handler cannot be loaded.
        """
        owns = catalog_sink is None
        if catalog_sink is None:
            path = affiliate.catalog_sink.path
            if not path.is_absolute() and settings.config_path is not None:
                path = settings.config_path.parent / path
            catalog_sink = FolderCatalogSink(path, fsync=affiliate.catalog_sink.fsync)
        owned: list[Any] = []
        if payment is None and affiliate.payment == "seller" and affiliate.payment_handler == BUILT_IN:
            gateway = VtexGatewayPayment(
                settings.vtex,
                sales_channel=affiliate.sales_channel,
                http_transport=http_transport,
                clock=clock,
                metrics=client.transport.metrics,  # h4: counted with the client's calls
            )
            payment = gateway
            owned.append(gateway)
        elif payment is None and affiliate.payment == "seller" and affiliate.payment_handler:
            payment = load_payment_handler(affiliate.payment_handler)
        account = settings.vtex.account
        follower = CatalogFollower(affiliate, account, client, state, catalog_sink)
        orders = AffiliateOrders(
            affiliate, account, client, state, catalog_sink, clock or SystemClock(), payment=payment
        )
        return cls(affiliate, follower, orders, catalog_sink, owns_sink=owns, owned=owned)

    def authorize(self, headers: Mapping[str, str], query: Mapping[str, str]) -> None:
        """Raise :class:`NotAuthorized` unless the configured secret is presented; without a configured
        secret the endpoints are closed (:class:`EndpointClosed`, 503)."""
        if self.settings.secret is None:
            raise EndpointClosed(
                "the affiliate endpoints are closed: marketplace.affiliate.secret is not set "
                "(VTEXBRIDGE_MARKETPLACE__AFFILIATE__SECRET)"
            )
        if not token_matches(headers, query, self.settings.secret):
            raise NotAuthorized("missing or wrong token (?token= or X-Vtexbridge-Token)")

    async def notify(self, body: object) -> SkuChange:
        """VTEX's affiliate notification: the SKU is pending (durably) when this returns."""
        change = parse_notification(body)
        await self.catalog.receive(change)
        return change

    def search_endpoint(self) -> str:
        """The URL VTEX posts SKU notifications to (the affiliate's *search endpoint*)."""
        if not self.settings.public_url:
            raise ValueError("marketplace.affiliate.public_url is needed to register the affiliate")
        url = f"{self.settings.public_url}{self.settings.path}/api/notification/"
        if self.settings.secret is not None:
            url += f"?token={self.settings.secret.get_secret_value()}"
        return url

    async def register(
        self, client: VtexClient, *, name: str | None = None, follow_up_email: str = ""
    ) -> None:
        """Save the affiliate in the seller's OMS (``PUT /api/fulfillment/pvt/affiliates/{affiliateId}``):
        its trade policy, our search endpoint, and ``useSellerPaymentMethod`` for ``payment = "seller"``.
        """
        body = {
            "name": name or f"vtexbridge {self.settings.affiliate_id}",
            "followUpEmail": follow_up_email,
            "salesChannel": self.settings.sales_channel,
            "searchURIEndpoint": self.search_endpoint(),
            "searchURIEndpointVersion": "1.x.x",
            "searchURIEndpointAvailableVersions": ["1.x.x"],
            "useSellerPaymentMethod": self.settings.payment == "seller",
        }
        await client.transport.request(
            Api.MARKETPLACE,
            "PUT",
            AFFILIATE_ROUTE,
            path=segments(affiliateId=self.settings.affiliate_id),
            json=body,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Follow notifications until ``stop``."""
        await self.catalog.run(stop)

    async def aclose(self) -> None:
        for part in self._owned:
            await part.aclose()
        self._owned.clear()
        if self._owns_sink:
            await self.sink.aclose()
