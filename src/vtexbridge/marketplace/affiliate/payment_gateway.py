"""B, the seller processes the payment: the external marketplace creates the payment transaction in the
VTEX seller's Payment Gateway (``https://{account}.vtexpayments.com.br``, Payments Gateway API,
"Transaction Process").

Selected with ``marketplace.affiliate.payment = "seller"`` and ``payment_handler = "vtex-gateway"``.
For each order placed on the seller, :class:`VtexGatewayPayment` makes the three calls of the
transaction process, with the seller's VTEX credentials (``vtex.app_key``/``app_token``):

1. ``POST /api/pvt/transactions`` ``{value, referenceId, channel, urn, salesChannel}``: starts the
   transaction for the order's value (cents), referenced by the seller's order id;
2. ``POST /api/pub/transactions/{transactionId}/payments?orderId=`` the payments: the shopper's
   payment data as the marketplace received it, one payment (``{paymentSystem, value?, installments?,
   fields{holderName, cardNumber, validationCode, dueDate, document ...}}``) or ``{"payments": [...]}``;
3. ``POST /api/pvt/transactions/{transactionId}/authorization-request`` ``{transactionId,
   prepareForRecurrency: false}``: the gateway authorises every payment (``statusDetail``
   ``Approved``) or denies the transaction (:class:`PaymentError`, the order is refused).

The payment data goes into the body of call 2 and nowhere else: it is not logged (errors name the
order and the call, never a field value), not stored, not put in an exception. The transaction id is
the :class:`PaymentOutcome` reference kept with the order. The calls go through the one transport
(API area ``payments``: its retries, breaker and metrics). A refused connection and a 429 are retried
(the gateway did nothing); calls 1 and 2 are never re-sent after any 5xx or without an answer (the
first may have started a transaction, the second carries the card data); the authorisation, which
the gateway applies once however often it is asked, is retried on 5xx and timeouts too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.marketplace.seller.payment import PaymentError, PaymentEvent, PaymentOutcome
from vtexbridge.vtex.errors import VtexConnectError, VtexError
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.paths import segments
from vtexbridge.vtex.retry import RetryPolicy
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call, Transport

__all__ = [
    "AUTHORIZE",
    "BUILT_IN",
    "PAYMENTS",
    "START",
    "VtexGatewayPayment",
    "gateway_payments",
]

BUILT_IN = "vtex-gateway"
"""The ``payment_handler`` value that selects this handler."""
START = "/api/pvt/transactions"
PAYMENTS = "/api/pub/transactions/{transactionId}/payments"
AUTHORIZE = "/api/pvt/transactions/{transactionId}/authorization-request"
_FIELDS = (
    "holderName",
    "cardNumber",
    "validationCode",
    "dueDate",
    "document",
    "accountId",
    "address",
    "callbackUrl",
    "firstDigits",
)
ANY_5XX = frozenset(range(500, 600))
"""A payment call answered any 5xx may have acted: it is not sent again."""
_log = logging.getLogger(__name__)


def _cents(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PaymentError(f"{where} must be an amount in cents")
    try:
        number = float(value)
    except ValueError:
        raise PaymentError(f"{where} must be an amount in cents") from None
    if number != int(number) or number < 0:
        raise PaymentError(f"{where} must be a whole, non-negative number of cents")
    return int(number)


def gateway_payments(
    event: PaymentEvent, *, transaction_id: str, merchant: str, currency: str = "BRL"
) -> list[dict[str, Any]]:
    """The payments body of call 2, built from the payment data of ``event``.

    Raises:
        PaymentError: the payment data lacks what the gateway needs (the message names the order
            and the field, never a value), or the payments do not add up to the order's value.
    """
    data = event.payment_data
    raw = data.get("payments") if isinstance(data.get("payments"), list) else [data]
    where = f"payment data of order {event.order_id}"
    if not raw:
        raise PaymentError(f"{where}: no payment")
    out: list[dict[str, Any]] = []
    for n, payment in enumerate(raw):
        if not isinstance(payment, Mapping):
            raise PaymentError(f"{where}: payments[{n}] must be an object")
        system = payment.get("paymentSystem")
        if system in (None, ""):
            raise PaymentError(f"{where}: payments[{n}].paymentSystem is required")
        if len(raw) == 1 and payment.get("value") is None and event.value is not None:
            value = event.value
        else:
            value = _cents(payment.get("value"), f"{where}: payments[{n}].value")
        installments = payment.get("installments") or 1
        fields = payment.get("fields")
        if not isinstance(fields, Mapping):
            fields = {k: payment[k] for k in _FIELDS if k in payment}
        out.append(
            {
                "paymentSystem": int(_cents(system, f"{where}: payments[{n}].paymentSystem")),
                "installments": int(_cents(installments, f"{where}: payments[{n}].installments")),
                "currencyCode": str(payment.get("currencyCode") or currency),
                "value": value,
                "installmentsInterestRate": payment.get("installmentsInterestRate") or 0,
                "installmentsValue": payment.get("installmentsValue") or value,
                "referenceValue": payment.get("referenceValue") or value,
                "fields": dict(fields),
                "transaction": {"id": transaction_id, "merchantName": merchant},
            }
        )
    total = sum(p["value"] for p in out)
    if event.value is not None and total != event.value:
        raise PaymentError(f"{where}: the payments add up to {total}, the order's value is {event.value}")
    return out


class VtexGatewayPayment:
    """Creates and authorises the payment transaction in the VTEX seller's Payment Gateway.

    Args:
        settings: the seller's VTEX account (``vtex``): account name, credentials, timeouts.
        sales_channel: the affiliate's trade policy (sent as ``salesChannel``).
        http_transport: replaces the network (tests, the sandbox in process).
        clock: sleeping between retries.
        attempts: tries of a call that failed before VTEX saw it (connection refused, 429, 5xx).
    """

    def __init__(
        self,
        settings: VtexSettings,
        *,
        sales_channel: str = "1",
        currency: str = "BRL",
        http_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        attempts: int = 3,
        metrics: TransportMetrics | None = None,
    ) -> None:
        self.account = settings.account
        self.sales_channel = sales_channel
        self.currency = currency
        clock = clock or SystemClock()
        policy = RetryPolicy.from_settings(settings, clock, attempts=attempts)
        self._transport = Transport(
            settings, http_transport=http_transport, clock=clock, metrics=metrics, retry_policy=policy
        )

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def _post(
        self,
        step: str,
        order_id: str,
        route: str,
        body: Any,
        *,
        path: Mapping[str, str | int] | None = None,
        params: Mapping[str, str] | None = None,
        repeatable: bool = False,
    ) -> Any:
        """POST through the transport; ``repeatable`` False: never re-sent once it may have acted."""
        call = Call(
            Api.PAYMENTS,
            "POST",
            route,
            path or {},
            params=params,
            json=body,
            idempotent=repeatable,
            unsafe_statuses=None if repeatable else ANY_5XX,
        )
        try:
            response = await self._transport.send(call)
        except VtexError as e:
            raise PaymentError(f"{step} of order {order_id}: {_failure(e)}") from None
        return response.json() if response.content else None

    async def handle(self, event: PaymentEvent) -> PaymentOutcome:
        """Start the transaction, send the payments, authorise; the transaction id is the reference."""
        if event.value is None or event.value <= 0:
            raise PaymentError(f"order {event.order_id} has no value to pay")
        started = await self._post(
            "starting the payment transaction",
            event.order_id,
            START,
            {
                "value": event.value,
                "referenceId": event.order_id,
                "channel": self.account,
                "urn": "",
                "salesChannel": self.sales_channel,
            },  # a 5xx may have started it: a retry could start a second one
        )
        tid = str((started or {}).get("id") or (started or {}).get("transactionId") or "")
        if not tid:
            raise PaymentError(f"the Payment Gateway started no transaction for order {event.order_id}")
        payments = gateway_payments(event, transaction_id=tid, merchant=self.account, currency=self.currency)
        await self._post(  # the card data is not sent twice on an answer that may hide a success
            "sending the payments",
            event.order_id,
            PAYMENTS,
            payments,
            path=segments(transactionId=tid),
            params={"orderId": event.order_id},
        )
        answer = await self._post(  # authorising a transaction twice authorises it once
            "authorizing the payment",
            event.order_id,
            AUTHORIZE,
            {"transactionId": tid, "prepareForRecurrency": False},
            path=segments(transactionId=tid),
            repeatable=True,
        )
        detail = str((answer or {}).get("statusDetail") or "")
        if detail != "Approved":
            raise PaymentError(
                f"the payment of order {event.order_id} was not approved ({detail or 'no status'})"
            )
        _log.info("payment gateway: transaction %s of order %s authorized", tid, event.order_id)
        return PaymentOutcome(reference=tid, details={"transactionId": tid, "status": detail})


def _failure(error: VtexError) -> str:
    """What went wrong, in the gateway's words (its own error text; our request body is never echoed)."""
    if isinstance(error, VtexConnectError):
        return "the Payment Gateway is unreachable"
    if error.status is None:
        cause: BaseException = error
        while isinstance(cause, VtexError) and cause.__cause__ is not None:
            cause = cause.__cause__  # the network's own error (ReadTimeout, RemoteProtocolError ...)
        return f"no answer ({type(cause).__name__})"
    message = (error.vtex_message or "")[:200]
    return f"the Payment Gateway answered {error.status} {message}".rstrip()
