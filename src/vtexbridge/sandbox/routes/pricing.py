"""Pricing API routes (``https://api.vtex.com/{account}/pricing/...``; the app strips the account prefix).

Store kind ``price``, key = SKU id: ``{itemId, listPrice, costPrice, markup, basePrice, fixedPrices[]}``
(the ``GET /pricing/prices/{itemId}`` body). Rules in :mod:`vtexbridge.sandbox.rules.pricing`; rate
limits (and their ``Ratelimit-*`` headers) are applied by the app's middleware.

Sandbox choices: a price can be set for any item id (the Pricing service does not consult the
catalog); fixed-price routes need a base price first (404 otherwise); DELETE of an absent price is 200.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, read_json, rule_errors, sandbox
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import pricing as rules


def _item_id(request: Request) -> str:
    item = str(request.path_params["itemId"])
    if not item.isdigit():
        raise RuleError(400, f"itemId must be a SKU id, got {item!r}.")
    return str(int(item))


def _price(ctx: SandboxContext, item: str) -> dict[str, Any]:
    doc = ctx.table("price").get(item)
    if doc is None:
        raise RuleError(404, f"No price for item {item}.")
    return doc


def _table_id(request: Request) -> str:
    table = str(request.path_params["priceTableId"])
    if not table:
        raise RuleError(400, "priceTableId is required.")
    return table


@rule_errors("vtex")
async def put_price(request: Request) -> Response:
    ctx = sandbox(request)
    item = _item_id(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise RuleError(400, "The body must be a JSON object.")
    doc: dict[str, Any] = {"itemId": item, **rules.base_prices(body)}
    doc["fixedPrices"] = rules.fixed_prices(body.get("fixedPrices") or [])
    ctx.table("price")[item] = doc
    return Response(status_code=200)


@rule_errors("vtex")
async def get_price(request: Request) -> Response:
    return JSONResponse(_price(sandbox(request), _item_id(request)))


@rule_errors("vtex")
async def delete_price(request: Request) -> Response:
    sandbox(request).table("price").pop(_item_id(request), None)
    return Response(status_code=200)


@rule_errors("vtex")
async def get_fixed(request: Request) -> Response:
    return JSONResponse(_price(sandbox(request), _item_id(request))["fixedPrices"])


@rule_errors("vtex")
async def patch_fixed(request: Request) -> Response:
    ctx = sandbox(request)
    item = _item_id(request)
    doc = _price(ctx, item)
    updates = rules.fixed_prices(await read_json(request))
    ctx.table("price")[item] = {**doc, "fixedPrices": rules.merge_fixed(doc["fixedPrices"], updates)}
    return Response(status_code=200)


@rule_errors("vtex")
async def post_fixed_table(request: Request) -> Response:
    ctx = sandbox(request)
    item = _item_id(request)
    table = _table_id(request)
    doc = _price(ctx, item)
    updates = rules.fixed_prices(await read_json(request), table=table)
    ctx.table("price")[item] = {**doc, "fixedPrices": rules.merge_fixed(doc["fixedPrices"], updates)}
    return Response(status_code=200)


@rule_errors("vtex")
async def get_fixed_table(request: Request) -> Response:
    table = _table_id(request)
    doc = _price(sandbox(request), _item_id(request))
    return JSONResponse([f for f in doc["fixedPrices"] if f["tradePolicyId"] == table])


@rule_errors("vtex")
async def delete_fixed_table(request: Request) -> Response:
    ctx = sandbox(request)
    item = _item_id(request)
    table = _table_id(request)
    doc = _price(ctx, item)
    kept = [f for f in doc["fixedPrices"] if f["tradePolicyId"] != table]
    ctx.table("price")[item] = {**doc, "fixedPrices": kept}
    return Response(status_code=200)


def _quantity(request: Request) -> int:
    raw = request.query_params.get("quantity") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise RuleError(400, "quantity must be a positive integer.")
    return int(raw)


@rule_errors("vtex")
async def get_computed_table(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _price(ctx, _item_id(request))
    return JSONResponse(
        rules.computed_price(doc, _table_id(request), quantity=_quantity(request), now=ctx.clock.now())
    )


@rule_errors("vtex")
async def get_computed(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _price(ctx, _item_id(request))
    tables = sorted({"1", *(str(f["tradePolicyId"]) for f in doc["fixedPrices"])})
    quantity = _quantity(request)
    now = ctx.clock.now()
    return JSONResponse([rules.computed_price(doc, t, quantity=quantity, now=now) for t in tables])


def routes() -> list[BaseRoute]:
    base = "/pricing/prices/{itemId}"
    return [
        Route(base, put_price, methods=["PUT"]),
        Route(base, get_price, methods=["GET"]),
        Route(base, delete_price, methods=["DELETE"]),
        Route(f"{base}/fixed", get_fixed, methods=["GET"]),
        Route(f"{base}/fixed", patch_fixed, methods=["PATCH"]),
        Route(f"{base}/fixed/{{priceTableId}}", post_fixed_table, methods=["POST"]),
        Route(f"{base}/fixed/{{priceTableId}}", get_fixed_table, methods=["GET"]),
        Route(f"{base}/fixed/{{priceTableId}}", delete_fixed_table, methods=["DELETE"]),
        Route(f"{base}/computed", get_computed, methods=["GET"]),
        Route(f"{base}/computed/{{priceTableId}}", get_computed_table, methods=["GET"]),
    ]
