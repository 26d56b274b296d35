"""The order document the ERP receives: a stable, documented projection of VTEX's order.

VTEX's ``GET /api/oms/pvt/orders/{orderId}`` answer is large, nested and changes without notice;
the ERP gets this smaller document instead (schema ``vtexbridge.order/1``, described field by field
in ``docs/orders.md``). Money comes twice: integer cents (``totalCents``, VTEX's own unit) and a
decimal string with two digits (``total``: ``"199.80"``), so no ERP has to divide by 100 or trust
a float.

The document is a pure function of the order and the delivered status, with no timestamp of its
own, so building it twice from the same order gives the same bytes (:func:`render`): a sink can
tell a redelivery of an identical document from a new one (the sinks serialise it with
:func:`vtexbridge.erp.sinks.render_json`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["SCHEMA", "build_document", "cents_to_decimal", "delivery_key"]

SCHEMA = "vtexbridge.order/1"


def delivery_key(order_id: str, status: str) -> str:
    """The identity of one delivery: an order in one status (what the ERP deduplicates on)."""
    return f"{order_id}:{status}"


def cents_to_decimal(cents: int | None) -> str | None:
    """``19990`` -> ``"199.90"``; ``-500`` -> ``"-5.00"``; ``None`` stays ``None``."""
    if cents is None:
        return None
    return str((Decimal(int(cents)) / 100).quantize(Decimal("0.01")))


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _money(name: str, cents: int | None) -> dict[str, Any]:
    return {f"{name}Cents": cents, name: cents_to_decimal(cents)}


def _totals(order: Mapping[str, Any]) -> dict[str, Any]:
    by_id = {
        str(t.get("id")): _int(t.get("value")) for t in _list(order.get("totals")) if isinstance(t, Mapping)
    }
    out: dict[str, Any] = {}
    for vtex_id, name in (
        ("Items", "items"),
        ("Discounts", "discounts"),
        ("Shipping", "shipping"),
        ("Tax", "tax"),
    ):
        out.update(_money(name, by_id.get(vtex_id, 0)))
    out.update(_money("total", _int(order.get("value"))))
    return out


def _item(line: int, item: Mapping[str, Any]) -> dict[str, Any]:
    quantity = _int(item.get("quantity")) or 0
    price = _int(item.get("price"))
    selling = _int(item.get("sellingPrice"))
    unit = selling if selling is not None else price
    total = _int(_map(item.get("priceDefinitions")).get("total"))
    if total is None and unit is not None:
        total = unit * quantity
    return {
        "line": line,
        "skuId": _str(item.get("id")),
        "refId": _str(item.get("refId")),
        "ean": _str(item.get("ean")),
        "productId": _str(item.get("productId")),
        "name": _str(item.get("name")),
        "quantity": quantity,
        "measurementUnit": _str(item.get("measurementUnit")),
        "unitMultiplier": item.get("unitMultiplier"),
        "seller": _str(item.get("seller")),
        **_money("listPrice", _int(item.get("listPrice"))),
        **_money("price", price),
        **_money("sellingPrice", selling),
        **_money("total", total),
    }


def _customer(order: Mapping[str, Any]) -> dict[str, Any]:
    p = _map(order.get("clientProfileData"))
    keys = (
        "email",
        "firstName",
        "lastName",
        "documentType",
        "document",
        "phone",
        "isCorporate",
        "corporateName",
        "corporateDocument",
        "userProfileId",
    )
    return {k: p.get(k) for k in keys}


def _address(order: Mapping[str, Any]) -> dict[str, Any] | None:
    a = _map(_map(order.get("shippingData")).get("address"))
    if not a:
        return None
    keys = (
        "addressType",
        "receiverName",
        "street",
        "number",
        "complement",
        "neighborhood",
        "city",
        "state",
        "postalCode",
        "country",
        "reference",
    )
    return {k: a.get(k) for k in keys}


def _shipping(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for li in _list(_map(order.get("shippingData")).get("logisticsInfo")):
        if not isinstance(li, Mapping):
            continue
        ids = [d for d in _list(li.get("deliveryIds")) if isinstance(d, Mapping)]
        out.append(
            {
                "itemIndex": _int(li.get("itemIndex")),
                "sla": _str(li.get("selectedSla")),
                "deliveryChannel": _str(li.get("selectedDeliveryChannel") or li.get("deliveryChannel")),
                **_money("price", _int(li.get("price"))),
                "shippingEstimate": _str(li.get("shippingEstimate")),
                "shippingEstimateDate": _str(li.get("shippingEstimateDate")),
                "courier": _str(ids[0].get("courierName")) if ids else _str(li.get("deliveryCompany")),
                "warehouseId": _str(ids[0].get("warehouseId")) if ids else None,
            }
        )
    return out


def _payments(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in _list(_map(order.get("paymentData")).get("transactions")):
        if not isinstance(t, Mapping):
            continue
        for p in _list(t.get("payments")):
            if not isinstance(p, Mapping):
                continue
            out.append(
                {
                    "method": _str(p.get("paymentSystemName")),
                    "group": _str(p.get("group")),
                    **_money("value", _int(p.get("value"))),
                    "installments": _int(p.get("installments")),
                    "transactionId": _str(t.get("transactionId")),
                }
            )
    return out


def _invoices(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for p in _list(_map(order.get("packageAttachment")).get("packages")):
        if not isinstance(p, Mapping):
            continue
        out.append(
            {
                "number": _str(p.get("invoiceNumber")),
                "type": _str(p.get("type")),
                **_money("value", _int(p.get("invoiceValue"))),
                "issuanceDate": _str(p.get("issuanceDate")),
                "key": _str(p.get("invoiceKey")),
                "url": _str(p.get("invoiceUrl")),
                "courier": _str(p.get("courier")),
                "trackingNumber": _str(p.get("trackingNumber")),
                "trackingUrl": _str(p.get("trackingUrl")),
            }
        )
    return out


def build_document(order: Mapping[str, Any], *, status: str, account: str) -> dict[str, Any]:
    """The ERP document of ``order`` (the JSON of Get Order) delivered in ``status``.

    ``status`` is what the pipeline delivers: the order's real status when it was read, which may
    be later than the event that announced it (see docs/orders.md, "what is delivered").
    """
    order_id = str(order.get("orderId"))
    prefs = _map(order.get("storePreferencesData"))
    return {
        "schema": SCHEMA,
        "key": delivery_key(order_id, status),
        "account": account,
        "orderId": order_id,
        "status": status,
        "statusDescription": _str(order.get("statusDescription")),
        "sequence": _str(order.get("sequence")),
        "orderGroup": _str(order.get("orderGroup")),
        "marketplaceOrderId": _str(order.get("marketplaceOrderId")) or None,
        "sellerOrderId": _str(order.get("sellerOrderId")),
        "salesChannel": _str(order.get("salesChannel")),
        "origin": _str(order.get("origin")),
        "affiliateId": _str(order.get("affiliateId")) or None,
        "creationDate": _str(order.get("creationDate")),
        "lastChange": _str(order.get("lastChange")),
        "authorizedDate": _str(order.get("authorizedDate")),
        "invoicedDate": _str(order.get("invoicedDate")),
        "cancelReason": _str(order.get("cancelReason")),
        "currency": _str(prefs.get("currencyCode")),
        "totals": _totals(order),
        "items": [_item(n, i) for n, i in enumerate(_list(order.get("items"))) if isinstance(i, Mapping)],
        "customer": _customer(order),
        "shippingAddress": _address(order),
        "shipping": _shipping(order),
        "payments": _payments(order),
        "invoices": _invoices(order),
    }
