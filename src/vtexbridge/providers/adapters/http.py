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

The calls go through the project's one HTTP policy, :class:`~vtexbridge.vtex.transport.Transport`
(a call naming its own URL, target ``erp-providers``: its breaker and metrics, no VTEX credentials),
with the protocol's budget as the timeout (VTEX waits seconds, not minutes) and no retries inside
VTEX's request (VTEX retries the whole request, which the ledger makes safe). Errors never carry the
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
from vtexbridge.vtex.errors import CircuitOpen, VtexError, VtexStatusError
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call, Transport

__all__ = ["TARGET", "HttpErp"]

TARGET = "erp-providers"
"""The transport target (breaker, metrics' ``api`` label) of the ERP API calls."""


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
        metrics: TransportMetrics | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._headers = {"Accept": "application/json", "Content-Type": "application/json", **(headers or {})}
        settings = VtexSettings(
            timeout_s=timeout_s,
            connect_timeout_s=timeout_s,
            max_retries=0,
            breaker_threshold=breaker_threshold,
            breaker_cooldown_s=breaker_cooldown_s,
        )
        self._transport = Transport(
            settings, http_transport=transport, clock=clock or SystemClock(), metrics=metrics
        )

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def _call(
        self, method: str, path: str, *, json: Any = None, key: str | None = None, allow_404: bool = False
    ) -> Any:
        what = f"{method} /{path.split('/')[1]}"
        headers = {**self._headers, "Idempotency-Key": key} if key else self._headers
        call = Call(
            Api.EXTERNAL, method, path, json=json, headers=headers, idempotent=True, base_url=self.url,
            target=TARGET, credentials=False, accept=frozenset({404}) if allow_404 else frozenset(),
        )  # fmt: skip
        try:
            response = await self._transport.send(call)
        except CircuitOpen:
            raise ErpUnavailable(
                "the ERP API keeps failing; not calling it until its breaker cools down"
            ) from None
        except VtexStatusError as e:
            kind = "answered" if e.retryable else "refused"
            raise ErpUnavailable(f"the ERP API {kind} {what}: HTTP {e.status}") from None
        except VtexError as e:
            raise ErpUnavailable(f"the ERP API did not answer {what}: {type(e).__name__}") from None
        if response.status_code == 404:
            return None
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
