"""Actions of orders that a VTEX marketplace placed on us as an external seller (marketplace model A).

Such an order is not a VTEX OMS order of ``vtex.account``: its id is ``{order_id_prefix}-
{marketplaceOrderId}`` (``VB-1138342255777-01``; see
:func:`vtexbridge.marketplace.seller.orders.seller_order_id`), and its invoice, tracking and
cancellation go to the marketplace's services endpoint that came with the order, through
:class:`~vtexbridge.marketplace.seller.orders.SellerOrders`. The actions outbox
(:class:`~vtexbridge.orders.actions.ActionRunner`) asks its router, a :class:`MarketplaceOrders`,
whether it :meth:`~MarketplaceOrders.owns` an action's order, and sends the action there if so.

Our VTEX app key and token go to that endpoint only when ``vtex.credential_hosts`` allows its host,
over https (loopback, the local sandbox, over http too): otherwise the action is refused with
:class:`~vtexbridge.marketplace.seller.outbound.ServicesEndpointRefused` (a 403 protocol error: the
action ends ``rejected`` naming the host and the setting) and nothing is sent.

:func:`seller_router` adapts the seller's ``SellerOrders`` (``runtime.seller.orders`` of a
:class:`~vtexbridge.marketplace.runtime.MarketplaceRuntime`); tests may give any object with the
same methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from vtexbridge.marketplace.seller.orders import SellerOrders

__all__ = ["MarketplaceOrders", "SellerOrdersRouter", "seller_router"]


class MarketplaceOrders(Protocol):
    """Where the actions of marketplace seller orders go instead of VTEX's OMS."""

    def owns(self, order_id: str) -> bool:
        """Whether ``order_id`` is an order the marketplace placed on us (not an OMS order)."""
        ...

    async def load(self, order_id: str) -> dict[str, Any] | None:
        """The order's protocol record (``items`` with ``id``/``quantity``/``price`` in cents,
        ``value``, ``invoices``), or None when unknown."""
        ...

    async def send_invoice(self, order_id: str, invoice: Mapping[str, Any]) -> dict[str, Any]: ...

    async def send_tracking(
        self, order_id: str, invoice_number: str, tracking: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def send_tracking_events(
        self, order_id: str, invoice_number: str, events: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def cancel(self, order_id: str, reason: str | None) -> dict[str, Any]:
        """The seller cancels the order (the marketplace is told when it did not ask)."""
        ...


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
