"""Marketplace routes: notificator, SKU suggestions, seller change notification, fulfillment protocol.

- ``POST /api/notificator/{sellerId}/changenotification/{skuId}/price|inventory`` (``Marketplace
  APIs``): 202 without a body; each call is recorded in kind ``notification`` (``GET
  /_sandbox/marketplace/notifications`` counts them).
- ``PUT|GET /suggestions/{sellerId}/{sellerSkuId}`` (``Suggestions``, host ``api.vtex.com/{account}``):
  a suggestion is stored in kind ``suggestion`` (key ``{sellerId}:{sellerSkuId}``) as ``{sellerId,
  sellerSkuId, status: "Pending", version, content, createdAt, updatedAt}``; a new PUT replaces it
  (the version grows). The spec's required fields are checked (400 listing the missing ones); of
  ``RefId`` and ``EAN`` one is enough (the spec lists both as required, and describes each as
  "mandatory if the other is not informed").
- ``POST /api/catalog_system/pvt/skuseller/changenotification/{sellerId}/{sellerSkuId}`` (Catalog):
  204 when a seller SKU mapping exists (kind ``skuseller``, key ``{sellerId}:{sellerSkuId}``, the
  ``GET .../skuseller/{sellerId}/{sellerSkuId}`` shape; ``POST /_sandbox/marketplace/skusellers``
  creates one), else 404 ``Seller StockKeepingUnit not found for this seller id``. (The spec documents
  204 for this two-segment route; VTEX's guides speak of 200.)
- ``POST /api/checkout/pub/orderForms/simulation?sc=&affiliateId=`` (External Marketplace Orders):
  prices from the ``price`` table (cents), stock from ``inventory``. An item without a price answers
  ``availability: "withoutPriceFulfillment"``, without stock ``"withoutStock"``; a quantity above the
  stock is reduced with an ``itemQuantityNotAvailable`` message. SLAs are only quoted when a
  ``postalCode`` is given (indexing calls send none). Unknown SKUs are left out with a message.
- ``POST /api/fulfillment/pvt/orders?affiliateId=&sc=``: places a seller order (origin
  ``Fulfillment``) at the marketplace's prices, reserves stock and walks ``order-accepted`` →
  ``on-order-completed-ffm`` → ``waiting-ffmt-authorization``; the same ``marketplaceOrderId`` again
  answers the existing order. ``orderData`` echoes the request without null fields.
- ``POST /api/fulfillment/pvt/orders/{orderId}/fulfill``: the marketplace authorises dispatch; the
  order walks ``authorize-fulfillment`` → ``window-to-cancel`` → ``ready-for-handling`` (201).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import (
    SandboxContext,
    abort,
    admin_error,
    read_json,
    rule_errors,
    sandbox,
)
from vtexbridge.sandbox.orderflow import (
    ORDER,
    new_order_ids,
    publish,
    reserve,
    resolve_line,
    stock_of,
)
from vtexbridge.sandbox.rules import RuleError, pricing
from vtexbridge.sandbox.rules import orders as rules
from vtexbridge.sandbox.rules.orderdoc import Address, Customer, LineItem, OrderDraft, build_order

__all__ = ["routes"]

NOTIFICATION = "notification"
SUGGESTION = "suggestion"
SKU_SELLER = "skuseller"
SUGGESTION_REQUIRED = (
    "ProductName",
    "ProductId",
    "ProductDescription",
    "BrandName",
    "SkuName",
    "SellerId",
    "Height",
    "Width",
    "Length",
    "Weight",
    "CategoryFullPath",
    "Images",
    "AvailableQuantity",
    "Pricing",
)


def _now(ctx: SandboxContext) -> str:
    return rules.vtex_time(ctx.clock.now(), zulu=True)


async def _notify(request: Request, kind: str) -> Response:
    ctx = sandbox(request)
    n = ctx.store.next_id(ctx.account, NOTIFICATION)
    ctx.table(NOTIFICATION)[str(n)] = {
        "id": n,
        "type": kind,
        "sellerId": request.path_params["sellerId"],
        "skuId": request.path_params["skuId"],
        "receivedAt": _now(ctx),
    }
    return Response(status_code=202)


async def notify_price(request: Request) -> Response:
    return await _notify(request, "price")


async def notify_inventory(request: Request) -> Response:
    return await _notify(request, "inventory")


@rule_errors("vtex")
async def put_suggestion(request: Request) -> Response:
    ctx = sandbox(request)
    seller, seller_sku = request.path_params["sellerId"], request.path_params["sellerSkuId"]
    body = await read_json(request)
    if not isinstance(body, dict):
        abort(400, "The suggestion must be a JSON object")
    missing = [name for name in SUGGESTION_REQUIRED if body.get(name) in (None, "")]
    if body.get("RefId") in (None, "") and body.get("EAN") in (None, ""):
        missing.append("RefId or EAN")
    if missing:
        abort(400, f"Missing required fields: {', '.join(missing)}")
    if str(body["SellerId"]) != seller:
        abort(400, f"SellerId {body['SellerId']} differs from the seller in the path ({seller})")
    images = body["Images"]
    if (
        not isinstance(images, list)
        or not images
        or not all(isinstance(i, dict) and i.get("imageName") and i.get("imageUrl") for i in images)
    ):
        abort(400, "Images must be a non-empty list of {imageName, imageUrl}")
    key = f"{seller}:{seller_sku}"
    current = ctx.table(SUGGESTION).get(key)
    now = _now(ctx)
    ctx.table(SUGGESTION)[key] = {
        "sellerId": seller,
        "sellerSkuId": seller_sku,
        "status": "Pending",
        "version": int(current["version"]) + 1 if current else 1,
        "content": body,
        "createdAt": current["createdAt"] if current else now,
        "updatedAt": now,
    }
    return Response(status_code=200)


@rule_errors("vtex")
async def get_suggestion(request: Request) -> Response:
    ctx = sandbox(request)
    seller, seller_sku = request.path_params["sellerId"], request.path_params["sellerSkuId"]
    doc = ctx.table(SUGGESTION).get(f"{seller}:{seller_sku}")
    if doc is None:
        abort(404, f"Suggestion {seller_sku} of seller {seller} not found")
    return JSONResponse(doc)


async def seller_change_notification(request: Request) -> Response:
    ctx = sandbox(request)
    seller, seller_sku = request.path_params["sellerId"], request.path_params["sellerSkuId"]
    mapping = ctx.table(SKU_SELLER).get(f"{seller}:{seller_sku}")
    if mapping is None or mapping.get("IsRemoved"):
        return PlainTextResponse("Seller StockKeepingUnit not found for this seller id", status_code=404)
    n = ctx.store.next_id(ctx.account, NOTIFICATION)
    ctx.table(NOTIFICATION)[str(n)] = {
        "id": n,
        "type": "catalog",
        "sellerId": seller,
        "skuId": str(mapping["StockKeepingUnitId"]),
        "sellerSkuId": seller_sku,
        "receivedAt": _now(ctx),
    }
    return Response(status_code=204)


def _cents(amount: Any) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _sla(price: int) -> dict[str, Any]:
    return {
        "id": "Normal",
        "deliveryChannel": "delivery",
        "name": "Normal",
        "deliveryIds": [],
        "shippingEstimate": "5bd",
        "shippingEstimateDate": None,
        "lockTTL": "10d",
        "availableDeliveryWindows": [],
        "deliveryWindow": None,
        "price": price,
        "listPrice": price,
        "tax": 0,
        "pickupStoreInfo": {
            "isPickupStore": False,
            "friendlyName": None,
            "address": None,
            "additionalInfo": None,
            "dockId": None,
        },
        "pickupPointId": None,
        "pickupDistance": 0,
        "polygonName": None,
        "transitTime": "3d",
    }


@rule_errors("vtex")
async def simulation(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request)
    raw_items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(raw_items, list) or not raw_items:
        abort(400, "items is required: [{id, quantity, seller}]")
    channel = request.query_params.get("sc") or "1"
    postal_code = body.get("postalCode")
    country = body.get("country")
    now = ctx.clock.now()
    items: list[dict[str, Any]] = []
    logistics: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for n, raw in enumerate(raw_items):
        quoted = _quote_item(ctx, n, raw, channel, now, messages)
        if quoted is None:
            continue
        item, stock = quoted
        balance = 1_000_000 if stock is None else stock
        logistics.append(
            {
                "itemIndex": len(items),
                "quantity": item["quantity"],
                "shipsTo": ["BRA"],
                "slas": [_sla(0)] if postal_code and item["availability"] == "available" else [],
                "stockBalance": balance,
                "deliveryChannels": [{"id": "delivery", "stockBalance": balance}],
            }
        )
        items.append(item)
    return JSONResponse(
        {
            "items": items,
            "ratesAndBenefitsData": {"rateAndBenefitsIdentifiers": [], "teaser": []},
            "paymentData": {"installmentOptions": [], "paymentSystems": []},
            "selectableGifts": [],
            "marketingData": None,
            "postalCode": postal_code,
            "country": country,
            "logisticsInfo": logistics,
            "messages": messages,
            "purchaseConditions": None,
            "pickupPoints": [],
            "subscriptionData": None,
            "totals": [
                {
                    "id": "Items",
                    "name": "Total dos Itens",
                    "value": sum(i["sellingPrice"] * i["quantity"] for i in items),
                }
            ],
            "itemMetadata": None,
            "allowMultipleDeliveries": True,
        }
    )


def _quote_item(
    ctx: SandboxContext, n: int, raw: Any, channel: str, now: datetime, messages: list[dict[str, Any]]
) -> tuple[dict[str, Any], int | None] | None:
    """(the simulated item, its stock or ``None`` for unlimited) of ``items[n]``; ``None`` (with a
    message) for an unknown or inactive SKU; a quantity above the stock is reduced (with a message).
    """
    if not isinstance(raw, dict):
        abort(400, f"items[{n}] must be an object")
    sku_id = str(raw.get("id") or "")
    quantity = raw.get("quantity", 1)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        abort(400, f"items[{n}].quantity must be a positive integer")
    sku = ctx.table("sku").get(sku_id)
    if sku is None or not sku.get("IsActive"):
        messages.append(
            {"code": "ORD027", "text": f"Item {sku_id} não encontrado ou indisponível", "status": "error"}
        )
        return None
    price_doc = ctx.table("price").get(sku_id)
    stock = stock_of(ctx, sku_id)
    if price_doc is None:
        selling = listed = 0
        valid_until = None
        availability = "withoutPriceFulfillment"
    else:
        computed = pricing.computed_price(price_doc, channel, quantity=quantity, now=now)
        selling = _cents(computed["sellingPrice"])
        listed = max(selling, _cents(computed["listPrice"] or 0))
        valid_until = computed["priceValidUntil"]
        availability = "available" if stock is None or stock > 0 else "withoutStock"
    if availability == "available" and stock is not None and stock < quantity:
        messages.append(
            {
                "code": "itemQuantityNotAvailable",
                "text": f"A quantidade desejada para o item {sku_id} não está disponível",
                "status": "warning",
            }
        )
        quantity = stock
    item = {
        "id": sku_id,
        "requestIndex": n,
        "quantity": quantity,
        "seller": str(raw.get("seller") or "1"),
        "sellerChain": [str(raw.get("seller") or "1")],
        "tax": 0,
        "priceValidUntil": valid_until,
        "price": selling,
        "listPrice": listed,
        "rewardValue": 0,
        "sellingPrice": selling,
        "offerings": [],
        "priceTags": [],
        "measurementUnit": str(sku.get("MeasurementUnit") or "un"),
        "unitMultiplier": max(1, round(float(sku.get("UnitMultiplier") or 1))),
        "parentItemIndex": None,
        "parentAssemblyBinding": None,
        "availability": availability,
        "priceDefinition": {
            "calculatedSellingPrice": selling,
            "total": selling * quantity,
            "sellingPrices": [{"value": selling, "quantity": quantity}],
        },
    }
    return item, stock


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _required(raw: Any, name: str, where: str) -> str:
    value = raw.get(name) if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value:
        raise RuleError(400, f"{where}.{name} is required")
    return value


def _placement(ctx: SandboxContext, body: Any, affiliate: str, channel: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RuleError(400, "The order must be a JSON object")
    marketplace_order = _required(body, "marketplaceOrderId", "order")
    endpoint = _required(body, "marketplaceServicesEndpoint", "order")
    payment_value = body.get("marketplacePaymentValue")
    if not isinstance(payment_value, int) or isinstance(payment_value, bool):
        raise RuleError(400, "order.marketplacePaymentValue is required (an integer amount in cents)")
    for existing in ctx.table(ORDER).values():
        if (
            existing.get("marketplaceOrderId") == marketplace_order
            and existing.get("affiliateId") == affiliate
        ):
            return existing
    raw_items = body.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise RuleError(400, "order.items is required")
    customer = _customer(body.get("clientProfileData"))
    shipping = body.get("shippingData")
    if not isinstance(shipping, dict) or not isinstance(shipping.get("address"), dict):
        raise RuleError(400, "order.shippingData.address is required")
    address = _address(shipping["address"], marketplace_order)
    logistics = shipping.get("logisticsInfo") or []
    freight = sum(int(li.get("price") or 0) for li in logistics if isinstance(li, dict))
    now = ctx.clock.now()
    lines = [_line(ctx, n, raw, channel, now) for n, raw in enumerate(raw_items)]
    order_id, sequence, group = new_order_ids(ctx)
    order = build_order(
        OrderDraft(
            order_id=order_id,
            sequence=sequence,
            order_group=group,
            account=ctx.account,
            sales_channel=channel,
            items=tuple(lines),
            customer=customer,
            address=address,
            shipping=freight,
            origin="Fulfillment",
            affiliate_id=affiliate,
            marketplace_order_id=marketplace_order,
            marketplace_services_endpoint=endpoint,
            marketplace_name=affiliate,
            payment_system="17",
            payment_system_name="Promissory",
            payment_group="promissory",
        ),
        now,
    )
    reserve(ctx, order_id, lines)
    events = rules.walk(order, rules.FULFILLMENT_PLACEMENT_FLOW, now)
    ctx.table(ORDER)[order_id] = order
    publish(ctx, order, events)
    return order


def _customer(profile: Any) -> Customer:
    return Customer(
        email=_required(profile, "email", "clientProfileData"),
        first_name=_required(profile, "firstName", "clientProfileData"),
        last_name=_required(profile, "lastName", "clientProfileData"),
        document_type=_required(profile, "documentType", "clientProfileData"),
        document=_required(profile, "document", "clientProfileData"),
        phone=str(profile.get("phone") or "") if isinstance(profile, dict) else "",
    )


def _address(raw_address: dict[str, Any], marketplace_order: str) -> Address:
    return Address(
        address_id=str(raw_address.get("addressId") or f"{marketplace_order}-address"),
        receiver_name=_required(raw_address, "receiverName", "shippingData.address"),
        postal_code=_required(raw_address, "postalCode", "shippingData.address"),
        city=_required(raw_address, "city", "shippingData.address"),
        state=_required(raw_address, "state", "shippingData.address"),
        street=_required(raw_address, "street", "shippingData.address"),
        number=_required(raw_address, "number", "shippingData.address"),
        neighborhood=str(raw_address.get("neighborhood") or ""),
        complement=str(raw_address.get("complement") or ""),
        country=_required(raw_address, "country", "shippingData.address"),
        address_type=str(raw_address.get("addressType") or "residential"),
    )


def _line(ctx: SandboxContext, n: int, raw: Any, channel: str, now: datetime) -> LineItem:
    """``items[n]`` of a fulfillment order, resolved at the marketplace's price (or the catalog's)."""
    if not isinstance(raw, dict):
        raise RuleError(400, f"items[{n}] must be an object")
    quantity = raw.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise RuleError(400, f"items[{n}].quantity must be a positive integer")
    price = raw.get("price")
    if price is not None and (not isinstance(price, int) or isinstance(price, bool) or price < 0):
        raise RuleError(400, f"items[{n}].price must be an integer amount in cents")
    return resolve_line(
        ctx,
        _required(raw, "id", f"items[{n}]"),
        quantity,
        sales_channel=channel,
        now=now,
        seller=str(raw.get("seller") or "1"),
        unit_price=price,
    )


@rule_errors("vtex")
async def place_fulfillment_order(request: Request) -> Response:
    ctx = sandbox(request)
    affiliate = request.query_params.get("affiliateId")
    if not affiliate:
        abort(400, "The affiliateId query parameter is required")
    body = await read_json(request)
    order = _placement(ctx, body, affiliate, request.query_params.get("sc") or "1")
    return JSONResponse(
        {
            "orderId": order["orderId"],
            "status": order["status"],
            "message": "Order created and waiting for the marketplace's authorization to dispatch",
            "orderData": _without_nulls(body),
        }
    )


@rule_errors("vtex")
async def fulfill_order(request: Request) -> Response:
    ctx = sandbox(request)
    order_id = request.path_params["orderId"]
    stored = ctx.table(ORDER).get(order_id)
    if stored is None or stored.get("origin") != "Fulfillment":
        abort(404, f"Order {order_id} not found")
    body = await read_json(request, required=False)
    wanted = body.get("marketplaceOrderId") if isinstance(body, dict) else None
    if wanted is not None and wanted != stored.get("marketplaceOrderId"):
        abort(400, f"marketplaceOrderId {wanted} does not match order {order_id}")
    order = dict(stored)
    if order["status"] == "waiting-ffmt-authorization":
        events = rules.walk(order, rules.FULFILLMENT_AUTHORIZE_FLOW, ctx.clock.now())
        ctx.table(ORDER)[order_id] = order
        publish(ctx, order, events)
    elif order["status"] in ("canceled", "cancel"):
        abort(409, f"Order {order_id} is canceled")
    return JSONResponse(
        {
            "status": order["status"],
            "message": "Dispatch authorized",
            "orderId": order_id,
            "details": {
                "createdAt": _now(ctx),
                "marketplaceOrderId": order.get("marketplaceOrderId") or "",
                "status": order["status"],
            },
        },
        status_code=201,
    )


# -- admin --------------------------------------------------------------------------------------------


async def list_notifications(request: Request) -> Response:
    ctx = sandbox(request)
    docs = sorted(ctx.table(NOTIFICATION).values(), key=lambda d: int(d["id"]))
    kind = request.query_params.get("type")
    if kind:
        docs = [d for d in docs if d["type"] == kind]
    return JSONResponse({"account": ctx.account, "count": len(docs), "notifications": docs})


async def put_sku_seller(request: Request) -> Response:
    """``POST /_sandbox/marketplace/skusellers`` ``{sellerId, sellerSkuId, skuId, isActive?}``."""
    ctx = sandbox(request)
    body = await read_json(request)
    if not isinstance(body, dict) or not all(
        body.get(k) not in (None, "") for k in ("sellerId", "sellerSkuId", "skuId")
    ):
        return admin_error(400, "sellerId, sellerSkuId and skuId are required")
    try:
        sku_id = int(body["skuId"])
    except (TypeError, ValueError):
        return admin_error(400, "skuId must be an integer")
    key = f"{body['sellerId']}:{body['sellerSkuId']}"
    current = ctx.table(SKU_SELLER).get(key)
    doc = {
        "IsPersisted": True,
        "IsRemoved": False,
        "SkuSellerId": current["SkuSellerId"] if current else ctx.store.next_id(ctx.account, SKU_SELLER),
        "SellerId": str(body["sellerId"]),
        "StockKeepingUnitId": sku_id,
        "SellerStockKeepingUnitId": str(body["sellerSkuId"]),
        "IsActive": body.get("isActive", True) is not False,
        "UpdateDate": _now(ctx),
        "RequestedUpdateDate": None,
    }
    ctx.table(SKU_SELLER)[key] = doc
    return JSONResponse(doc, status_code=201)


def routes() -> list[BaseRoute]:
    notificator = "/api/notificator/{sellerId}/changenotification/{skuId}"
    fulfillment = "/api/fulfillment/pvt/orders"
    return [
        Route(f"{notificator}/price", notify_price, methods=["POST"]),
        Route(f"{notificator}/inventory", notify_inventory, methods=["POST"]),
        Route("/suggestions/{sellerId}/{sellerSkuId}", put_suggestion, methods=["PUT"]),
        Route("/suggestions/{sellerId}/{sellerSkuId}", get_suggestion, methods=["GET"]),
        Route(
            "/api/catalog_system/pvt/skuseller/changenotification/{sellerId}/{sellerSkuId}",
            seller_change_notification,
            methods=["POST"],
        ),
        Route("/api/checkout/pub/orderForms/simulation", simulation, methods=["POST"]),
        Route(fulfillment, place_fulfillment_order, methods=["POST"]),
        Route(f"{fulfillment}/{{orderId}}/fulfill", fulfill_order, methods=["POST"]),
        Route("/_sandbox/marketplace/notifications", list_notifications, methods=["GET"]),
        Route("/_sandbox/marketplace/skusellers", put_sku_seller, methods=["POST"]),
    ]
