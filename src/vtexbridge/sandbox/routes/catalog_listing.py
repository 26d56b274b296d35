"""Catalog listings used for reconciliation and affiliate feeds, and the one-segment SKU change notification.

- ``GET /api/catalog_system/pvt/products/GetProductAndSkuIds?categoryId=&_from=&_to=``: products in
  id order, positions ``_from``..``_to`` (1-based, inclusive; default 1..250), as ``{"data":
  {"<productId>": [skuIds]}, "range": {"total", "from", "to"}}``. At most 250 products per answer
  (VTEX's documented limit): a wider range is cut to 250 and ``range.to`` says where it stopped.
  ``categoryId`` keeps the products of that category and of its subcategories; an unknown category
  answers an empty page (``total`` 0). ``_from`` < 1 or ``_to`` < ``_from`` answers 400.
- ``GET /api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel?sc=&page=&pageSize=&onlyAssigned=``:
  the SKU ids (ascending) of the products linked to trade policy ``sc`` (``onlyAssigned=false``: every
  SKU). ``sc`` is required (400 without); an unknown trade policy answers 404; ``pageSize`` defaults
  to 1000 and may not exceed it (as ``stockkeepingunitids``); ``page`` starts at 1.
- ``POST /api/catalog_system/pvt/skuseller/changenotification/{skuId}``: the marketplace SKU id
  ``skuId`` is bound to a seller SKU (kind ``skuseller``, see :mod:`.marketplace`) -> 200 and a
  ``catalog`` notification is recorded; otherwise 404 ``text/plain`` "Seller StockKeepingUnit ... not
  found", the cue for the seller to send a suggestion instead.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.context import rule_errors, sandbox
from vtexbridge.sandbox.routes._catalog_http import query_int
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules.catalog_products import sales_channels
from vtexbridge.sandbox.rules.catalog_taxonomy import category_subtree
from vtexbridge.sandbox.rules.orders import vtex_time

__all__ = ["MAX_PRODUCTS", "MAX_SKU_PAGE", "routes"]

MAX_PRODUCTS = 250
MAX_SKU_PAGE = 1000


@rule_errors("catalog")
async def product_and_sku_ids(request: Request) -> Response:
    ctx = sandbox(request)
    start = query_int(request, "_from", 1, minimum=1)
    end = query_int(request, "_to", start + MAX_PRODUCTS - 1, minimum=1)
    if end < start:
        raise RuleError(400, "_to must not be smaller than _from.")
    end = min(end, start + MAX_PRODUCTS - 1)
    products = ctx.table("product")
    raw_category = request.query_params.get("categoryId")
    if raw_category:
        if not raw_category.isdigit():
            raise RuleError(400, "categoryId must be a number.")
        category_id = int(raw_category)
        if str(category_id) in ctx.table("category"):
            found = products.find_any(ix.PRODUCT_BY_CATEGORY, category_subtree(ctx, category_id))
            ids = sorted(int(p["Id"]) for p in found)
        else:
            ids = []
    else:
        ids = products.sorted_int_keys()
    page = ids[start - 1 : end]
    skus = ctx.table("sku")
    data = {str(pid): sorted(int(s["Id"]) for s in skus.find(ix.SKU_BY_PRODUCT, pid)) for pid in page}
    return JSONResponse({"data": data, "range": {"total": len(ids), "from": start, "to": end}})


def _only_assigned(request: Request) -> bool:
    raw = (request.query_params.get("onlyAssigned") or "true").lower()
    if raw not in ("true", "false"):
        raise RuleError(400, "onlyAssigned must be true or false.")
    return raw == "true"


@rule_errors("catalog")
async def sku_ids_by_sales_channel(request: Request) -> Response:
    ctx = sandbox(request)
    raw_sc = request.query_params.get("sc")
    if not raw_sc:
        raise RuleError(400, "The query parameter sc is required.")
    if not raw_sc.isdigit():
        raise RuleError(400, "sc must be a trade policy id (a number).")
    if int(raw_sc) not in sales_channels(ctx):
        raise RuleError(404, f"Trade policy {raw_sc} not found.")
    page = query_int(request, "page", 1, minimum=1)
    size = query_int(request, "pageSize", MAX_SKU_PAGE, minimum=1, maximum=MAX_SKU_PAGE)
    skus = ctx.table("sku")
    if _only_assigned(request):
        policies = ctx.table("salespolicy").find(ix.SALESPOLICY_BY_STORE, int(raw_sc))
        assigned = skus.find_any(ix.SKU_BY_PRODUCT, {p["ProductId"] for p in policies})
        ids = sorted(int(s["Id"]) for s in assigned)
    else:
        ids = skus.sorted_int_keys()
    return JSONResponse(ids[(page - 1) * size : page * size])


async def sku_change_notification(request: Request) -> Response:
    ctx = sandbox(request)
    raw = request.path_params["skuId"]
    bound = None
    if raw.isdigit():
        bound = next(
            (m for m in ctx.table("skuseller").find(ix.SKUSELLER_BY_SKU, int(raw)) if not m.get("IsRemoved")),
            None,
        )
    if bound is None:
        return PlainTextResponse(
            f"Seller StockKeepingUnit `{raw}` not found for this seller id", status_code=404
        )
    n = ctx.store.next_id(ctx.account, "notification")
    ctx.table("notification")[str(n)] = {
        "id": n,
        "type": "catalog",
        "sellerId": bound["SellerId"],
        "skuId": raw,
        "sellerSkuId": bound["SellerStockKeepingUnitId"],
        "receivedAt": vtex_time(ctx.clock.now(), zulu=True),
    }
    return Response(status_code=200)


def routes() -> list[BaseRoute]:
    sys = "/api/catalog_system/pvt"
    return [
        Route(f"{sys}/products/GetProductAndSkuIds", product_and_sku_ids, methods=["GET"]),
        Route(f"{sys}/sku/stockkeepingunitidsbysaleschannel", sku_ids_by_sales_channel, methods=["GET"]),
        Route(f"{sys}/skuseller/changenotification/{{skuId}}", sku_change_notification, methods=["POST"]),
    ]
