"""Catalog specification handlers: groups, fields, values, and the specifications of products and SKUs.

Routed by :mod:`.catalog`; the rules are in ``rules/catalog_specs``. The same handlers serve products
and SKUs (:func:`for_owner`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.context import Handler, SandboxContext, catalog_error, rule_errors, sandbox
from vtexbridge.sandbox.routes import _catalog_http as http
from vtexbridge.sandbox.rules import catalog_specs as rules
from vtexbridge.sandbox.rules import catalog_tables as tables
from vtexbridge.sandbox.rules.catalog_tables import Doc
from vtexbridge.sandbox.rules.catalog_taxonomy import category_fields

# --- groups -----------------------------------------------------------------------------------


@rule_errors("catalog")
async def create_spec_group(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(rules.create_spec_group(ctx, await http.body(request)))


@rule_errors("catalog")
async def update_spec_group(request: Request) -> Response:
    ctx = sandbox(request)
    current = tables.get(ctx, "specgroup", request.path_params["groupId"], "Specification group")
    return JSONResponse(rules.update_spec_group(ctx, current, await http.body(request)))


@rule_errors("catalog")
async def get_spec_group(request: Request) -> Response:
    return JSONResponse(
        tables.get(sandbox(request), "specgroup", request.path_params["groupId"], "Specification group")
    )


@rule_errors("catalog")
async def groups_by_category(request: Request) -> Response:
    ctx = sandbox(request)
    category = tables.get(ctx, "category", request.path_params["categoryId"], "Category")
    return JSONResponse(tables.by_id(tables.find(ctx, ix.SPECGROUP_BY_CATEGORY, category["Id"])))


# --- fields -----------------------------------------------------------------------------------


@rule_errors("catalog")
async def create_spec_field(request: Request) -> Response:
    return JSONResponse(await http.create(request, "specfield", rules.write_spec_field))


@rule_errors("catalog")
async def get_spec_field(request: Request) -> Response:
    return JSONResponse(
        tables.get(sandbox(request), "specfield", request.path_params["specificationId"], "Specification")
    )


@rule_errors("catalog")
async def update_spec_field(request: Request) -> Response:
    _, doc = await http.update(
        request, "specfield", "specificationId", "Specification", rules.write_spec_field
    )
    return JSONResponse(doc)


@rule_errors("catalog")
async def get_field_legacy(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(
        rules.field_legacy_view(ctx, tables.get(ctx, "specfield", request.path_params["fieldId"], "Field"))
    )


@rule_errors("catalog")
async def fields_by_category(request: Request) -> Response:
    ctx = sandbox(request)
    category = tables.get(ctx, "category", request.path_params["categoryId"], "Category")
    return JSONResponse(rules.fields_view(tables.find(ctx, ix.SPECFIELD_BY_CATEGORY, category["Id"])))


@rule_errors("catalog")
async def fields_tree_by_category(request: Request) -> Response:
    ctx = sandbox(request)
    category = tables.get(ctx, "category", request.path_params["categoryId"], "Category")
    return JSONResponse(rules.fields_view(category_fields(ctx, int(category["Id"]))))


# --- values -----------------------------------------------------------------------------------


@rule_errors("catalog")
async def create_spec_value(request: Request) -> Response:
    return JSONResponse(await http.create(request, "specvalue", rules.write_spec_value))


@rule_errors("catalog")
async def get_spec_value(request: Request) -> Response:
    ctx = sandbox(request)
    doc = tables.get(ctx, "specvalue", request.path_params["specificationValueId"], "Specification value")
    return JSONResponse(rules.value_view(doc))


@rule_errors("catalog")
async def update_spec_value(request: Request) -> Response:
    what = "Specification value"
    _, doc = await http.update(
        request, "specvalue", "specificationValueId", what, rules.write_spec_value, "FieldValueId"
    )
    return JSONResponse(doc)


@rule_errors("catalog")
async def get_spec_value_legacy(request: Request) -> Response:
    ctx = sandbox(request)
    doc = tables.get(ctx, "specvalue", request.path_params["fieldValueId"], "Field value")
    return JSONResponse(rules.value_view(doc))


@rule_errors("catalog")
async def values_by_field(request: Request) -> Response:
    ctx = sandbox(request)
    field = tables.get(ctx, "specfield", request.path_params["fieldId"], "Field")
    return JSONResponse(rules.values_view(ctx, field))


# --- product and SKU specifications -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpecRoutes:
    """How the specification routes of one kind of owner find it and answer a missing specification."""

    specs: rules.SpecOwner
    path_param: str  # the owner's id in the route's path
    not_found: Callable[[], Response]  # DELETE of one specification the owner does not have

    def owner(self, ctx: SandboxContext, request: Request) -> Doc:
        return tables.get(ctx, self.specs.owner_kind, request.path_params[self.path_param], self.specs.what)


PRODUCT_SPECS = SpecRoutes(
    rules.PRODUCT_SPECS,
    "productId",
    not_found=lambda: Response("Specification not found.", status_code=404, media_type="text/plain"),
)
SKU_SPECS = SpecRoutes(
    rules.SKU_SPECS, "skuId", not_found=lambda: catalog_error(404, "SKU specification not found.")
)
SpecHandler = Callable[[Request, SpecRoutes], Awaitable[Response]]


def for_owner(routes: SpecRoutes, fn: SpecHandler) -> Handler:
    """The route handler running ``fn`` for ``routes`` (the same routes serve products and SKUs)."""

    async def handler(request: Request) -> Response:
        return await fn(request, routes)

    handler.__name__ = handler.__qualname__ = f"{fn.__name__.strip('_')}_{routes.specs.owner_kind}"
    return rule_errors("catalog")(handler)


async def list_specs(request: Request, routes: SpecRoutes) -> Response:
    ctx = sandbox(request)
    owner = routes.owner(ctx, request)
    return JSONResponse(routes.specs.views(ctx, owner["Id"]))


async def create_spec(request: Request, routes: SpecRoutes) -> Response:
    ctx = sandbox(request)
    owner_id = int(routes.owner(ctx, request)["Id"])
    body = await http.body(request)
    return JSONResponse(rules.create_spec(ctx, routes.specs, owner_id, body))


async def delete_specs(request: Request, routes: SpecRoutes) -> Response:
    ctx = sandbox(request)
    owner = routes.owner(ctx, request)
    tables.delete_docs(ctx, routes.specs.kind, routes.specs.of(ctx, owner["Id"]))
    return http.ok()


async def delete_spec(request: Request, routes: SpecRoutes) -> Response:
    ctx = sandbox(request)
    owner = routes.owner(ctx, request)
    specs = routes.specs
    spec = tables.owned(ctx, specs.kind, request.path_params["specificationId"], specs.owner_key, owner["Id"])
    if spec is None:
        return routes.not_found()
    tables.delete_docs(ctx, specs.kind, [spec])
    return http.ok()


async def specs_by_names(request: Request, routes: SpecRoutes) -> Response:
    """``PUT .../specificationvalue`` of a product or SKU: replaces the owner's values of the field."""
    ctx = sandbox(request)
    owner = routes.owner(ctx, request)
    sku_level = routes.specs.sku_level
    product = tables.get(ctx, "product", str(owner["ProductId"]), "Product") if sku_level else owner
    body = await http.body(request)
    return JSONResponse(rules.specs_by_names(ctx, routes.specs, owner, product, body))


@rule_errors("catalog")
async def update_sku_spec(request: Request) -> Response:
    ctx = sandbox(request)
    sku = http.sku(ctx, request)
    return JSONResponse(rules.update_sku_spec(ctx, sku, await http.body(request)))
