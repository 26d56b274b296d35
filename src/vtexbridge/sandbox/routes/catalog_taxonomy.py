"""Catalog category and brand handlers (routed by :mod:`.catalog`; rules in ``rules/catalog_taxonomy``)."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vtexbridge.sandbox.context import rule_errors, sandbox
from vtexbridge.sandbox.routes import _catalog_http as http
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog_tables as tables
from vtexbridge.sandbox.rules import catalog_taxonomy as rules

# --- categories -------------------------------------------------------------------------------


@rule_errors("catalog")
async def create_category(request: Request) -> Response:
    return JSONResponse(await http.create(request, "category", rules.write_category, "Category"))


@rule_errors("catalog")
async def get_category(request: Request) -> Response:
    ctx = sandbox(request)
    doc = tables.get(ctx, "category", request.path_params["categoryId"], "Category")
    return JSONResponse(rules.category_view_of(ctx, doc))


@rule_errors("catalog")
async def update_category(request: Request) -> Response:
    return await http.update_then_activate(
        request, "category", "categoryId", "Category", rules.write_category
    )


@rule_errors("catalog")
async def category_tree(request: Request) -> Response:
    ctx = sandbox(request)
    raw = request.path_params["categoryLevels"]
    if not raw.isdigit():
        raise RuleError(400, "categoryLevels must be a number.")
    base_url = f"https://{ctx.account}.vtexcommercestable.com.br"
    return JSONResponse(
        rules.category_tree(lambda parent: rules.subcategories(ctx, parent), int(raw), base_url)
    )


# --- brands -----------------------------------------------------------------------------------


@rule_errors("catalog")
async def create_brand(request: Request) -> Response:
    return JSONResponse(await http.create(request, "brand", rules.write_brand, "Brand", id_required=True))


@rule_errors("catalog")
async def get_brand(request: Request) -> Response:
    return JSONResponse(tables.get(sandbox(request), "brand", request.path_params["brandId"], "Brand"))


@rule_errors("catalog")
async def update_brand(request: Request) -> Response:
    return await http.update_then_activate(request, "brand", "brandId", "Brand", rules.write_brand)


@rule_errors("catalog")
async def delete_brand(request: Request) -> Response:
    ctx = sandbox(request)
    rules.delete_brand(ctx, tables.get(ctx, "brand", request.path_params["brandId"], "Brand"))
    return http.ok()


@rule_errors("catalog")
async def list_brands(request: Request) -> Response:
    ctx = sandbox(request)
    brands = ctx.table("brand")
    return JSONResponse([rules.brand_system_view(brands[str(i)]) for i in brands.sorted_int_keys()])


@rule_errors("catalog")
async def paged_brands(request: Request) -> Response:
    ctx = sandbox(request)
    page = http.query_int(request, "page", 1, minimum=1)
    per_page = http.query_int(request, "pageSize", 15, minimum=1)
    brands = ctx.table("brand")
    ids = brands.sorted_int_keys()
    chunk = [brands[str(i)] for i in ids[(page - 1) * per_page : page * per_page]]
    return JSONResponse(
        {
            "items": [rules.brand_system_view(d) for d in chunk],
            "paging": {
                "page": page,
                "perPage": per_page,
                "total": len(ids),
                "pages": math.ceil(len(ids) / per_page),
            },
        }
    )


@rule_errors("catalog")
async def get_brand_system(request: Request) -> Response:
    doc = tables.get(sandbox(request), "brand", request.path_params["brandId"], "Brand")
    return JSONResponse(rules.brand_system_view(doc))
