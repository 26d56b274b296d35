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

The marketplace's own refusals (unknown order, already canceled ...) are raised as
:class:`~vtexbridge.errors.PeerRefusal` (``status >= 500``: retried; else the action is refused).

The orders flow does not import the marketplace:
:func:`vtexbridge.marketplace.seller.router.seller_router` adapts the seller's ``SellerOrders``
(``runtime.seller.orders`` of a :class:`~vtexbridge.marketplace.runtime.MarketplaceRuntime`) and the
composition (``cli``) passes it to
:meth:`~vtexbridge.orders.service.OrdersService.route_marketplace_orders`; tests may give any
object with the same methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["MarketplaceOrders"]


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
