"""Order modifications v2 (``PATCH /api/order-system/orders/{changeOrderId}/changes`` and its preview).

A change request replaces quantities of existing items (``replace[].from.items``) with other items or
quantities (``replace[].to.items``). Rules (Orders API, "Acceptable order status for modifications"):

- only in ``handling``, ``waiting-for-fulfillment`` or ``ready-for-invoicing`` (else 409), and not
  once an invoice was posted (the payment transaction is being settled);
- ``reason`` is required; every ``from`` item must exist with enough quantity (400);
- a ``to`` item already in the order adds quantity at the order's price; a new SKU is priced by the
  caller's resolver (catalog + price table), 400 when it cannot be sold;
- totals, value and the payment value are recomputed; inventory is *not* updated (as VTEX warns);
- the sandbox applies a change synchronously: the request answers 202 and is at once ``done``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vtexbridge.sandbox.rules.orderdoc import LineItem, item_document, recompute_totals
from vtexbridge.sandbox.rules.orders import (
    CHANGEABLE,
    OrderEvent,
    OrderRuleError,
    change_event,
    is_partially_invoiced,
    vtex_time,
)

__all__ = [
    "ChangeOutcome",
    "LegacyChange",
    "SkuResolver",
    "apply_change",
    "legacy_change",
    "preview_change",
]

SkuResolver = Callable[[str, int], LineItem | None]
"""(SKU id, quantity) -> a priced line for a SKU not yet in the order, or ``None`` if it cannot be sold."""


@dataclass(slots=True)
class ChangeOutcome:
    """The changed order, the change record (the 202/GET body) and the event to publish."""

    order: dict[str, Any]
    record: dict[str, Any]
    event: OrderEvent | None


def _int(value: Any, where: str, *, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise OrderRuleError(400, f"{where} must be an integer >= {minimum}")
    return value


def _sku(value: Any, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise OrderRuleError(400, f"{where} (the SKU id) is required")
    return value


def _entries(body: Any) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    if not isinstance(body, dict):
        raise OrderRuleError(400, "The change request must be a JSON object")
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise OrderRuleError(400, "reason is required")
    replace = body.get("replace")
    if not isinstance(replace, list) or not replace:
        raise OrderRuleError(400, "replace is required: a list of {from: {items}, to: {items}}")
    for n, entry in enumerate(replace):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("from"), dict)
            or not isinstance(entry.get("to"), dict)
        ):
            raise OrderRuleError(400, f"replace[{n}] needs 'from' and 'to' objects")
        for side in ("from", "to"):
            if not isinstance(entry[side].get("items"), list):
                raise OrderRuleError(400, f"replace[{n}].{side}.items is required (a list)")
    settings = body.get("settings")
    return reason, replace, settings if isinstance(settings, dict) else {}


def _from_item(item: dict[str, Any], quantity: int) -> dict[str, Any]:
    return {
        "id": item["id"],
        "quantity": quantity,
        "price": item["price"],
        "measurementUnit": item.get("measurementUnit"),
        "unitMultiplier": int(item.get("unitMultiplier") or 1),
        "sellingPrice": item["sellingPrice"],
        "name": item.get("name"),
        "detailUrl": item.get("detailUrl"),
        "imageUrl": item.get("imageUrl"),
    }


def _to_item(item: dict[str, Any], quantity: int) -> dict[str, Any]:
    info = item.get("additionalInfo") or {}
    return {
        "uniqueId": item["uniqueId"],
        "id": item["id"],
        "productId": item.get("productId"),
        "productRefId": None,
        "refId": item.get("refId"),
        "ean": item.get("ean"),
        "name": item.get("name"),
        "skuName": item.get("name"),
        "modalType": None,
        "parentItemIndex": None,
        "parentAssemblyBinding": None,
        "assemblies": [],
        "priceValidUntil": None,
        "tax": int(item.get("tax") or 0),
        "price": item["price"],
        "listPrice": item["listPrice"],
        "manualPrice": None,
        "manualPriceAppliedBy": None,
        "sellingPrice": item["sellingPrice"],
        "rewardValue": 0,
        "isGift": False,
        "additionalInfo": {
            "dimension": None,
            "brandName": info.get("brandName"),
            "brandId": info.get("brandId"),
            "offeringInfo": None,
            "offeringType": None,
            "offeringTypeId": None,
            "categoriesIds": info.get("categoriesIds"),
            "productClusterId": None,
            "commercialConditionId": info.get("commercialConditionId"),
        },
        "preSaleDate": None,
        "productCategoryIds": info.get("categoriesIds"),
        "productCategories": {},
        "quantity": quantity,
        "seller": item.get("seller"),
        "sellerChain": [item.get("seller")],
        "imageUrl": item.get("imageUrl"),
        "detailUrl": item.get("detailUrl"),
        "components": [],
        "bundleItems": [],
        "attachments": [],
        "attachmentOfferings": [],
        "offerings": [],
        "priceTags": [],
        "availability": "available",
        "measurementUnit": item.get("measurementUnit") or "un",
        "unitMultiplier": int(item.get("unitMultiplier") or 1),
        "manufacturerCode": None,
        "priceDefinition": None,
    }


def _legacy(item: dict[str, Any], quantity: int) -> dict[str, Any]:
    return {
        "id": item["id"],
        "name": item.get("name") or "",
        "quantity": quantity,
        "price": item["sellingPrice"],
        "unitMultiplier": None,
    }


def _remove(order: dict[str, Any], raw: Any, where: str) -> tuple[dict[str, Any], int]:
    if not isinstance(raw, dict):
        raise OrderRuleError(400, f"{where} must be an object")
    sku = _sku(raw.get("id"), f"{where}.id")
    quantity = _int(raw.get("quantity"), f"{where}.quantity", minimum=1)
    unique = raw.get("uniqueId")
    for item in order["items"]:
        if item["id"] == sku and (not unique or item["uniqueId"] == unique):
            if int(item["quantity"]) < quantity:
                raise OrderRuleError(
                    400, f"{where}: the order has {item['quantity']} of SKU {sku}, not {quantity}"
                )
            snapshot = copy.deepcopy(item)
            item["quantity"] = int(item["quantity"]) - quantity
            return snapshot, quantity
    raise OrderRuleError(400, f"{where}: SKU {sku} is not an item of order {order['orderId']}")


def _add(order: dict[str, Any], raw: Any, where: str, resolve: SkuResolver) -> tuple[dict[str, Any], int]:
    if not isinstance(raw, dict):
        raise OrderRuleError(400, f"{where} must be an object")
    sku = _sku(raw.get("id"), f"{where}.id")
    quantity = _int(raw.get("quantity"), f"{where}.quantity", minimum=0)
    for item in order["items"]:
        if item["id"] == sku:
            item["quantity"] = int(item["quantity"]) + quantity
            return item, quantity
    line = resolve(sku, max(quantity, 1))
    if line is None:
        raise OrderRuleError(
            400, f"{where}: SKU {sku} cannot be added (unknown, inactive or without a price)"
        )
    item = item_document(dataclasses.replace(line, quantity=quantity), order["orderId"])
    order["items"].append(item)
    template = (
        copy.deepcopy(order["shippingData"]["logisticsInfo"][0])
        if order["shippingData"]["logisticsInfo"]
        else {}
    )
    if template:
        template["price"] = template["listPrice"] = template["sellingPrice"] = 0
        template["deliveryIds"] = [
            {
                **template["deliveryIds"][0],
                "warehouseId": line.warehouse_id,
                "dockId": line.dock_id,
                "quantity": quantity,
            }
        ]
        order["shippingData"]["logisticsInfo"].append(template)
    return item, quantity


def _compact(order: dict[str, Any]) -> None:
    """Drop lines whose quantity fell to zero and renumber ``itemIndex``."""
    keep = [i for i, item in enumerate(order["items"]) if int(item["quantity"]) > 0]
    logistics = order["shippingData"]["logisticsInfo"]
    order["items"] = [order["items"][i] for i in keep]
    order["shippingData"]["logisticsInfo"] = [logistics[i] for i in keep if i < len(logistics)]
    for n, li in enumerate(order["shippingData"]["logisticsInfo"]):
        li["itemIndex"] = n
        for delivery in li.get("deliveryIds") or []:
            delivery["quantity"] = int(order["items"][n]["quantity"])
        for sla in li.get("slas") or []:
            for delivery in sla.get("deliveryIds") or []:
                delivery["quantity"] = int(order["items"][n]["quantity"])


def _settings(raw: dict[str, Any]) -> dict[str, Any]:
    payment = raw.get("paymentConfiguration") if isinstance(raw.get("paymentConfiguration"), dict) else {}
    allowed = [s for s in (payment or {}).get("customPaymentSystemsAllowed") or [] if isinstance(s, str)]
    pipeline = raw.get("pipelineConfiguration") if isinstance(raw.get("pipelineConfiguration"), dict) else {}
    return {
        "customPaymentSystemsAllowed": allowed,
        "paymentConfiguration": {"customPaymentSystemsAllowed": allowed},
        "rolloutConfiguration": {"usingDefaultBehavior": True, "enableApi": True},
        "pipelineConfiguration": {
            name: bool((pipeline or {}).get(name, False))
            for name in (
                "enableTaxHubRecalculation",
                "compensateShippingChanges",
                "enablePromotionRecalculation",
                "enableNativeTaxRecalculation",
            )
        },
    }


def _check_changeable(order: dict[str, Any]) -> None:
    """409 unless the order's status accepts changes and no invoice was posted."""
    status = order.get("status") or ""
    if status not in CHANGEABLE:
        raise OrderRuleError(
            409,
            f"Order {order['orderId']} is {status or 'null'}; "
            f"it can be changed only in {', '.join(sorted(CHANGEABLE))}",
        )
    if is_partially_invoiced(order):
        raise OrderRuleError(409, f"Order {order['orderId']} has an invoice; it can no longer be changed")


def _replace(
    new: dict[str, Any],
    n: int,
    entry: dict[str, Any],
    resolve: SkuResolver,
    added: list[dict[str, Any]],
    removed: list[dict[str, Any]],
) -> tuple[dict[str, Any], int, int]:
    """Apply ``replace[n]`` to ``new``: (its record, manual discount, manual increment)."""
    manual_discount = manual_increment = 0
    from_items = []
    for k, raw in enumerate(entry["from"]["items"]):
        snapshot, quantity = _remove(new, raw, f"replace[{n}].from.items[{k}]")
        from_items.append(_from_item(snapshot, quantity))
        removed.append(_legacy(snapshot, quantity))
    to_items = []
    for k, raw in enumerate(entry["to"]["items"]):
        item, quantity = _add(new, raw, f"replace[{n}].to.items[{k}]", resolve)
        to_items.append(_to_item(item, quantity))
        added.append(_legacy(item, quantity))
        if isinstance(raw, dict):
            manual_discount += int(raw.get("manualDiscountValue") or 0)
            manual_increment += int(raw.get("manualIncrementValue") or 0)
    record = {
        "from": {
            "paymentData": {"transactions": []},
            "items": from_items,
            "shippingData": {"logisticsInfo": []},
        },
        "to": {
            "items": to_items,
            "paymentData": {"transactions": []},
            "receiptData": None,
            "shippingData": {"logisticsInfo": []},
        },
    }
    return record, manual_discount, manual_increment


def _compute(
    order: dict[str, Any],
    body: Any,
    now: datetime,
    account: str,
    resolve: SkuResolver,
    manual: tuple[int, int] = (0, 0),
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    _check_changeable(order)
    reason, replace, settings = _entries(body)
    new = copy.deepcopy(order)
    replaced: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    manual_discount, manual_increment = manual
    for n, entry in enumerate(replace):
        done, discount, increment = _replace(new, n, entry, resolve, added, removed)
        replaced.append(done)
        manual_discount += discount
        manual_increment += increment
    _compact(new)
    if not new["items"]:
        raise OrderRuleError(400, "A change cannot remove every item of the order; cancel it instead")
    old_totals = {t["id"]: int(t["value"]) for t in order.get("totals") or []}
    recompute_totals(new)
    if manual_discount or manual_increment:
        new["totals"].append(
            {"id": "ManualValues", "name": "Manual Values Total", "value": manual_increment - manual_discount}
        )
        new["value"] += manual_increment - manual_discount
    for transaction in (new.get("paymentData") or {}).get("transactions") or []:
        for payment in transaction.get("payments") or []:
            payment["value"] = payment["referenceValue"] = new["value"]
    record = {
        "reason": reason,
        "manualDiscountValue": manual_discount,
        "manualIncrementValue": manual_increment,
        "totalChangeValue": int(new["value"]) - int(order.get("value") or 0),
        "totals": [
            {"id": t["id"], "name": t["name"], "value": int(t["value"]) - old_totals.get(t["id"], 0)}
            for t in new["totals"]
        ],
        "add": None,
        "remove": None,
        "replace": replaced,
        "date": vtex_time(now),
        "origin": {"account": account, "orderId": order["orderId"], "component": "oms"},
        "settings": _settings(settings),
    }
    return new, record, added, removed


def preview_change(
    order: dict[str, Any], body: Any, now: datetime, *, account: str, resolve: SkuResolver
) -> dict[str, Any]:
    """``POST .../changes/preview``: what the change would do; the order is not touched."""
    _new, record, _added, _removed = _compute(order, body, now, account, resolve)
    return record


def apply_change(
    order: dict[str, Any],
    body: Any,
    now: datetime,
    *,
    account: str,
    request_id: str,
    workflow_id: str,
    receipt: str,
    resolve: SkuResolver,
    manual: tuple[int, int] = (0, 0),
) -> ChangeOutcome:
    """``PATCH .../changes``: the changed order (a new document) and the stored change record.

    ``manual`` is a (discount, increment) in cents applied besides the items' (the legacy route's
    ``discountValue`` / ``incrementValue``).
    """
    new, record, added, removed = _compute(order, body, now, account, resolve, manual)
    record = {
        "requestId": request_id,
        "workflowId": workflow_id,
        "status": "done",
        "inProgress": False,
        **record,
    }
    attachment = new.get("changesAttachment") or {"id": "changeAttachment", "changesData": []}
    attachment["changesData"].append(
        {
            "reason": record["reason"],
            "discountValue": max(0, -record["totalChangeValue"]),
            "incrementValue": max(0, record["totalChangeValue"]),
            "itemsAdded": added,
            "itemsRemoved": removed,
            "receipt": {"date": record["date"], "orderId": new["orderId"], "receipt": receipt},
        }
    )
    new["changesAttachment"] = attachment
    event = change_event(new, now)
    return ChangeOutcome(order=new, record=record, event=event)


@dataclass(frozen=True, slots=True)
class LegacyChange:
    """A validated ``POST /api/oms/pvt/orders/{orderId}/changes`` body, in the v2 terms."""

    request_id: str
    body: dict[str, Any]  # the equivalent v2 change request (one ``replace`` entry)
    prices: dict[str, int]  # unit price (cents) of each added SKU, as the caller gave it
    manual: tuple[int, int]  # (discountValue, incrementValue)


def _legacy_items(raw: Any, where: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise OrderRuleError(400, f"{where} must be a list of {{id, price, quantity}}")
    out = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise OrderRuleError(400, f"{where}[{n}] must be an object")
        if item.get("id") in (None, ""):
            raise OrderRuleError(400, f"Invalid id for item: {where}[{n}].id is empty")
        out.append(
            {
                "id": _sku(item.get("id"), f"{where}[{n}].id"),
                "price": _int(item.get("price"), f"{where}[{n}].price", minimum=0),
                "quantity": _int(item.get("quantity"), f"{where}[{n}].quantity", minimum=1),
            }
        )
    return out


def legacy_change(body: Any, *, max_request_id: int = 100) -> LegacyChange:
    """Validate a legacy change body (VTEX's "Errors in Change v1") and translate it to a v2 request."""
    if not isinstance(body, dict):
        raise OrderRuleError(400, "The change must be a JSON object")
    request_id = body.get("requestId")
    if not isinstance(request_id, str) or not request_id.strip() or len(request_id) > max_request_id:
        raise OrderRuleError(400, f"requestId is required (a string of at most {max_request_id} characters)")
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise OrderRuleError(400, "Field reason not set")
    values = []
    for name in ("discountValue", "incrementValue"):
        value = body.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise OrderRuleError(400, f"{name} must be an integer (cents)")
        if value < 0:
            raise OrderRuleError(400, "The modification value needs to be greater or equal than zero")
        values.append(value)
    removed = _legacy_items(body.get("itemsRemoved"), "itemsRemoved")
    added = _legacy_items(body.get("itemsAdded"), "itemsAdded")
    if not removed and not added and values[0] == values[1]:
        raise OrderRuleError(400, "Invalid modification for order: nothing is added, removed or valued")
    v2 = {
        "reason": reason,
        "replace": [
            {
                "from": {"items": [{"id": i["id"], "quantity": i["quantity"]} for i in removed]},
                "to": {"items": [{"id": i["id"], "quantity": i["quantity"]} for i in added]},
            }
        ],
    }
    return LegacyChange(request_id, v2, {i["id"]: i["price"] for i in added}, (values[0], values[1]))
