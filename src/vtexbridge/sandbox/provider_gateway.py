"""The sandbox as VTEX's Payment Gateway in front of the provider protocols the bridge serves.

A shopper's order is paid with a gift card (Gift Card Provider Protocol) and the rest on the ERP's
credit line (Payment Provider Protocol), then analysed (Antifraud Provider Protocol), captured when
the order is invoiced and refunded or cancelled when it is cancelled. The sandbox makes the calls
VTEX makes, with the protocols' headers (``X-PROVIDER-API-AppKey``/``AppToken``, the header
parameters of the three specs, and ``X-VTEX-API-*``, the payment spec's security scheme), a
``callbackUrl`` and an antifraud
``hook`` that point back at the sandbox, and VTEX's retries: a 5xx or no answer is retried a few
times; an ``undefined`` payment is asked again on every :meth:`ProviderGateway.tick` (VTEX's retry
flow), as is an antifraud analysis still undecided; the callback and the hook move the order on
as soon as they arrive.

Order states: ``payment-pending`` (a payment or the analysis is undecided), ``authorized``,
``denied`` (a payment was denied: what was taken is given back), ``canceled`` (the analysis denied
it, or the shopper cancelled before invoicing: authorizations cancelled), ``invoiced`` (settled),
``refunded`` (cancelled after invoicing). Every outbound call is kept (method, path, header names,
body, status) for ``GET /_sandbox/providers/calls``; header values are not kept.

This module imports only the base layer and httpx (never vtexbridge's client).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from vtexbridge.clock import Clock

__all__ = ["GatewayError", "ProviderConfig", "ProviderGateway"]

KINDS = ("giftcard", "payment", "antifraud")
ATTEMPTS = 3
MAX_CALLS = 2000


class GatewayError(Exception):
    """A provider could not be reached or refused: the order cannot go on (message for the operator)."""


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One affiliation: where the provider is and the credentials VTEX presents to it."""

    service_url: str
    app_key: str
    app_token: str = field(repr=False)


@dataclass(slots=True)
class Call:
    method: str
    url: str
    header_names: list[str]
    body: Any
    status: int | None


def _items(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The order's items with every field the payment and antifraud specs require."""
    out = []
    for n, item in enumerate(order.get("items") or [], start=1):
        out.append(
            {
                "id": str(item.get("id", n)),
                "name": str(item.get("name", f"item {n}")),
                "price": item.get("price", 0),
                "quantity": item.get("quantity", 1),
                "discount": item.get("discount", 0),
                "deliveryType": item.get("deliveryType", "Normal"),
                "deliverySlaInMinutes": item.get("deliverySlaInMinutes", 7200),
                "categoryId": str(item.get("categoryId", "1")),
                "categoryName": str(item.get("categoryName", "General")),
                "sellerId": str(item.get("sellerId", "1")),
            }
        )
    return out


_ADDRESS = (
    "postalCode",
    "city",
    "state",
    "country",
    "street",
    "number",
    "neighborhood",
    "complement",
    "reference",
)


def _order_info(order: Mapping[str, Any]) -> dict[str, Any]:
    """The ``orderInfo`` of a gift card transaction (the cart in currency units, this time)."""
    buyer, address = order["buyer"], order.get("address") or {}
    items = [
        {"id": i["id"], "productId": i["id"], "refId": i["id"], "name": i["name"], "value": i["price"],
         "price": i["price"], "quantity": i["quantity"], "shippingDiscount": 0, "discount": i["discount"],
         "priceTags": []}
        for i in _items(order)
    ]  # fmt: skip
    return {
        "orderId": order["orderId"],
        "sequence": 1,
        "cart": {"items": items, "grandTotal": round(order["value"] * 100), "discounts": 0, "shipping": 0,
                 "taxes": 0, "itemsTotal": order["value"]},
        "clientProfile": {"email": buyer.get("email", ""), "firstName": buyer.get("firstName", ""),
                          "lastName": buyer.get("lastName", ""), "document": buyer.get("document", ""),
                          "phone": buyer.get("phone", ""), "birthDate": buyer.get("birthDate", ""),
                          "isCorporate": bool(buyer.get("isCorporate", False))},
        "shipping": {"receiverName": f"{buyer.get('firstName', '')} {buyer.get('lastName', '')}".strip(),
                     **{k: str(address.get(k, "")) for k in _ADDRESS}},
    }  # fmt: skip


class ProviderGateway:
    def __init__(self, clock: Clock, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.clock = clock
        self.transport = transport
        self.providers: dict[str, ProviderConfig] = {}
        self.calls: list[Call] = []
        self.timeout_s = 10.0

    # --- HTTP -------------------------------------------------------------------------------------

    def _headers(self, kind: str) -> dict[str, str]:
        p = self.providers[kind]
        media = "application/vnd.vtex.giftcards.v1+json" if kind == "giftcard" else "application/json"
        return {
            "Accept": "application/json",
            "Content-Type": media,
            # the specs' header parameters, and the payment spec's security scheme: both carry the pair
            "X-PROVIDER-API-AppKey": p.app_key,
            "X-PROVIDER-API-AppToken": p.app_token,
            "X-VTEX-API-AppKey": p.app_key,
            "X-VTEX-API-AppToken": p.app_token,
        }

    async def call(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One protocol call with VTEX's retries (5xx, 408, 429, no answer); (status, JSON body)."""
        if kind not in self.providers:
            raise GatewayError(f"no {kind} provider is configured (PUT /_sandbox/providers/{kind})")
        url = self.providers[kind].service_url.rstrip("/") + path
        headers = self._headers(kind)
        last = ""
        for attempt in range(1, ATTEMPTS + 1):
            status: int | None = None
            try:
                async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout_s) as client:
                    response = await client.request(method, url, json=body, headers=headers)
                status = response.status_code
                data = (
                    response.json()
                    if response.content and "json" in response.headers.get("content-type", "")
                    else None
                )
            except httpx.HTTPError as e:
                last = type(e).__name__
            finally:
                self._record(method, url, headers, body, status)
            if status is not None and status < 500 and status not in (408, 429):
                return status, data
            if status is not None:
                last = f"HTTP {status}"
            if attempt < ATTEMPTS:
                await self.clock.sleep(0.05 * attempt)
        raise GatewayError(f"the {kind} provider did not answer {method} {path}: {last}")

    def _record(
        self, method: str, url: str, headers: Mapping[str, str], body: Any, status: int | None
    ) -> None:
        self.calls.append(Call(method, url, sorted(headers), body, status))
        del self.calls[:-MAX_CALLS]

    # --- the order flow ---------------------------------------------------------------------------

    async def place(self, order: dict[str, Any], base_url: str, account: str) -> dict[str, Any]:
        """Authorize ``order``'s payments, then run the analysis; returns the order (state updated)."""
        order.setdefault("log", [])
        gift = order.get("giftCard")
        if gift is not None:
            await self._debit_gift_card(order, gift)
            if order["status"] == "denied":
                return order
        pay = order.get("payment")
        if pay is not None:
            pay.setdefault("paymentId", uuid.uuid4().hex.upper())
            pay.setdefault("transactionId", order["transactionId"])
            signature = uuid.uuid4().hex[:16]
            pay["callbackUrl"] = (
                f"{base_url}/api/pvt/payment-provider/transactions/{pay['transactionId']}/payments/"
                f"{pay['paymentId']}/callback?accountName={account}&X-VTEX-signature={signature}"
            )
            await self._create_payment(order, base_url)
        return await self.advance(order, base_url)

    async def _debit_gift_card(self, order: dict[str, Any], gift: dict[str, Any]) -> None:
        buyer = order["buyer"]
        search = {
            "client": {
                "id": buyer.get("id", ""),
                "email": buyer.get("email", ""),
                "document": buyer.get("document", ""),
            },
            "cart": {
                "grandTotal": round(order["value"] * 100),
                "relationName": None,
                "redemptionCode": gift["redemptionCode"],
                "discounts": 0,
                "shipping": 0,
                "taxes": 0,
                "items": [
                    {"productId": i["id"], "id": i["id"], "refId": i["id"], "name": i["name"],
                     "price": round(float(i["price"]) * 100), "quantity": i["quantity"]}
                    for i in _items(order)
                ],
                "itemsTotal": round(order["value"] * 100),
            },
        }  # fmt: skip
        status, cards = await self.call("giftcard", "POST", "/giftcards/_search", search)
        found = [c for c in cards or [] if isinstance(c, Mapping)] if status == 200 else []
        if not found:
            self._deny(order, "the gift card was not found")
            return
        card_id = str(found[0]["id"])
        gift["cardId"] = card_id
        gift["requestId"] = f"{order['orderId']}-gc"
        body = {
            "operation": "Debit",
            "value": gift["value"],
            "description": f"order {order['orderId']}",
            "redemptionToken": gift.get("redemptionToken", ""),
            "redemptionCode": gift["redemptionCode"],
            "requestId": gift["requestId"],
            "orderInfo": _order_info(order),
        }
        status, answer = await self.call("giftcard", "POST", f"/giftcards/{card_id}/transactions", body)
        if status != 200:
            self._deny(order, f"the gift card transaction was refused (HTTP {status})")
            return
        gift["transactionId"] = answer["id"]
        gift["status"] = "authorized"

    def _payment_body(self, order: dict[str, Any], base_url: str) -> dict[str, Any]:
        pay, buyer = order["payment"], order["buyer"]
        return {
            "reference": order["orderId"],
            "orderId": order["orderId"],
            "shopperInteraction": "ecommerce",
            "verificationOnly": False,
            "transactionId": pay["transactionId"],
            "paymentId": pay["paymentId"],
            "paymentMethod": pay["method"],
            "paymentMethodCustomCode": None,
            "merchantName": order["store"],
            "value": pay["value"],
            "referenceValue": pay["value"],
            "currency": order.get("currency", "BRL"),
            "installments": 1,
            "installmentsInterestRate": 0,
            "installmentsValue": pay["value"],
            "deviceFingerprint": "sandbox",
            "ipAddress": order.get("ip", "127.0.0.1"),
            "miniCart": {
                "shippingValue": 0,
                "taxValue": 0,
                "buyer": buyer,
                "shippingAddress": order.get("address", {}),
                "billingAddress": order.get("address", {}),
                "items": _items(order),
            },
            "url": f"{base_url}/admin/orders/{order['orderId']}",
            "callbackUrl": pay["callbackUrl"],
            "returnUrl": f"{base_url}/checkout/orderPlaced?og={order['orderId']}",
        }

    async def _create_payment(self, order: dict[str, Any], base_url: str) -> None:
        """``POST /payments`` (first call and VTEX's retries of an undefined one: same paymentId)."""
        status, answer = await self.call("payment", "POST", "/payments", self._payment_body(order, base_url))
        if status != 200 or not isinstance(answer, Mapping):
            self._deny(order, f"the payment provider answered HTTP {status}")
            return
        self.payment_status(order, answer)

    def payment_status(self, order: dict[str, Any], answer: Mapping[str, Any]) -> None:
        """Take a payment answer (from POST /payments or the callback)."""
        pay = order["payment"]
        if answer.get("paymentId") != pay["paymentId"]:
            return
        pay["status"] = answer.get("status")
        pay["authorizationId"] = answer.get("authorizationId")
        order["log"].append(f"payment {pay['status']}")

    def _deny(self, order: dict[str, Any], why: str) -> None:
        order["status"] = "denied"
        order["log"].append(why)

    async def advance(self, order: dict[str, Any], base_url: str) -> dict[str, Any]:
        """Move the order on from what is known: denied payments, the analysis, authorization."""
        if order["status"] in ("canceled", "invoiced", "refunded", "authorized"):
            return order
        pay = order.get("payment")
        if order["status"] == "denied" or (pay is not None and pay.get("status") == "denied"):
            order["status"] = "denied"
            await self._cancel_authorizations(order)
            return order
        if pay is not None and pay.get("status") != "approved":
            order["status"] = "payment-pending"
            return order
        if order.setdefault("antifraud", {}).get("status") is None:
            await self._send_antifraud(order, base_url)
        fraud = order["antifraud"]
        if fraud.get("status") == "approved":
            order["status"] = "authorized"
        elif fraud.get("status") == "denied":
            order["status"] = "canceled"
            order["log"].append("antifraud denied: payments cancelled")
            await self._cancel_authorizations(order)
        else:
            order["status"] = "payment-pending"
        return order

    async def _send_antifraud(self, order: dict[str, Any], base_url: str) -> None:
        if "antifraud" not in self.providers:
            order["antifraud"] = {"status": "approved", "skipped": True}
            return
        tid = order["transactionId"]
        payments = []
        if order.get("giftCard"):
            payments.append(
                {
                    "id": order["giftCard"]["requestId"],
                    "method": "GiftCard",
                    "value": order["giftCard"]["value"],
                    "currencyIso4217": order.get("currency", "BRL"),
                    "installments": 1,
                }
            )
        if order.get("payment"):
            payments.append(
                {
                    "id": order["payment"]["paymentId"],
                    "method": "Promissory",
                    "value": order["payment"]["value"],
                    "currencyIso4217": order.get("currency", "BRL"),
                    "installments": 1,
                }
            )
        buyer = {**order["buyer"], "address": order.get("address", {})}
        body = {
            "id": tid,
            "reference": order["orderId"],
            "value": order["value"],
            "ip": order.get("ip", "127.0.0.1"),
            "store": order["store"],
            "deviceFingerprint": "sandbox",
            "sellerId": "1",
            "miniCart": {
                "buyer": buyer,
                "shipping": {"value": 0, "estimatedDate": "", "address": order.get("address", {})},
                "items": _items(order),
                "taxValue": 0,
                "listRegistry": {"name": "", "deliveryToOwner": True},
            },
            "payments": payments,
            "hook": f"{base_url}/api/pvt/antifraud-provider/transactions/{tid}/hook",
            "transactionStartDate": order.get("createdAt", ""),
        }
        status, answer = await self.call("antifraud", "POST", "/transactions", body)
        fraud = order["antifraud"]
        fraud["status"] = (
            answer.get("status") if status == 200 and isinstance(answer, Mapping) else "received"
        )
        fraud["score"] = answer.get("score") if isinstance(answer, Mapping) else None
        order["log"].append(f"antifraud {fraud['status']}")

    def antifraud_status(self, order: dict[str, Any], answer: Mapping[str, Any]) -> None:
        """Take an analysis status (from polling or the hook): undefined keeps it pending."""
        status = answer.get("status")
        if status in ("approved", "denied"):
            order.setdefault("antifraud", {})["status"] = status
            order["log"].append(f"antifraud {status} (later)")

    async def tick(self, order: dict[str, Any], base_url: str) -> dict[str, Any]:
        """VTEX's periodic work on a pending order: ask again (payments), poll (analysis)."""
        if order["status"] != "payment-pending":
            return order
        pay = order.get("payment")
        if pay is not None and pay.get("status") == "undefined":
            await self._create_payment(order, base_url)
        fraud = order.get("antifraud") or {}
        if fraud.get("status") == "received":
            status, answer = await self.call("antifraud", "GET", f"/transactions/{order['transactionId']}")
            if status == 200 and isinstance(answer, Mapping):
                self.antifraud_status(order, answer)
        return await self.advance(order, base_url)

    # --- after authorization ----------------------------------------------------------------------

    async def _cancel_authorizations(self, order: dict[str, Any]) -> None:
        gift, pay = order.get("giftCard"), order.get("payment")
        if gift is not None and gift.get("status") == "authorized":
            path = f"/giftcards/{gift['cardId']}/transactions/{gift['transactionId']}/cancellations"
            status, _ = await self.call(
                "giftcard",
                "POST",
                path,
                {"value": gift["value"], "requestId": f"{order['orderId']}-gc-cancel"},
            )
            if status == 200:
                gift["status"] = "cancelled"
        if pay is not None and pay.get("status") in ("approved", "undefined"):
            body = {
                "paymentId": pay["paymentId"],
                "requestId": f"{order['orderId']}-cancel",
                "authorizationId": pay.get("authorizationId") or "",
                "transactionId": pay["transactionId"],
            }
            status, _ = await self.call(
                "payment", "POST", f"/payments/{pay['paymentId']}/cancellations", body
            )
            if status == 200:
                pay["status"] = "cancelled"

    async def _gift_card_op(self, order: dict[str, Any], kind: str, tag: str) -> None:
        """A settlement or cancellation (refund) of the order's gift card transaction, if any."""
        gift = order.get("giftCard")
        if gift is None:
            return
        path = f"/giftcards/{gift['cardId']}/transactions/{gift['transactionId']}/{kind}"
        body = {"value": gift["value"], "requestId": f"{order['orderId']}-gc-{tag}"}
        status, _ = await self.call("giftcard", "POST", path, body)
        if status != 200:
            raise GatewayError(f"the gift card {kind} answered HTTP {status}")
        gift["status"] = "settled" if kind == "settlements" else "refunded"

    async def _payment_op(self, order: dict[str, Any], kind: str, body: dict[str, Any]) -> None:
        """A settlement or refund of the order's credit-line payment, if any."""
        pay = order.get("payment")
        if pay is None:
            return
        status, _ = await self.call("payment", "POST", f"/payments/{pay['paymentId']}/{kind}", body)
        if status != 200:
            raise GatewayError(f"the payment {kind} answered HTTP {status}")
        pay["status"] = "settled" if kind == "settlements" else "refunded"

    async def invoice(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order is invoiced: settle every payment (capture on invoice)."""
        if order["status"] != "authorized":
            raise GatewayError(f"order {order['orderId']} is {order['status']}, not authorized")
        await self._gift_card_op(order, "settlements", "settle")
        pay = order.get("payment") or {}
        body = {
            "transactionId": pay.get("transactionId"), "requestId": f"{order['orderId']}-settle",
            "paymentId": pay.get("paymentId"), "value": pay.get("value"),
            "authorizationId": pay.get("authorizationId") or "",
        }  # fmt: skip
        await self._payment_op(order, "settlements", body)
        order["status"] = "invoiced"
        return order

    async def cancel(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order is cancelled: refund what was settled, cancel what was only authorized."""
        if order["status"] in ("canceled", "refunded", "denied"):
            return order
        if order["status"] != "invoiced":
            await self._cancel_authorizations(order)
            order["status"] = "canceled"
            return order
        await self._gift_card_op(order, "cancellations", "refund")
        pay = order.get("payment") or {}
        body = {
            "requestId": f"{order['orderId']}-refund", "settleId": pay.get("paymentId"),
            "paymentId": pay.get("paymentId"), "tid": pay.get("paymentId"), "value": pay.get("value"),
            "transactionId": pay.get("transactionId"),
        }  # fmt: skip
        await self._payment_op(order, "refunds", body)
        order["status"] = "refunded"
        return order
