"""The external marketplace's (affiliate's) endpoints (``marketplace.affiliate.path``, default
``/marketplace/affiliate``).

- ``POST {path}/api/notification`` (and with a trailing ``/``): VTEX's affiliate notification — the
  affiliate's *search endpoint* is ``https://<bridge>{path}`` (VTEX appends ``/api/notification/``).
  The SKU is recorded as pending and fetched from the seller in the background -> 200 ``{"ok": true}``.
- The marketplace services endpoint (sent with every order placed on the seller) ``{path}/services``:
  ``POST .../pvt/orders/{marketplaceOrderId}/invoice``, ``.../invoice/{invoiceNumber}``,
  ``.../invoice/{invoiceNumber}/tracking``, ``.../cancel`` (spec ``External Seller Marketplace``) and
  ``POST .../pub/orders/{orderId}/invoice`` (the guide's spelling) -> ``{date, orderId, receipt}``;
  ``POST .../pvt/orders/{participantOrderId}/changes/{changeRequestId}/send-agreement``
  ``{agreementType}`` (the seller's agreement to an order modification) -> ``{orderId,
  changeRequestId, agreementType}``.

Every call must carry ``marketplace.affiliate.secret`` (``?token=`` — the URLs we give VTEX carry
it — or the ``X-Vtexbridge-Token`` header): 401 otherwise; without a configured secret the endpoints
are closed (503), and ``serve`` refuses to start on a non-loopback address.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.marketplace.http import (
    MAX_BODY,
    affiliate_protocol,
    guarded,
    json_response,
    path_id,
    read_body,
)
from vtexbridge.marketplace.settings import AffiliateSettings

__all__ = ["affiliate_routes", "routes"]


@guarded
async def notification(request: Request) -> Response:
    protocol = await affiliate_protocol(request)
    protocol.authorize(request.headers, request.query_params)
    change = await protocol.notify(await read_body(request, MAX_BODY))
    return json_response({"ok": True, "skuId": change.sku_id})


@guarded
async def invoice(request: Request) -> Response:
    protocol = await affiliate_protocol(request)
    protocol.authorize(request.headers, request.query_params)
    body = await read_body(request, MAX_BODY)
    name = "marketplaceOrderId" if "marketplaceOrderId" in request.path_params else "orderId"
    order_id = path_id(request, name)
    return json_response(await protocol.orders.receive_invoice(order_id, body))


@guarded
async def tracking(request: Request) -> Response:
    protocol = await affiliate_protocol(request)
    protocol.authorize(request.headers, request.query_params)
    body = await read_body(request, MAX_BODY)
    return json_response(
        await protocol.orders.receive_tracking(
            path_id(request, "marketplaceOrderId"), path_id(request, "invoiceNumber"), body
        )
    )


@guarded
async def tracking_events(request: Request) -> Response:
    protocol = await affiliate_protocol(request)
    protocol.authorize(request.headers, request.query_params)
    body = await read_body(request, MAX_BODY)
    order_id, number = path_id(request, "marketplaceOrderId"), path_id(request, "invoiceNumber")
    answer = await protocol.orders.receive_tracking_events(order_id, number, body)
    return json_response(answer)


@guarded
async def seller_cancel(request: Request) -> Response:
    protocol = await affiliate_protocol(request)
    protocol.authorize(request.headers, request.query_params)
    body = await read_body(request, MAX_BODY)
    return json_response(
        await protocol.orders.receive_cancellation(path_id(request, "marketplaceOrderId"), body)
    )


@guarded
async def change_agreement(request: Request) -> Response:
    protocol = await affiliate_protocol(request)
    protocol.authorize(request.headers, request.query_params)
    body = await read_body(request, MAX_BODY)
    p = request.path_params
    answer = await protocol.orders.receive_change_agreement(
        p["participantOrderId"], p["changeRequestId"], body
    )
    return json_response(answer)


def affiliate_routes(affiliate: AffiliateSettings) -> list[BaseRoute]:
    """The affiliate's routes under ``affiliate.path``."""
    p = affiliate.path
    orders = f"{p}/services/pvt/orders/{{marketplaceOrderId}}"
    return [
        Route(f"{p}/api/notification", notification, methods=["POST"]),
        Route(f"{p}/api/notification/", notification, methods=["POST"]),
        Route(f"{orders}/invoice", invoice, methods=["POST"]),
        Route(f"{orders}/invoice/{{invoiceNumber}}", tracking, methods=["POST"]),
        Route(f"{orders}/invoice/{{invoiceNumber}}/tracking", tracking_events, methods=["POST"]),
        Route(f"{orders}/cancel", seller_cancel, methods=["POST"]),
        Route(
            f"{p}/services/pvt/orders/{{participantOrderId}}/changes/{{changeRequestId}}/send-agreement",
            change_agreement,
            methods=["POST"],
        ),
        Route(f"{p}/services/pub/orders/{{orderId}}/invoice", invoice, methods=["POST"]),
    ]


def body_limits(settings: Settings) -> dict[str, int]:
    """The largest body of each route prefix (enforced by :mod:`vtexbridge.web.edge`)."""
    affiliate = settings.marketplace.affiliate
    return {affiliate.path: MAX_BODY} if affiliate is not None else {}


def routes(settings: Settings) -> Sequence[BaseRoute]:
    affiliate = settings.marketplace.affiliate
    return affiliate_routes(affiliate) if affiliate is not None else []
