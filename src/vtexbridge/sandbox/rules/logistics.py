"""Logistics rules: warehouse and dock documents, inventory PUT/PATCH semantics, balances.

Inventory PUT (``OAS:Logistics``): a missing or ``null`` ``quantity`` is 0, a missing ``leadTime`` is
``"00:00:00"``, a missing/``null`` ``unlimitedQuantity`` is ``false``, and ``unlimitedQuantity: true``
overrides the quantity (reported as 1,000,000 available that never decreases). Sandbox choice: the
warehouse must exist (400 otherwise), the SKU is not checked against the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from vtexbridge.sandbox.rules import RuleError

UNLIMITED_QUANTITY = 1_000_000
_TIMESPAN = re.compile(r"^(\d+\.)?\d{1,2}:\d{2}:\d{2}(\.\d+)?$")


def lock_key(account: str, sku_id: str, warehouse_id: str) -> str:
    """The key VTEX names in its 423 message."""
    return f"{account}_item_logistics_{sku_id}_{warehouse_id}"


def locked_message(account: str, sku_id: str, warehouse_id: str) -> str:
    return f"Unable to acquire lock for key: {lock_key(account, sku_id, warehouse_id)}."


def timespan(value: Any, name: str) -> str:
    """A .NET timespan string (``"3.00:00:00"``, ``"10:30:00"``); 400 otherwise."""
    if not isinstance(value, str) or not _TIMESPAN.match(value):
        raise RuleError(400, f"{name} must be a timespan such as '1.00:00:00', got {value!r}.")
    return value


def _text(body: Mapping[str, Any], name: str, *, required: bool = True, default: str = "") -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise RuleError(400, f"The field {name} is required.")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RuleError(400, f"The field {name} must be a string.")
    return str(value)


def _bool(body: Mapping[str, Any], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RuleError(400, f"The field {name} must be true or false.")
    return value


def _int(body: Mapping[str, Any], name: str, default: int, *, minimum: int | None = None) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or float(value) != int(value):
        raise RuleError(400, f"The field {name} must be an integer.")
    if minimum is not None and int(value) < minimum:
        raise RuleError(400, f"The field {name} must be at least {minimum}.")
    return int(value)


def _cost(value: Any) -> int | float:
    try:
        number = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise RuleError(400, f"The dock cost must be a number, got {value!r}.") from None
    return int(number) if number == number.to_integral_value() else float(number)


def warehouse_doc(body: Any, current: Mapping[str, Any] | None, known_docks: set[str]) -> dict[str, Any]:
    """The stored warehouse (the ``GET .../warehouses/{id}`` shape) from a create-or-update body."""
    if not isinstance(body, dict):
        raise RuleError(400, "The body must be a JSON object.")
    warehouse_id = _text(body, "id")
    docks = body.get("warehouseDocks")
    if not isinstance(docks, list):
        raise RuleError(400, "The field warehouseDocks is required (a list of docks).")
    out_docks = []
    for raw in docks:
        if not isinstance(raw, dict):
            raise RuleError(400, "Each warehouse dock must be a JSON object.")
        dock_id = _text(raw, "dockId")
        if dock_id not in known_docks:
            raise RuleError(400, f"The dock {dock_id} does not exist; create it first.")
        out_docks.append(
            {
                "dockId": dock_id,
                "name": _text(raw, "name", required=False, default=dock_id),
                "time": timespan(raw.get("time", "00:00:00"), "time"),
                "cost": _cost(raw.get("cost", "0")),
                "translateDays": _text(raw, "translateDays", required=False, default="0"),
                "costToDisplay": _text(raw, "costToDisplay", required=False, default="0"),
            }
        )
    return {
        "id": warehouse_id,
        "name": _text(body, "name"),
        "warehouseDocks": out_docks,
        "pickupPointIds": list((current or {}).get("pickupPointIds", [])),
        "priority": _int(body, "priority", int((current or {}).get("priority", 0))),
        "isActive": _bool(body, "isActive", bool((current or {}).get("isActive", True))),
    }


def dock_doc(body: Any, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored dock (the ``GET .../docks/{id}`` shape) from a create-or-update body."""
    if not isinstance(body, dict):
        raise RuleError(400, "The body must be a JSON object.")
    previous = dict(current or {})
    sales_channels = body.get("salesChannels", previous.get("salesChannels", ["1"]))
    freight = body.get("freightTableIds", previous.get("freightTableIds", []))
    for name, value in (("salesChannels", sales_channels), ("freightTableIds", freight)):
        if not isinstance(value, list):
            raise RuleError(400, f"The field {name} must be a list.")
    address = body.get("address", previous.get("address"))
    if address is not None and not isinstance(address, dict):
        raise RuleError(400, "The field address must be an object.")
    doc = {
        "id": _text(body, "id"),
        "name": _text(body, "name"),
        "priority": _int(body, "priority", int(previous.get("priority", 0))),
        "dockTimeFake": timespan(
            body.get("dockTimeFake", previous.get("dockTimeFake", "00:00:00")), "dockTimeFake"
        ),
        "timeFakeOverhead": timespan(
            body.get("timeFakeOverhead", previous.get("timeFakeOverhead", "00:00:00")), "timeFakeOverhead"
        ),
        "salesChannels": [str(s) for s in sales_channels],
        "salesChannel": _text(
            body, "salesChannel", required=False, default=str(previous.get("salesChannel", ""))
        ),
        "freightTableIds": [str(f) for f in freight],
        "wmsEndPoint": body.get("wmsEndPoint", previous.get("wmsEndPoint")),
        "isActive": bool(previous.get("isActive", True)),
    }
    if address is not None:
        doc["address"] = _address(address)
    return doc


def _address(raw: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in raw.items() if k != "coordinates"}
    coordinates = raw.get("coordinates")
    if (
        isinstance(coordinates, list)
        and coordinates
        and isinstance(coordinates[0], list)
        and len(coordinates[0]) == 2
        and all(isinstance(c, int | float) for c in coordinates[0])
    ):
        longitude, latitude = coordinates[0]
        out["location"] = {"latitude": latitude, "longitude": longitude}
    return out


def inventory_put(
    body: Any, current: Mapping[str, Any] | None, sku_id: str, warehouse_id: str, now: str
) -> dict[str, Any]:
    """The stored inventory line after a PUT (VTEX's defaults for missing fields)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise RuleError(400, "The body must be a JSON object.")
    lead = body.get("leadTime")
    date = body.get("dateUtcOnBalanceSystem")
    if date is not None and not isinstance(date, str):
        raise RuleError(400, "dateUtcOnBalanceSystem must be an ISO 8601 date-time string.")
    return {
        "skuId": sku_id,
        "warehouseId": warehouse_id,
        "quantity": _int(body, "quantity", 0, minimum=0),
        "unlimitedQuantity": _bool(body, "unlimitedQuantity", False),
        "leadTime": "00:00:00" if lead is None else timespan(lead, "leadTime"),
        "dateUtcOnBalanceSystem": date or now,
        "reservedQuantity": int((current or {}).get("reservedQuantity", 0)),
    }


def inventory_patch_quantity(body: Any, current: Mapping[str, Any], now: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RuleError(400, "The body must be a JSON object.")
    if body.get("quantity") is None:
        raise RuleError(400, "The field quantity is required.")
    date = body.get("dateUtcOnBalanceSystem")
    if date is not None and not isinstance(date, str):
        raise RuleError(400, "dateUtcOnBalanceSystem must be an ISO 8601 date-time string.")
    return {
        **current,
        "quantity": _int(body, "quantity", 0, minimum=0),
        "unlimitedQuantity": _bool(body, "unlimitedQuantity", False),
        "dateUtcOnBalanceSystem": date or now,
    }


def inventory_patch_lead_time(body: Any, current: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("leadTime") is None:
        raise RuleError(400, "The field leadTime is required.")
    return {**current, "leadTime": timespan(body["leadTime"], "leadTime")}


def total_quantity(line: Mapping[str, Any]) -> int:
    return UNLIMITED_QUANTITY if line.get("unlimitedQuantity") else int(line.get("quantity", 0))


def balance_view(line: Mapping[str, Any], warehouse_name: str) -> dict[str, Any]:
    """One ``balance`` entry of ``GET /api/logistics/pvt/inventory/skus/{skuId}``."""
    return {
        "warehouseId": line["warehouseId"],
        "warehouseName": warehouse_name,
        "totalQuantity": total_quantity(line),
        "reservedQuantity": int(line.get("reservedQuantity", 0)),
        "hasUnlimitedQuantity": bool(line.get("unlimitedQuantity")),
        "timeToRefill": None,
        "dateOfSupplyUtc": None,
        "leadTime": line.get("leadTime", "00:00:00"),
    }


def item_view(line: Mapping[str, Any], dock_id: str, sales_channels: list[str]) -> dict[str, Any]:
    """One entry of ``GET /api/logistics/pvt/inventory/items/{skuId}/warehouses/{warehouseId}``."""
    total = total_quantity(line)
    reserved = int(line.get("reservedQuantity", 0))
    return {
        "skuId": line["skuId"],
        "warehouseId": line["warehouseId"],
        "dockId": dock_id,
        "totalQuantity": total,
        "reservedQuantity": reserved,
        "availableQuantity": total if line.get("unlimitedQuantity") else max(0, total - reserved),
        "isUnlimited": bool(line.get("unlimitedQuantity")),
        "salesChannel": sales_channels,
        "deliveryChannel": ["delivery"],
        "timeToRefill": line.get("leadTime", "00:00:00"),
        "dateOfSupplyUtc": line.get("dateUtcOnBalanceSystem", ""),
        "keepSellingAfterExpiration": False,
        "transfer": "",
    }
