"""The ERP's action format: what an invoice, a tracking update, a cancellation or an order change
looks like on the way in (JSON object, CSV rows or REST body), checked and normalised for the outbox.

Pure functions, no I/O. The ERP writes money as decimals in the order's currency (``"199.80"``);
:func:`to_cents` turns them into VTEX's integer cents and refuses anything that would lose a digit
(``"19.999"``). ``...Cents`` fields (``invoiceValueCents``, ``priceCents``) take integer cents
directly. Every problem is a :class:`~vtexbridge.errors.RecordInvalid` naming the source (file and
row), the order and the field. The full format is in ``docs/orders.md``.

Each action gets a **dedup key** (``invoice:<number>`` for invoices: one invoice number is posted
once per account; a hash of the content for the others), so reading the same file twice, or a
retried REST call, queues nothing new.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from vtexbridge.erp.numbers import NumberError, parse_decimal
from vtexbridge.errors import RecordInvalid, RecordRef
from vtexbridge.state import ActionKind
from vtexbridge.vtex.models.orders import OrderChange

__all__ = [
    "KINDS",
    "MAX_CENTS",
    "MAX_DEPTH",
    "MAX_QUANTITY",
    "ActionRequest",
    "Problems",
    "dedup_key",
    "depth_problem",
    "parse_action",
    "to_cents",
]

KINDS = tuple(k.value for k in ActionKind)
MAX_CENTS = 10**13 - 1
"""The largest amount accepted, in cents (99,999,999,999.99): anything larger is a mistake."""
MAX_QUANTITY = 1_000_000
"""The largest quantity of one invoice line."""
MAX_DEPTH = 32
"""The deepest nesting of objects and lists an action may have."""
_MAX_DIGITS = 20  # an integer written with more digits is refused before it is converted


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """A checked action, ready for ``StateStore.actions.enqueue``."""

    kind: ActionKind
    order_id: str
    payload: dict[str, Any]
    dedup_key: str
    source_ref: str | None
    ref: RecordRef

    @property
    def label(self) -> str:
        detail = self.payload.get("invoiceNumber") or self.payload.get("reason") or ""
        return f"{self.kind.value} {self.order_id}" + (f" {detail}" if detail else "")


class Problems(Exception):
    """Every problem found in one action (or one file): a list of :class:`RecordInvalid`."""

    def __init__(self, problems: Sequence[RecordInvalid]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.user_message for p in self.problems))

    def as_json(self) -> list[dict[str, Any]]:
        return [
            {
                "source": p.record.source if p.record else None,
                "row": p.record.row if p.record else None,
                "orderId": p.record.key if p.record else None,
                "field": p.field,
                "message": p.message,
            }
            for p in self.problems
        ]


class _Checker:
    """Collects problems while reading one action."""

    def __init__(self, ref: RecordRef) -> None:
        self.ref = ref
        self.problems: list[RecordInvalid] = []

    def fail(self, field: str | None, message: str) -> None:
        self.problems.append(RecordInvalid(message, record=self.ref, field=field))

    def text(
        self, raw: Mapping[str, Any], name: str, *, required: bool = False, max_len: int = 1000
    ) -> str | None:
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "is required")
            return None
        if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(name, f"must be a string, got {type(value).__name__}")
            return None
        value = value.strip()
        if len(value) > max_len:
            self.fail(name, f"is longer than {max_len} characters")
            return None
        return value

    def cents(
        self, raw: Mapping[str, Any], name: str, *, required: bool = False, positive: bool = False
    ) -> int | None:
        """``name`` (a decimal) or ``nameCents`` (integer cents), as integer cents."""
        cents_name = f"{name}Cents"
        if raw.get(cents_name) not in (None, ""):
            value = _whole(raw[cents_name])
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.fail(cents_name, f"must be a non-negative integer amount in cents, got {_show(value)}")
                return None
            if value > MAX_CENTS:
                self.fail(cents_name, f"is too large (at most {MAX_CENTS} cents), got {_show(value)}")
                return None
            result: int | None = value
        elif raw.get(name) not in (None, ""):
            try:
                result = to_cents(raw[name])
            except ValueError as e:
                self.fail(name, str(e))
                return None
        else:
            if required:
                self.fail(name, "is required (a decimal amount, e.g. 199.90)")
            return None
        if positive and result is not None and result <= 0:
            self.fail(name, "must be greater than 0")
            return None
        return result

    def moment(self, raw: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
        """An ISO 8601 date or date-time, returned as an ISO date-time in UTC."""
        value = self.text(raw, name, required=required)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.fail(name, f"must be an ISO 8601 date (2024-05-01 or 2024-05-01T10:00:00Z), got {value!r}")
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).isoformat()

    def integer(
        self, raw: Mapping[str, Any], name: str, *, minimum: int = 1, maximum: int = MAX_QUANTITY
    ) -> int | None:
        value = _whole(raw.get(name))
        if isinstance(value, float) and value.is_integer() and abs(value) <= maximum:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(name, f"must be an integer, got {_show(value)}")
            return None
        if value < minimum:
            self.fail(name, f"must be at least {minimum}, got {_show(value)}")
            return None
        if value > maximum:
            self.fail(name, f"must be at most {maximum}, got {_show(value)}")
            return None
        return value

    def boolean(self, raw: Mapping[str, Any], name: str) -> bool | None:
        value = raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.strip().lower() in ("true", "1", "yes")
        self.fail(name, f"must be true or false, got {value!r}")
        return None


def _show(value: Any) -> str:
    """A value for a message, cut short (a 5,000-digit number is not repeated back)."""
    text = (
        repr(value)
        if not isinstance(value, int)
        else f"{value:.3e}"
        if value > 10**_MAX_DIGITS
        else str(value)
    )
    return text if len(text) <= 40 else f"{text[:37]}..."


def _whole(value: Any) -> Any:
    """An integer written as text or as an integral decimal, as an ``int`` (other values unchanged).

    Text of more than ``_MAX_DIGITS`` digits and decimals beyond that size stay as they are (and
    are refused by the caller): they are never converted, however long they are."""
    if isinstance(value, str):
        text = value.strip()
        digits = text.lstrip("-")
        if digits.isdigit() and len(digits) <= _MAX_DIGITS:
            return int(text)
        try:
            value = parse_decimal(text)  # as the ERP reader reads a whole number: "2.0", "1.000,00"
        except NumberError:
            return value
    finite = isinstance(value, Decimal) and value.is_finite() and value.adjusted() < _MAX_DIGITS
    if finite and value == value.to_integral_value():
        return int(value)
    return value


def depth_problem(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """A message when ``data`` nests objects/lists deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping | list):
            if depth > limit:
                return f"is nested deeper than {limit} levels"
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children)
    return None


def to_cents(value: Any) -> int:
    """A decimal amount (``"199.9"``, ``199.90``, ``Decimal("5")``) as integer cents (``19990``).

    Raises:
        ValueError: not a number, negative, or with a fraction finer than cents.
    """
    if isinstance(value, bool):
        raise ValueError(f"must be a decimal amount, got {value!r}")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, str):
        try:
            value = parse_decimal(value)  # the ERP reader's parser: 19,90 and 1.234,50 read the same
        except NumberError as e:
            raise ValueError(f"must be a decimal amount (e.g. 199.90): {e.message}") from None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"must be a decimal amount (e.g. 199.90), got {_show(value)}")
    if value < 0:
        raise ValueError(f"must not be negative, got {_show(value)}")
    if value.adjusted() >= _MAX_DIGITS or value * 100 > MAX_CENTS:
        raise ValueError(f"is too large (at most {Decimal(MAX_CENTS) / 100}), got {_show(value)}")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has more than two decimal places")
    return int(cents)


def _digest(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def dedup_key(kind: ActionKind, order_id: str, payload: Mapping[str, Any]) -> str:
    """``invoice:<number>`` (one number is posted once per account), ``cancel:<order>``, and a
    content hash for tracking updates and changes (or the change's ``requestId``)."""
    if kind is ActionKind.INVOICE:
        return f"invoice:{payload['invoiceNumber']}"
    if kind is ActionKind.CANCEL:
        return f"cancel:{order_id}"
    if kind is ActionKind.CHANGE and payload.get("requestId"):
        return f"change:{order_id}:{payload['requestId']}"
    return f"{kind.value}:{order_id}:{_digest(payload)}"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _invoice(c: _Checker, raw: Mapping[str, Any]) -> dict[str, Any]:
    kind = c.text(raw, "invoiceType") or c.text(raw, "kind") or "Output"
    if kind not in ("Output", "Input"):
        c.fail("invoiceType", f"must be Output (a sale) or Input (a return), got {kind!r}")
    items_raw = raw.get("items")
    items: list[dict[str, Any]] | None = None
    if items_raw not in (None, []):
        if not isinstance(items_raw, list):
            c.fail("items", "must be a list of {id, price, quantity}")
        else:
            items = []
            for n, item in enumerate(items_raw):
                if not isinstance(item, Mapping):
                    c.fail(f"items[{n}]", "must be an object {id, price, quantity}")
                    continue
                sku = c.text(item, "id") or c.text(item, "skuId")
                if sku is None:
                    c.fail(f"items[{n}].id", "is required (the VTEX SKU id)")
                price = c.cents(item, "price", required=True)
                quantity = c.integer(item, "quantity")
                if sku is not None and price is not None and quantity is not None:
                    items.append(
                        _drop_none(
                            {
                                "id": sku,
                                "price": price,
                                "quantity": quantity,
                                "description": c.text(item, "description"),
                            }
                        )
                    )
    value = c.cents(raw, "invoiceValue", required=items is not None, positive=True)
    return _drop_none(
        {
            "invoiceNumber": c.text(raw, "invoiceNumber", required=True, max_len=100),
            "type": kind,
            "issuanceDate": c.moment(raw, "issuanceDate", required=True),
            "invoiceValue": value,
            "items": items,
            "invoiceKey": c.text(raw, "invoiceKey"),
            "invoiceUrl": c.text(raw, "invoiceUrl"),
            "embeddedInvoice": c.text(raw, "embeddedInvoice", max_len=2_000_000),
            "courier": c.text(raw, "courier"),
            "trackingNumber": c.text(raw, "trackingNumber"),
            "trackingUrl": c.text(raw, "trackingUrl"),
            "dispatchedDate": c.moment(raw, "dispatchedDate"),
        }
    )


def _tracking(c: _Checker, raw: Mapping[str, Any]) -> dict[str, Any]:
    events_raw = raw.get("events")
    events: list[dict[str, Any]] = []
    if events_raw not in (None, []):
        if not isinstance(events_raw, list):
            c.fail("events", "must be a list of {city, state, description, date}")
        else:
            for n, ev in enumerate(events_raw):
                if not isinstance(ev, Mapping):
                    c.fail(f"events[{n}]", "must be an object {city, state, description, date}")
                    continue
                sub = _Checker(c.ref)
                city, state = sub.text(ev, "city", required=True), sub.text(ev, "state", required=True)
                desc, when = sub.text(ev, "description", required=True), sub.moment(ev, "date", required=True)
                for p in sub.problems:
                    c.fail(f"events[{n}].{p.field}", p.message)
                if not sub.problems:
                    events.append({"city": city, "state": state, "description": desc, "date": when})
    payload = _drop_none(
        {
            "invoiceNumber": c.text(raw, "invoiceNumber", required=True, max_len=100),
            "trackingNumber": c.text(raw, "trackingNumber"),
            "trackingUrl": c.text(raw, "trackingUrl"),
            "courier": c.text(raw, "courier"),
            "dispatchedDate": c.moment(raw, "dispatchedDate"),
            "isDelivered": c.boolean(raw, "isDelivered"),
            "deliveredDate": c.moment(raw, "deliveredDate"),
        }
    )
    if events:
        payload["events"] = events
    if "trackingNumber" not in payload and not events and "isDelivered" not in payload:
        c.fail("trackingNumber", "a tracking update needs a trackingNumber, events or isDelivered")
    return payload


def _cancel(c: _Checker, raw: Mapping[str, Any]) -> dict[str, Any]:
    return _drop_none({"reason": c.text(raw, "reason", max_len=500)})


def _money_tree(c: _Checker, node: Any, path: str, names: frozenset[str]) -> Any:
    """A copy of a change body with its decimal amounts (``price``, ``manual...Value``) in cents;
    ``...Cents`` keys are taken as integer cents."""
    if isinstance(node, list):
        return [_money_tree(c, v, f"{path}[{i}]", names) for i, v in enumerate(node)]
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            base = key[: -len("Cents")] if key.endswith("Cents") else None
            if base in names:
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CENTS:
                    c.fail(here, f"must be an integer amount in cents (0 to {MAX_CENTS}), got {_show(value)}")
                else:
                    out[str(base)] = value
            elif key in names and value is not None:
                try:
                    out[key] = to_cents(value)
                except ValueError as e:
                    c.fail(here, str(e))
            else:
                out[key] = _money_tree(c, value, here, names)
        return out
    if isinstance(node, Decimal):
        whole = _whole(node)
        return whole if isinstance(whole, int) else float(node)
    return node


_CHANGE_MONEY = frozenset({"price", "manualDiscountValue", "manualIncrementValue"})


def _change(c: _Checker, raw: Mapping[str, Any]) -> dict[str, Any]:
    body = {k: raw[k] for k in ("reason", "replace", "settings") if k in raw}
    converted = _money_tree(c, body, "", _CHANGE_MONEY)
    if c.problems:
        return {}
    try:
        model = OrderChange.model_validate(converted)
    except ValidationError as e:
        for err in e.errors():
            c.fail(".".join(str(p) for p in err["loc"]) or None, err["msg"])
        return {}
    payload = model.body()
    request_id = c.text(raw, "requestId", max_len=100)
    if request_id:
        payload["requestId"] = request_id
    return payload


_PARSERS: dict[ActionKind, Callable[[_Checker, Mapping[str, Any]], dict[str, Any]]] = {
    ActionKind.INVOICE: _invoice,
    ActionKind.TRACKING: _tracking,
    ActionKind.CANCEL: _cancel,
    ActionKind.CHANGE: _change,
}


def parse_action(
    raw: Any, *, kind: str | None = None, source: str | None = None, row: int | None = None
) -> ActionRequest:
    """Check and normalise one action.

    Args:
        raw: the action object (``{"type": "invoice", "orderId": ..., ...}``).
        kind: the action type when the caller knows it (a REST route); ``raw["type"]`` otherwise.
        source: where it came from (a file name, ``api``, ``sql:<table>``); row: its row or index.

    Raises:
        Problems: every problem found, each naming source, row, order and field.
    """
    ref = RecordRef("action", None, source, row)
    if not isinstance(raw, Mapping):
        raise Problems([RecordInvalid("an action must be a JSON object", record=ref)])
    if (too_deep := depth_problem(raw)) is not None:
        raise Problems([RecordInvalid(f"the action {too_deep}", record=ref)])
    order_id = raw.get("orderId")
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        order_id = str(order_id)
    order_id = order_id.strip() if isinstance(order_id, str) else None
    ref = RecordRef("action", order_id, source, row)
    c = _Checker(ref)
    if not order_id:
        c.fail("orderId", "is required")
    declared = kind or raw.get("type")
    if declared not in KINDS:
        c.fail("type", f"must be one of {', '.join(KINDS)}, got {declared!r}")
        raise Problems(c.problems)
    action_kind = ActionKind(str(declared))
    payload = _PARSERS[action_kind](c, raw)
    if c.problems:
        raise Problems(c.problems)
    assert order_id is not None
    where = source if row is None or source is None else f"{source}:{row}"
    return ActionRequest(
        action_kind, order_id, payload, dedup_key(action_kind, order_id, payload), where, ref
    )
