"""Orders API (OMS) routes: read, list, start handling, invoice, tracking, cancel, order changes v2.

Paths and bodies follow ``VTEX - Orders API.json``; the rules live in
:mod:`vtexbridge.sandbox.rules.orders` (state machine, invoices, cancel) and
:mod:`vtexbridge.sandbox.rules.orderchanges`. Errors answer VTEX's ``{"error": {code, message}}``.
Every transition is published (order history, feeds, hooks) by :func:`~vtexbridge.sandbox.orderflow.publish`.

``GET /api/oms/pvt/orders`` supports ``f_status`` (comma-separated), ``f_creationDate`` and
``f_invoicedDate`` (``creationDate:[A TO B]``), ``f_affiliateId``, ``salesChannelId``, ``q`` (order id,
e-mail, name or document), ``orderBy`` (``creationDate|orderId|totalValue,asc|desc``; default
``creationDate,desc``), ``page`` (1..30) and ``per_page`` (1..100, default 15); beyond those limits it
answers 400. The sandbox indexes orders at once (VTEX lags a few minutes).
"""

from __future__ import annotations

import copy
import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, abort, read_json, rule_errors, sandbox
from vtexbridge.sandbox.orderflow import ORDER, publish, release
from vtexbridge.sandbox.rules import orders as rules
from vtexbridge.sandbox.rules.binding import ORDER_NAMES, bind_names
from vtexbridge.sandbox.rules.orderlist import list_stats, summarize

__all__ = ["load_order", "routes"]

MAX_PER_PAGE = 100
MAX_PAGE = 30
DEFAULT_PER_PAGE = 15
_RANGE = re.compile(r"^\s*(\w+)\s*:\s*\[\s*(\S+)\s+TO\s+(\S+)\s*\]\s*$")


def load_order(ctx: SandboxContext, order_id: str) -> dict[str, Any]:
    """A copy of the stored order (404 when unknown); write it back with ``ctx.table("order")[id] = doc``."""
    doc = ctx.table(ORDER).get(order_id)
    if doc is None:
        abort(404, f"Order {order_id} not found", "OMS001")
    return copy.deepcopy(doc)


def _receipt(ctx: SandboxContext, order_id: str) -> JSONResponse:
    return JSONResponse(
        {"date": rules.vtex_time(ctx.clock.now()), "orderId": order_id, "receipt": uuid.uuid4().hex}
    )


def _save(ctx: SandboxContext, order: dict[str, Any], events: list[rules.OrderEvent]) -> None:
    ctx.table(ORDER)[order["orderId"]] = order
    publish(ctx, order, events)


@rule_errors("vtex")
async def get_order(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(load_order(ctx, request.path_params["orderId"]))


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        abort(400, f"{name} must be a positive integer, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        abort(400, f"{name} must be between {low} and {high}, got {value}")
    return value


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _date_filter(request: Request, name: str, field: str) -> Callable[[dict[str, Any]], bool]:
    raw = request.query_params.get(name)
    if not raw:
        return lambda _order: True
    m = _RANGE.match(raw)
    if m is None or m.group(1) != field:
        abort(400, f"{name} must look like {field}:[2024-01-01T00:00:00.000Z TO 2024-01-31T23:59:59.999Z]")
    try:
        low, high = _parse_time(m.group(2)), _parse_time(m.group(3))
    except ValueError:
        abort(400, f"{name} has an invalid date: {raw!r}")

    def check(order: dict[str, Any]) -> bool:
        value = order.get(field)
        return bool(value) and low <= _parse_time(str(value)) <= high

    return check


def _matches_q(order: dict[str, Any], q: str) -> bool:
    profile = order.get("clientProfileData") or {}
    haystack = [
        order.get("orderId"),
        order.get("sequence"),
        profile.get("email"),
        profile.get("firstName"),
        profile.get("lastName"),
        profile.get("document"),
    ]
    needle = q.lower()
    return any(needle in str(h).lower() for h in haystack if h)


@rule_errors("vtex")
async def list_orders(request: Request) -> Response:
    ctx = sandbox(request)
    params = request.query_params
    per_page = _int_param(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_param(request, "page", 1, 1, MAX_PAGE)
    statuses = {s.strip() for s in (params.get("f_status") or "").split(",") if s.strip()}
    created = _date_filter(request, "f_creationDate", "creationDate")
    invoiced = _date_filter(request, "f_invoicedDate", "invoicedDate")
    affiliate = params.get("f_affiliateId")
    channel = params.get("salesChannelId")
    q = (params.get("q") or "").strip()
    order_by = (params.get("orderBy") or "creationDate,desc").split(",")
    field = order_by[0]
    if field not in ("creationDate", "orderId", "totalValue") or (
        len(order_by) > 1 and order_by[1] not in ("asc", "desc")
    ):
        abort(400, "orderBy must be creationDate, orderId or totalValue, then ',asc' or ',desc'")
    descending = len(order_by) < 2 or order_by[1] == "desc"
    matching = [
        summarize(o)
        for o in ctx.table(ORDER).values()
        if (not statuses or o.get("status") in statuses)
        and created(o)
        and invoiced(o)
        and (not affiliate or o.get("affiliateId") == affiliate)
        and (not channel or o.get("salesChannel") == channel)
        and (not q or _matches_q(o, q))
    ]
    matching.sort(key=lambda s: (s[field], s["orderId"]), reverse=descending)
    start = (page - 1) * per_page
    return JSONResponse(
        {
            "list": matching[start : start + per_page],
            "facets": [],
            "paging": {
                "total": len(matching),
                "pages": math.ceil(len(matching) / per_page),
                "currentPage": page,
                "perPage": per_page,
            },
            "stats": list_stats(matching),
        }
    )


@rule_errors("vtex")
async def start_handling(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["orderId"])
    events = rules.start_handling(order, ctx.clock.now())
    _save(ctx, order, events)
    release(ctx, order["orderId"])  # VTEX drops the reservation once the seller handles the order
    return Response(status_code=204)


@rule_errors("vtex")
async def cancel_order(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["orderId"])
    body = bind_names(await read_json(request, required=False), ORDER_NAMES)
    reason = body.get("reason") if isinstance(body, dict) else None
    if reason is not None and not isinstance(reason, str):
        abort(400, "reason must be a string")
    handled = order.get("status") in rules.HANDLED
    events = rules.cancel(order, reason, ctx.clock.now())
    if events:
        _save(ctx, order, events)
        if not handled:
            release(ctx, order["orderId"])
    return _receipt(ctx, order["orderId"])


@rule_errors("vtex")
async def post_invoice(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["orderId"])
    body = bind_names(await read_json(request), ORDER_NAMES)
    result = rules.post_invoice(order, body, ctx.clock.now())
    if result.created:
        _save(ctx, order, result.events)
    return _receipt(ctx, order["orderId"])


@rule_errors("vtex")
async def patch_invoice_tracking(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["orderId"])
    body = bind_names(await read_json(request), ORDER_NAMES)
    event = rules.add_tracking(order, request.path_params["invoiceNumber"], body, ctx.clock.now())
    _save(ctx, order, [event])
    return _receipt(ctx, order["orderId"])


@rule_errors("vtex")
async def put_tracking_events(request: Request) -> Response:
    ctx = sandbox(request)
    order = load_order(ctx, request.path_params["orderId"])
    body = bind_names(await read_json(request), ORDER_NAMES)
    event = rules.update_tracking(order, request.path_params["invoiceNumber"], body, ctx.clock.now())
    _save(ctx, order, [event])
    return _receipt(ctx, order["orderId"])


def routes() -> list[BaseRoute]:
    oms_orders = "/api/oms/pvt/orders"
    return [
        Route(oms_orders, list_orders, methods=["GET"]),
        Route(f"{oms_orders}/{{orderId}}", get_order, methods=["GET"]),
        Route(f"{oms_orders}/{{orderId}}/start-handling", start_handling, methods=["POST"]),
        Route(f"{oms_orders}/{{orderId}}/cancel", cancel_order, methods=["POST"]),
        Route(f"{oms_orders}/{{orderId}}/invoice", post_invoice, methods=["POST"]),
        Route(
            f"{oms_orders}/{{orderId}}/invoice/{{invoiceNumber}}", patch_invoice_tracking, methods=["PATCH"]
        ),
        Route(
            f"{oms_orders}/{{orderId}}/invoice/{{invoiceNumber}}/tracking",
            put_tracking_events,
            methods=["PUT"],
        ),
    ]
