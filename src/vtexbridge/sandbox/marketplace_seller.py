"""The sandbox as a VTEX marketplace selling an external seller's SKUs (the External Seller protocol).

What real VTEX does, played here on demand (admin routes in ``routes/admin_marketplace.py``):

- a seller is registered with its **fulfillment endpoint** and the credentials VTEX presents to it
  (kind ``extseller``, key = seller id);
- **indexing**: after the seller's price/inventory notifications (kind ``notification``, recorded
  by ``routes/marketplace.py``), the marketplace calls the seller's
  ``POST {fulfillmentEndpoint}/pvt/orderForms/simulation`` without postal code for each notified SKU
  and keeps the answer as its offer (kind ``mkpoffer``, key ``{sellerId}:{skuId}``);
- **an order**: checkout simulation (with postal code), ``POST /pvt/orders`` with the marketplace
  services endpoint, then (paid) ``POST /pvt/orders/{sellerOrderId}/fulfill``; a cancellation calls
  ``POST /pvt/orders/{sellerOrderId}/cancel`` (empty answer = the seller is evaluating). Each order is
  kind ``mkporder`` (key = marketplace order id) with every call and answer;
- the **marketplace services endpoint** the sandbox sends is ``{base}/{account}/api/marketplace-services``
  (a sandbox choice: VTEX sends an OMS URL such as ``http://oms.vtexinternal.com.br/api/oms?an=...``);
  the seller posts invoices, tracking, tracking events and cancellations there (spec: External Seller
  Marketplace), recorded on the ``mkporder``.

The sandbox calls the seller with httpx directly (it never imports vtexbridge's client).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from vtexbridge.sandbox.context import SandboxContext
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules.orders import vtex_time

__all__ = [
    "EXT_SELLER",
    "MKP_OFFER",
    "MKP_ORDER",
    "SERVICES_ROOT",
    "authorize",
    "cancel",
    "index_notifications",
    "place",
    "record_cancel_by_seller",
    "record_invoice",
    "record_tracking",
    "record_tracking_events",
    "register_seller",
    "simulate",
]

EXT_SELLER = "extseller"
MKP_OFFER = "mkpoffer"
MKP_ORDER = "mkporder"
SERVICES_ROOT = "/api/marketplace-services"
TRANSPORT_KEY = "marketplace.transport"
"""``app_state`` key of an optional httpx transport used to reach sellers (tests in process)."""
INDEX_CURSOR = "mkpindexcursor"

DEFAULT_CLIENT = {
    "email": "shopper@example.com",
    "firstName": "Sandbox",
    "lastName": "Shopper",
    "documentType": "cpf",
    "document": "12345678909",
    "phone": "+5521999999999",
    "corporateName": None,
    "tradeName": None,
    "corporateDocument": None,
    "stateInscription": None,
    "corporatePhone": None,
    "isCorporate": False,
}
DEFAULT_ADDRESS = {
    "addressType": "residential",
    "receiverName": "Sandbox Shopper",
    "addressId": "home",
    "postalCode": "22250-040",
    "city": "Rio de Janeiro",
    "state": "RJ",
    "country": "BRA",
    "street": "Praia de Botafogo",
    "number": "300",
    "neighborhood": "Botafogo",
    "complement": "",
    "reference": "",
}


def _now(ctx: SandboxContext) -> str:
    return vtex_time(ctx.clock.now())


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise RuleError(400, f"{name} is required")
    return str(value)


def register_seller(ctx: SandboxContext, body: Any) -> dict[str, Any]:
    """``{sellerId, fulfillmentEndpoint, appKey?, appToken?, name?}`` -> the stored seller."""
    if not isinstance(body, Mapping):
        raise RuleError(400, "the seller must be a JSON object")
    seller_id = _text(body, "sellerId")
    endpoint = _text(body, "fulfillmentEndpoint").rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        raise RuleError(400, "fulfillmentEndpoint must be an http(s) URL")
    doc = {
        "sellerId": seller_id,
        "name": str(body.get("name") or seller_id),
        "fulfillmentEndpoint": endpoint,
        "appKey": body.get("appKey"),
        "appToken": body.get("appToken"),
        "createdAt": _now(ctx),
    }
    ctx.table(EXT_SELLER)[seller_id] = doc
    return doc


def _seller(ctx: SandboxContext, seller_id: str) -> dict[str, Any]:
    doc = ctx.table(EXT_SELLER).get(seller_id)
    if doc is None:
        raise RuleError(404, f"seller {seller_id} is not registered (POST /_sandbox/marketplace/sellers)")
    return doc


async def _call(ctx: SandboxContext, seller: Mapping[str, Any], path: str, body: Any) -> dict[str, Any]:
    """POST to the seller's fulfillment endpoint; ``{status, body, error}`` whatever happens."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if seller.get("appKey") and seller.get("appToken"):
        headers["X-VTEX-API-AppKey"] = str(seller["appKey"])
        headers["X-VTEX-API-AppToken"] = str(seller["appToken"])
    transport = ctx.app_state.get(TRANSPORT_KEY)
    url = seller["fulfillmentEndpoint"] + path
    try:
        async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
            response = await client.post(url, json=body, headers=headers)
    except httpx.HTTPError as e:
        return {"path": path, "status": None, "body": None, "error": f"{type(e).__name__}: {e}"}
    try:
        decoded = response.json() if response.content else None
    except ValueError:
        decoded = response.text
    return {"path": path, "status": response.status_code, "body": decoded, "error": None}


async def simulate(
    ctx: SandboxContext, seller_id: str, items: list[dict[str, Any]], postal_code: str | None = None
) -> dict[str, Any]:
    """Call the seller's simulation for ``items`` (``[{id, quantity}]``)."""
    seller = _seller(ctx, seller_id)
    body: dict[str, Any] = {
        "items": [
            {"id": str(i["id"]), "quantity": int(i.get("quantity", 1)), "seller": seller_id} for i in items
        ]
    }
    if postal_code:
        body.update({"postalCode": postal_code, "country": "BRA"})
    else:
        body["isCheckedIn"] = False
    return await _call(ctx, seller, "/pvt/orderForms/simulation", body)


async def index_notifications(ctx: SandboxContext, seller_id: str) -> dict[str, Any]:
    """Simulate each SKU notified since the last indexing of ``seller_id`` and keep the offers."""
    seller = _seller(ctx, seller_id)
    cursors = ctx.table(INDEX_CURSOR)
    last = int((cursors.get(seller_id) or {}).get("id", 0))
    pending = sorted(
        (
            n
            for n in ctx.table("notification").values()
            if n.get("sellerId") == seller_id and int(n["id"]) > last
        ),
        key=lambda n: int(n["id"]),
    )
    # price/inventory notifications name the seller's SKU id; catalog ones carry it as sellerSkuId
    sku_ids = list(dict.fromkeys(str(n.get("sellerSkuId") or n["skuId"]) for n in pending))
    offers = ctx.table(MKP_OFFER)
    indexed = []
    for sku_id in sku_ids:
        call = await _call(
            ctx,
            seller,
            "/pvt/orderForms/simulation",
            {"items": [{"id": sku_id, "quantity": 1, "seller": seller_id}], "isCheckedIn": False},
        )
        body = call["body"] if isinstance(call["body"], dict) else {}
        item = next((i for i in body.get("items") or [] if str(i.get("id")) == sku_id), None)
        logistics = next(
            (li for li in body.get("logisticsInfo") or [] if item and li.get("itemIndex") == 0), None
        )
        offer = {
            "sellerId": seller_id,
            "skuId": sku_id,
            "status": call["status"],
            "available": bool(item and item.get("quantity")),
            "price": item.get("price") if item else None,
            "listPrice": item.get("listPrice") if item else None,
            "stockBalance": logistics.get("stockBalance") if logistics else 0,
            "merchantName": item.get("merchantName") if item else None,
            "indexedAt": _now(ctx),
        }
        offers[f"{seller_id}:{sku_id}"] = offer
        indexed.append(offer)
    if pending:
        cursors[seller_id] = {"id": int(pending[-1]["id"])}
    return {"sellerId": seller_id, "notifications": len(pending), "indexed": indexed}


def _order(ctx: SandboxContext, marketplace_order_id: str) -> dict[str, Any]:
    doc = ctx.table(MKP_ORDER).get(marketplace_order_id)
    if doc is None:
        raise RuleError(404, f"marketplace order {marketplace_order_id} not found")
    return doc


def _save(ctx: SandboxContext, doc: dict[str, Any]) -> None:
    ctx.table(MKP_ORDER)[doc["marketplaceOrderId"]] = doc


def _fail(doc: Mapping[str, Any], step: str, call: Mapping[str, Any]) -> RuleError:
    detail = call.get("error") or f"answered {call.get('status')}: {call.get('body')}"
    return RuleError(502, f"the seller refused the {step} of {doc['marketplaceOrderId']}: {detail}")


def _lines(
    ctx: SandboxContext,
    doc: dict[str, Any],
    items: list[Any],
    priced: Mapping[str, Mapping[str, Any]],
    sim_body: Mapping[str, Any],
    seller_id: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items, logisticsInfo) of the placement at the simulated prices and SLAs; 409 (the order saved
    as simulated) when the seller has fewer units than asked.
    """
    lines: list[dict[str, Any]] = []
    logistics: list[dict[str, Any]] = []
    for n_item, raw in enumerate(items):
        offer = priced[str(raw["id"])]
        quantity = int(raw.get("quantity", 1))
        if int(offer.get("quantity") or 0) < quantity:
            _save(ctx, doc)
            raise RuleError(409, f"the seller has fewer than {quantity} unit(s) of {raw['id']}")
        lines.append(
            {
                "id": str(raw["id"]),
                "quantity": quantity,
                "seller": seller_id,
                "commission": 0,
                "freightCommission": 0,
                "price": int(offer["price"]),
                "bundleItems": [],
                "priceTags": [],
                "measurementUnit": offer.get("measurementUnit") or "un",
                "unitMultiplier": offer.get("unitMultiplier") or 1,
                "isGift": False,
            }
        )
        slas: list[dict[str, Any]] = next(
            (li.get("slas") for li in sim_body.get("logisticsInfo") or [] if li.get("itemIndex") == n_item),
            [],
        )
        sla: dict[str, Any] = slas[0] if slas else {"id": "Normal", "price": 0, "shippingEstimate": "5bd"}
        logistics.append(
            {
                "itemIndex": n_item,
                "selectedSla": sla["id"],
                "lockTTL": "8d",
                "shippingEstimate": sla.get("shippingEstimate") or "5bd",
                "price": int(sla.get("price") or 0),
            }
        )
    return lines, logistics


async def place(ctx: SandboxContext, body: Any, services_endpoint: str) -> dict[str, Any]:
    """Checkout on the marketplace: simulation, placement, then (unless ``stopAt: "placed"``) fulfill.

    Body: ``{sellerId, items: [{id, quantity}], postalCode?, clientProfileData?, address?,
    paymentData?, stopAt?: "placed"}``.
    """
    if not isinstance(body, Mapping):
        raise RuleError(400, "the order must be a JSON object")
    seller_id = _text(body, "sellerId")
    seller = _seller(ctx, seller_id)
    items = body.get("items")
    if (
        not isinstance(items, list)
        or not items
        or not all(isinstance(i, Mapping) and "id" in i for i in items)
    ):
        raise RuleError(400, "items is required: [{id, quantity}]")
    address = {**DEFAULT_ADDRESS, **(body.get("address") or {})}
    sim = await simulate(
        ctx, seller_id, [dict(i) for i in items], str(body.get("postalCode") or address["postalCode"])
    )
    n = ctx.store.next_id(ctx.account, MKP_ORDER)
    doc: dict[str, Any] = {
        "marketplaceOrderId": f"{1_400_000_000_000 + n}-01",
        "sellerId": seller_id,
        "status": "simulated",
        "calls": [sim],
        "invoices": [],
        "tracking": [],
        "createdAt": _now(ctx),
    }
    sim_body = sim["body"] if isinstance(sim["body"], dict) else {}
    priced = {str(i.get("id")): i for i in sim_body.get("items") or []}
    if sim["status"] != 200 or any(str(i["id"]) not in priced for i in items):
        _save(ctx, doc)
        raise _fail(doc, "simulation", sim)
    lines, logistics = _lines(ctx, doc, items, priced, sim_body, seller_id)
    value = sum(int(line["price"]) * int(line["quantity"]) for line in lines)
    value += sum(int(li["price"]) for li in logistics)
    placement = {
        "marketplaceOrderId": doc["marketplaceOrderId"],
        "marketplaceServicesEndpoint": services_endpoint,
        "marketplacePaymentValue": value,
        "items": lines,
        "clientProfileData": {**DEFAULT_CLIENT, **(body.get("clientProfileData") or {})},
        "shippingData": {"address": address, "logisticsInfo": logistics, "updateStatus": "updated"},
        "paymentData": body.get("paymentData"),
        "marketingData": None,
        "openTextField": None,
    }
    placed = await _call(ctx, seller, "/pvt/orders", placement)
    doc["calls"].append(
        {
            **placed,
            "request": {**placement, "paymentData": "<redacted>" if placement["paymentData"] else None},
        }
    )
    placed_body = placed["body"] if isinstance(placed["body"], dict) else {}
    if placed["status"] != 200 or not placed_body.get("orderId"):
        doc["status"] = "placement-failed"
        _save(ctx, doc)
        raise _fail(doc, "placement", placed)
    doc.update(
        status="placed",
        sellerOrderId=str(placed_body["orderId"]),
        value=value,
        items=lines,
        servicesEndpoint=services_endpoint,
    )
    _save(ctx, doc)
    if body.get("stopAt") == "placed":
        return doc
    return await authorize(ctx, doc["marketplaceOrderId"], payment_data=body.get("fulfillPaymentData"))


async def authorize(
    ctx: SandboxContext, marketplace_order_id: str, *, payment_data: Any = None
) -> dict[str, Any]:
    """The payment was approved: ``POST /pvt/orders/{sellerOrderId}/fulfill``."""
    doc = _order(ctx, marketplace_order_id)
    if doc["status"] not in ("placed", "fulfill-failed"):
        raise RuleError(409, f"marketplace order {marketplace_order_id} is {doc['status']}")
    seller = _seller(ctx, doc["sellerId"])
    body: dict[str, Any] = {"marketplaceOrderId": marketplace_order_id}
    if payment_data is not None:
        body["paymentData"] = payment_data
    call = await _call(ctx, seller, f"/pvt/orders/{doc['sellerOrderId']}/fulfill", body)
    doc["calls"].append(call)
    answer = call["body"] if isinstance(call["body"], dict) else {}
    ok = call["status"] == 200 and answer.get("orderId") == doc["sellerOrderId"]
    doc["status"] = "fulfillment-authorized" if ok else "fulfill-failed"
    _save(ctx, doc)
    if not ok:
        raise _fail(doc, "fulfillment authorization", call)
    return doc


async def cancel(ctx: SandboxContext, marketplace_order_id: str, reason: str) -> dict[str, Any]:
    """``POST /pvt/orders/{sellerOrderId}/cancel``: a receipt confirms; an empty body = evaluating."""
    doc = _order(ctx, marketplace_order_id)
    if "sellerOrderId" not in doc:
        raise RuleError(409, f"marketplace order {marketplace_order_id} was never placed on the seller")
    seller = _seller(ctx, doc["sellerId"])
    body = {
        "marketplaceOrderId": marketplace_order_id,
        "marketplaceOrderGroup": marketplace_order_id.split("-")[0],
        "cancellationRequestId": uuid.uuid4().hex,
        "cancellationRequestDate": _now(ctx),
        "reason": reason,
        "requestedByUser": True,
    }
    call = await _call(ctx, seller, f"/pvt/orders/{doc['sellerOrderId']}/cancel", body)
    doc["calls"].append(call)
    answer = call["body"] if isinstance(call["body"], dict) else None
    if call["status"] != 200:
        _save(ctx, doc)
        raise _fail(doc, "cancellation", call)
    if answer and answer.get("receipt"):
        doc["status"] = "canceled"
        doc["cancelReceipt"] = answer["receipt"]
    elif doc["status"] not in ("canceled", "invoiced", "delivered"):
        doc["status"] = "cancellation-evaluating"
    else:
        doc["cancellationRefused"] = True  # invoiced: the invoice is the seller's refusal
    _save(ctx, doc)
    return doc


# --- the marketplace services endpoint (the seller calls us) -----------------------------------------


def _receipt(ctx: SandboxContext, marketplace_order_id: str) -> dict[str, Any]:
    return {"date": _now(ctx), "orderId": marketplace_order_id, "receipt": uuid.uuid4().hex}


def _require(body: Any, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RuleError(400, "the body must be a JSON object")
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise RuleError(400, f"missing required fields: {', '.join(missing)}")
    return body


def record_invoice(ctx: SandboxContext, marketplace_order_id: str, body: Any) -> dict[str, Any]:
    """``POST .../pvt/orders/{marketplaceOrderId}/invoice``: type, invoiceNumber, items (cents)."""
    invoice = _require(body, ("type", "invoiceNumber", "items"))
    if invoice["type"] not in ("Output", "Input"):
        raise RuleError(400, "type must be Output or Input")
    doc = _order(ctx, marketplace_order_id)
    if doc["status"] == "canceled":
        raise RuleError(409, f"marketplace order {marketplace_order_id} is canceled")
    invoices = [i for i in doc["invoices"] if i["invoiceNumber"] != invoice["invoiceNumber"]]
    doc["invoices"] = [*invoices, {**invoice, "receivedAt": _now(ctx)}]
    if invoice["type"] == "Output":
        doc["status"] = "invoiced"
    _save(ctx, doc)
    return _receipt(ctx, marketplace_order_id)


def _invoice_of(doc: Mapping[str, Any], number: str) -> None:
    if not any(i["invoiceNumber"] == number for i in doc["invoices"]):
        raise RuleError(404, f"invoice {number} not found in order {doc['marketplaceOrderId']}")


def record_tracking(ctx: SandboxContext, marketplace_order_id: str, number: str, body: Any) -> dict[str, Any]:
    """``POST .../invoice/{invoiceNumber}``: courier, trackingNumber, trackingUrl, dispatchedDate."""
    tracking = _require(body, ("courier", "trackingNumber", "trackingUrl", "dispatchedDate"))
    doc = _order(ctx, marketplace_order_id)
    _invoice_of(doc, number)
    doc["tracking"] = [*doc["tracking"], {"invoiceNumber": number, **tracking, "receivedAt": _now(ctx)}]
    _save(ctx, doc)
    return _receipt(ctx, marketplace_order_id)


def record_tracking_events(
    ctx: SandboxContext, marketplace_order_id: str, number: str, body: Any
) -> dict[str, Any]:
    """``POST .../invoice/{invoiceNumber}/tracking``: isDelivered, events[]."""
    events = _require(body, ())
    if not isinstance(events.get("isDelivered"), bool):
        raise RuleError(400, "isDelivered is required (true or false)")
    doc = _order(ctx, marketplace_order_id)
    _invoice_of(doc, number)
    doc["tracking"] = [*doc["tracking"], {"invoiceNumber": number, **events, "receivedAt": _now(ctx)}]
    if events["isDelivered"]:
        doc["status"] = "delivered"
    _save(ctx, doc)
    return _receipt(ctx, marketplace_order_id)


def record_cancel_by_seller(ctx: SandboxContext, marketplace_order_id: str, body: Any) -> dict[str, Any]:
    """``POST .../pvt/orders/{marketplaceOrderId}/cancel``: the seller cancels (not once invoiced)."""
    request = _require(body, ("reason",))
    doc = _order(ctx, marketplace_order_id)
    if any(i.get("type") == "Output" for i in doc["invoices"]):
        raise RuleError(
            400, f"marketplace order {marketplace_order_id} is invoiced: send a return invoice first"
        )
    doc["status"] = "canceled"
    doc["canceledBySeller"] = {"reason": request["reason"], "at": _now(ctx)}
    _save(ctx, doc)
    return _receipt(ctx, marketplace_order_id)
