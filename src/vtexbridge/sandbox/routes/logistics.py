"""Logistics API routes: warehouses, docks and inventory.

Store kinds: ``warehouse`` and ``dock`` (key = id, the ``GET`` shapes), ``inventory`` (key
``"{skuId}:{warehouseId}"``, ``{skuId, warehouseId, quantity, unlimitedQuantity, leadTime,
dateUtcOnBalanceSystem, reservedQuantity}``; the orders module reserves stock by raising
``reservedQuantity``). A second inventory PUT for the same SKU + warehouse within
``options.inventory_lock_ms`` of an accepted one answers ``423 Locked`` (the first one wins).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, read_json, rule_errors, sandbox
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import logistics as rules

LOCKS_KEY = "logistics.inventory_locks"


def _now(ctx: SandboxContext) -> str:
    return ctx.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _warehouse(ctx: SandboxContext, warehouse_id: str, *, status: int = 404) -> dict[str, Any]:
    doc = ctx.table("warehouse").get(warehouse_id)
    if doc is None:
        raise RuleError(status, f"Warehouse {warehouse_id} not found.")
    return doc


def _dock(ctx: SandboxContext, dock_id: str) -> dict[str, Any]:
    doc = ctx.table("dock").get(dock_id)
    if doc is None:
        raise RuleError(404, f"Dock {dock_id} not found.")
    return doc


def _sku_id(request: Request) -> str:
    raw = str(request.path_params["skuId"])
    if not raw.isdigit():
        raise RuleError(400, f"skuId must be a SKU id, got {raw!r}.")
    return str(int(raw))


# --- warehouses -------------------------------------------------------------------------------


@rule_errors("vtex")
async def save_warehouse(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request)
    current = ctx.table("warehouse").get(str(body.get("id"))) if isinstance(body, dict) else None
    doc = rules.warehouse_doc(body, current, set(ctx.table("dock")))
    ctx.table("warehouse")[doc["id"]] = doc
    return Response(status_code=200)


@rule_errors("vtex")
async def list_warehouses(request: Request) -> Response:
    table = sandbox(request).table("warehouse")
    return JSONResponse([table[k] for k in sorted(table)])


@rule_errors("vtex")
async def get_warehouse(request: Request) -> Response:
    return JSONResponse(_warehouse(sandbox(request), request.path_params["warehouseId"]))


@rule_errors("vtex")
async def delete_warehouse(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _warehouse(ctx, request.path_params["warehouseId"])
    del ctx.table("warehouse")[doc["id"]]
    return Response(status_code=200)


async def _set_warehouse_active(request: Request, active: bool) -> Response:
    ctx = sandbox(request)
    doc = _warehouse(ctx, request.path_params["warehouseId"])
    ctx.table("warehouse")[doc["id"]] = {**doc, "isActive": active}
    return Response(status_code=200)


@rule_errors("vtex")
async def activate_warehouse(request: Request) -> Response:
    return await _set_warehouse_active(request, True)


@rule_errors("vtex")
async def deactivate_warehouse(request: Request) -> Response:
    return await _set_warehouse_active(request, False)


# --- docks ------------------------------------------------------------------------------------


@rule_errors("vtex")
async def save_dock(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request)
    current = ctx.table("dock").get(str(body.get("id"))) if isinstance(body, dict) else None
    doc = rules.dock_doc(body, current)
    ctx.table("dock")[doc["id"]] = doc
    return JSONResponse(True)


@rule_errors("vtex")
async def list_docks(request: Request) -> Response:
    table = sandbox(request).table("dock")
    return JSONResponse([table[k] for k in sorted(table)])


@rule_errors("vtex")
async def get_dock(request: Request) -> Response:
    return JSONResponse(_dock(sandbox(request), request.path_params["dockId"]))


@rule_errors("vtex")
async def delete_dock(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _dock(ctx, request.path_params["dockId"])
    del ctx.table("dock")[doc["id"]]
    return JSONResponse(True)


async def _set_dock_active(request: Request, active: bool) -> Response:
    ctx = sandbox(request)
    doc = _dock(ctx, request.path_params["dockId"])
    ctx.table("dock")[doc["id"]] = {**doc, "isActive": active}
    return Response(status_code=204)


@rule_errors("vtex")
async def activate_dock(request: Request) -> Response:
    return await _set_dock_active(request, True)


@rule_errors("vtex")
async def deactivate_dock(request: Request) -> Response:
    return await _set_dock_active(request, False)


# --- inventory --------------------------------------------------------------------------------


def _acquire(ctx: SandboxContext, sku_id: str, warehouse_id: str) -> bool:
    """Take the SKU+warehouse lock unless an update was accepted within the lock window."""
    window = ctx.options.inventory_lock_ms / 1000.0
    if window <= 0:
        return True
    locks: dict[tuple[str, str, str], float] = ctx.app_state.setdefault(LOCKS_KEY, {})
    now = ctx.clock.monotonic()
    key = (ctx.account, sku_id, warehouse_id)
    last = locks.get(key)
    if last is not None and now - last < window:
        return False
    locks[key] = now
    if len(locks) > 10_000:  # forget expired locks so memory stays bounded
        for stale in [k for k, t in locks.items() if now - t >= window]:
            del locks[stale]
    return True


@rule_errors("vtex")
async def put_inventory(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(request)
    warehouse_id = str(request.path_params["warehouseId"])
    body = await read_json(request, required=False)
    _warehouse(ctx, warehouse_id, status=400)
    key = f"{sku_id}:{warehouse_id}"
    table = ctx.table("inventory")
    doc = rules.inventory_put(body, table.get(key), sku_id, warehouse_id, _now(ctx))
    if not _acquire(ctx, sku_id, warehouse_id):
        return PlainTextResponse(rules.locked_message(ctx.account, sku_id, warehouse_id), status_code=423)
    table[key] = doc
    return JSONResponse(True)


def _line(ctx: SandboxContext, sku_id: str, warehouse_id: str) -> dict[str, Any]:
    _warehouse(ctx, warehouse_id, status=400)
    current = ctx.table("inventory").get(f"{sku_id}:{warehouse_id}")
    return current or rules.inventory_put({}, None, sku_id, warehouse_id, _now(ctx))


@rule_errors("vtex")
async def patch_quantity(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(request)
    warehouse_id = str(request.path_params["warehouseId"])
    body = await read_json(request)
    doc = rules.inventory_patch_quantity(body, _line(ctx, sku_id, warehouse_id), _now(ctx))
    ctx.table("inventory")[f"{sku_id}:{warehouse_id}"] = doc
    return Response(status_code=204)


@rule_errors("vtex")
async def patch_lead_time(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(request)
    warehouse_id = str(request.path_params["warehouseId"])
    body = await read_json(request)
    doc = rules.inventory_patch_lead_time(body, _line(ctx, sku_id, warehouse_id))
    ctx.table("inventory")[f"{sku_id}:{warehouse_id}"] = doc
    return Response(status_code=204)


def _lines_of(ctx: SandboxContext, sku_id: str) -> list[dict[str, Any]]:
    table = ctx.table("inventory")
    return [table[k] for k in sorted(table) if k.split(":", 1)[0] == sku_id]


@rule_errors("vtex")
async def sku_balance(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(request)
    warehouses = ctx.table("warehouse")
    balance = [
        rules.balance_view(line, warehouses.get(line["warehouseId"], {}).get("name", line["warehouseId"]))
        for line in _lines_of(ctx, sku_id)
    ]
    return JSONResponse({"skuId": sku_id, "balance": balance})


@rule_errors("vtex")
async def item_in_warehouse(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(request)
    warehouse = _warehouse(ctx, str(request.path_params["warehouseId"]))
    line = ctx.table("inventory").get(f"{sku_id}:{warehouse['id']}")
    if line is None:
        return JSONResponse([])
    docks = ctx.table("dock")
    out = []
    for wd in warehouse["warehouseDocks"]:
        dock = docks.get(wd["dockId"], {})
        out.append(rules.item_view(line, wd["dockId"], [str(s) for s in dock.get("salesChannels", ["1"])]))
    return JSONResponse(out)


def routes() -> list[BaseRoute]:
    cfg = "/api/logistics/pvt/configuration"
    inv = "/api/logistics/pvt/inventory"
    return [
        Route(f"{cfg}/warehouses", save_warehouse, methods=["POST"]),
        Route(f"{cfg}/warehouses", list_warehouses, methods=["GET"]),
        Route(f"{cfg}/warehouses/{{warehouseId}}", get_warehouse, methods=["GET"]),
        Route(f"{cfg}/warehouses/{{warehouseId}}", delete_warehouse, methods=["DELETE"]),
        Route(f"{cfg}/warehouses/{{warehouseId}}/activation", activate_warehouse, methods=["POST"]),
        Route(f"{cfg}/warehouses/{{warehouseId}}/deactivation", deactivate_warehouse, methods=["POST"]),
        Route(f"{cfg}/docks", save_dock, methods=["POST"]),
        Route(f"{cfg}/docks", list_docks, methods=["GET"]),
        Route(f"{cfg}/docks/{{dockId}}", get_dock, methods=["GET"]),
        Route(f"{cfg}/docks/{{dockId}}", delete_dock, methods=["DELETE"]),
        Route(f"{cfg}/docks/{{dockId}}/activation", activate_dock, methods=["POST"]),
        Route(f"{cfg}/docks/{{dockId}}/deactivation", deactivate_dock, methods=["POST"]),
        Route(f"{inv}/skus/{{skuId}}/warehouses/{{warehouseId}}", put_inventory, methods=["PUT"]),
        Route(f"{inv}/skus/{{skuId}}/warehouses/{{warehouseId}}/quantity", patch_quantity, methods=["PATCH"]),
        Route(
            f"{inv}/skus/{{skuId}}/warehouses/{{warehouseId}}/lead-time", patch_lead_time, methods=["PATCH"]
        ),
        Route(f"{inv}/skus/{{skuId}}", sku_balance, methods=["GET"]),
        Route(f"{inv}/items/{{skuId}}/warehouses/{{warehouseId}}", item_in_warehouse, methods=["GET"]),
    ]
