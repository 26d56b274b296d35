"""Pricing rules: base/cost/markup arithmetic, fixed-price validation and merging, computed prices.

Money is decimal currency (``100.5``, not cents), computed with :class:`~decimal.Decimal`; derived
amounts are rounded half-up to cents. ``markup`` is an integer percentage (``30`` = +30 %).

PUT ``/pricing/prices/{itemId}`` (``OAS:Pricing``): VTEX wants exactly two of ``basePrice``,
``costPrice``, ``markup``; all three answer 400. The sandbox also accepts ``basePrice`` or ``costPrice``
alone (markup 0, the other equal), which VTEX tolerates in practice; ``markup`` alone or none of the
three answer 400. ``listPrice`` defaults to ``basePrice``. Fixed prices are keyed by
``tradePolicyId`` + ``minQuantity`` + ``dateRange``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from vtexbridge.sandbox.rules import RuleError

CENT = Decimal("0.01")
FixedKey = tuple[str, int, str | None, str | None]


def decimal_of(value: Any, name: str, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    """A JSON number as a Decimal; 400 for anything else (or below ``minimum``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RuleError(400, f"{name} must be a number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RuleError(400, f"{name} must be a number.") from None
    if not number.is_finite():
        raise RuleError(400, f"{name} must be a finite number.")
    if minimum is not None and number < minimum:
        raise RuleError(400, f"{name} must be at least {minimum}.")
    return number


def money(value: Decimal) -> int | float:
    """A Decimal amount as JSON: an int when whole, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def base_prices(body: Mapping[str, Any]) -> dict[str, Any]:
    """``{listPrice, costPrice, markup, basePrice}`` from a PUT body, derived as VTEX does."""
    given = [k for k in ("basePrice", "costPrice", "markup") if body.get(k) is not None]
    if len(given) == 3:
        raise RuleError(400, "Send only two of basePrice, costPrice and markup; the third is derived.")
    if not given or given == ["markup"]:
        raise RuleError(
            400, "Send two of basePrice, costPrice and markup (or at least basePrice or costPrice)."
        )
    markup = _markup(body["markup"]) if "markup" in given else None
    base = decimal_of(body["basePrice"], "basePrice") if "basePrice" in given else None
    cost = decimal_of(body["costPrice"], "costPrice") if "costPrice" in given else None
    if base is not None and cost is not None:
        markup = int(((base / cost - 1) * 100).to_integral_value(ROUND_HALF_UP)) if cost else 0
    elif cost is not None:
        markup = markup or 0
        base = cents(cost * (1 + Decimal(markup) / 100))
    elif base is not None:
        markup = markup or 0
        cost = cents(base / (1 + Decimal(markup) / 100))
    assert base is not None and cost is not None and markup is not None
    list_price = body.get("listPrice")
    listed = decimal_of(list_price, "listPrice") if list_price is not None else base
    return {"listPrice": money(listed), "costPrice": money(cost), "markup": markup, "basePrice": money(base)}


def _markup(value: Any) -> int:
    number = decimal_of(value, "markup", minimum=Decimal(-99))
    if number != number.to_integral_value():
        raise RuleError(400, "markup must be an integer percentage.")
    return int(number)


def _parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise RuleError(400, f"{name} must be an RFC 3339 date-time.")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RuleError(400, f"{name} must be an RFC 3339 date-time, got {value!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fixed_price(raw: Any, *, table: str | None = None) -> dict[str, Any]:
    """One validated fixed price (``tradePolicyId`` taken from ``table`` when given)."""
    if not isinstance(raw, dict):
        raise RuleError(400, "Each fixed price must be a JSON object.")
    policy = table if table is not None else raw.get("tradePolicyId")
    if isinstance(policy, int) and not isinstance(policy, bool):
        policy = str(policy)
    if not isinstance(policy, str) or not policy:
        raise RuleError(400, "tradePolicyId is required in each fixed price.")
    if raw.get("value") is None:
        raise RuleError(400, "value is required in each fixed price.")
    value = decimal_of(raw["value"], "value")
    min_quantity = raw.get("minQuantity")
    if isinstance(min_quantity, bool) or not isinstance(min_quantity, int) or min_quantity < 1:
        raise RuleError(
            400, "minQuantity is required in each fixed price and must be an integer of at least 1."
        )
    out: dict[str, Any] = {"tradePolicyId": policy, "value": money(value)}
    list_price = raw.get("listPrice")
    out["listPrice"] = money(decimal_of(list_price, "listPrice")) if list_price is not None else None
    out["minQuantity"] = min_quantity
    date_range = raw.get("dateRange")
    if date_range is not None:
        if not isinstance(date_range, dict) or "from" not in date_range or "to" not in date_range:
            raise RuleError(400, "dateRange needs both from and to.")
        start = _parse_time(date_range["from"], "dateRange.from")
        end = _parse_time(date_range["to"], "dateRange.to")
        if end < start:  # from == to is valid (the spec's own examples use it): a one-instant range
            raise RuleError(400, "dateRange.to must not be before dateRange.from.")
        out["dateRange"] = {"from": date_range["from"], "to": date_range["to"]}
    return out


def fixed_prices(raw: Any, *, table: str | None = None) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise RuleError(400, "Fixed prices must be a JSON list.")
    return [fixed_price(item, table=table) for item in raw]


def fixed_key(item: Mapping[str, Any]) -> FixedKey:
    date_range = item.get("dateRange") or {}
    return (
        str(item["tradePolicyId"]),
        int(item["minQuantity"]),
        date_range.get("from"),
        date_range.get("to"),
    )


def merge_fixed(current: Iterable[dict[str, Any]], updates: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """PATCH semantics: upsert by trade policy + minQuantity + dateRange, keep the others."""
    merged = {fixed_key(item): item for item in current}
    for item in updates:
        merged[fixed_key(item)] = item
    return list(merged.values())


def computed_price(price: Mapping[str, Any], table: str, *, quantity: int, now: datetime) -> dict[str, Any]:
    """``GET /pricing/prices/{itemId}/computed/{priceTableId}``: the fixed price that applies, else base."""
    applicable = []
    for item in price.get("fixedPrices", []):
        if str(item["tradePolicyId"]) != table or int(item["minQuantity"]) > quantity:
            continue
        date_range = item.get("dateRange")
        if date_range:
            start = _parse_time(date_range["from"], "from")
            end = _parse_time(date_range["to"], "to")
            if not start <= now <= end:  # both ends included
                continue
        applicable.append(item)
    valid_until = (now + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if applicable:
        # The most specific wins: highest minQuantity, then a dated price over an undated one.
        best = max(applicable, key=lambda i: (int(i["minQuantity"]), bool(i.get("dateRange"))))
        if best.get("dateRange"):
            valid_until = best["dateRange"]["to"]
        selling = best["value"]
        listed = best.get("listPrice") if best.get("listPrice") is not None else price["listPrice"]
    else:
        selling = price["basePrice"]
        listed = price["listPrice"]
    return {
        "tradePolicyId": table,
        "listPrice": listed,
        "costPrice": price["costPrice"],
        "sellingPrice": selling,
        "priceValidUntil": valid_until,
        "priceTable": table,
    }
