"""The HTTP adapter: the ERP answers a small JSON API (documented in docs/providers.md).

``{url}`` is the ERP API's base URL; every call carries the configured headers and, for writes,
``Idempotency-Key`` (the ledger's id: the ERP must treat a repeat as the same operation and answer
its first outcome)::

    POST {url}/giftcards/search                {clientId, email, document, redemptionCode} -> {cards: [card]}
    GET  {url}/giftcards/{id}                  -> card | 404
    POST {url}/giftcards                       {relationName, caption, profileId, currency, ...} -> card
    POST {url}/giftcards/{id}/movements        {opId, kind: debit|credit, value} -> {applied, balance, reason}
    POST {url}/credit/authorizations           {paymentId, customer, value, currency, method, ...}
                                 -> {status: approved|denied|pending, code, message, authorizationId}
    GET  {url}/credit/authorizations/{paymentId}  -> the same | 404
    POST {url}/credit/operations               {opId, paymentId, kind: cancel|settle|refund, value} -> 2xx
    POST {url}/fraud/analyses                  {txId, value, reference, document, email, ...}
                                               -> {status: received|approved|denied|undefined, score, reasons}
    GET  {url}/fraud/analyses/{txId}           -> the same | 404
    DELETE {url}/fraud/analyses/{txId}         -> 2xx

A card is ``{id, balance, currency, redemptionCode, redemptionToken, emissionDate, expiringDate?,
caption?, relationName?, ownerId?}``; amounts are in currency units (two decimals at most).

The calls follow the provider side's HTTP policy: one pooled client, a hard timeout per call (the
protocol's budget: VTEX waits seconds, not minutes), no retries inside VTEX's request (VTEX retries
the whole request, which the ledger makes safe) and a circuit breaker that stops calling an ERP that
keeps failing (the answer is then the protocol's error/pending at once). Errors never carry the
request body (a redemption code is a secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.providers.adapters.base import (
    CardQuery,
    CreditDecision,
    CreditOperation,
    CreditRequest,
    FraudCase,
    FraudDecision,
    GiftCard,
    Movement,
    MovementResult,
    NewCard,
)
from vtexbridge.providers.errors import ErpUnavailable
from vtexbridge.vtex.breaker import Admission, CircuitBreaker

__all__ = ["HttpErp"]


def _cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def _units(value_cents: int) -> float:
    return value_cents / 100


def _card(d: Mapping[str, Any]) -> GiftCard:
    return GiftCard(
        id=str(d["id"]),
        balance_cents=_cents(d["balance"]),
        currency=str(d.get("currency") or "BRL"),
        redemption_code=str(d["redemptionCode"]),
        redemption_token=str(d.get("redemptionToken") or ""),
        emission_date=str(d.get("emissionDate") or ""),
        expiring_date=d.get("expiringDate"),
        caption=d.get("caption"),
        relation_name=d.get("relationName"),
        owner_id=d.get("ownerId"),
    )


def _credit(d: Mapping[str, Any]) -> CreditDecision:
    status = d.get("status")
    if status not in ("approved", "denied", "pending"):
        raise ErpUnavailable(f"the ERP answered an unknown credit status {str(status)[:20]!r}")
    return CreditDecision(status, d.get("code"), d.get("message"), d.get("authorizationId"))


def _fraud(d: Mapping[str, Any]) -> FraudDecision:
    status = d.get("status")
    if status not in ("received", "approved", "denied", "undefined"):
        raise ErpUnavailable(f"the ERP answered an unknown fraud status {str(status)[:20]!r}")
    score = d.get("score")
    reasons = d.get("reasons") or []
    return FraudDecision(status, float(score) if score is not None else None, tuple(str(r) for r in reasons))


class HttpErp:
    """The three protocols' ERP side over the documented JSON API."""

    name = "http"

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        breaker_threshold: int = 5,
        breaker_cooldown_s: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout_s),
            headers={"Accept": "application/json", **(headers or {})},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )
        self.breaker = CircuitBreaker(breaker_threshold, breaker_cooldown_s, clock or SystemClock())

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(
        self, method: str, path: str, *, json: Any = None, key: str | None = None, allow_404: bool = False
    ) -> Any:
        admission = self.breaker.admit()
        if admission is Admission.REFUSE:
            raise ErpUnavailable("the ERP API keeps failing; not calling it until its breaker cools down")
        what = f"{method} /{path.split('/')[1]}"
        headers = {"Idempotency-Key": key} if key else None
        try:
            response = await self._client.request(method, self.url + path, json=json, headers=headers)
        except httpx.HTTPError as e:
            self.breaker.record(503, admission)  # no answer from the ERP counts as a failure here
            raise ErpUnavailable(f"the ERP API did not answer {what}: {type(e).__name__}") from None
        except BaseException:
            self.breaker.abandon(admission)
            raise
        status = response.status_code
        failed = status >= 500 or status in (408, 429)
        self.breaker.record(503 if failed else status, admission)
        if failed:
            raise ErpUnavailable(f"the ERP API answered HTTP {status} to {what}")
        if status == 404 and allow_404:
            return None
        if status >= 400:
            raise ErpUnavailable(f"the ERP API refused {what}: HTTP {status}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ErpUnavailable(f"the ERP API answered {what} with something that is not JSON") from None

    async def search_cards(self, query: CardQuery) -> list[GiftCard]:
        body = {
            "clientId": query.client_id,
            "email": query.email,
            "document": query.document,
            "redemptionCode": query.redemption_code,
        }
        found = await self._call("POST", "/giftcards/search", json=body)
        cards = found.get("cards", []) if isinstance(found, Mapping) else []
        return [_card(c) for c in cards if isinstance(c, Mapping)]

    async def get_card(self, card_id: str) -> GiftCard | None:
        found = await self._call("GET", f"/giftcards/{quote(card_id, safe='')}", allow_404=True)
        return _card(found) if isinstance(found, Mapping) else None

    async def create_card(self, new: NewCard) -> GiftCard:
        body = {
            "relationName": new.relation_name,
            "caption": new.caption,
            "profileId": new.profile_id,
            "currency": new.currency,
            "emissionDate": new.emission_date,
            "expiringDate": new.expiring_date,
        }
        return _card(await self._call("POST", "/giftcards", json=body, key=new.relation_name))

    async def apply_movement(self, movement: Movement) -> MovementResult:
        body = {"opId": movement.op_id, "kind": movement.kind, "value": _units(movement.value_cents)}
        path = f"/giftcards/{quote(movement.card_id, safe='')}/movements"
        out = await self._call("POST", path, json=body, key=movement.op_id)
        if not isinstance(out, Mapping) or not isinstance(out.get("applied"), bool):
            raise ErpUnavailable("the ERP API's movement answer has no boolean 'applied'")
        balance = out.get("balance")
        return MovementResult(
            out["applied"], _cents(balance) if balance is not None else None, out.get("reason")
        )

    async def authorize_credit(self, request: CreditRequest) -> CreditDecision:
        body = {
            "paymentId": request.payment_id,
            "customer": request.customer,
            "value": _units(request.value_cents),
            "currency": request.currency,
            "method": request.method,
            "orderId": request.order_id,
            "reference": request.reference,
            "email": request.email,
        }
        return _credit(await self._call("POST", "/credit/authorizations", json=body, key=request.payment_id))

    async def credit_decision(self, payment_id: str) -> CreditDecision | None:
        found = await self._call(
            "GET", f"/credit/authorizations/{quote(payment_id, safe='')}", allow_404=True
        )
        return _credit(found) if isinstance(found, Mapping) else None

    async def credit_operation(self, operation: CreditOperation) -> bool:
        body = {
            "opId": operation.op_id,
            "paymentId": operation.payment_id,
            "kind": operation.kind,
            "value": _units(operation.value_cents),
        }
        await self._call("POST", "/credit/operations", json=body, key=operation.op_id)
        return True

    async def analyse(self, case: FraudCase) -> FraudDecision:
        body = {
            "txId": case.tx_id,
            "value": _units(case.value_cents),
            "reference": case.reference,
            "document": case.document,
            "email": case.email,
            "ip": case.ip,
            "country": case.country,
            "items": case.items,
            "preAnalysis": case.pre_analysis,
        }
        return _fraud(await self._call("POST", "/fraud/analyses", json=body, key=case.tx_id))

    async def fraud_status(self, tx_id: str) -> FraudDecision | None:
        found = await self._call("GET", f"/fraud/analyses/{quote(tx_id, safe='')}", allow_404=True)
        return _fraud(found) if isinstance(found, Mapping) else None

    async def stop_analysis(self, tx_id: str) -> None:
        await self._call("DELETE", f"/fraud/analyses/{quote(tx_id, safe='')}", allow_404=True)
