"""The Payment Gateway side of the provider protocols (see :mod:`vtexbridge.sandbox.provider_gateway`).

Admin (``/_sandbox/providers``, loopback only like every admin route):

- ``PUT /_sandbox/providers/{kind}`` ``{serviceUrl, appKey, appToken}``: the gift card, payment or
  antifraud provider's affiliation (kept in memory: credentials never reach the sandbox's files);
- ``POST /_sandbox/providers/orders`` ``{orderId?, value, buyer{id, email, document, ...},
  items?, giftCard?{redemptionCode, value}, payment?{method, value}}``: a shopper's order paid by
  gift card and/or the ERP credit line; answers the order (``status``: authorized, payment-pending,
  denied, canceled);
- ``GET /_sandbox/providers/orders/{orderId}``; ``POST .../{orderId}/invoice`` (settle) and
  ``POST .../{orderId}/cancel`` (cancel or refund); ``POST /_sandbox/providers/tick``: VTEX's
  periodic retries of pending orders; ``GET /_sandbox/providers/calls``: every call made.

VTEX side (authenticated like every sandbox API):

- ``POST /api/pvt/payment-provider/transactions/{transactionId}/payments/{paymentId}/callback``: the
  provider's notification (the payment's new status) or, with no body, its retry request (the
  gateway calls ``POST /payments`` again at once);
- ``POST /api/pvt/antifraud-provider/transactions/{transactionId}/hook``: the analysis' new status.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, abort, read_json, sandbox
from vtexbridge.sandbox.provider_gateway import KINDS, GatewayError, ProviderConfig, ProviderGateway

__all__ = ["ORDERS", "gateway_of", "routes"]

ORDERS = "providerorder"
STATE_KEY = "provider_gateway"
Handler = Callable[[Request], Awaitable[Response]]


def gateway_of(ctx: SandboxContext) -> ProviderGateway:
    """The app's gateway (one per sandbox app, made on first use)."""
    found = ctx.app_state.get(STATE_KEY)
    if not isinstance(found, ProviderGateway):
        found = ProviderGateway(ctx.clock)
        ctx.app_state[STATE_KEY] = found
    return found


def _guard(fn: Handler) -> Handler:
    @wraps(fn)
    async def wrapper(request: Request) -> Response:
        try:
            return await fn(request)
        except GatewayError as e:
            return JSONResponse({"error": str(e)}, status_code=502)

    return wrapper


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > 2048:
        abort(400, f"{name} is required (a string of at most 2048 characters)")
    return value


async def configure(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in KINDS:
        abort(404, f"unknown provider kind {kind!r} (one of {', '.join(KINDS)})")
    body = await read_json(request)
    if not isinstance(body, Mapping):
        abort(400, "the body must be an object")
    config = ProviderConfig(_text(body, "serviceUrl"), _text(body, "appKey"), _text(body, "appToken"))
    gateway_of(sandbox(request)).providers[kind] = config
    return JSONResponse({"kind": kind, "serviceUrl": config.service_url})


def _new_order(ctx: SandboxContext, body: Mapping[str, Any]) -> dict[str, Any]:
    value = body.get("value")
    buyer = body.get("buyer")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        abort(400, "value is required (a positive number)")
    if not isinstance(buyer, Mapping) or not buyer.get("document"):
        abort(400, "buyer with a document is required")
    order_id = str(body.get("orderId") or f"{uuid.uuid4().int % 10**13}-01")
    if order_id in ctx.table(ORDERS):
        abort(409, f"order {order_id} exists")
    parts = [dict(p) for p in (body.get("giftCard"), body.get("payment")) if isinstance(p, Mapping)]
    if not parts or abs(sum(float(p.get("value", 0)) for p in parts) - float(value)) > 0.005:
        abort(400, "giftCard.value + payment.value must add up to the order's value")
    return {
        "orderId": order_id,
        "transactionId": uuid.uuid4().hex.upper(),
        "store": ctx.account,
        "value": value,
        "currency": str(body.get("currency") or "BRL"),
        "buyer": dict(buyer),
        "items": list(body.get("items") or []),
        "address": dict(body.get("address") or {}),
        "giftCard": dict(body["giftCard"]) if isinstance(body.get("giftCard"), Mapping) else None,
        "payment": dict(body["payment"]) if isinstance(body.get("payment"), Mapping) else None,
        "status": "new",
        "createdAt": ctx.clock.now().isoformat(),
        "log": [],
    }


@_guard
async def place_order(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request)
    if not isinstance(body, Mapping):
        abort(400, "the body must be an object")
    order = _new_order(ctx, body)
    ctx.table(ORDERS)[order["orderId"]] = order
    order = await gateway_of(ctx).place(order, _base_url(request), ctx.account)
    ctx.table(ORDERS)[order["orderId"]] = order
    return JSONResponse(order, status_code=201)


def _order(ctx: SandboxContext, order_id: str) -> dict[str, Any]:
    order = ctx.table(ORDERS).get(order_id)
    if order is None:
        abort(404, f"no order {order_id}")
    return order


async def get_order(request: Request) -> Response:
    return JSONResponse(_order(sandbox(request), request.path_params["orderId"]))


def _step(action: str) -> Handler:
    @_guard
    async def handler(request: Request) -> Response:
        ctx = sandbox(request)
        order = _order(ctx, request.path_params["orderId"])
        gateway = gateway_of(ctx)
        order = await (gateway.invoice(order) if action == "invoice" else gateway.cancel(order))
        ctx.table(ORDERS)[order["orderId"]] = order
        return JSONResponse(order)

    return handler


@_guard
async def tick(request: Request) -> Response:
    ctx = sandbox(request)
    gateway, table = gateway_of(ctx), ctx.table(ORDERS)
    moved = []
    for order_id in [k for k, v in table.items() if v["status"] == "payment-pending"]:
        order = await gateway.tick(table[order_id], _base_url(request))
        table[order_id] = order
        moved.append({"orderId": order_id, "status": order["status"]})
    return JSONResponse({"orders": moved})


async def calls(request: Request) -> Response:
    found = gateway_of(sandbox(request)).calls
    return JSONResponse(
        [
            {"method": c.method, "url": c.url, "headers": c.header_names, "body": c.body, "status": c.status}
            for c in found
        ]
    )


def _by_transaction(ctx: SandboxContext, tid: str) -> dict[str, Any]:
    for order in ctx.table(ORDERS).values():
        if order["transactionId"] == tid:
            return order
    abort(404, f"no transaction {tid}")


@_guard
async def payment_callback(request: Request) -> Response:
    ctx = sandbox(request)
    order = _by_transaction(ctx, request.path_params["transactionId"])
    pay = order.get("payment") or {}
    if pay.get("paymentId") != request.path_params["paymentId"]:
        abort(404, f"no payment {request.path_params['paymentId']} in transaction {order['transactionId']}")
    body = await read_json(request, required=False)
    gateway = gateway_of(ctx)
    if body is None:  # the retry callback: ask the provider again now
        order = await gateway.tick(order, _base_url(request))
    elif isinstance(body, Mapping):
        gateway.payment_status(order, body)
        order = await gateway.advance(order, _base_url(request))
    else:
        abort(400, "the callback body must be the payment's status object")
    ctx.table(ORDERS)[order["orderId"]] = order
    return Response(status_code=200)


@_guard
async def antifraud_hook(request: Request) -> Response:
    ctx = sandbox(request)
    order = _by_transaction(ctx, request.path_params["transactionId"])
    body = await read_json(request)
    if not isinstance(body, Mapping):
        abort(400, "the hook body must be the analysis status object")
    gateway = gateway_of(ctx)
    gateway.antifraud_status(order, body)
    order = await gateway.advance(order, _base_url(request))
    ctx.table(ORDERS)[order["orderId"]] = order
    return Response(status_code=200)


def routes() -> list[BaseRoute]:
    admin = "/_sandbox/providers"
    return [
        Route(f"{admin}/orders", place_order, methods=["POST"]),
        Route(f"{admin}/orders/{{orderId}}", get_order, methods=["GET"]),
        Route(f"{admin}/orders/{{orderId}}/invoice", _step("invoice"), methods=["POST"]),
        Route(f"{admin}/orders/{{orderId}}/cancel", _step("cancel"), methods=["POST"]),
        Route(f"{admin}/tick", tick, methods=["POST"]),
        Route(f"{admin}/calls", calls, methods=["GET"]),
        Route(f"{admin}/{{kind}}", configure, methods=["PUT"]),
        Route(
            "/api/pvt/payment-provider/transactions/{transactionId}/payments/{paymentId}/callback",
            payment_callback,
            methods=["POST"],
        ),
        Route(
            "/api/pvt/antifraud-provider/transactions/{transactionId}/hook", antifraud_hook, methods=["POST"]
        ),
    ]
