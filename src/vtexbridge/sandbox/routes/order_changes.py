"""Order modifications: v2 (``/api/order-system/orders/{changeOrderId}/changes...``) and the legacy
``POST /api/oms/pvt/orders/{orderId}/changes``. Rules in :mod:`vtexbridge.sandbox.rules.orderchanges`.

v2: ``PATCH`` applies a change at once (202, record ``status: "done"``); ``GET`` lists the order's
records, ``GET .../{changeRequestId}`` reads one, ``POST .../preview`` computes without applying.
A change can also stop unprocessed, as one does on VTEX after a blocking error: ``POST
/_sandbox/order-changes/options {"failNext": N}`` makes the next N ``PATCH`` answer 202 with a record
of ``status: "failed"`` and leave the order as it was. Then:

- ``POST .../changes/{changeRequestId}/retry?an=`` applies it (the retry body's ``replace`` if it has
  one, else the original request) -> 204, record ``done``; the change rules apply again (409/400);
- ``POST .../changes/{changeRequestId}/cancel?an=`` ``{reason}`` -> 200, record ``canceled``;
- retrying or canceling a ``done`` change -> 409 (a processed change cannot be undone: send a new one);
  retrying a ``canceled`` one -> 409; canceling it again -> 200; an unknown request id -> 404;
  the ``an`` query parameter (account name) is required by the spec -> 400 without it.

Legacy (``{requestId, reason, discountValue, incrementValue, itemsRemoved[], itemsAdded[]}``, prices in
cents): the same rules and statuses as v2; added SKUs take the caller's ``price``; ``discountValue`` /
``incrementValue`` change the order's value; errors as VTEX's guide lists them ("The modification value
needs to be greater or equal than zero", "Invalid modification for order", "Invalid id for item",
"Field reason not set"). The same ``requestId`` again answers the first receipt without changing the
order twice. Answers ``{date, orderId, receipt}``; the change is in the order's ``changesAttachment``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, abort, admin_error, read_json, rule_errors, sandbox
from vtexbridge.sandbox.orderflow import ORDER, ORDER_CHANGE, orders_runtime, publish, resolve_line
from vtexbridge.sandbox.routes.orders import load_order
from vtexbridge.sandbox.rules import orders as rules
from vtexbridge.sandbox.rules.binding import ORDER_NAMES, bind_names
from vtexbridge.sandbox.rules.orderchanges import apply_change, legacy_change, preview_change
from vtexbridge.sandbox.rules.orderdoc import LineItem

__all__ = ["CHANGE_REQUEST", "LEGACY_CHANGE", "routes"]

CHANGE_REQUEST = "orderchangerequest"  # the body of each v2 change request (key as ORDER_CHANGE)
LEGACY_CHANGE = "orderchangelegacy"  # "{orderId}:{requestId}" -> the receipt answered


def _resolver(
    ctx: SandboxContext, order: dict[str, Any], prices: dict[str, int] | None = None
) -> Callable[[str, int], LineItem | None]:
    now = ctx.clock.now()
    given = prices or {}

    def resolve(sku_id: str, quantity: int) -> LineItem:
        return resolve_line(
            ctx,
            sku_id,
            quantity,
            sales_channel=str(order.get("salesChannel") or "1"),
            now=now,
            unit_price=given.get(sku_id),
        )

    return resolve


def _save(ctx: SandboxContext, order: dict[str, Any], event: rules.OrderEvent | None) -> None:
    ctx.table(ORDER)[order["orderId"]] = order
    publish(ctx, order, [event] if event else [])


def _apply(ctx: SandboxContext, order: dict[str, Any], body: Any, request_id: str) -> dict[str, Any]:
    outcome = apply_change(
        order,
        body,
        ctx.clock.now(),
        account=ctx.account,
        request_id=request_id,
        workflow_id=str(uuid.uuid4()),
        receipt=uuid.uuid4().hex,
        resolve=_resolver(ctx, order),
    )
    _save(ctx, outcome.order, outcome.event)
    return outcome.record


@rule_errors("vtex")
async def patch_changes(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["changeOrderId"])
    body = bind_names(await read_json(request), ORDER_NAMES)
    request_id = str(uuid.uuid4())
    state = orders_runtime(ctx.runtime)
    if state.failing_changes > 0:
        record = preview_change(
            order, body, ctx.clock.now(), account=ctx.account, resolve=_resolver(ctx, order)
        )
        state.failing_changes -= 1
        record = {
            "requestId": request_id,
            "workflowId": str(uuid.uuid4()),
            "status": "failed",
            "inProgress": False,
            **record,
        }
    else:
        record = _apply(ctx, order, body, request_id)
    key = f"{order['orderId']}:{request_id}"
    ctx.table(ORDER_CHANGE)[key] = record
    ctx.table(CHANGE_REQUEST)[key] = {"body": body}
    return JSONResponse(record, status_code=202)


@rule_errors("vtex")
async def preview_changes(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["changeOrderId"])
    body = bind_names(await read_json(request), ORDER_NAMES)
    record = preview_change(order, body, ctx.clock.now(), account=ctx.account, resolve=_resolver(ctx, order))
    return JSONResponse(record)


@rule_errors("vtex")
async def list_changes(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["changeOrderId"])
    prefix = f"{order['orderId']}:"
    records = [r for k, r in ctx.table(ORDER_CHANGE).items() if k.startswith(prefix)]
    records.sort(key=lambda r: str(r["date"]))
    return JSONResponse({"requests": records, "actions": []})


def _change(ctx: SandboxContext, request: Request) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(order, store key, record) of the path's change request; 404 when unknown."""
    order = load_order(ctx, request.path_params["changeOrderId"])
    key = f"{order['orderId']}:{request.path_params['changeRequestId']}"
    record = ctx.table(ORDER_CHANGE).get(key)
    if record is None:
        abort(404, f"Change request {request.path_params['changeRequestId']} not found")
    return order, key, record


@rule_errors("vtex")
async def get_change(request: Request) -> Response:
    _order, _key, record = _change(sandbox(request), request)
    return JSONResponse(record)


def _require_account_name(request: Request) -> None:
    if not request.query_params.get("an"):
        abort(400, "The query parameter an (the account name) is required")


@rule_errors("vtex")
async def retry_change(request: Request) -> Response:
    _require_account_name(request)
    ctx = sandbox(request)
    order, key, record = _change(ctx, request)
    if record["status"] != "failed":
        abort(
            409,
            f"Change request {record['requestId']} is {record['status']}; only a failed one can be retried",
        )
    given = bind_names(await read_json(request, required=False), ORDER_NAMES)
    stored = (ctx.table(CHANGE_REQUEST).get(key) or {}).get("body")
    body = given if isinstance(given, dict) and given.get("replace") else stored
    done = _apply(ctx, order, body, str(record["requestId"]))
    ctx.table(ORDER_CHANGE)[key] = {**done, "workflowId": record["workflowId"]}
    return Response(status_code=204)


@rule_errors("vtex")
async def cancel_change(request: Request) -> Response:
    _require_account_name(request)
    ctx = sandbox(request)
    _order, key, record = _change(ctx, request)
    body = bind_names(await read_json(request), ORDER_NAMES)
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        abort(400, "reason is required")
    if record["status"] == "done":
        abort(
            409,
            f"Change request {record['requestId']} was processed and cannot be canceled; send a new change",
        )
    if record["status"] != "canceled":
        ctx.table(ORDER_CHANGE)[key] = {**record, "status": "canceled", "cancelReason": reason}
    return Response(status_code=200)


@rule_errors("vtex")
async def post_legacy_change(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["orderId"])
    change = legacy_change(bind_names(await read_json(request), ORDER_NAMES))
    key = f"{order['orderId']}:{change.request_id}"
    previous = ctx.table(LEGACY_CHANGE).get(key)
    if previous is not None:
        return JSONResponse(previous)
    outcome = apply_change(
        order,
        change.body,
        ctx.clock.now(),
        account=ctx.account,
        request_id=change.request_id,
        workflow_id=str(uuid.uuid4()),
        receipt=uuid.uuid4().hex,
        resolve=_resolver(ctx, order, change.prices),
        manual=change.manual,
    )
    _save(ctx, outcome.order, outcome.event)
    receipt = outcome.order["changesAttachment"]["changesData"][-1]["receipt"]
    ctx.table(LEGACY_CHANGE)[key] = receipt
    return JSONResponse(receipt)


async def change_options(request: Request) -> Response:
    """``GET|POST /_sandbox/order-changes/options`` ``{"failNext": N}`` (admin)."""
    state = orders_runtime(sandbox(request).runtime)
    if request.method == "POST":
        body = await read_json(request)
        value = body.get("failNext") if isinstance(body, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
            return admin_error(400, "failNext must be an integer between 0 and 1000")
        state.failing_changes = value
    return JSONResponse({"failNext": state.failing_changes})


def routes() -> list[BaseRoute]:
    changes = "/api/order-system/orders/{changeOrderId}/changes"
    return [
        Route("/api/oms/pvt/orders/{orderId}/changes", post_legacy_change, methods=["POST"]),
        Route(changes, patch_changes, methods=["PATCH"]),
        Route(changes, list_changes, methods=["GET"]),
        Route(f"{changes}/preview", preview_changes, methods=["POST"]),
        Route(f"{changes}/{{changeRequestId}}", get_change, methods=["GET"]),
        Route(f"{changes}/{{changeRequestId}}/retry", retry_change, methods=["POST"]),
        Route(f"{changes}/{{changeRequestId}}/cancel", cancel_change, methods=["POST"]),
        Route("/_sandbox/order-changes/options", change_options, methods=["GET", "POST"]),
    ]
