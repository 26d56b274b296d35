"""The external seller's orders as the orders flow's ``MarketplaceOrders`` (a structural protocol).

The actions outbox of the orders flow sends the invoice, tracking and cancellation of a marketplace
seller order (``{order_id_prefix}-...``) here instead of VTEX's OMS. The composition (``cli``) builds
the router and hands it to ``OrdersService.route_marketplace_orders``; the orders flow only knows the
protocol, so neither flow imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtexbridge.marketplace.seller.orders import SellerOrders

__all__ = ["SellerOrdersRouter", "seller_router"]


class SellerOrdersRouter:
    """:class:`MarketplaceOrders` over the external seller's ``SellerOrders``.

    Args:
        orders: the seller's orders (``MarketplaceRuntime.seller.orders``).
        prefix: the seller order id prefix (``marketplace.seller.order_id_prefix``); an order id
            ``{prefix}-...`` is a marketplace order. VTEX OMS ids are digits and never start so.
    """

    def __init__(self, orders: SellerOrders, prefix: str) -> None:
        self.orders = orders
        self.prefix = f"{prefix}-"

    def owns(self, order_id: str) -> bool:
        return order_id.startswith(self.prefix) and len(order_id) > len(self.prefix)

    async def load(self, order_id: str) -> dict[str, Any] | None:
        return await self.orders.load(order_id)

    async def send_invoice(self, order_id: str, invoice: Mapping[str, Any]) -> dict[str, Any]:
        return await self.orders.send_invoice(order_id, invoice)

    async def send_tracking(
        self, order_id: str, invoice_number: str, tracking: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.orders.send_tracking(order_id, invoice_number, tracking)

    async def send_tracking_events(
        self, order_id: str, invoice_number: str, events: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.orders.send_tracking_events(order_id, invoice_number, events)

    async def cancel(self, order_id: str, reason: str | None) -> dict[str, Any]:
        return await self.orders.confirm_cancellation(order_id, reason)


def seller_router(orders: SellerOrders) -> SellerOrdersRouter:
    """The router of the external seller whose orders ``orders`` handles."""
    return SellerOrdersRouter(orders, orders.settings.order_id_prefix)
