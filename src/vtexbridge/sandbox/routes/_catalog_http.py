"""Request parsing shared by the catalog route modules: bodies, query integers, path entities.

Not a route module (no ``routes()``); the catalog's route table is :mod:`.catalog`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vtexbridge.sandbox.context import SandboxContext, read_json, sandbox
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules
from vtexbridge.sandbox.rules import catalog_tables as tables
from vtexbridge.sandbox.rules.catalog_products import activate_after_update
from vtexbridge.sandbox.rules.catalog_tables import Doc, Writer


def ok() -> Response:
    return Response(status_code=200)


async def body(request: Request) -> Doc:
    """The request's JSON object (400 for anything else, in the Catalog's shape)."""
    return rules.body_object(await read_json(request, catalog=True))


def query_int(
    request: Request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    """The integer query parameter ``name`` (``default`` when absent or empty), 400 when out of range."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise RuleError(400, f"{name} must be an integer of at least {minimum}.")
    if maximum is not None and int(raw) > maximum:
        raise RuleError(400, f"{name} must be at most {maximum}.")
    return int(raw)


def product(ctx: SandboxContext, request: Request) -> Doc:
    """The product of the path's ``{productId}``, or 404."""
    return tables.get(ctx, "product", request.path_params["productId"], "Product")


def sku(ctx: SandboxContext, request: Request) -> Doc:
    """The SKU of the path's ``{skuId}``, or 404."""
    return tables.get(ctx, "sku", request.path_params["skuId"], "SKU")


def sku_id(ctx: SandboxContext, request: Request) -> int:
    return int(sku(ctx, request)["Id"])


async def create(
    request: Request, kind: str, write: Writer, what: str | None = None, *, id_required: bool = False
) -> Doc:
    """``POST`` of an entity (see :func:`vtexbridge.sandbox.rules.catalog_tables.create`)."""
    ctx = sandbox(request)
    doc = await body(request)
    return tables.create(ctx, kind, write, doc, what, id_required=id_required)


async def update(
    request: Request, kind: str, param: str, what: str, write: Writer, id_key: str = "Id"
) -> tuple[SandboxContext, Doc]:
    """``PUT`` of the entity of the path's ``{param}``: 404 unless it exists, then ``write`` over it."""
    ctx = sandbox(request)
    current = tables.get(ctx, kind, request.path_params[param], what)
    doc = await body(request)
    return ctx, write(ctx, int(current[id_key]), doc, current)


async def update_then_activate(request: Request, kind: str, param: str, what: str, write: Writer) -> Response:
    """``PUT`` of a category, brand or product, then activation of its SKUs that now qualify."""
    ctx, doc = await update(request, kind, param, what, write)
    activate_after_update(ctx, kind, doc)
    return JSONResponse(doc)
