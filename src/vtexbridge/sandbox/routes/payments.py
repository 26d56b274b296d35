"""Payment Gateway routes (host ``{account}.vtexpayments.com.br``): the transaction process an external
marketplace runs in a VTEX seller when the seller processes the payment.

- ``POST /api/pvt/transactions`` ``{value, referenceId, channel, urn?, salesChannel?}``: starts a
  transaction (kind ``paytransaction``, key = transaction id, status ``Started``); answers the
  ``StartTransactionResponse`` shape;
- ``POST /api/pub/transactions/{transactionId}/payments?orderId=`` (query ``orderId`` required): the
  payments, a non-empty array of ``{paymentSystem, installments, value, referenceValue, fields,
  transaction{id, merchantName}}``. Only what an operator may see is kept: payment system, value,
  installments and the card's last four digits (never the number, the holder, the code);
- ``POST /api/pvt/transactions/{transactionId}/authorization-request`` ``{transactionId, ...}``: the
  payments must add up to the transaction's value (else 400). A card number ending in ``0002`` is
  denied (``statusDetail: "Denied"``, transaction ``Cancelled``), any other is approved (``Approved``);
- ``GET /api/pvt/transactions/{transactionId}``: the transaction (``TransactionDetails`` shape) with
  its redacted payments.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, abort, read_json, rule_errors, sandbox
from vtexbridge.sandbox.rules import orders as rules

__all__ = ["TRANSACTION", "routes"]

TRANSACTION = "paytransaction"
DENIED_SUFFIX = "0002"


def _now(ctx: SandboxContext) -> str:
    return rules.vtex_time(ctx.clock.now(), zulu=True)


def _links(tid: str) -> dict[str, Any]:
    base = f"/api/pvt/transactions/{tid}"
    return {
        name: {"href": f"{base}/{name}"}
        for name in ("interactions", "settlements", "payments", "refunds", "cancellations")
    }


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    tid = doc["id"]
    return {
        "id": tid,
        "transactionId": tid,
        "referenceKey": doc["referenceKey"],
        **_links(tid),
        "timeoutStatus": 0,
        "totalRefunds": 0,
        "status": doc["status"],
        "value": doc["value"],
        "receiverUri": None,
        "startDate": doc["startDate"],
        "authorizationToken": doc.get("authorizationToken"),
        "authorizationDate": doc.get("authorizationDate"),
        "commitmentToken": None,
        "commitmentDate": None,
        "refundingToken": None,
        "refundingDate": None,
        "cancelationToken": doc.get("cancelationToken"),
        "cancelationDate": doc.get("cancelationDate"),
        "fields": [
            {"name": "channel", "value": doc["channel"]},
            {"name": "salesChannel", "value": doc["salesChannel"]},
        ],
        "ipAddress": None,
        "owner": None,
        "userAgent": None,
        "acceptHeader": None,
        "antifraudTid": None,
        "antifraudAffiliationId": None,
        "channel": doc["channel"],
        "salesChannel": doc["salesChannel"],
        "urn": doc.get("urn") or None,
        "softDescriptor": doc.get("softDescriptor"),
        "markedForRecurrence": False,
        "buyer": None,
    }


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        abort(400, f"{name} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        abort(400, f"{name} must be a number")
    if number != int(number):
        abort(400, f"{name} must be a whole number of cents")
    return int(number)


def _transaction(ctx: SandboxContext, tid: str) -> dict[str, Any]:
    doc: dict[str, Any] | None = ctx.table(TRANSACTION).get(tid)
    if doc is None:
        abort(404, f"Transaction {tid} not found")
    return doc


@rule_errors("vtex")
async def start_transaction(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        abort(400, "The transaction must be a JSON object")
    value = _int(body.get("value"), "value")
    if value <= 0:
        abort(400, "value must be greater than zero")
    reference = body.get("referenceId")
    if reference in (None, ""):
        abort(400, "referenceId is required")
    tid = uuid.uuid4().hex.upper()
    doc: dict[str, Any] = {
        "id": tid,
        "referenceKey": str(reference),
        "value": value,
        "channel": str(body.get("channel") or ctx.account),
        "salesChannel": str(body.get("salesChannel") or "1"),
        "urn": body.get("urn"),
        "status": "Started",
        "startDate": _now(ctx),
        "payments": [],
    }
    ctx.table(TRANSACTION)[tid] = doc
    return JSONResponse(_view(doc))


def _redacted(n: int, raw: Any, tid: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        abort(400, f"payments[{n}] must be an object")
    for name in ("paymentSystem", "value"):
        if raw.get(name) in (None, ""):
            abort(400, f"payments[{n}].{name} is required")
    transaction = raw.get("transaction")
    if isinstance(transaction, dict) and transaction.get("id") not in (None, tid):
        abort(400, f"payments[{n}].transaction.id is not transaction {tid}")
    fields = raw.get("fields")
    number = str(fields.get("cardNumber") or "") if isinstance(fields, dict) else ""
    return {
        "id": uuid.uuid4().hex.upper(),
        "paymentSystem": _int(raw["paymentSystem"], f"payments[{n}].paymentSystem"),
        "value": _int(raw["value"], f"payments[{n}].value"),
        "installments": _int(raw.get("installments", 1), f"payments[{n}].installments"),
        "lastDigits": number[-4:] if number else None,
    }


@rule_errors("vtex")
async def send_payments(request: Request) -> Response:
    ctx = sandbox(request)
    tid = request.path_params["transactionId"]
    if not request.query_params.get("orderId"):
        abort(400, "the orderId query parameter is required")
    doc = _transaction(ctx, tid)
    if doc["status"] != "Started":
        abort(409, f"Transaction {tid} is {doc['status']}")
    body = await read_json(request)
    if not isinstance(body, list) or not body:
        abort(400, "The payments must be a non-empty JSON array")
    doc["payments"] = [_redacted(n, raw, tid) for n, raw in enumerate(body)]
    doc["orderId"] = request.query_params["orderId"]
    ctx.table(TRANSACTION)[tid] = doc
    return Response(status_code=200)


@rule_errors("vtex")
async def authorize(request: Request) -> Response:
    ctx = sandbox(request)
    tid = request.path_params["transactionId"]
    doc = _transaction(ctx, tid)
    body = await read_json(request)
    if not isinstance(body, dict):
        abort(400, "The authorization request must be a JSON object")
    if body.get("transactionId") not in (None, tid):
        abort(400, f"transactionId {body.get('transactionId')} is not transaction {tid}")
    if doc["status"] in ("Approved", "Cancelled"):
        detail = "Approved" if doc["status"] == "Approved" else "Denied"
    else:
        if not doc["payments"]:
            abort(400, f"Transaction {tid} has no payments")
        total = sum(int(p["value"]) for p in doc["payments"])
        if total != doc["value"]:
            abort(400, f"The payments add up to {total}, the transaction's value is {doc['value']}")
        denied = any((p.get("lastDigits") or "").endswith(DENIED_SUFFIX) for p in doc["payments"])
        detail = "Denied" if denied else "Approved"
        token = uuid.uuid4().hex.upper()
        if denied:
            doc.update(status="Cancelled", cancelationToken=token, cancelationDate=_now(ctx))
        else:
            doc.update(status="Approved", authorizationToken=token, authorizationDate=_now(ctx))
        doc["softDescriptor"] = body.get("softDescriptor")
        ctx.table(TRANSACTION)[tid] = doc
    return JSONResponse(
        {
            "id": None,
            "token": doc.get("authorizationToken") or doc.get("cancelationToken"),
            "status": 8 if detail == "Approved" else 9,
            "statusDetail": detail,
            "processingDate": doc.get("authorizationDate") or doc.get("cancelationDate"),
            "refundedValue": 0,
            "refundedToken": None,
            "message": None if detail == "Approved" else "Payment denied by the acquirer",
            "code": None,
            "connectorRefundedValue": 0,
            "cancelledValue": 0 if detail == "Approved" else doc["value"],
        }
    )


@rule_errors("vtex")
async def get_transaction(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _transaction(ctx, request.path_params["transactionId"])
    return JSONResponse({**_view(doc), "sandboxPayments": doc["payments"]})


def routes() -> list[BaseRoute]:
    base = "/api/pvt/transactions"
    return [
        Route(base, start_transaction, methods=["POST"]),
        Route("/api/pub/transactions/{transactionId}/payments", send_payments, methods=["POST"]),
        Route(f"{base}/{{transactionId}}/authorization-request", authorize, methods=["POST"]),
        Route(f"{base}/{{transactionId}}", get_transaction, methods=["GET"]),
    ]
