"""The sandbox's own API under ``/_sandbox/``: request log, dumps, faults, reset, health.

No authentication; served only when the sandbox is bound to a loopback address (or started with
``--allow-remote-admin``), 404 otherwise. Dumps are of the resolved account (``Host`` header or
``--account``), or of ``?account=NAME``. Other route modules add admin endpoints of their own
(``/_sandbox/orders`` ...) simply by declaring paths under ``/_sandbox/``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, read_json, runtime_of, sandbox
from vtexbridge.sandbox.faults import FaultRule, FaultSpecError, parse_spec

CATALOG_KINDS = (
    "category",
    "brand",
    "specgroup",
    "specfield",
    "specvalue",
    "product",
    "productspec",
    "salespolicy",
    "sku",
    "skuspec",
    "skufile",
    "skuean",
    "saleschannel",
)


def _ctx(request: Request) -> SandboxContext:
    ctx = sandbox(request)
    account = request.query_params.get("account")
    return SandboxContext(ctx.runtime, account) if account else ctx


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _int_param(request: Request, name: str, default: int = 0) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    return int(raw) if raw.isdigit() else None


async def get_requests(request: Request) -> Response:
    """``?since=CURSOR`` (entries after it), ``?method=PUT``, ``?writes=1``, ``?route=TEMPLATE``."""
    since = _int_param(request, "since")
    if since is None:
        return _error(400, "since must be a non-negative integer (a cursor from a previous answer)")
    writes = request.query_params.get("writes", "").lower() in ("1", "true", "yes")
    log = runtime_of(request).request_log
    body = log.snapshot(
        since=since,
        method=request.query_params.get("method") or None,
        writes=writes,
        route=request.query_params.get("route") or None,
    )
    return JSONResponse(body)


async def delete_requests(request: Request) -> Response:
    runtime_of(request).request_log.clear()
    return Response(status_code=204)


def _sorted_docs(ctx: SandboxContext, kind: str) -> list[dict[str, Any]]:
    table = ctx.table(kind)
    return [table[k] for k in sorted(table, key=_natural)]


def _natural(key: str) -> tuple[int, int | str]:
    return (0, int(key)) if key.isdigit() else (1, key)


async def get_catalog(request: Request) -> Response:
    """Everything of the catalog: one list per kind, SKUs with their specs, files, EANs."""
    ctx = _ctx(request)
    sku_specs: dict[str, list[dict[str, Any]]] = {}
    for doc in _sorted_docs(ctx, "skuspec"):
        sku_specs.setdefault(str(doc.get("SkuId")), []).append(doc)
    files: dict[str, list[dict[str, Any]]] = {}
    for doc in _sorted_docs(ctx, "skufile"):
        files.setdefault(str(doc.get("SkuId")), []).append(doc)
    eans = ctx.table("skuean")
    skus = [
        {
            **sku,
            "Specifications": sku_specs.get(str(sku["Id"]), []),
            "Files": files.get(str(sku["Id"]), []),
            "Eans": list(eans.get(str(sku["Id"]), {}).get("Eans", [])),
        }
        for sku in _sorted_docs(ctx, "sku")
    ]
    policies: dict[str, list[int]] = {}
    for doc in _sorted_docs(ctx, "salespolicy"):
        policies.setdefault(str(doc["ProductId"]), []).append(int(doc["StoreId"]))
    product_specs: dict[str, list[dict[str, Any]]] = {}
    for doc in _sorted_docs(ctx, "productspec"):
        product_specs.setdefault(str(doc.get("ProductId")), []).append(doc)
    products = [
        {
            **p,
            "SalesPolicies": sorted(policies.get(str(p["Id"]), [])),
            "Specifications": product_specs.get(str(p["Id"]), []),
        }
        for p in _sorted_docs(ctx, "product")
    ]
    return JSONResponse(
        {
            "account": ctx.account,
            "categories": _sorted_docs(ctx, "category"),
            "brands": _sorted_docs(ctx, "brand"),
            "specificationGroups": _sorted_docs(ctx, "specgroup"),
            "specificationFields": _sorted_docs(ctx, "specfield"),
            "specificationValues": _sorted_docs(ctx, "specvalue"),
            "products": products,
            "skus": skus,
            "salesChannels": _sorted_docs(ctx, "saleschannel"),
        }
    )


async def get_prices(request: Request) -> Response:
    ctx = _ctx(request)
    return JSONResponse({"account": ctx.account, "prices": _sorted_docs(ctx, "price")})


async def get_inventory(request: Request) -> Response:
    ctx = _ctx(request)
    return JSONResponse(
        {
            "account": ctx.account,
            "warehouses": _sorted_docs(ctx, "warehouse"),
            "docks": _sorted_docs(ctx, "dock"),
            "inventory": _sorted_docs(ctx, "inventory"),
        }
    )


async def get_faults(request: Request) -> Response:
    return JSONResponse(runtime_of(request).faults.describe())


async def post_faults(request: Request) -> Response:
    """Replace every fault rule.

    Body: a JSON list of rules, or ``{"rules": [...], "seed": N}``, or ``{"spec": "SPEC", "seed": N}``.
    """
    body = await read_json(request)
    seed: int | None = None
    try:
        if isinstance(body, dict):
            raw_seed = body.get("seed")
            if raw_seed is not None and (not isinstance(raw_seed, int) or isinstance(raw_seed, bool)):
                return _error(400, "seed must be an integer")
            seed = raw_seed
            if "spec" in body:
                if not isinstance(body["spec"], str):
                    return _error(400, "spec must be a string")
                rules = parse_spec(body["spec"])
            else:
                rules = _rules_from_json(body.get("rules", []))
        else:
            rules = _rules_from_json(body)
    except FaultSpecError as e:
        return _error(400, str(e))
    faults = runtime_of(request).faults
    faults.set_rules(rules, seed=seed)
    return JSONResponse(faults.describe())


def _rules_from_json(raw: Any) -> list[FaultRule]:
    if not isinstance(raw, list):
        raise FaultSpecError("expected a JSON list of fault rules")
    return [FaultRule.from_json(item) for item in raw]


async def post_reset(request: Request) -> Response:
    """Clear the store (all accounts, or ``?account=``), the request log, faults and rate-limit buckets."""
    runtime = runtime_of(request)
    account = request.query_params.get("account") or None
    runtime.store.reset(account)
    runtime.request_log.clear()
    runtime.faults.clear()
    runtime.limiter.reset()
    for hook in runtime.reset_hooks:
        hook(account)
    return JSONResponse({"reset": True, "account": account})


async def get_health(request: Request) -> Response:
    runtime = runtime_of(request)
    options = runtime.options
    return JSONResponse(
        {
            "status": "ok",
            "account": options.account,
            "persistent": runtime.store.path is not None,
            "limits": options.limits,
            "faults": len(runtime.faults.describe()["rules"]),
            "requests": runtime.request_log.total,
        }
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/_sandbox/health", get_health, methods=["GET"]),
        Route("/_sandbox/requests", get_requests, methods=["GET"]),
        Route("/_sandbox/requests", delete_requests, methods=["DELETE"]),
        Route("/_sandbox/catalog", get_catalog, methods=["GET"]),
        Route("/_sandbox/prices", get_prices, methods=["GET"]),
        Route("/_sandbox/inventory", get_inventory, methods=["GET"]),
        Route("/_sandbox/faults", get_faults, methods=["GET"]),
        Route("/_sandbox/faults", post_faults, methods=["POST"]),
        Route("/_sandbox/reset", post_reset, methods=["POST"]),
    ]
