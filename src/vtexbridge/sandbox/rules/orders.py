"""The OMS order state machine: statuses, transitions, handling, invoices, tracking and cancellation.

Pure functions over an order document (the shape of ``GET /api/oms/pvt/orders/{orderId}``): each
mutates the document it is given and returns the :class:`OrderEvent` values it caused; the caller
writes the document back and publishes the events (feed, hook, history). Money is integer cents.

Rules (vtex-api-notes §e):

- the store's own flow is ``order-created`` → ``on-order-completed`` → ``payment-pending`` →
  ``payment-approved`` → ``window-to-cancel`` → ``ready-for-handling`` → ``start-handling`` →
  ``handling`` → ``invoice`` → ``invoiced``; a seller order (placed by a marketplace) starts
  ``order-accepted`` → ``on-order-completed-ffm`` → ``waiting-ffmt-authorization`` →
  ``authorize-fulfillment`` → ``window-to-cancel`` → ``ready-for-handling``;
- ``start-handling`` only from ``ready-for-handling`` (else 409 ``OMS003``); it passes through
  ``start-handling`` to ``handling``;
- an ``Output`` invoice is accepted in ``handling`` / ``ready-for-invoicing``; when the invoiced total
  reaches the order value the order goes ``invoice`` → ``invoiced`` and is locked, otherwise it stays
  open as *partially invoiced* (no status event, but a change event) and can no longer be canceled;
  an ``Input`` (return) invoice needs a fully invoiced order; posting an existing ``invoiceNumber``
  again changes nothing and only answers a new receipt;
- tracking (``PATCH .../invoice/{n}``) and tracking events (``PUT .../invoice/{n}/tracking``) need an
  existing invoice (404), the latter one that already has a tracking number (400);
- cancel is allowed before ``invoice``/``invoiced`` and not for partially invoiced orders (400); it
  passes through ``cancel`` to ``canceled``; canceling a canceled order again is a no-op (sandbox
  choice: idempotent, so a client retrying after a lost answer sees success).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from vtexbridge.sandbox.rules import RuleError

__all__ = [
    "CANCELLABLE",
    "CHANGEABLE",
    "DOMAIN",
    "FULFILLMENT_AUTHORIZE_FLOW",
    "FULFILLMENT_PLACEMENT_FLOW",
    "HANDLED",
    "INVOICEABLE",
    "PLACEMENT_FLOW",
    "STATUS_DESCRIPTIONS",
    "TRANSITIONS",
    "InvoiceResult",
    "OrderEvent",
    "OrderRuleError",
    "add_tracking",
    "advance",
    "cancel",
    "change_event",
    "is_partially_invoiced",
    "post_invoice",
    "refresh_flags",
    "start_handling",
    "update_tracking",
    "vtex_time",
    "walk",
]

DOMAIN = "Fulfillment"

# VTEX's own status descriptions (the OMS answers them in Portuguese).
STATUS_DESCRIPTIONS: dict[str, str] = {
    "order-created": "Processando",
    "order-accepted": "Pedido Aceito",
    "on-order-completed": "Processando",
    "on-order-completed-ffm": "Processando",
    "waiting-for-authorization": "Aguardando autorização",
    "payment-pending": "Pagamento Pendente",
    "payment-approved": "Pagamento Aprovado",
    "waiting-ffmt-authorization": "Aguardando autorização para despachar",
    "authorize-fulfillment": "Autorizar despacho",
    "window-to-cancel": "Carência para Cancelamento",
    "ready-for-handling": "Pronto para o manuseio",
    "start-handling": "Iniciar Manuseio",
    "handling": "Preparando Entrega",
    "ready-for-invoicing": "Pronto para faturamento",
    "invoice": "Verificando Fatura",
    "invoiced": "Faturado",
    "request-cancel": "Solicitar Cancelamento",
    "cancellation-requested": "Cancelamento Solicitado",
    "cancel": "Cancelando",
    "canceled": "Cancelado",
}

PLACEMENT_FLOW: tuple[str, ...] = (
    "order-created",
    "on-order-completed",
    "payment-pending",
    "payment-approved",
    "window-to-cancel",
    "ready-for-handling",
)
FULFILLMENT_PLACEMENT_FLOW: tuple[str, ...] = (
    "order-accepted",
    "on-order-completed-ffm",
    "waiting-ffmt-authorization",
)
FULFILLMENT_AUTHORIZE_FLOW: tuple[str, ...] = (
    "authorize-fulfillment",
    "window-to-cancel",
    "ready-for-handling",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    "": frozenset({"order-created", "order-accepted"}),
    "order-created": frozenset({"on-order-completed", "cancel"}),
    "on-order-completed": frozenset({"payment-pending", "waiting-for-authorization", "cancel"}),
    "waiting-for-authorization": frozenset({"payment-pending", "cancel"}),
    "payment-pending": frozenset({"payment-approved", "cancel"}),
    "payment-approved": frozenset({"window-to-cancel", "ready-for-handling", "cancel"}),
    "order-accepted": frozenset({"on-order-completed-ffm", "cancel"}),
    "on-order-completed-ffm": frozenset({"waiting-ffmt-authorization", "cancel"}),
    "waiting-ffmt-authorization": frozenset({"authorize-fulfillment", "cancel"}),
    "authorize-fulfillment": frozenset({"window-to-cancel", "ready-for-handling", "cancel"}),
    "window-to-cancel": frozenset({"ready-for-handling", "request-cancel", "cancel"}),
    "ready-for-handling": frozenset({"start-handling", "request-cancel", "cancel"}),
    "start-handling": frozenset({"handling"}),
    "handling": frozenset({"ready-for-invoicing", "invoice", "request-cancel", "cancel"}),
    "ready-for-invoicing": frozenset({"invoice", "cancel"}),
    "invoice": frozenset({"invoiced"}),
    "invoiced": frozenset(),
    "request-cancel": frozenset({"cancellation-requested", "cancel"}),
    "cancellation-requested": frozenset({"cancel"}),
    "cancel": frozenset({"canceled"}),
    "canceled": frozenset(),
}

CANCELLABLE = frozenset(s for s, nxt in TRANSITIONS.items() if "cancel" in nxt)
INVOICEABLE = frozenset({"handling", "ready-for-invoicing"})
CHANGEABLE = frozenset({"handling", "waiting-for-fulfillment", "ready-for-invoicing"})
# Statuses at or after start-handling: the inventory reservation was already released.
HANDLED = frozenset({"start-handling", "handling", "ready-for-invoicing", "invoice", "invoiced"})

EventKind = Literal["status", "change"]


class OrderRuleError(RuleError):
    """A request the OMS refuses: ``status``, ``message`` and the ``code`` of the error body."""


def vtex_time(moment: datetime, *, zulu: bool = False) -> str:
    """VTEX's timestamp form: 7 fraction digits, ``+00:00`` (order fields) or ``Z`` (feed, hook)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"
    return text + ("Z" if zulu else "+00:00")


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One change of one order, as the feed and the hook report it.

    ``kind`` is ``"status"`` for a workflow transition (``state`` != ``last_state``) and ``"change"``
    for an update without a status change (partial invoice, tracking, order modification), which
    only ``FromOrders`` feeds and hooks receive.
    """

    order_id: str
    state: str
    last_state: str
    last_change: str
    current_change: str
    kind: EventKind = "status"
    domain: str = DOMAIN

    def to_json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "state": self.state,
            "lastState": self.last_state,
            "lastChange": self.last_change,
            "currentChange": self.current_change,
            "kind": self.kind,
            "domain": self.domain,
        }


def _zulu(order_time: str) -> str:
    return order_time[:-6] + "Z" if order_time.endswith("+00:00") else order_time


def is_partially_invoiced(order: Mapping[str, Any]) -> bool:
    """An ``Output`` invoice exists but the order is not ``invoiced``."""
    packages = (order.get("packageAttachment") or {}).get("packages") or []
    return order.get("status") != "invoiced" and any(p.get("type") == "Output" for p in packages)


def refresh_flags(order: dict[str, Any]) -> None:
    """Recompute the flags derived from status and invoices (``allowCancellation`` ...)."""
    status = order.get("status") or ""
    order["statusDescription"] = STATUS_DESCRIPTIONS.get(status, status)
    order["allowCancellation"] = status in CANCELLABLE and not is_partially_invoiced(order)
    order["isCompleted"] = bool(status)


def _set_status(order: dict[str, Any], to: str, now: datetime) -> OrderEvent:
    previous = order.get("status") or ""
    last_change = order.get("lastChange") or order.get("creationDate") or vtex_time(now)
    current = vtex_time(now)
    order["status"] = to
    order["lastChange"] = current
    if to == "payment-approved" and not order.get("authorizedDate"):
        order["authorizedDate"] = current
    if to == "invoiced":
        order["invoicedDate"] = current
    refresh_flags(order)
    return OrderEvent(order["orderId"], to, previous, _zulu(last_change), _zulu(current))


def change_event(order: dict[str, Any], now: datetime) -> OrderEvent:
    """An event for a change without a status change (``FromOrders`` filters see it)."""
    last_change = order.get("lastChange") or vtex_time(now)
    current = vtex_time(now)
    order["lastChange"] = current
    status = order.get("status") or ""
    return OrderEvent(order["orderId"], status, status, _zulu(last_change), _zulu(current), kind="change")


def advance(order: dict[str, Any], to: str, now: datetime) -> OrderEvent:
    """One transition; 409 when the state machine does not allow it."""
    current = order.get("status") or ""
    if to not in TRANSITIONS.get(current, frozenset()):
        raise OrderRuleError(409, f"Order {order.get('orderId')} cannot go from {current or 'null'} to {to}")
    return _set_status(order, to, now)


def walk(order: dict[str, Any], path: tuple[str, ...] | list[str], now: datetime) -> list[OrderEvent]:
    """Several transitions in a row, each one millisecond after the previous (strictly ordered times)."""
    return [advance(order, to, now + timedelta(milliseconds=i)) for i, to in enumerate(path)]


def start_handling(order: dict[str, Any], now: datetime) -> list[OrderEvent]:
    """``POST .../start-handling``: ``ready-for-handling`` → ``start-handling`` → ``handling``."""
    if order.get("status") != "ready-for-handling":
        raise OrderRuleError(
            409, "Order status should be ready-for-handling to perform this action", "OMS003"
        )
    return walk(order, ("start-handling", "handling"), now)


def cancel(order: dict[str, Any], reason: str | None, now: datetime) -> list[OrderEvent]:
    """``POST .../cancel``: ``cancel`` → ``canceled``; refused once invoiced or partially invoiced."""
    status = order.get("status") or ""
    if status == "canceled":
        return []
    if status in ("invoice", "invoiced"):
        raise OrderRuleError(400, f"Order {order['orderId']} is invoiced and can no longer be canceled")
    if is_partially_invoiced(order):
        raise OrderRuleError(
            400,
            f"Order {order['orderId']} is partially invoiced and cannot be canceled; "
            "send the remaining invoice",
        )
    if status not in CANCELLABLE:
        raise OrderRuleError(409, f"Order {order['orderId']} cannot be canceled in status {status or 'null'}")
    events = walk(order, ("cancel", "canceled"), now)
    order["cancelReason"] = reason
    order["cancellationData"] = {
        "RequestedByUser": False,
        "RequestedBySystem": False,
        "RequestedBySellerNotification": True,
        "RequestedByPaymentNotification": False,
        "Reason": reason,
        "CancellationDate": order["lastChange"],
    }
    return events


# -- invoices ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class InvoiceResult:
    """What ``POST .../invoice`` did: ``created`` is false for a re-post of a known invoice number."""

    created: bool
    events: list[OrderEvent] = field(default_factory=list)


def _cents(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool):
        raise OrderRuleError(400, f"{name} must be an integer amount in cents")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise OrderRuleError(
            400, f"{name} must be an integer amount in cents (1990 means 19.90), got {value!r}"
        )
    if value < minimum:
        raise OrderRuleError(400, f"{name} must be at least {minimum}, got {value}")
    return value


def _optional_str(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise OrderRuleError(400, f"{name} must be a string")


def _required_str(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise OrderRuleError(400, f"{name} is required")
    return value


def _date(value: str, name: str) -> str:
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise OrderRuleError(400, f"{name} must be an ISO 8601 date, got {value!r}") from None
    return value


def _packages(order: dict[str, Any]) -> list[dict[str, Any]]:
    attachment = order.get("packageAttachment")
    if not isinstance(attachment, dict):
        attachment = order["packageAttachment"] = {"packages": []}
    packages: list[dict[str, Any]] = attachment.setdefault("packages", [])
    return packages


def _find_package(order: dict[str, Any], invoice_number: str) -> dict[str, Any]:
    for package in _packages(order):
        if package.get("invoiceNumber") == invoice_number:
            return package
    raise OrderRuleError(404, f"Invoice {invoice_number} not found in order {order.get('orderId')}")


def _quantities(order: dict[str, Any], kind: str) -> dict[int, int]:
    done: dict[int, int] = {}
    for package in _packages(order):
        if package.get("type") == kind:
            for item in package.get("items") or []:
                done[item["itemIndex"]] = done.get(item["itemIndex"], 0) + int(item["quantity"])
    return done


def _invoice_line(n: int, raw: Any) -> tuple[str, int, int, Any]:
    """(SKU id, price in cents, quantity, description) of the invoice's ``items[n]``; 400 when invalid."""
    if not isinstance(raw, dict):
        raise OrderRuleError(400, f"items[{n}] must be an object")
    sku = raw.get("id")
    if isinstance(sku, int) and not isinstance(sku, bool):
        sku = str(sku)
    if not isinstance(sku, str) or not sku:
        raise OrderRuleError(400, f"items[{n}].id (the SKU id) is required")
    price = _cents(raw.get("price"), f"items[{n}].price", minimum=0)
    quantity = raw.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise OrderRuleError(400, f"items[{n}].quantity must be a positive integer")
    return sku, price, quantity, raw.get("description")


def _invoice_items(order: dict[str, Any], raw_items: Any, kind: str) -> list[dict[str, Any]]:
    if not isinstance(raw_items, list) or not raw_items:
        raise OrderRuleError(400, "items is required: the invoiced items with id, price (cents) and quantity")
    order_items: list[dict[str, Any]] = order.get("items") or []
    invoiced = _quantities(order, "Output")
    returned = _quantities(order, "Input")
    taken: dict[int, int] = {}
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(raw_items):
        sku, price, quantity, description = _invoice_line(n, raw)
        remaining = quantity
        for index, item in enumerate(order_items):
            if item.get("id") != sku or remaining == 0:
                continue
            if kind == "Output":
                room = int(item["quantity"]) - invoiced.get(index, 0) - taken.get(index, 0)
            else:
                room = invoiced.get(index, 0) - returned.get(index, 0) - taken.get(index, 0)
            use = min(room, remaining)
            if use > 0:
                taken[index] = taken.get(index, 0) + use
                remaining -= use
                out.append(
                    {
                        "itemIndex": index,
                        "quantity": use,
                        "price": price,
                        "description": description if isinstance(description, str) else item.get("name"),
                        "unitMultiplier": float(item.get("unitMultiplier") or 1),
                    }
                )
        if remaining:
            if not any(item.get("id") == sku for item in order_items):
                raise OrderRuleError(
                    400, f"items[{n}]: SKU {sku} is not an item of order {order.get('orderId')}"
                )
            what = "invoiced" if kind == "Output" else "returned"
            raise OrderRuleError(
                400, f"items[{n}]: quantity {quantity} of SKU {sku} exceeds what can still be {what}"
            )
    return out


def post_invoice(order: dict[str, Any], body: Any, now: datetime) -> InvoiceResult:
    """``POST .../invoice`` (see the module docstring for the rules)."""
    if not isinstance(body, dict):
        raise OrderRuleError(400, "The invoice must be a JSON object")
    number = body.get("invoiceNumber")
    if isinstance(number, int) and not isinstance(number, bool):
        number = str(number)
    if not isinstance(number, str) or not number.strip():
        raise OrderRuleError(400, "invoiceNumber is required")
    if any(p.get("invoiceNumber") == number for p in _packages(order)):
        return InvoiceResult(created=False)
    kind = body.get("type")
    if kind not in ("Output", "Input"):
        raise OrderRuleError(400, f"type must be 'Output' (sale) or 'Input' (return), got {kind!r}")
    issuance = _date(_required_str(body, "issuanceDate"), "issuanceDate")
    value = _cents(body.get("invoiceValue"), "invoiceValue", minimum=1)
    status = order.get("status") or ""
    if kind == "Output" and status not in INVOICEABLE:
        raise OrderRuleError(
            409,
            f"Order {order['orderId']} is {status or 'null'}; "
            "an invoice is accepted in handling or ready-for-invoicing",
        )
    if kind == "Input" and status != "invoiced":
        raise OrderRuleError(
            409, f"Order {order['orderId']} must be invoiced before a return (Input) invoice"
        )
    items = _invoice_items(order, body.get("items"), kind)
    package: dict[str, Any] = {
        "items": items,
        "courier": _optional_str(body, "courier"),
        "invoiceNumber": number,
        "invoiceValue": value,
        "invoiceUrl": _optional_str(body, "invoiceUrl"),
        "issuanceDate": issuance,
        "trackingNumber": _optional_str(body, "trackingNumber"),
        "invoiceKey": _optional_str(body, "invoiceKey"),
        "trackingUrl": _optional_str(body, "trackingUrl"),
        "embeddedInvoice": _optional_str(body, "embeddedInvoice") or "",
        "type": kind,
        "courierStatus": None,
        "cfop": None,
        "restitutions": {},
        "volumes": 0,
        "EnableInferItems": None,
    }
    if kind == "Input":
        package["restitutions"] = {
            "Refund": {
                "value": value,
                "giftCardData": None,
                "items": [
                    {
                        "useFreight": None,
                        "isCompensation": False,
                        "compensationValue": 0,
                        "id": order["items"][i["itemIndex"]]["id"],
                        "quantity": i["quantity"],
                        "price": i["price"],
                        "description": i["description"] or "",
                    }
                    for i in items
                ],
            }
        }
    _packages(order).append(package)
    invoiced_total = sum(p["invoiceValue"] for p in _packages(order) if p.get("type") == "Output")
    if kind == "Output" and invoiced_total >= int(order.get("value") or 0):
        return InvoiceResult(created=True, events=walk(order, ("invoice", "invoiced"), now))
    event = change_event(order, now)
    refresh_flags(order)
    return InvoiceResult(created=True, events=[event])


def add_tracking(order: dict[str, Any], invoice_number: str, body: Any, now: datetime) -> OrderEvent:
    """``PATCH .../invoice/{invoiceNumber}``: courier, tracking number/URL, dispatch date."""
    package = _find_package(order, invoice_number)
    if not isinstance(body, dict):
        raise OrderRuleError(400, "The tracking information must be a JSON object")
    package["trackingNumber"] = _required_str(body, "trackingNumber")
    for name in ("trackingUrl", "courier"):
        if name in body:
            package[name] = _optional_str(body, name)
    dispatched = _optional_str(body, "dispatchedDate")
    if dispatched is not None:
        package["dispatchedDate"] = _date(dispatched, "dispatchedDate")
    return change_event(order, now)


def update_tracking(order: dict[str, Any], invoice_number: str, body: Any, now: datetime) -> OrderEvent:
    """``PUT .../invoice/{invoiceNumber}/tracking``: delivery status and tracking events."""
    package = _find_package(order, invoice_number)
    if not package.get("trackingNumber"):
        raise OrderRuleError(
            400,
            f"Invoice {invoice_number} has no tracking number; "
            f"send it with PATCH .../invoice/{invoice_number} first",
        )
    if not isinstance(body, dict):
        raise OrderRuleError(400, "The tracking update must be a JSON object")
    delivered = body.get("isDelivered")
    if not isinstance(delivered, bool):
        raise OrderRuleError(400, "isDelivered is required (true or false)")
    raw_events = body.get("events")
    if not isinstance(raw_events, list):
        raise OrderRuleError(400, "events is required: a list of {city, state, description, date}")
    data = []
    for n, raw in enumerate(raw_events):
        if not isinstance(raw, dict) or not all(
            isinstance(raw.get(k), str) for k in ("city", "state", "description", "date")
        ):
            raise OrderRuleError(400, f"events[{n}] needs city, state, description and date (strings)")
        data.append(
            {
                "lastChange": vtex_time(now),
                "city": raw["city"],
                "state": raw["state"],
                "description": raw["description"],
                "createDate": raw["date"],
            }
        )
    delivered_date = _optional_str(body, "deliveredDate")
    package["courierStatus"] = {
        "status": "delivered" if delivered else "dispatched",
        "finished": delivered,
        "deliveredDate": delivered_date or "",
        "data": data,
    }
    return change_event(order, now)
