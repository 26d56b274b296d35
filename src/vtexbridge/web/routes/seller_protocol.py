"""The external seller's fulfillment endpoint (``marketplace.seller.path``, default ``/marketplace/seller``).

The VTEX marketplace is configured with ``fulfillmentEndpoint = https://<bridge><path>`` and calls:

- ``POST {path}/pvt/orderForms/simulation`` -> prices, stock and SLAs (from memory, in microseconds);
- ``POST {path}/pvt/orders`` -> the order lands in the ERP sink (idempotent per marketplaceOrderId);
- ``POST {path}/pvt/orders/{sellerOrderId}/fulfill`` -> dispatch authorised;
- ``POST {path}/pvt/orders/{orderId}/cancel`` -> receipt (confirmed) or an empty body (evaluating).

Every call must carry VTEX's credentials (401 otherwise). Errors answer ``{"error": {code, message}}``.
The logic lives in :mod:`vtexbridge.marketplace.seller`; this module parses and renders.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.marketplace.http import MAX_BODY, guarded, json_response, path_id, read_body, seller_protocol
from vtexbridge.marketplace.settings import SellerSettings

__all__ = ["routes", "seller_routes"]


@guarded
async def simulation(request: Request) -> Response:
    protocol = await seller_protocol(request)
    protocol.authorize(request.headers)
    return json_response(protocol.simulate(await read_body(request, MAX_BODY)))


@guarded
async def place_order(request: Request) -> Response:
    protocol = await seller_protocol(request)
    protocol.authorize(request.headers)
    return json_response(await protocol.place_order(await read_body(request, MAX_BODY)))


@guarded
async def fulfill(request: Request) -> Response:
    protocol = await seller_protocol(request)
    protocol.authorize(request.headers)
    body = await read_body(request, MAX_BODY, required=False)
    return json_response(await protocol.authorize_fulfillment(path_id(request, "orderId"), body))


@guarded
async def cancel(request: Request) -> Response:
    protocol = await seller_protocol(request)
    protocol.authorize(request.headers)
    body = await read_body(request, MAX_BODY, required=False)
    return json_response(await protocol.cancel(path_id(request, "orderId"), body))


def seller_routes(seller: SellerSettings) -> list[BaseRoute]:
    """The four routes under ``seller.path``."""
    p = seller.path
    return [
        Route(f"{p}/pvt/orderForms/simulation", simulation, methods=["POST"]),
        Route(f"{p}/pvt/orders", place_order, methods=["POST"]),
        Route(f"{p}/pvt/orders/{{orderId}}/fulfill", fulfill, methods=["POST"]),
        Route(f"{p}/pvt/orders/{{orderId}}/cancel", cancel, methods=["POST"]),
    ]


def body_limits(settings: Settings) -> dict[str, int]:
    """The largest body of each route prefix (enforced by :mod:`vtexbridge.web.edge`)."""
    seller = settings.marketplace.seller
    return {seller.path: MAX_BODY} if seller is not None else {}


def routes(settings: Settings) -> Sequence[BaseRoute]:
    seller = settings.marketplace.seller
    return seller_routes(seller) if seller is not None else []
