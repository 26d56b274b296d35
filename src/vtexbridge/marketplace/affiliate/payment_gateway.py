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
the :class:`PaymentOutcome` reference kept with the order. A refused connection and a 429 are retried
(the gateway did nothing); a 5xx is retried except on call 1 (it may have started a transaction); a
call left without an answer is not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.config import VtexSettings
from vtexbridge.marketplace.seller.payment import PaymentError, PaymentEvent, PaymentOutcome
from vtexbridge.vtex.transport import auth_headers

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
    ) -> None:
        self.account = settings.account
        self.sales_channel = sales_channel
        self.currency = currency
        headers = {"Accept": "application/json", "Content-Type": "application/json", **auth_headers(settings)}
        if settings.base_url:
            base = settings.base_url.rstrip("/")
            headers["Host"] = f"{settings.account}.vtexpayments.com.br"
        else:
            base = f"https://{settings.account}.vtexpayments.com.br"
        self._clock: Clock = clock or SystemClock()
        self._attempts = attempts
        self._delay = settings.backoff_base_s
        self._client = httpx.AsyncClient(
            base_url=base,
            headers=headers,
            transport=http_transport,
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(
        self,
        step: str,
        order_id: str,
        route: str,
        body: Any,
        *,
        params: Mapping[str, str] | None = None,
        retry_5xx: bool = True,
    ) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._client.post(route, json=body, params=params)
            except httpx.ConnectError:
                if attempt >= self._attempts:
                    raise PaymentError(
                        f"{step} of order {order_id}: the Payment Gateway is unreachable"
                    ) from None
            except httpx.TransportError as e:
                # the gateway may have acted on it: do not send it twice
                raise PaymentError(f"{step} of order {order_id}: no answer ({type(e).__name__})") from None
            else:
                if response.status_code < 400:
                    return response.json() if response.content else None
                again = response.status_code == 429 or (response.status_code >= 500 and retry_5xx)
                if not again or attempt >= self._attempts:
                    raise PaymentError(
                        f"{step} of order {order_id}: the Payment Gateway answered "
                        f"{response.status_code} {_message(response)}"
                    )
            _log.info("payment gateway: %s of order %s failed; retry %d", step, order_id, attempt)
            await self._clock.sleep(self._delay * 2 ** (attempt - 1))

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
            },
            retry_5xx=False,  # a 5xx may have started it: a retry could start a second one
        )
        tid = str((started or {}).get("id") or (started or {}).get("transactionId") or "")
        if not tid:
            raise PaymentError(f"the Payment Gateway started no transaction for order {event.order_id}")
        payments = gateway_payments(event, transaction_id=tid, merchant=self.account, currency=self.currency)
        await self._post(
            "sending the payments",
            event.order_id,
            PAYMENTS.format(transactionId=tid),
            payments,
            params={"orderId": event.order_id},
            retry_5xx=False,  # the card data is not sent twice on an answer that may hide a success
        )
        answer = await self._post(
            "authorizing the payment",
            event.order_id,
            AUTHORIZE.format(transactionId=tid),
            {"transactionId": tid, "prepareForRecurrency": False},
        )
        detail = str((answer or {}).get("statusDetail") or "")
        if detail != "Approved":
            raise PaymentError(
                f"the payment of order {event.order_id} was not approved ({detail or 'no status'})"
            )
        _log.info("payment gateway: transaction %s of order %s authorized", tid, event.order_id)
        return PaymentOutcome(reference=tid, details={"transactionId": tid, "status": detail})


def _message(response: httpx.Response) -> str:
    """VTEX's error message (the gateway's own text; our request body is never echoed here)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])[:200]
    return ""
