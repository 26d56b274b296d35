"""The Payment Provider Protocol's logic: payment on the customer's ERP credit line or store credit.

``POST /payments`` asks the ERP to approve the payment on the buyer's credit line (the buyer's
corporate document for a company, else their document): the ERP answers approved, denied or pending.
Pending, or an ERP that does not answer within the budget, is VTEX's ``undefined``: VTEX calls again
(its retry flow), and :meth:`PaymentProvider.follow_up` asks the ERP until it decides and then tells
VTEX through the ``callbackUrl``. Cancellation, settlement (capture on invoice) and partial refunds
move the ERP's credit line, each once per VTEX ``requestId``; a retry gets the first answer.

No card data is read, stored or logged: the ``card`` object of the request is never looked at.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vtexbridge.backoff import backoff_delay
from vtexbridge.clock import Clock
from vtexbridge.providers.adapters.base import CreditDecision, CreditErp, CreditOperation, CreditRequest
from vtexbridge.providers.base import ErpBackedProvider
from vtexbridge.providers.common import (
    cents,
    derived_id,
    mapping,
    optional_str,
    required_str,
    to_units,
)
from vtexbridge.providers.errors import BadRequest, ErpUnavailable, NotFound
from vtexbridge.providers.metrics import ProviderMetrics
from vtexbridge.providers.onboarding import Onboarding
from vtexbridge.providers.payment.callbacks import Notifier
from vtexbridge.providers.payment.ledger import PaymentLedger
from vtexbridge.providers.settings import PaymentProviderSettings

__all__ = ["PaymentProvider"]

_log = logging.getLogger(__name__)
_ERP_KIND = {"cancellation": "cancel", "settlement": "settle", "refund": "refund"}
_ID_FIELD = {"cancellation": "cancellationId", "settlement": "settleId", "refund": "refundId"}
_DONE = {
    "cancellation": "Successfully cancelled",
    "settlement": "Successfully settled",
    "refund": "Successfully refunded",
}


def _customer(body: Mapping[str, Any]) -> str:
    buyer = mapping(mapping(body, "miniCart"), "buyer")
    if buyer.get("isCorporate") and buyer.get("corporateDocument"):
        return required_str(buyer, "corporateDocument")
    try:
        return required_str(buyer, "document")
    except BadRequest:
        raise BadRequest("miniCart.buyer.document is required (the credit line's customer)") from None


class PaymentProvider(ErpBackedProvider):
    kind = "payment"

    def __init__(
        self,
        settings: PaymentProviderSettings,
        erp: CreditErp,
        ledger: PaymentLedger,
        callbacks: Notifier,
        *,
        clock: Clock | None = None,
        metrics: ProviderMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.erp = erp
        self.ledger = ledger
        self.callbacks = callbacks
        super().__init__(settings.adapter.timeout_s, clock=clock, metrics=metrics)
        self.onboarding = Onboarding(settings.onboarding, settings.app_key, settings.app_token, self.clock)

    # --- manifest ---------------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        return {
            "paymentMethods": [{"name": m, "allowsSplit": "disabled"} for m in self.settings.payment_methods],
            "customFields": [],
        }

    # --- payments ---------------------------------------------------------------------------------

    def payment_response(self, row: Mapping[str, Any]) -> dict[str, Any]:
        s = self.settings
        return {
            "paymentId": row["payment_id"],
            "status": row["status"],
            "authorizationId": row["authorization_id"] if row["status"] == "approved" else None,
            "tid": derived_id("tid", row["payment_id"])[:20],
            "nsu": None,
            "acquirer": s.acquirer,
            "code": row["code"],
            "message": row["message"],
            "delayToAutoSettle": s.delay_to_auto_settle_s,
            "delayToAutoSettleAfterAntifraud": s.delay_to_auto_settle_s,
            "delayToCancel": s.delay_to_cancel_s,
        }

    def _bad(self, message: str, code: str = "bad-request") -> tuple[int, dict[str, Any]]:
        return 400, {"status": "error", "code": code, "message": message}

    async def create_payment(self, body: Any) -> tuple[int, dict[str, Any]]:
        """(status, body) of ``POST /payments``: 200 with approved/denied/undefined, 400 on bad input."""
        if not isinstance(body, Mapping):
            return self._bad("the body must be an object")
        try:
            values = self._payment_values(body)
        except BadRequest as e:
            return self._bad(e.message)
        if values["method"] not in self.settings.payment_methods:
            return self._bad(
                f"payment method {values['method']!r} is not offered by this provider", "unsupported-method"
            )
        row = await self.ledger.open(values)
        if row["value_cents"] != values["value_cents"] or row["customer"] != values["customer"]:
            return self._bad(
                f"paymentId {values['payment_id']} was already used for another payment", "conflict"
            )
        if row["status"] == "undefined" and not row["cancelled"]:
            row = await self._ask_erp(row, callback=False)
        self.metrics.transaction("payment", "authorization", row["status"])
        return 200, self.payment_response(row)

    def _payment_values(self, body: Mapping[str, Any]) -> dict[str, Any]:
        callback = optional_str(body, "callbackUrl", limit=2048)
        if callback is not None and not self.callbacks.allowed(callback):
            raise BadRequest("callbackUrl points at a host that is not a VTEX payment host")
        currency = required_str(body, "currency", limit=3).upper()
        now = self.clock.now()
        return {
            "payment_id": required_str(body, "paymentId", limit=64),
            "transaction_id": optional_str(body, "transactionId", limit=64),
            "order_id": optional_str(body, "orderId", limit=64),
            "reference": optional_str(body, "reference", limit=64),
            "method": required_str(body, "paymentMethod", limit=64),
            "customer": _customer(body),
            "value_cents": cents(body.get("value"), "value"),
            "currency": currency,
            "callback_url": callback,
            "created_at": now,
            "updated_at": now,
        }

    def _credit_request(self, row: Mapping[str, Any]) -> CreditRequest:
        return CreditRequest(
            payment_id=row["payment_id"],
            customer=row["customer"],
            value_cents=row["value_cents"],
            currency=row["currency"],
            method=row["method"],
            order_id=row["order_id"],
            reference=row["reference"],
        )

    async def _ask_erp(self, row: dict[str, Any], *, callback: bool) -> dict[str, Any]:
        """Ask the ERP (idempotent by paymentId); record a final decision. ``callback``: VTEX has not
        seen it yet (the follow-up found it), so the callbackUrl is due."""
        try:
            decision = await self._erp(
                "the credit authorization", self.erp.authorize_credit(self._credit_request(row))
            )
        except ErpUnavailable as e:
            _log.warning("payment %s stays undefined: %s", row["payment_id"], e.message)
            if row["code"] is None:
                await self.ledger.update(
                    row["payment_id"], code="erp-unavailable", message="the ERP decides later"
                )
                row = {**row, "code": "erp-unavailable", "message": "the ERP decides later"}
            return row
        return await self._record(row, decision, callback=callback)

    async def _record(
        self, row: dict[str, Any], decision: CreditDecision, *, callback: bool
    ) -> dict[str, Any]:
        now = self.clock.now()
        if decision.status == "pending":
            if row["code"] != "pending":
                await self.ledger.update(row["payment_id"], code="pending", message=decision.message)
            return {**row, "code": "pending", "message": decision.message}
        changes = {
            "status": decision.status,
            "authorization_id": decision.authorization_id
            or derived_id("auth", row["payment_id"])[:12].upper(),
            "code": decision.code,
            "message": decision.message,
            "callback_state": "due" if callback and row["callback_url"] else "none",
            "callback_due_at": now,
        }
        return await self.ledger.decide(row["payment_id"], changes, now)

    # --- cancellation, settlement, refund ---------------------------------------------------------

    def _op_failure(
        self, kind: str, payment_id: str, request_id: str, code: str, message: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "paymentId": payment_id,
            _ID_FIELD[kind]: None,
            "code": code,
            "message": message,
            "requestId": request_id,
        }
        if kind != "cancellation":
            out["value"] = 0
        return out

    def _op_success(
        self, kind: str, payment_id: str, request_id: str, op_id: str, value_cents: int
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "paymentId": payment_id,
            _ID_FIELD[kind]: op_id,
            "code": None,
            "message": _DONE[kind],
            "requestId": request_id,
        }
        if kind != "cancellation":
            out["value"] = to_units(value_cents)
        return out

    async def operate(self, kind: str, payment_id: str, body: Any) -> tuple[int, dict[str, Any]]:
        """(status, body) of a cancellation, settlement or refund; idempotent by requestId."""
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object")
        request_id = required_str(body, "requestId")
        row = await self.ledger.get(payment_id)
        if row is None:
            raise NotFound(f"no payment {payment_id}")
        value = row["value_cents"] if kind == "cancellation" else cents(body.get("value"), "value")
        op_id = derived_id("payment-op", payment_id, kind, request_id)
        op_values = {"payment_id": payment_id, "kind": kind, "request_id": request_id, "value_cents": value}
        op, row = await self.ledger.reserve_op(op_values, self.clock.now())
        if op is None:
            return self._refused(kind, row, request_id)
        if op["state"] != "pending":
            stored = op["response"] or {}
            return int(stored.get("status", 200)), dict(stored.get("body", {}))
        return await self._run_op(kind, op, op_id)

    def _refused(self, kind: str, row: Mapping[str, Any], request_id: str) -> tuple[int, dict[str, Any]]:
        pid = row["payment_id"]
        if kind == "cancellation" and (row["cancelled"] or row["status"] == "denied"):
            self.metrics.transaction("payment", kind, "done")  # nothing (more) to cancel
            return 200, self._op_success(kind, pid, request_id, derived_id("payment-cancel", pid), 0)
        reasons = {
            "cancellation": ("already-settled", "the payment was settled: refund it instead"),
            "settlement": (
                "exceeds-authorization",
                "the payment is not approved, cancelled, or this exceeds it",
            ),
            "refund": ("exceeds-settlement", "the refund exceeds what was settled"),
        }
        code, message = reasons[kind]
        self.metrics.transaction("payment", kind, "refused")
        return 500, self._op_failure(kind, pid, request_id, code, message)

    async def _run_op(self, kind: str, op: Mapping[str, Any], op_id: str) -> tuple[int, dict[str, Any]]:
        pid, rid, value = op["payment_id"], op["request_id"], op["value_cents"]
        operation = CreditOperation(op_id, pid, _ERP_KIND[kind], value)  # type: ignore[arg-type]
        try:
            await self._erp(f"the payment {kind}", self.erp.credit_operation(operation))
        except ErpUnavailable as e:  # stays pending: VTEX's retry (same requestId) finishes it
            self.metrics.transaction("payment", kind, "erp-unavailable")
            return 500, self._op_failure(kind, pid, rid, "erp-unavailable", e.message)
        body = self._op_success(kind, pid, rid, op_id, value)
        await self.ledger.finish_op(op, "done", {"status": 200, "body": body})
        self.metrics.transaction("payment", kind, "done")
        return 200, body

    async def inbound(self, payment_id: str, action: str, body: Any) -> dict[str, Any]:
        """``POST /payments/{id}/inbound/{action}``: the action ``status`` answers the payment's status."""
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object")
        request_id = required_str(body, "requestId")
        if action != "status":
            raise NotFound(f"inbound action {action[:40]!r} is not offered (only 'status')")
        row = await self.ledger.get(payment_id)
        if row is None:
            raise NotFound(f"no payment {payment_id}")
        content = json.dumps(self.payment_response(row), separators=(",", ":"))
        return {
            "requestId": request_id,
            "paymentId": payment_id,
            "responseData": {"statusCode": 200, "contentType": "application/json", "content": content},
        }

    # --- background: later decisions, callbacks, recovery -----------------------------------------

    async def follow_up(self) -> int:
        """Ask the ERP about undecided payments; send the callbacks that are due. Returns the
        number of callbacks delivered."""
        undecided = await self.ledger.undecided()
        for row in undecided:
            await self._ask_erp(row, callback=True)
        self.metrics.set_pending("payment", len(await self.ledger.undecided()))
        sent = 0
        for row in await self.ledger.callbacks_due(self.clock.now()):
            sent += await self._callback(row)
        return sent

    async def _callback(self, row: Mapping[str, Any]) -> int:
        url = row["callback_url"]
        payload = self.payment_response(row) if self.settings.callback_mode == "notification" else None
        ok = await self.callbacks.send(url, payload)
        attempts = row["callback_attempts"] + 1
        if ok:
            await self.ledger.update(row["payment_id"], callback_state="sent", callback_attempts=attempts)
            return 1
        delay = backoff_delay(attempts, self.settings.callback_backoff_s)
        state = "failed" if attempts >= self.settings.callback_attempts else "due"
        if state == "failed":
            _log.error(
                "payment %s: the callback failed %d times; VTEX's own retry gets the decision",
                row["payment_id"],
                attempts,
            )
        await self.ledger.update(
            row["payment_id"],
            callback_state=state,
            callback_attempts=attempts,
            callback_due_at=self.clock.now() + timedelta(seconds=delay),
        )
        return 0

    async def recover(self) -> int:
        """Finish the operations a crash or an ERP timeout left pending (the ERP's are idempotent)."""
        ops = await self.ledger.pending_ops()
        for op in ops:
            await self._run_op(
                op["kind"], op, derived_id("payment-op", op["payment_id"], op["kind"], op["request_id"])
            )
        return len(ops)
