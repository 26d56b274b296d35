"""The sandbox playing VTEX's side of the marketplace protocols (logic in ``sandbox/marketplace_*.py``).

External seller (the sandbox is the VTEX marketplace), admin API:

- ``POST /_sandbox/marketplace/sellers`` ``{sellerId, fulfillmentEndpoint, appKey?, appToken?}``;
  ``GET`` lists them;
- ``POST /_sandbox/marketplace/sellers/{sellerId}/index``: simulate (indexing, no postal code) every
  SKU the seller notified since the last indexing; ``GET /_sandbox/marketplace/offers`` shows the offers;
- ``POST /_sandbox/marketplace/sellers/{sellerId}/simulate`` ``{items, postalCode?}``: one simulation;
- ``POST /_sandbox/marketplace/suggestions/{sellerId}/{sellerSkuId}/approve``: the marketplace
  approves a SKU suggestion (the seller SKU is then known: change notifications answer 204);
- ``POST /_sandbox/marketplace/orders`` ``{sellerId, items: [{id, quantity}], postalCode?, paymentData?,
  fulfillPaymentData?, servicesEndpoint?, stopAt?: "placed"}``: simulation, placement and fulfill on
  the seller -> 201 with the order (502 when the seller refused a step);
  ``GET /_sandbox/marketplace/orders/{id}``; ``POST .../orders/{id}/fulfill`` and
  ``POST .../orders/{id}/cancel`` ``{reason?}``.

The marketplace services endpoint (VTEX routes, authenticated; the seller posts here), spec
``External Seller Marketplace``, under ``/api/marketplace-services``:
``POST .../pvt/orders/{marketplaceOrderId}/invoice``, ``.../invoice/{invoiceNumber}``,
``.../invoice/{invoiceNumber}/tracking``, ``.../cancel`` -> ``{date, orderId, receipt}``.

External marketplace (the sandbox is the VTEX seller), see :mod:`vtexbridge.sandbox.marketplace_affiliate`:

- VTEX's ``PUT|GET|DELETE /api/fulfillment/pvt/affiliates/{affiliateId}`` and ``GET
  /api/fulfillment/pvt/affiliates`` (``Marketplace APIs``; PUT answers 204);
- ``POST /_sandbox/marketplace/affiliates`` ``{id, searchURIEndpoint, salesChannel?, flushIntervalMs?,
  ...}`` (the same, as an admin call) -> 201;
- ``POST /_sandbox/marketplace/affiliates/{id}/flush``: notify the affiliate of the SKU changes since
  the last flush and tell the services endpoints of its orders about invoices, delivery and
  cancellations -> what was sent; ``GET /_sandbox/marketplace/affiliates/{id}/calls``: every POST made.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox import marketplace_affiliate as aff
from vtexbridge.sandbox import marketplace_seller as mkp
from vtexbridge.sandbox.context import read_json, rule_errors, sandbox
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules.orders import vtex_time

__all__ = ["routes"]

ADMIN = "/_sandbox/marketplace"


def _services_endpoint(request: Request, account: str, body: object) -> str:
    """``{servicesEndpoint}`` of the body, else this sandbox's own address (the socket it listens on,
    since the ``Host`` header may name a VTEX host) + ``/{account}/api/marketplace-services``."""
    given = body.get("servicesEndpoint") if isinstance(body, dict) else None
    if isinstance(given, str) and given:
        return given
    server = request.scope.get("server")
    base = f"{request.url.scheme}://{server[0]}:{server[1]}" if server else str(request.base_url).rstrip("/")
    return f"{base}/{account}{mkp.SERVICES_ROOT}"


@rule_errors("admin")
async def post_seller(request: Request) -> Response:
    return JSONResponse(mkp.register_seller(sandbox(request), await read_json(request)), status_code=201)


@rule_errors("admin")
async def list_sellers(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse({"sellers": sorted(ctx.table(mkp.EXT_SELLER).values(), key=lambda s: s["sellerId"])})


@rule_errors("admin")
async def index_seller(request: Request) -> Response:
    return JSONResponse(await mkp.index_notifications(sandbox(request), request.path_params["sellerId"]))


@rule_errors("admin")
async def simulate_seller(request: Request) -> Response:
    body = await read_json(request)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise RuleError(400, "items is required: [{id, quantity}]")
    postal = body.get("postalCode")
    result = await mkp.simulate(sandbox(request), request.path_params["sellerId"], items, postal)
    return JSONResponse(result)


@rule_errors("admin")
async def list_offers(request: Request) -> Response:
    ctx = sandbox(request)
    offers = sorted(ctx.table(mkp.MKP_OFFER).values(), key=lambda o: (o["sellerId"], o["skuId"]))
    return JSONResponse({"offers": offers})


@rule_errors("admin")
async def approve_suggestion(request: Request) -> Response:
    ctx = sandbox(request)
    seller, seller_sku = request.path_params["sellerId"], request.path_params["sellerSkuId"]
    key = f"{seller}:{seller_sku}"
    suggestion = ctx.table("suggestion").get(key)
    if suggestion is None:
        raise RuleError(404, f"no suggestion {seller_sku} of seller {seller}")
    mapping = ctx.table("skuseller").get(key)
    if mapping is None:
        mapping = {
            "IsPersisted": True,
            "IsRemoved": False,
            "SkuSellerId": ctx.store.next_id(ctx.account, "skuseller"),
            "SellerId": seller,
            "StockKeepingUnitId": ctx.store.next_id(ctx.account, "mkpsku", start=9_000_001),
            "SellerStockKeepingUnitId": seller_sku,
            "IsActive": True,
            "UpdateDate": vtex_time(ctx.clock.now()),
            "RequestedUpdateDate": None,
        }
        ctx.table("skuseller")[key] = mapping
    ctx.table("suggestion")[key] = {**suggestion, "status": "Approved"}
    return JSONResponse({"suggestion": {**suggestion, "status": "Approved"}, "skuSeller": mapping})


@rule_errors("admin")
async def post_order(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request)
    doc = await mkp.place(ctx, body, _services_endpoint(request, ctx.account, body))
    return JSONResponse(doc, status_code=201)


@rule_errors("admin")
async def get_order(request: Request) -> Response:
    doc = sandbox(request).table(mkp.MKP_ORDER).get(request.path_params["marketplaceOrderId"])
    if doc is None:
        raise RuleError(404, "marketplace order not found")
    return JSONResponse(doc)


@rule_errors("admin")
async def list_orders(request: Request) -> Response:
    docs = sandbox(request).table(mkp.MKP_ORDER).values()
    return JSONResponse(
        {"orders": [{k: d.get(k) for k in ("marketplaceOrderId", "sellerOrderId", "status")} for d in docs]}
    )


@rule_errors("admin")
async def fulfill_order(request: Request) -> Response:
    body = await read_json(request, required=False)
    payment = body.get("paymentData") if isinstance(body, dict) else None
    doc = await mkp.authorize(
        sandbox(request), request.path_params["marketplaceOrderId"], payment_data=payment
    )
    return JSONResponse(doc)


@rule_errors("admin")
async def cancel_order(request: Request) -> Response:
    body = await read_json(request, required=False)
    reason = (
        str(body.get("reason") or "Canceled by the shopper")
        if isinstance(body, dict)
        else "Canceled by the shopper"
    )
    return JSONResponse(await mkp.cancel(sandbox(request), request.path_params["marketplaceOrderId"], reason))


@rule_errors("vtex")
async def services_invoice(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request)
    return JSONResponse(mkp.record_invoice(ctx, request.path_params["marketplaceOrderId"], body))


@rule_errors("vtex")
async def services_tracking(request: Request) -> Response:
    ctx, p = sandbox(request), request.path_params
    body = await read_json(request)
    return JSONResponse(mkp.record_tracking(ctx, p["marketplaceOrderId"], p["invoiceNumber"], body))


@rule_errors("vtex")
async def services_tracking_events(request: Request) -> Response:
    ctx, p = sandbox(request), request.path_params
    body = await read_json(request)
    return JSONResponse(mkp.record_tracking_events(ctx, p["marketplaceOrderId"], p["invoiceNumber"], body))


@rule_errors("vtex")
async def services_cancel(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request)
    return JSONResponse(mkp.record_cancel_by_seller(ctx, request.path_params["marketplaceOrderId"], body))


@rule_errors("vtex")
async def put_affiliate(request: Request) -> Response:
    aff.save_affiliate(sandbox(request), request.path_params["affiliateId"], await read_json(request))
    return Response(status_code=204)


@rule_errors("vtex")
async def get_affiliate(request: Request) -> Response:
    return JSONResponse(aff.affiliate_doc(sandbox(request), request.path_params["affiliateId"]))


@rule_errors("vtex")
async def list_affiliates(request: Request) -> Response:
    return JSONResponse(sorted(sandbox(request).table(aff.AFFILIATE).values(), key=lambda a: a["id"]))


@rule_errors("vtex")
async def delete_affiliate(request: Request) -> Response:
    aff.delete_affiliate(sandbox(request), request.path_params["affiliateId"])
    return Response(status_code=204)


@rule_errors("admin")
async def post_affiliate(request: Request) -> Response:
    body = await read_json(request)
    affiliate_id = str(body.get("id") or "") if isinstance(body, dict) else ""
    return JSONResponse(aff.save_affiliate(sandbox(request), affiliate_id, body), status_code=201)


@rule_errors("admin")
async def flush_affiliate(request: Request) -> Response:
    return JSONResponse(await aff.flush(sandbox(request), request.path_params["affiliateId"]))


@rule_errors("admin")
async def affiliate_calls(request: Request) -> Response:
    affiliate_id = request.path_params["affiliateId"]
    calls = [
        c for c in sandbox(request).table(aff.AFFILIATE_CALL).values() if c["affiliateId"] == affiliate_id
    ]
    kind = request.query_params.get("kind")
    calls = [c for c in calls if kind is None or c["kind"] == kind]
    return JSONResponse({"calls": sorted(calls, key=lambda c: int(c["id"]))})


def routes() -> list[BaseRoute]:
    services = f"{mkp.SERVICES_ROOT}/pvt/orders/{{marketplaceOrderId}}"
    out: list[BaseRoute] = [
        Route(f"{ADMIN}/sellers", post_seller, methods=["POST"]),
        Route(f"{ADMIN}/sellers", list_sellers, methods=["GET"]),
        Route(f"{ADMIN}/sellers/{{sellerId}}/index", index_seller, methods=["POST"]),
        Route(f"{ADMIN}/sellers/{{sellerId}}/simulate", simulate_seller, methods=["POST"]),
        Route(f"{ADMIN}/offers", list_offers, methods=["GET"]),
        Route(
            f"{ADMIN}/suggestions/{{sellerId}}/{{sellerSkuId}}/approve", approve_suggestion, methods=["POST"]
        ),
        Route(f"{ADMIN}/orders", post_order, methods=["POST"]),
        Route(f"{ADMIN}/orders", list_orders, methods=["GET"]),
        Route(f"{ADMIN}/orders/{{marketplaceOrderId}}", get_order, methods=["GET"]),
        Route(f"{ADMIN}/orders/{{marketplaceOrderId}}/fulfill", fulfill_order, methods=["POST"]),
        Route(f"{ADMIN}/orders/{{marketplaceOrderId}}/cancel", cancel_order, methods=["POST"]),
        Route(f"{services}/invoice", services_invoice, methods=["POST"]),
        Route(f"{services}/invoice/{{invoiceNumber}}", services_tracking, methods=["POST"]),
        Route(f"{services}/invoice/{{invoiceNumber}}/tracking", services_tracking_events, methods=["POST"]),
        Route(f"{services}/cancel", services_cancel, methods=["POST"]),
        Route("/api/fulfillment/pvt/affiliates", list_affiliates, methods=["GET"]),
        Route("/api/fulfillment/pvt/affiliates/{affiliateId}", put_affiliate, methods=["PUT"]),
        Route("/api/fulfillment/pvt/affiliates/{affiliateId}", get_affiliate, methods=["GET"]),
        Route("/api/fulfillment/pvt/affiliates/{affiliateId}", delete_affiliate, methods=["DELETE"]),
        Route(f"{ADMIN}/affiliates", post_affiliate, methods=["POST"]),
        Route(f"{ADMIN}/affiliates/{{affiliateId}}/flush", flush_affiliate, methods=["POST"]),
        Route(f"{ADMIN}/affiliates/{{affiliateId}}/calls", affiliate_calls, methods=["GET"]),
    ]
    return out
