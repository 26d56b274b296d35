"""Catalog SKU, SKU file and EAN handlers (routed by :mod:`.catalog`).

Rules: ``rules/catalog_products`` (SKUs, EANs, activation), ``rules/catalog_images`` (files) and
``rules/catalog_views`` (SKU-and-context, SKUs of a product).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.context import SandboxContext, read_json, rule_errors, sandbox
from vtexbridge.sandbox.routes import _catalog_http as http
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog_images as images
from vtexbridge.sandbox.rules import catalog_products as rules
from vtexbridge.sandbox.rules import catalog_tables as tables
from vtexbridge.sandbox.rules import catalog_views as views
from vtexbridge.sandbox.rules.catalog_tables import Doc

# --- SKUs -------------------------------------------------------------------------------------


@rule_errors("catalog")
async def create_sku(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(rules.create_sku(ctx, await http.body(request)))


@rule_errors("catalog")
async def get_sku(request: Request) -> Response:
    return JSONResponse(dict(http.sku(sandbox(request), request)))


@rule_errors("catalog")
async def update_sku(request: Request) -> Response:
    ctx = sandbox(request)
    current = http.sku(ctx, request)
    return JSONResponse(rules.update_sku(ctx, current, await http.body(request)))


@rule_errors("catalog")
async def get_sku_by_refid_query(request: Request) -> Response:
    ctx = sandbox(request)
    ref = request.query_params.get("RefId") or request.query_params.get("refId")
    if not ref:
        raise RuleError(400, "The query parameter RefId is required.")
    sku = rules.sku_by_refid(ctx, ref)
    eans = rules.eans(ctx, int(sku["Id"]))
    return JSONResponse({**dict(sku), "Ean": eans[0] if eans else ""})


@rule_errors("catalog")
async def sku_id_by_refid(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(str(rules.sku_by_refid(ctx, request.path_params["refId"])["Id"]))


@rule_errors("catalog")
async def sku_ids_by_refids(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(rules.sku_ids_by_refids(ctx, await read_json(request, catalog=True)))


@rule_errors("catalog")
async def list_sku_ids(request: Request) -> Response:
    ctx = sandbox(request)
    page = http.query_int(request, "page", 1, minimum=1)
    size = http.query_int(request, "pagesize", 1000, minimum=1, maximum=1000)
    ids = ctx.table("sku").sorted_int_keys()
    return JSONResponse(ids[(page - 1) * size : page * size])


@rule_errors("catalog")
async def skus_by_product(request: Request) -> Response:
    ctx = sandbox(request)
    product = http.product(ctx, request)
    skus = tables.by_id(tables.find(ctx, ix.SKU_BY_PRODUCT, product["Id"]))
    now = tables.now(ctx)
    return JSONResponse([views.sku_by_product_view(s, i + 1, now) for i, s in enumerate(skus)])


@rule_errors("catalog")
async def sku_and_context(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(views.sku_context(ctx, http.sku(ctx, request), request.query_params.get("sc")))


@rule_errors("catalog")
async def sku_by_ean(request: Request) -> Response:
    ctx = sandbox(request)
    owner = rules.ean_owner(ctx, request.path_params["ean"])
    sku = ctx.table("sku").get(str(owner["SkuId"])) if owner else None
    if sku is None:
        raise RuleError(404, "SKU not found.")
    return JSONResponse(views.sku_context(ctx, sku, request.query_params.get("sc")))


# --- SKU files --------------------------------------------------------------------------------


def _sku_file(ctx: SandboxContext, request: Request, sku: Doc) -> Doc:
    """The SKU's file of the path's ``{skuFileId}``, or 404."""
    current = tables.owned(ctx, "skufile", request.path_params["skuFileId"], "SkuId", sku["Id"])
    if current is None:
        raise RuleError(404, "SKU file not found.")
    return current


@rule_errors("catalog")
async def list_sku_files(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(images.files(ctx, http.sku_id(ctx, request)))


@rule_errors("catalog")
async def create_sku_file(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = http.sku_id(ctx, request)
    body = await http.body(request)
    doc = images.write_file(ctx, sku_id, ctx.store.next_id(ctx.account, "skufile"), body, None)
    rules.refresh_activation(ctx, [sku_id])
    return JSONResponse([doc])


@rule_errors("catalog")
async def update_sku_file(request: Request) -> Response:
    ctx = sandbox(request)
    sku = http.sku(ctx, request)
    current = _sku_file(ctx, request, sku)
    body = await http.body(request)
    return JSONResponse([images.write_file(ctx, int(sku["Id"]), int(current["Id"]), body, current)])


@rule_errors("catalog")
async def delete_sku_file(request: Request) -> Response:
    ctx = sandbox(request)
    tables.delete_docs(ctx, "skufile", [_sku_file(ctx, request, http.sku(ctx, request))])
    return http.ok()


@rule_errors("catalog")
async def delete_sku_files(request: Request) -> Response:
    ctx = sandbox(request)
    tables.delete_docs(ctx, "skufile", images.files(ctx, http.sku_id(ctx, request)))
    return http.ok()


@rule_errors("catalog")
async def reorder_sku_files(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = http.sku_id(ctx, request)
    images.reorder_files(ctx, sku_id, await read_json(request, catalog=True))
    return http.ok()


# --- EANs -------------------------------------------------------------------------------------


@rule_errors("catalog")
async def list_eans(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(rules.eans(ctx, http.sku_id(ctx, request)))


@rule_errors("catalog")
async def add_ean(request: Request) -> Response:
    ctx = sandbox(request)
    rules.add_ean(ctx, http.sku_id(ctx, request), request.path_params["ean"])
    return http.ok()


@rule_errors("catalog")
async def delete_ean(request: Request) -> Response:
    ctx = sandbox(request)
    rules.delete_ean(ctx, http.sku_id(ctx, request), request.path_params["ean"])
    return http.ok()


@rule_errors("catalog")
async def delete_eans(request: Request) -> Response:
    ctx = sandbox(request)
    sku = http.sku(ctx, request)
    ctx.table("skuean").pop(str(sku["Id"]), None)
    return http.ok()
