"""Marketplace calls, both directions of a VTEX marketplace relationship.

As an external seller on a VTEX marketplace: notify price and stock changes (``VTEX - Marketplace
APIs.json``, answered ``202`` with no body) and send SKU suggestions (``VTEX - Marketplace APIs -
Suggestions.json``, on ``api.vtex.com``). The catalog change notification lives in ``catalog.py``.

As an external marketplace selling a VTEX seller's SKUs (``VTEX - Marketplace Protocol - External
Marketplace Orders.json``): simulate, place the order, then authorise its dispatch once paid.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from vtexbridge.errors import RecordRef
from vtexbridge.vtex.errors import NotFound
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.marketplace import (
    DispatchAuthorization,
    DispatchResult,
    FulfillmentOrder,
    FulfillmentOrderResult,
    FulfillmentSimulation,
    SimulationResult,
    SkuSuggestion,
)
from vtexbridge.vtex.paths import segments
from vtexbridge.vtex.transport import Transport

PRICE_CHANGE = "/api/notificator/{sellerId}/changenotification/{skuId}/price"
INVENTORY_CHANGE = "/api/notificator/{sellerId}/changenotification/{skuId}/inventory"
SUGGESTION = "/suggestions/{sellerId}/{sellerSkuId}"
SIMULATION = "/api/checkout/pub/orderForms/simulation"
FULFILLMENT_ORDERS = "/api/fulfillment/pvt/orders"
FULFILLMENT_DISPATCH = "/api/fulfillment/pvt/orders/{orderId}/fulfill"

_ORDER_RESULTS = TypeAdapter(list[FulfillmentOrderResult])


def _one_order(data: Any) -> FulfillmentOrderResult:
    # The spec answers an object; VTEX answers a list of the orders created: take either.
    if isinstance(data, list):
        orders = _ORDER_RESULTS.validate_python(data)
        if len(orders) != 1:
            raise ValueError(f"expected one fulfillment order in the answer, got {len(orders)}")
        return orders[0]
    return FulfillmentOrderResult.model_validate(data)


class MarketplaceAPI:
    """Marketplace calls made with this account's credentials."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    # --- external seller -> VTEX marketplace --------------------------------------------------

    async def notify_price_change(
        self, seller_id: str, sku_id: str, *, record: RecordRef | None = None
    ) -> None:
        """Tell the marketplace a seller SKU's price changed; it then asks the seller's simulation."""
        await self._t.request(
            Api.MARKETPLACE,
            "POST",
            PRICE_CHANGE,
            path=segments(sellerId=seller_id, skuId=sku_id),
            idempotent=True,
            record=record,
        )

    async def notify_inventory_change(
        self, seller_id: str, sku_id: str, *, record: RecordRef | None = None
    ) -> None:
        """Tell the marketplace a seller SKU's stock changed; it then asks the seller's simulation."""
        await self._t.request(
            Api.MARKETPLACE,
            "POST",
            INVENTORY_CHANGE,
            path=segments(sellerId=seller_id, skuId=sku_id),
            idempotent=True,
            record=record,
        )

    async def save_sku_suggestion(
        self,
        seller_id: str,
        seller_sku_id: str,
        suggestion: SkuSuggestion,
        *,
        record: RecordRef | None = None,
    ) -> None:
        """Offer a SKU the marketplace does not sell yet (or replace a suggestion not yet approved)."""
        await self._t.request(
            Api.SUGGESTIONS,
            "PUT",
            SUGGESTION,
            path=segments(sellerId=seller_id, sellerSkuId=seller_sku_id),
            json=suggestion.body(),
            record=record,
        )

    async def get_sku_suggestion(
        self, seller_id: str, seller_sku_id: str, *, record: RecordRef | None = None
    ) -> dict[str, Any] | None:
        """The suggestion as the marketplace holds it (its status included), or None when there is none."""
        try:
            r = await self._t.request(
                Api.SUGGESTIONS,
                "GET",
                SUGGESTION,
                path=segments(sellerId=seller_id, sellerSkuId=seller_sku_id),
                record=record,
            )
        except NotFound:
            return None
        suggestion: dict[str, Any] | None = r.json() if r.content else None
        return suggestion

    # --- external marketplace -> VTEX seller --------------------------------------------------

    async def simulate_fulfillment(
        self,
        simulation: FulfillmentSimulation,
        *,
        affiliate_id: str | None = None,
        sales_channel: int | None = None,
        record: RecordRef | None = None,
    ) -> SimulationResult:
        """Prices (cents), availability and shipping options of the seller for these items."""
        r = await self._t.request(
            Api.CHECKOUT,
            "POST",
            SIMULATION,
            params={"affiliateId": affiliate_id, "sc": sales_channel},
            json=simulation.body(),
            idempotent=True,
            record=record,
        )
        return SimulationResult.model_validate(r.json())

    async def place_fulfillment_order(
        self,
        order: FulfillmentOrder,
        *,
        affiliate_id: str,
        sales_channel: str | None = None,
        record: RecordRef | None = None,
    ) -> FulfillmentOrderResult:
        """Place a marketplace order on the seller (under the affiliate ``affiliate_id``)."""
        r = await self._t.request(
            Api.MARKETPLACE,
            "POST",
            FULFILLMENT_ORDERS,
            params={"affiliateId": affiliate_id, "sc": sales_channel},
            json=order.body(),
            record=record,
        )
        return _one_order(r.json())

    async def authorize_dispatch(
        self,
        order_id: str,
        marketplace_order_id: str,
        *,
        affiliate_id: str,
        sales_channel: str | None = None,
        record: RecordRef | None = None,
    ) -> DispatchResult:
        """Tell the seller the order is paid and may be fulfilled."""
        r = await self._t.request(
            Api.MARKETPLACE,
            "POST",
            FULFILLMENT_DISPATCH,
            path=segments(orderId=order_id),
            params={"affiliateId": affiliate_id, "sc": sales_channel},
            json=DispatchAuthorization(marketplaceOrderId=marketplace_order_id).body(),
            idempotent=True,
            record=record,
        )
        return DispatchResult.model_validate(r.json())
