"""The ``GET /api/oms/pvt/orders`` list shapes: one summary per order and the list's ``stats``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["list_stats", "summarize"]


def summarize(order: Mapping[str, Any]) -> dict[str, Any]:
    """One entry of ``GET /api/oms/pvt/orders``'s ``list`` (no items, as VTEX answers)."""
    profile = order.get("clientProfileData") or {}
    payments = [
        p.get("paymentSystemName") or ""
        for t in (order.get("paymentData") or {}).get("transactions") or []
        for p in t.get("payments") or []
    ]
    estimates = [
        li.get("shippingEstimateDate") for li in (order.get("shippingData") or {}).get("logisticsInfo") or []
    ]
    estimates = [e for e in estimates if e]
    return {
        "orderId": order["orderId"],
        "creationDate": order["creationDate"],
        "clientName": f"{profile.get('firstName', '')} {profile.get('lastName', '')}".strip(),
        "items": None,
        "totalValue": int(order.get("value") or 0),
        "paymentNames": ", ".join(sorted(set(payments))),
        "status": order.get("status") or "",
        "statusDescription": order.get("statusDescription") or "",
        "marketPlaceOrderId": order.get("marketplaceOrderId") or None,
        "sequence": order.get("sequence") or "",
        "salesChannel": order.get("salesChannel") or "",
        "affiliateId": order.get("affiliateId") or "",
        "origin": order.get("origin") or "",
        "workflowInErrorState": bool(order.get("workflowIsInError")),
        "workflowInRetry": False,
        "lastMessageUnread": None,
        "ShippingEstimatedDate": max(estimates) if estimates else None,
        "ShippingEstimatedDateMax": max(estimates) if estimates else None,
        "ShippingEstimatedDateMin": min(estimates) if estimates else None,
        "orderIsComplete": bool(order.get("isCompleted")),
        "listId": None,
        "listType": None,
        "authorizedDate": order.get("authorizedDate"),
        "callCenterOperatorName": None,
        "totalItems": sum(int(i.get("quantity") or 0) for i in order.get("items") or []),
        "currencyCode": (order.get("storePreferencesData") or {}).get("currencyCode") or "BRL",
    }


def _stat(values: list[int], facets: dict[str, Any] | None, *, whole: bool = False) -> dict[str, Any]:
    """Summary statistics; ``whole`` rounds Mean/StdDev, which the spec types as integers per facet."""
    count = len(values)
    total = sum(values)
    mean = total / count if count else 0.0
    squares = sum(v * v for v in values)
    variance = squares / count - mean * mean if count else 0.0
    std_dev = math.sqrt(max(variance, 0.0))
    return {
        "Count": count,
        "Max": max(values) if values else 0,
        "Mean": round(mean) if whole else float(mean),
        "Min": min(values) if values else 0,
        "Missing": 0,
        "StdDev": round(std_dev) if whole else std_dev,
        "Sum": total,
        "SumOfSquares": squares,
        "Facets": facets,
    }


def _faceted(summaries: list[dict[str, Any]], key: str) -> dict[str, Any]:
    def by(field_name: str, groups: Iterable[str]) -> dict[str, Any]:
        return {g: _stat([s[key] for s in summaries if s[field_name] == g], None, whole=True) for g in groups}

    origins = {"Fulfillment", "Marketplace"} | {s["origin"] for s in summaries if s["origin"]}
    currencies = {"BRL"} | {s["currencyCode"] for s in summaries}
    return _stat(
        [s[key] for s in summaries],
        {"origin": by("origin", sorted(origins)), "currencyCode": by("currencyCode", sorted(currencies))},
    )


def list_stats(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The list's ``stats``: value and item counts, faceted by origin and currency, over every match."""
    return {
        "stats": {
            "totalValue": _faceted(summaries, "totalValue"),
            "totalItems": _faceted(summaries, "totalItems"),
        }
    }
