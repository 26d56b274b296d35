"""The actions outbox worker: the ERP's invoices, tracking updates, cancellations and order changes
sent to VTEX, one action of an order at a time, and nothing VTEX refuses ever dropped.

Queueing (:func:`enqueue`): every action has a dedup key (see :mod:`.action_format`); the same
invoice number is queued once per account, so it is never posted twice, and the same file read twice
queues nothing new. A second action under a taken key with *different* content is refused with a
message naming the first one, rather than silently mapped onto it.

Running (:class:`ActionRunner`): ``orders.actions.workers`` coroutines claim actions with
``StateStore.actions.claim_next``, which never hands out an action while an earlier action of the same
order is pending or running — so a tracking update waits for its invoice and an invoice never races a
change. Each action is sent with the client's ``orders`` API and closed as:

- ``done`` — VTEX accepted it (the receipt is kept as the message);
- ``rejected`` — VTEX refused it (400/404/409/422: e.g. cancel after invoice); VTEX's status and
  message are kept, shown by ``vtexbridge orders actions``, and the source file is moved to
  ``rejected/`` with an ``.error.json`` (:mod:`.action_sources`);
- retried later (``pending`` with a doubling, jittered delay) — 429, 5xx, network errors, an open
  breaker — until ``orders.actions.max_attempts``, then ``failed``;
- ``failed`` — credentials refused (401/403), a change whose outcome is unknown (sent, no answer:
  it is not re-sent blindly), or attempts exhausted. ``StateStore.actions.requeue`` sends it again.

An invoice action claimed again (its worker died, perhaps after VTEX accepted it) first reads the
order's invoices: the same number there means done, for full and partial invoices alike (never
"nothing left to invoice", never posted twice). An invoice VTEX refuses with 409 because the order is
still ``ready-for-handling`` (the pipeline has not started handling it yet) is retried, not rejected.

Invoices without ``items`` invoice what remains of the order (its items minus what earlier invoices
covered, at their selling price, for the order's value minus those invoices). A tracking update
needs its invoice: when the invoice action of that number was refused, or is queued after the
update, the update is rejected with a message saying so.

**Marketplace seller orders** (model A: ``VB-<marketplaceOrderId>``, placed on us by a VTEX
marketplace) are not OMS orders of ``vtex.account``. With a router (``marketplace=``, a
:class:`~vtexbridge.orders.marketplace_orders.MarketplaceOrders`) that owns the order id, invoices,
tracking updates and cancellations go to the marketplace's services endpoint instead of the OMS
API; the marketplace's refusals are kept like VTEX's (``rejected``, with its status and message).
An invoice without ``items`` invoices the whole order (the order's first invoice only). Order
changes do not exist in that protocol: they are rejected.

With ``metrics`` (:class:`~vtexbridge.observability.OrderMetrics`), every action that reaches a final
state is counted with its lag (queued -> answered).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from vtexbridge.clock import Clock
from vtexbridge.errors import RecordInvalid, VtexbridgeError
from vtexbridge.marketplace.errors import ProtocolError
from vtexbridge.orders.action_format import ActionRequest, Problems
from vtexbridge.orders.consumer import sleep_or_stop
from vtexbridge.orders.pipeline import state_call
from vtexbridge.orders.settings import ActionSettings
from vtexbridge.state import Action, ActionKind, ActionState, StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import Conflict, OutcomeUnknown, VtexError, VtexStatusError
from vtexbridge.vtex.models.orders import (
    Invoice,
    InvoiceItem,
    InvoiceTracking,
    Order,
    OrderChange,
    TrackingEvent,
    TrackingStatus,
)

if TYPE_CHECKING:
    from vtexbridge.observability import OrderMetrics
    from vtexbridge.orders.marketplace_orders import MarketplaceOrders

__all__ = ["ActionRunner", "Enqueued", "Refusal", "action_json", "enqueue"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Enqueued:
    """An action in the outbox: its id, and whether this call queued it (False: it was there)."""

    id: int
    new: bool
    request: ActionRequest


def _conflict(request: ActionRequest, existing: Action) -> RecordInvalid | None:
    if existing.order_id == request.order_id and existing.payload == request.payload:
        return None
    what = (
        f"invoice {request.payload.get('invoiceNumber')}"
        if request.kind is ActionKind.INVOICE
        else f"this {request.kind.value}"
    )
    return RecordInvalid(
        f"{what} was already queued for order {existing.order_id} (action #{existing.id}, "
        f"{existing.state}) with different content; it is not sent twice",
        record=request.ref,
        field="invoiceNumber" if request.kind is ActionKind.INVOICE else None,
    )


def enqueue(
    store: StateStore, account: str, requests: Sequence[ActionRequest], *, at: datetime | None = None
) -> list[Enqueued]:
    """Queue ``requests`` (all, or none when one conflicts with an action already queued).

    Synchronous (the state store); sources call it from a thread.

    Raises:
        Problems: a request reuses a dedup key (an invoice number ...) with different content.
    """
    conflicts = []
    for request in requests:
        existing = store.actions.find(account, request.dedup_key)
        if existing is not None and (problem := _conflict(request, existing)) is not None:
            conflicts.append(problem)
    seen_keys: dict[str, ActionRequest] = {}
    for request in requests:
        earlier = seen_keys.setdefault(request.dedup_key, request)
        if earlier is not request and (
            earlier.payload != request.payload or earlier.order_id != request.order_id
        ):
            conflicts.append(
                RecordInvalid(
                    f"{request.label} appears twice in the same batch with different content",
                    record=request.ref,
                )
            )
    if conflicts:
        raise Problems(conflicts)
    out = []
    for request in requests:
        action_id, new = store.actions.enqueue(
            account,
            request.order_id,
            request.kind.value,
            request.payload,
            dedup_key=request.dedup_key,
            source_ref=request.source_ref,
            available_at=at,
        )
        out.append(Enqueued(action_id, new, request))
    return out


def action_json(action: Action) -> dict[str, Any]:
    """An action as JSON (the actions API, `orders actions --json`)."""
    return {
        "id": action.id,
        "kind": action.kind,
        "orderId": action.order_id,
        "state": action.state,
        "attempts": action.attempts,
        "vtexStatus": action.vtex_status,
        "vtexMessage": action.vtex_message,
        "dedupKey": action.dedup_key,
        "sourceRef": action.source_ref,
        "createdAt": action.created_at.isoformat(),
        "doneAt": action.done_at.isoformat() if action.done_at else None,
        "payload": action.payload,
    }


class Refusal(Exception):
    """Our own refusal of an action before VTEX is called (e.g. tracking without its invoice)."""


def _invoiced(order: Order) -> tuple[dict[int, int], int]:
    """Quantities per item index and total value of the order's ``Output`` invoices."""
    quantities: dict[int, int] = {}
    value = 0
    packages = order.packageAttachment.packages if order.packageAttachment else []
    for package in packages:
        if package.type not in (None, "Output"):
            continue
        value += package.invoiceValue or 0
        for item in package.items:
            index, quantity = item.get("itemIndex"), item.get("quantity")
            if isinstance(index, int) and isinstance(quantity, int):
                quantities[index] = quantities.get(index, 0) + quantity
    return quantities, value


def _has_invoice(order: Order, number: str) -> bool:
    packages = order.packageAttachment.packages if order.packageAttachment else []
    return any(p.invoiceNumber == number for p in packages)


def _invoice(order: Order | None, payload: dict[str, Any]) -> Invoice:
    """The invoice of an action; without ``items``, what remains of ``order``."""
    items_raw = payload.get("items")
    value = payload.get("invoiceValue")
    if items_raw is None:
        assert order is not None
        items, left = remaining_invoice(order)
        if not items:
            raise Refusal(f"order {order.orderId} has nothing left to invoice")
        value = value if value is not None else left
    else:
        items = [InvoiceItem.model_validate(i) for i in items_raw]
    fields = {k: v for k, v in payload.items() if k not in ("items", "invoiceValue")}
    return Invoice.model_validate({**fields, "invoiceValue": value, "items": items})


_WAITING_FOR_INVOICE = frozenset({"ready-for-handling", "start-handling", "handling", "ready-for-invoicing"})


class _NotYet(Exception):
    """VTEX cannot take the action yet (an invoice of an order whose handling has not started)."""


def remaining_invoice(order: Order) -> tuple[list[InvoiceItem], int]:
    """The items not invoiced yet (at their selling price) and the value left to invoice."""
    done, invoiced_value = _invoiced(order)
    items = []
    for index, item in enumerate(order.items):
        left = item.quantity - done.get(index, 0)
        if left > 0:
            price = item.sellingPrice if item.sellingPrice is not None else (item.price or 0)
            items.append(InvoiceItem(id=item.id, price=price, quantity=left, description=item.name))
    return items, (order.value or 0) - invoiced_value


class ActionRunner:
    """Runs the outbox; see the module docstring.

    Args:
        marketplace: where the actions of marketplace seller orders go (None: everything to the OMS).
        metrics: counts finished actions and their lag (optional).
    """

    def __init__(
        self,
        *,
        store: StateStore,
        client: VtexClient,
        account: str,
        settings: ActionSettings,
        clock: Clock,
        worker: str,
        marketplace: MarketplaceOrders | None = None,
        metrics: OrderMetrics | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.account = account
        self.settings = settings
        self.clock = clock
        self.worker = worker
        self.marketplace = marketplace
        self.metrics = metrics

    async def run(self, stop: asyncio.Event, wake: asyncio.Event, *, once: bool = False) -> None:
        """Run ``settings.workers`` loops until ``stop`` (or, with ``once``, until nothing is runnable)."""

        async def loop(n: int) -> None:
            while not stop.is_set():
                try:
                    action = await self.claim()
                except VtexbridgeError as e:  # the state database is busy or away: try again soon
                    _log.warning("claiming an action failed: %s", e.user_message)
                    if once:
                        raise
                    await sleep_or_stop(self.clock, self.settings.poll_s, stop)
                    continue
                if action is None:
                    if once:
                        return
                    wake.clear()
                    await sleep_or_stop(self.clock, self.settings.poll_s, stop, wake)
                    continue
                try:
                    await self.run_action(action)
                except VtexbridgeError as e:  # its outcome could not be recorded: it is claimed again later
                    _log.warning("action #%d: recording its outcome failed: %s", action.id, e.user_message)

        await asyncio.gather(*(loop(n) for n in range(self.settings.workers)))

    async def claim(self) -> Action | None:
        return await state_call(
            self.store.actions.claim_next,
            self.worker,
            account=self.account,
            visibility=timedelta(seconds=self.settings.visibility_s),
        )

    async def run_action(self, action: Action) -> ActionState | None:
        """Send one claimed action and record its outcome; returns its final state (None: retried)."""
        try:
            message = await self.send(action)
        except Refusal as e:
            return await self._finish(action, ActionState.REJECTED, str(e))
        except _NotYet as e:
            return await self._retry(action, str(e), None, None)
        except VtexStatusError as e:
            text = _vtex_text(e)
            if e.retryable:
                return await self._retry(action, text, e.status, e.retry_after)
            if e.category == "config":
                _log.error("action #%d (%s %s): %s", action.id, action.kind, action.order_id, text)
                return await self._finish(action, ActionState.FAILED, text, e.status)
            _log.warning(
                "action #%d (%s %s) refused by VTEX: %s", action.id, action.kind, action.order_id, text
            )
            return await self._finish(action, ActionState.REJECTED, text, e.status)
        except OutcomeUnknown as e:
            return await self._finish(
                action, ActionState.FAILED, f"outcome unknown, not re-sent: {e.user_message}"
            )
        except ProtocolError as e:  # the marketplace seller order's own checks (unknown, canceled ...)
            if e.status >= 500:  # our side (the ERP sink did not accept a cancellation ...): retried
                return await self._retry(action, e.user_message, None, None)
            _log.warning(
                "action #%d (%s %s) refused: %s", action.id, action.kind, action.order_id, e.user_message
            )
            return await self._finish(action, ActionState.REJECTED, e.user_message, e.status)
        except VtexError as e:
            return await self._retry(action, e.user_message, None, getattr(e, "reopens_in", None))
        except (ValueError, TypeError) as e:
            return await self._finish(action, ActionState.FAILED, f"invalid action payload: {e}")
        except Exception as e:
            _log.exception("action #%d (%s %s) failed", action.id, action.kind, action.order_id)
            return await self._retry(action, f"{type(e).__name__}: {e}", None, None)
        return await self._finish(action, ActionState.DONE, message)

    async def send(self, action: Action) -> str:
        """Call VTEX for ``action``; returns a short description of VTEX's answer."""
        kind = ActionKind(action.kind)
        payload: dict[str, Any] = dict(action.payload)
        if self.marketplace is not None and self.marketplace.owns(action.order_id):
            return await self._send_marketplace(self.marketplace, kind, action, payload)
        orders = self.client.orders
        if kind is ActionKind.INVOICE:
            return await self._send_invoice(action, payload)
        if kind is ActionKind.TRACKING:
            return await self._tracking(action, payload)
        if kind is ActionKind.CANCEL:
            try:
                receipt = await orders.cancel_order(action.order_id, reason=payload.get("reason"))
            except VtexStatusError as e:
                # A cancel sent again (its first answer was never recorded) may be refused although
                # the order is canceled: that is the outcome asked for.
                if (
                    e.retryable
                    or action.attempts < 2
                    or (await orders.get_order(action.order_id)).status != "canceled"
                ):
                    raise
                return "the order is canceled (an earlier attempt went through)"
            return f"cancellation accepted (receipt {receipt.receipt})"
        change_body = {k: v for k, v in payload.items() if k != "requestId"}
        change = await orders.create_order_change(action.order_id, OrderChange.model_validate(change_body))
        return f"change accepted (request {change.requestId}, total change {change.totalChangeValue})"

    async def _send_invoice(self, action: Action, payload: dict[str, Any]) -> str:
        """Post an invoice once: an action tried before (its worker may have died after VTEX accepted
        it) first reads the order's invoices, and the same number there means done (full and
        partial invoices alike). A full invoice reads the order anyway (what is left to invoice)."""
        number = str(payload["invoiceNumber"])
        order = None
        if payload.get("items") is None or action.attempts > 1:
            order = await self.client.orders.get_order(action.order_id)
            if _has_invoice(order, number):
                return f"invoice {number} was already accepted by VTEX (an earlier attempt went through)"
        try:
            receipt = await self.client.orders.invoice_order(action.order_id, _invoice(order, payload))
        except Conflict:
            # Refused while the pipeline had not started handling the order yet (it may have by now):
            # try again later rather than reject.
            status = (await self.client.orders.get_order(action.order_id)).status
            if status in _WAITING_FOR_INVOICE:
                raise _NotYet(
                    f"VTEX refused the invoice while order {action.order_id} was not handling yet "
                    f"(now {status}); retried once handling started"
                ) from None
            raise
        return f"invoice {number} accepted (receipt {receipt.receipt})"

    async def _send_marketplace(
        self, router: MarketplaceOrders, kind: ActionKind, action: Action, payload: dict[str, Any]
    ) -> str:
        """Send the action of a marketplace seller order to the marketplace's services endpoint."""
        order_id = action.order_id
        if kind is ActionKind.INVOICE:
            invoice = await self._marketplace_invoice(router, order_id, payload)
            answer = await router.send_invoice(order_id, invoice)
            return (
                f"invoice {payload['invoiceNumber']} accepted by the marketplace "
                f"(receipt {answer.get('receipt') or '-'})"
            )
        if kind is ActionKind.TRACKING:
            number = str(payload["invoiceNumber"])
            await self._check_invoice_of(action, number)
            said = []
            if payload.get("trackingNumber"):
                tracking = {
                    k: payload[k]
                    for k in ("courier", "trackingNumber", "trackingUrl", "dispatchedDate")
                    if payload.get(k) is not None
                }
                answer = await router.send_tracking(order_id, number, tracking)
                said.append(
                    f"tracking {payload['trackingNumber']} accepted by the marketplace "
                    f"(receipt {answer.get('receipt') or '-'})"
                )
            if payload.get("events") or payload.get("isDelivered") is not None:
                events: dict[str, Any] = {
                    "isDelivered": bool(payload.get("isDelivered")),
                    "events": list(payload.get("events") or []),
                }
                if payload.get("deliveredDate"):
                    events["deliveredDate"] = payload["deliveredDate"]
                answer = await router.send_tracking_events(order_id, number, events)
                said.append(
                    f"tracking events accepted by the marketplace (receipt {answer.get('receipt') or '-'})"
                )
            return "; ".join(said)
        if kind is ActionKind.CANCEL:
            receipt = await router.cancel(order_id, payload.get("reason"))
            return f"cancellation confirmed to the marketplace (receipt {receipt.get('receipt') or '-'})"
        raise Refusal(
            f"order {order_id} was placed by a VTEX marketplace on this seller: order changes "
            "cannot be sent for it (the external seller protocol has none)"
        )

    async def _marketplace_invoice(
        self, router: MarketplaceOrders, order_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The protocol's invoice body (``items`` ``{id, quantity, price}`` in cents) of an action."""
        invoice = {k: v for k, v in payload.items() if k != "items"}
        if payload.get("items") is not None:
            invoice["items"] = [
                {"id": str(i["id"]), "quantity": int(i["quantity"]), "price": int(i["price"])}
                for i in payload["items"]
            ]
            return invoice
        record = await router.load(order_id)
        if record is None:
            raise Refusal(f"marketplace order {order_id} is not known to this seller")
        earlier = [n for n in record.get("invoices") or [] if n != str(payload["invoiceNumber"])]
        if earlier:
            raise Refusal(
                f"order {order_id} already has invoice(s) {', '.join(map(str, earlier))}: "
                "give the items (id, price, quantity) of this one"
            )
        invoice["items"] = [
            {"id": str(i["id"]), "quantity": int(i["quantity"]), "price": int(i["price"])}
            for i in record.get("items") or []
        ]
        if invoice.get("invoiceValue") is None:
            invoice["invoiceValue"] = int(record.get("value") or 0)
        return invoice

    async def _check_invoice_of(self, action: Action, number: str) -> None:
        """Refuse a tracking update whose invoice was refused, or is queued after it."""
        invoice = await state_call(self.store.actions.find, self.account, f"invoice:{number}")
        if invoice is not None and invoice.order_id == action.order_id:
            state = ActionState(invoice.state)
            if state in (ActionState.REJECTED, ActionState.FAILED, ActionState.CANCELLED):
                raise Refusal(
                    f"invoice {number} was not accepted (action #{invoice.id} {state.value}: "
                    f"{invoice.vtex_message or 'no message'}); a tracking update needs its invoice"
                )
            if not state.terminal:
                raise Refusal(
                    f"invoice {number} is queued after this tracking update (action #{invoice.id}); "
                    "send the tracking update again once the invoice is done"
                )

    async def _tracking(self, action: Action, payload: dict[str, Any]) -> str:
        number = str(payload["invoiceNumber"])
        await self._check_invoice_of(action, number)
        orders = self.client.orders
        said = []
        if payload.get("trackingNumber") and await self._tracking_recorded(action, number, payload):
            said.append(
                f"tracking {payload['trackingNumber']} was already accepted by VTEX "
                "(an earlier attempt went through)"
            )
        elif payload.get("trackingNumber"):
            tracking = InvoiceTracking(
                trackingNumber=payload["trackingNumber"],
                trackingUrl=payload.get("trackingUrl"),
                courier=payload.get("courier"),
                dispatchedDate=payload.get("dispatchedDate"),
            )
            receipt = await orders.update_invoice_tracking(action.order_id, number, tracking)
            said.append(f"tracking {payload['trackingNumber']} accepted (receipt {receipt.receipt})")
        if payload.get("events") or payload.get("isDelivered") is not None:
            status = TrackingStatus(
                isDelivered=bool(payload.get("isDelivered")),
                deliveredDate=payload.get("deliveredDate"),
                events=[TrackingEvent.model_validate(e) for e in payload.get("events") or []],
            )
            receipt = await orders.update_tracking_status(action.order_id, number, status)
            said.append(f"tracking events accepted (receipt {receipt.receipt})")
        return "; ".join(said)

    async def _tracking_recorded(self, action: Action, number: str, payload: dict[str, Any]) -> bool:
        """A tracking update tried before (its worker may have died after VTEX accepted it): does the
        order's invoice already carry this tracking number? A first attempt does not read the order."""
        if action.attempts < 2:
            return False
        order = await self.client.orders.get_order(action.order_id)
        packages = order.packageAttachment.packages if order.packageAttachment else []
        return any(
            p.invoiceNumber == number and p.trackingNumber == payload["trackingNumber"] for p in packages
        )

    async def _finish(
        self, action: Action, state: ActionState, message: str, vtex_status: int | None = None
    ) -> ActionState:
        await state_call(
            self.store.actions.finish,
            action.id,
            state,
            message[:4000],
            vtex_status=vtex_status,
            worker=self.worker,
        )
        if self.metrics is not None:
            self.metrics.action_finished(action.kind, state.value, action.created_at, self.clock.now())
        return state

    async def _retry(
        self, action: Action, message: str, vtex_status: int | None, hint: float | None
    ) -> ActionState | None:
        if action.attempts >= self.settings.max_attempts:
            return await self._finish(
                action,
                ActionState.FAILED,
                f"gave up after {action.attempts} attempts: {message}",
                vtex_status,
            )
        base = min(self.settings.backoff_max_s, self.settings.backoff_s * 2 ** (action.attempts - 1))
        delay = max(base * (0.5 + self.clock.random() / 2), hint or 0.0)
        _log.warning(
            "action #%d (%s %s) attempt %d failed, retry in %.1f s: %s",
            action.id,
            action.kind,
            action.order_id,
            action.attempts,
            delay,
            message,
        )
        await state_call(
            self.store.actions.retry,
            action.id,
            at=self.clock.now() + timedelta(seconds=delay),
            message=message[:4000],
            vtex_status=vtex_status,
            worker=self.worker,
        )
        return None


def _vtex_text(e: VtexStatusError) -> str:
    """VTEX's own words first (``[OMS003] message``), then our context."""
    if e.vtex_message or e.vtex_code:
        code = f"[{e.vtex_code}] " if e.vtex_code else ""
        return f"{code}{e.vtex_message or ''}".strip()
    return e.user_message
