"""Catalog product and trade policy handlers (routed by :mod:`.catalog`).

The rules are in ``rules/catalog_products``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vtexbridge.sandbox.context import rule_errors, sandbox
from vtexbridge.sandbox.routes import _catalog_http as http
from vtexbridge.sandbox.rules import catalog_products as rules

# --- products ---------------------------------------------------------------------------------


@rule_errors("catalog")
async def create_product(request: Request) -> Response:
    return JSONResponse(await http.create(request, "product", rules.write_product, "Product"))


@rule_errors("catalog")
async def get_product(request: Request) -> Response:
    return JSONResponse(http.product(sandbox(request), request))


@rule_errors("catalog")
async def update_product(request: Request) -> Response:
    return await http.update_then_activate(request, "product", "productId", "Product", rules.write_product)


@rule_errors("catalog")
async def product_get_system(request: Request) -> Response:
    ctx = sandbox(request)
    doc = http.product(ctx, request)
    return JSONResponse(rules.product_system_view(doc, rules.store_ids(ctx, int(doc["Id"]))))


@rule_errors("catalog")
async def product_by_refid(request: Request) -> Response:
    ctx = sandbox(request)
    doc = rules.product_by_refid(ctx, request.path_params["refId"])
    return JSONResponse(rules.product_system_view(doc, rules.store_ids(ctx, int(doc["Id"]))))


# --- trade policies ---------------------------------------------------------------------------


@rule_errors("catalog")
async def list_sales_channels(request: Request) -> Response:
    return JSONResponse(list(rules.sales_channels(sandbox(request)).values()))


@rule_errors("catalog")
async def get_sales_channel(request: Request) -> Response:
    return JSONResponse(rules.sales_channel(sandbox(request), request.path_params["salesChannelId"]))


@rule_errors("catalog")
async def list_product_policies(request: Request) -> Response:
    ctx = sandbox(request)
    product = http.product(ctx, request)
    return JSONResponse(
        [{"ProductId": product["Id"], "StoreId": s} for s in rules.store_ids(ctx, int(product["Id"]))]
    )


@rule_errors("catalog")
async def add_product_policy(request: Request) -> Response:
    ctx = sandbox(request)
    rules.add_product_policy(ctx, http.product(ctx, request), request.path_params["tradepolicyId"])
    return http.ok()


@rule_errors("catalog")
async def remove_product_policy(request: Request) -> Response:
    ctx = sandbox(request)
    rules.remove_product_policy(ctx, http.product(ctx, request), request.path_params["tradepolicyId"])
    return http.ok()
