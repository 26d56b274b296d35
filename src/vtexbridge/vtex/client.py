"""``VtexClient``: one transport for one account, and a thin API object per area over it.

    async with VtexClient.from_settings(settings.vtex) as vtex:
        sku_id = await vtex.skus.get_sku_id_by_ref_id("ERP-123")
        await vtex.logistics.update_inventory(sku_id, "wh1", InventoryUpdate(...))

Rate limits, retries, the circuit breaker and error mapping live in the transport, so that every
area shares them; the areas only describe calls.
"""

from __future__ import annotations

import httpx

from vtexbridge.clock import Clock
from vtexbridge.vtex.catalog import CatalogAPI
from vtexbridge.vtex.feed import FeedAPI
from vtexbridge.vtex.logistics import LogisticsAPI
from vtexbridge.vtex.marketplace import MarketplaceAPI
from vtexbridge.vtex.masterdata import MasterDataAPI
from vtexbridge.vtex.orders import OrdersAPI
from vtexbridge.vtex.pricing import PricingAPI
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.skus import SkuAPI
from vtexbridge.vtex.transport import Transport


class VtexClient:
    """The VTEX APIs of one account: ``.catalog``, ``.skus``, ``.pricing``, ``.logistics``, ``.masterdata``,
    ``.orders``, ``.feed`` and ``.marketplace``, all over one :class:`Transport`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.catalog = CatalogAPI(transport)
        self.skus = SkuAPI(transport)
        self.pricing = PricingAPI(transport)
        self.logistics = LogisticsAPI(transport)
        self.masterdata = MasterDataAPI(transport)
        self.orders = OrdersAPI(transport)
        self.feed = FeedAPI(transport)
        self.marketplace = MarketplaceAPI(transport)

    @classmethod
    def from_settings(
        cls,
        settings: VtexSettings,
        *,
        http_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
    ) -> VtexClient:
        """A client with its own transport. ``http_transport`` replaces the network (a mock, or the
        sandbox in-process through ``httpx.ASGITransport``); ``clock`` replaces time and sleeping."""
        return cls(Transport(settings, http_transport=http_transport, clock=clock))

    @property
    def account(self) -> str:
        return self.transport.settings.account

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.transport.aclose()

    async def __aenter__(self) -> VtexClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
