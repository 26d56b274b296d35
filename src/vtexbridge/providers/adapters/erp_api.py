"""A reference implementation of the ERP JSON API the HTTP adapter calls, over the SQL tables.

An ERP team can read it as the executable contract of docs/providers.md ("The HTTP API"), run it in
front of the reference tables to try the bridge, or compare its answers with their own service; the
tests run the HTTP adapter against it. ``erp_api(erp, token=None)`` returns a Starlette app; with a
token, every call must carry ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from vtexbridge.providers.adapters.base import (
    CardQuery,
    CreditDecision,
    CreditOperation,
    CreditRequest,
    FraudCase,
    FraudDecision,
    GiftCard,
    Movement,
    NewCard,
)
from vtexbridge.providers.adapters.sql import SqlErp

__all__ = ["erp_api"]

Handler = Callable[[Request], Awaitable[Response]]


def _cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def _card(card: GiftCard) -> dict[str, Any]:
    return {
        "id": card.id, "balance": card.balance_cents / 100, "currency": card.currency,
        "redemptionCode": card.redemption_code, "redemptionToken": card.redemption_token,
        "emissionDate": card.emission_date, "expiringDate": card.expiring_date, "caption": card.caption,
        "relationName": card.relation_name, "ownerId": card.owner_id,
    }  # fmt: skip


def _credit(d: CreditDecision) -> dict[str, Any]:
    return {"status": d.status, "code": d.code, "message": d.message, "authorizationId": d.authorization_id}


def _fraud(d: FraudDecision) -> dict[str, Any]:
    return {"status": d.status, "score": d.score, "reasons": list(d.reasons)}


class _ErpApi:
    def __init__(self, erp: SqlErp, token: str | None) -> None:
        self.erp = erp
        self.token = token

    def guarded(self, fn: Handler) -> Handler:
        async def handler(request: Request) -> Response:
            if self.token is not None:
                given = request.headers.get("authorization", "").removeprefix("Bearer ")
                if not hmac.compare_digest(given.encode(), self.token.encode()):
                    return JSONResponse({"error": "unauthorized"}, status_code=401)
            try:
                return await fn(request)
            except (KeyError, TypeError, ValueError, ArithmeticError) as e:
                return JSONResponse({"error": f"bad request: {type(e).__name__}"}, status_code=400)

        return handler

    async def search(self, request: Request) -> Response:
        b = await request.json()
        query = CardQuery(b.get("clientId"), b.get("email"), b.get("document"), b.get("redemptionCode"))
        return JSONResponse({"cards": [_card(c) for c in await self.erp.search_cards(query)]})

    async def get_card(self, request: Request) -> Response:
        card = await self.erp.get_card(request.path_params["id"])
        return JSONResponse(_card(card)) if card else JSONResponse({"error": "not found"}, status_code=404)

    async def create(self, request: Request) -> Response:
        b = await request.json()
        new = NewCard(b["relationName"], b["caption"], b["profileId"], b.get("currency") or "BRL",
                      b.get("emissionDate"), b.get("expiringDate"))  # fmt: skip
        return JSONResponse(_card(await self.erp.create_card(new)))

    async def movement(self, request: Request) -> Response:
        b = await request.json()
        if b["kind"] not in ("debit", "credit"):
            raise ValueError("kind")
        m = Movement(b["opId"], request.path_params["id"], b["kind"], _cents(b["value"]))
        result = await self.erp.apply_movement(m)
        balance = None if result.balance_cents is None else result.balance_cents / 100
        return JSONResponse({"applied": result.applied, "balance": balance, "reason": result.reason})

    async def authorize(self, request: Request) -> Response:
        b = await request.json()
        r = CreditRequest(b["paymentId"], b["customer"], _cents(b["value"]), b["currency"], b["method"],
                          b.get("orderId"), b.get("reference"), b.get("email"))  # fmt: skip
        return JSONResponse(_credit(await self.erp.authorize_credit(r)))

    async def decision(self, request: Request) -> Response:
        d = await self.erp.credit_decision(request.path_params["paymentId"])
        return JSONResponse(_credit(d)) if d else JSONResponse({"error": "not found"}, status_code=404)

    async def operation(self, request: Request) -> Response:
        b = await request.json()
        if b["kind"] not in ("cancel", "settle", "refund"):
            raise ValueError("kind")
        op = CreditOperation(b["opId"], b["paymentId"], b["kind"], _cents(b["value"]))
        await self.erp.credit_operation(op)
        return Response(status_code=204)

    async def analyse(self, request: Request) -> Response:
        b = await request.json()
        case = FraudCase(
            b["txId"], _cents(b["value"]), b.get("reference"), b.get("document"), b.get("email"), b.get("ip"),
            b.get("country"), int(b.get("items") or 0), bool(b.get("preAnalysis")),
        )  # fmt: skip
        return JSONResponse(_fraud(await self.erp.analyse(case)))

    async def analysis(self, request: Request) -> Response:
        tx = request.path_params["txId"]
        if request.method == "DELETE":
            await self.erp.stop_analysis(tx)
            return Response(status_code=204)
        d = await self.erp.fraud_status(tx)
        return JSONResponse(_fraud(d)) if d else JSONResponse({"error": "not found"}, status_code=404)


def erp_api(erp: SqlErp, *, token: str | None = None) -> Starlette:
    """The JSON API over ``erp``'s tables (with a token, calls need ``Authorization: Bearer``)."""
    api = _ErpApi(erp, token)
    return Starlette(
        routes=[
            Route("/giftcards/search", api.guarded(api.search), methods=["POST"]),
            Route("/giftcards/{id}", api.guarded(api.get_card), methods=["GET"]),
            Route("/giftcards", api.guarded(api.create), methods=["POST"]),
            Route("/giftcards/{id}/movements", api.guarded(api.movement), methods=["POST"]),
            Route("/credit/authorizations", api.guarded(api.authorize), methods=["POST"]),
            Route("/credit/authorizations/{paymentId}", api.guarded(api.decision), methods=["GET"]),
            Route("/credit/operations", api.guarded(api.operation), methods=["POST"]),
            Route("/fraud/analyses", api.guarded(api.analyse), methods=["POST"]),
            Route("/fraud/analyses/{txId}", api.guarded(api.analysis), methods=["GET", "DELETE"]),
        ]
    )
