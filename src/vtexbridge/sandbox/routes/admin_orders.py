"""Admin API of the orders area (``/_sandbox/...``, no auth; the app serves it on loopback only).

- ``POST /_sandbox/orders`` places an order as a shopper would: body ``{"items": [{"skuId",
  "quantity"}], "customer"?: {email, firstName, lastName, document, phone, documentType},
  "salesChannel"?: "1", "seller"?: "1", "shipping"?: cents, "stopAt"?: status, "allowInactive"?: bool}``.
  SKUs must exist and be active (``allowInactive: true`` lets inactive ones through, for tests that do
  not build a sellable catalog); prices come from the ``price`` table (the trade policy's fixed price,
  else the base price; 400 without a price); stock is reserved on the first warehouse (by priority)
  with enough available units (400 otherwise). The order then walks ``order-created`` ... up to
  ``ready-for-handling`` (or ``stopAt``), emitting feed/hook events for each status. The customer is
  the CL document with that e-mail (and its AD address) when one exists, else the given data, else
  the first CL document, else a default shopper. Answers 201 with the order.
- ``POST /_sandbox/orders/{orderId}/advance`` ``{"to": status}``: continue a placement flow up to
  ``to`` (``stopAt`` then ``advance``), or make one allowed transition (``request-cancel`` ...).
- ``GET /_sandbox/orders`` (ids, statuses), ``GET /_sandbox/orders/{orderId}`` (the order, its event
  history, reservation and changes), ``GET /_sandbox/documents/{entity}`` (Master Data documents).
- ``GET|POST /_sandbox/feed/options`` ``{"duplicateRate": 0..1, "shuffle": bool, "seed": int}``;
  ``GET /_sandbox/feeds`` (every feed of the account and its queue size).
- ``GET /_sandbox/hook/deliveries[?orderId=]`` and ``GET|POST /_sandbox/hook/options``
  (``{timeoutSeconds, maxAttempts, baseDelaySeconds, factor, maxDelaySeconds}``).
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, admin_error, read_json, rule_errors, sandbox
from vtexbridge.sandbox.orderflow import (
    FEED_CONFIG,
    ORDER,
    ORDER_CHANGE,
    ORDER_META,
    feed_queue,
    new_order_ids,
    orders_runtime,
    publish,
    release,
    reserve,
    resolve_line,
)
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import orders as rules
from vtexbridge.sandbox.rules.feed import FeedOptions
from vtexbridge.sandbox.rules.hook import RetryPolicy
from vtexbridge.sandbox.rules.orderdoc import Address, Customer, LineItem, OrderDraft, StoreInfo, build_order

__all__ = ["place_order", "routes"]


DEFAULT_CUSTOMER = Customer(
    email="shopper@example.com",
    first_name="Sandbox",
    last_name="Shopper",
    document="12345678909",
    phone="+5511999999999",
)
DEFAULT_ADDRESS = Address(
    address_id="sandbox-address",
    receiver_name="Sandbox Shopper",
    postal_code="01310-100",
    city="São Paulo",
    state="SP",
    street="Avenida Paulista",
    number="1000",
    neighborhood="Bela Vista",
    complement="",
    geo=(-46.6544, -23.5632),
)
FLOWS = (rules.PLACEMENT_FLOW, (*rules.FULFILLMENT_PLACEMENT_FLOW, *rules.FULFILLMENT_AUTHORIZE_FLOW))


def _text(raw: dict[str, Any], name: str, default: str) -> str:
    value = raw.get(name, default)
    if not isinstance(value, str):
        raise RuleError(400, f"customer.{name} must be a string")
    return value


def _address_of(doc: dict[str, Any], receiver: str) -> Address:
    geo = doc.get("geoCoordinate")
    coordinates: tuple[float, float] | None = None
    if isinstance(geo, list) and len(geo) == 2 and all(isinstance(c, int | float) for c in geo):
        coordinates = (float(geo[0]), float(geo[1]))
    return Address(
        address_id=str(doc.get("id") or doc.get("addressName") or uuid.uuid4().hex),
        receiver_name=str(doc.get("receiverName") or receiver),
        postal_code=str(doc.get("postalCode") or ""),
        city=str(doc.get("city") or ""),
        state=str(doc.get("state") or ""),
        street=str(doc.get("street") or ""),
        number=str(doc.get("number") or ""),
        neighborhood=str(doc.get("neighborhood") or ""),
        complement=str(doc.get("complement") or ""),
        country=str(doc.get("country") or "BRA"),
        reference=doc.get("reference") if isinstance(doc.get("reference"), str) else None,
        geo=coordinates,
    )


def _customer(ctx: SandboxContext, raw: Any) -> tuple[Customer, Address]:
    """The shopper: a CL document (by e-mail, or the first one), the given data, or the default."""
    if raw is not None and not isinstance(raw, dict):
        raise RuleError(400, "customer must be an object")
    profiles = ctx.table("document:CL")
    email = raw.get("email") if raw else None
    if email is not None and not isinstance(email, str):
        raise RuleError(400, "customer.email must be a string")
    profile: dict[str, Any] | None = None
    if email:
        profile = next(
            (d for d in profiles.values() if str(d.get("email", "")).lower() == email.lower()), None
        )
    elif raw is None and len(profiles):
        profile = min(profiles.values(), key=lambda d: (str(d.get("createdIn") or ""), str(d.get("id"))))
    if profile is not None:
        merged = {**{k: v for k, v in profile.items() if isinstance(v, str)}, **(raw or {})}
        user_id = str(profile["id"])
    elif raw:
        merged = dict(raw)
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email or uuid.uuid4()}"))
    else:
        return DEFAULT_CUSTOMER, DEFAULT_ADDRESS
    customer = Customer(
        email=_text(merged, "email", DEFAULT_CUSTOMER.email),
        first_name=_text(merged, "firstName", DEFAULT_CUSTOMER.first_name),
        last_name=_text(merged, "lastName", DEFAULT_CUSTOMER.last_name),
        document=_text(merged, "document", DEFAULT_CUSTOMER.document),
        phone=_text(merged, "phone", DEFAULT_CUSTOMER.phone),
        document_type=_text(merged, "documentType", "cpf"),
        user_profile_id=user_id,
    )
    receiver = f"{customer.first_name} {customer.last_name}".strip()
    address = DEFAULT_ADDRESS
    if profile is not None:
        found = next((a for a in ctx.table("document:AD").values() if a.get("userId") == profile["id"]), None)
        if found is not None:
            return customer, _address_of(found, receiver)
    return customer, dataclasses.replace(address, receiver_name=receiver)


def _store_info(ctx: SandboxContext, sales_channel: str) -> StoreInfo:
    channel = ctx.table("saleschannel").get(sales_channel)
    if not channel:
        return StoreInfo()
    return StoreInfo(
        currency_code=str(channel.get("CurrencyCode") or "BRL"),
        currency_symbol=str(channel.get("CurrencySymbol") or "R$"),
        currency_locale=int(channel.get("CurrencyLocale") or 1046),
        country_code=str(channel.get("CountryCode") or "BRA"),
        locale=str(channel.get("CultureInfo") or "pt-BR"),
        time_zone=str(channel.get("TimeZone") or "E. South America Standard Time"),
    )


def _lines(ctx: SandboxContext, body: dict[str, Any], sales_channel: str, seller: str) -> list[LineItem]:
    raw_items = body.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise RuleError(400, "items is required: [{skuId, quantity}]")
    allow_inactive = body.get("allowInactive", False) is True
    now = ctx.clock.now()
    lines = []
    for n, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            raise RuleError(400, f"items[{n}] must be an object")
        sku = raw.get("skuId", raw.get("id"))
        quantity = raw.get("quantity", 1)
        if isinstance(sku, int) and not isinstance(sku, bool):
            sku = str(sku)
        if not isinstance(sku, str) or not sku:
            raise RuleError(400, f"items[{n}].skuId is required")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise RuleError(400, f"items[{n}].quantity must be a positive integer")
        lines.append(
            resolve_line(
                ctx,
                sku,
                quantity,
                sales_channel=sales_channel,
                now=now,
                seller=seller,
                allow_inactive=allow_inactive,
            )
        )
    return lines


def place_order(ctx: SandboxContext, body: Any) -> dict[str, Any]:
    """Validate, price, reserve and create an order, then walk it to ``ready-for-handling``/``stopAt``."""
    if not isinstance(body, dict):
        raise RuleError(400, "The body must be a JSON object")
    sales_channel = str(body.get("salesChannel", "1"))
    seller = str(body.get("seller", "1"))
    stop_at = body.get("stopAt", rules.PLACEMENT_FLOW[-1])
    if stop_at not in rules.PLACEMENT_FLOW:
        raise RuleError(400, f"stopAt must be one of {', '.join(rules.PLACEMENT_FLOW)}")
    shipping = body.get("shipping", 0)
    if not isinstance(shipping, int) or isinstance(shipping, bool) or shipping < 0:
        raise RuleError(400, "shipping must be a non-negative integer amount in cents")
    lines = _lines(ctx, body, sales_channel, seller)
    customer, address = _customer(ctx, body.get("customer"))
    order_id, sequence, group = new_order_ids(ctx)
    now = ctx.clock.now()
    order = build_order(
        OrderDraft(
            order_id=order_id,
            sequence=sequence,
            order_group=group,
            account=ctx.account,
            sales_channel=sales_channel,
            items=tuple(lines),
            customer=customer,
            address=address,
            shipping=shipping,
            seller_id=seller,
            store=_store_info(ctx, sales_channel),
        ),
        now,
    )
    reserve(ctx, order_id, lines)
    path = rules.PLACEMENT_FLOW[: rules.PLACEMENT_FLOW.index(stop_at) + 1]
    events = rules.walk(order, path, now)
    ctx.table(ORDER)[order_id] = order
    publish(ctx, order, events)
    return order


@rule_errors("admin")
async def post_order(request: Request) -> Response:
    ctx = sandbox(request)
    order = place_order(ctx, await read_json(request))
    return JSONResponse(order, status_code=201)


def _path_to(current: str, target: str) -> list[str]:
    for flow in FLOWS:
        if current in flow and target in flow and flow.index(target) > flow.index(current):
            return list(flow[flow.index(current) + 1 : flow.index(target) + 1])
    if current == "ready-for-handling" and target == "handling":
        return ["start-handling", "handling"]
    return [target]


@rule_errors("admin")
async def advance_order(request: Request) -> Response:
    ctx = sandbox(request)
    order = ctx.table(ORDER).get(request.path_params["orderId"])
    if order is None:
        return admin_error(404, f"Order {request.path_params['orderId']} not found")
    body = await read_json(request)
    target = body.get("to") if isinstance(body, dict) else None
    if not isinstance(target, str) or target not in rules.TRANSITIONS:
        return admin_error(
            400, f"to must be an order status ({', '.join(sorted(s for s in rules.TRANSITIONS if s))})"
        )
    order = dict(order)
    handled_before = order.get("status") in rules.HANDLED
    events = rules.walk(order, _path_to(order.get("status") or "", target), ctx.clock.now())
    ctx.table(ORDER)[order["orderId"]] = order
    publish(ctx, order, events)
    if any(e.state == "start-handling" for e in events) or (
        not handled_before and any(e.state == "cancel" for e in events)
    ):
        release(ctx, order["orderId"])
    return JSONResponse(order)


async def list_orders(request: Request) -> Response:
    ctx = sandbox(request)
    orders = sorted(ctx.table(ORDER).values(), key=lambda o: (str(o["creationDate"]), str(o["orderId"])))
    return JSONResponse(
        {
            "account": ctx.account,
            "orders": [
                {"orderId": o["orderId"], "status": o.get("status"), "creationDate": o["creationDate"]}
                for o in orders
            ],
        }
    )


async def dump_order(request: Request) -> Response:
    ctx = sandbox(request)
    order_id = request.path_params["orderId"]
    order = ctx.table(ORDER).get(order_id)
    if order is None:
        return admin_error(404, f"Order {order_id} not found")
    meta = ctx.table(ORDER_META).get(order_id) or {
        "events": [],
        "reservations": [],
        "reservationReleased": False,
    }
    prefix = f"{order_id}:"
    changes = sorted(
        (r for k, r in ctx.table(ORDER_CHANGE).items() if k.startswith(prefix)), key=lambda r: str(r["date"])
    )
    return JSONResponse(
        {
            "order": order,
            "events": meta["events"],
            "reservations": meta["reservations"],
            "reservationReleased": meta["reservationReleased"],
            "changes": changes,
        }
    )


async def dump_documents(request: Request) -> Response:
    ctx = sandbox(request)
    entity = request.path_params["entity"]
    table = ctx.table(f"document:{entity}")
    docs = sorted(table.values(), key=lambda d: (str(d.get("createdIn") or ""), str(d.get("id"))))
    return JSONResponse({"account": ctx.account, "entity": entity, "documents": docs})


@rule_errors("admin")
async def feed_options(request: Request) -> Response:
    state = orders_runtime(sandbox(request).runtime)
    if request.method == "POST":
        body = await read_json(request)
        if not isinstance(body, dict):
            return admin_error(400, "The body must be a JSON object")
        rate = body.get("duplicateRate", state.feed_options.duplicate_rate)
        shuffle = body.get("shuffle", state.feed_options.shuffle)
        seed = body.get("seed", state.feed_options.seed)
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
            return admin_error(400, "duplicateRate must be a number between 0 and 1")
        if not isinstance(shuffle, bool):
            return admin_error(400, "shuffle must be a boolean")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            return admin_error(400, "seed must be an integer")
        state.feed_options = FeedOptions(
            duplicate_rate=float(rate), shuffle=shuffle, seed=seed, rng=random.Random(seed)
        )
    return JSONResponse(state.feed_options.to_json())


async def list_feeds(request: Request) -> Response:
    ctx = sandbox(request)
    now = ctx.clock.now().timestamp()
    feeds = []
    for key, config in sorted(ctx.table(FEED_CONFIG).items()):
        queue = feed_queue(ctx, key)
        feeds.append(
            {
                "appKey": key,
                "filter": config["filter"],
                "queue": config["queue"],
                "messages": len(queue),
                "invisible": sum(1 for m in queue.values() if float(m["visibleAt"]) > now),
            }
        )
    return JSONResponse({"account": ctx.account, "feeds": feeds})


async def hook_deliveries(request: Request) -> Response:
    deliverer = orders_runtime(sandbox(request).runtime).deliverer
    order_id = request.query_params.get("orderId") or None
    return JSONResponse({**deliverer.summary(), "deliveries": deliverer.history(order_id=order_id)})


@rule_errors("admin")
async def hook_options(request: Request) -> Response:
    deliverer = orders_runtime(sandbox(request).runtime).deliverer
    if request.method == "POST":
        deliverer.policy = RetryPolicy.from_json(await read_json(request), deliverer.policy)
    return JSONResponse(deliverer.policy.to_json())


def routes() -> list[BaseRoute]:
    return [
        Route("/_sandbox/orders", post_order, methods=["POST"]),
        Route("/_sandbox/orders", list_orders, methods=["GET"]),
        Route("/_sandbox/orders/{orderId}", dump_order, methods=["GET"]),
        Route("/_sandbox/orders/{orderId}/advance", advance_order, methods=["POST"]),
        Route("/_sandbox/documents/{entity}", dump_documents, methods=["GET"]),
        Route("/_sandbox/feed/options", feed_options, methods=["GET", "POST"]),
        Route("/_sandbox/feeds", list_feeds, methods=["GET"]),
        Route("/_sandbox/hook/deliveries", hook_deliveries, methods=["GET"]),
        Route("/_sandbox/hook/options", hook_options, methods=["GET", "POST"]),
    ]
