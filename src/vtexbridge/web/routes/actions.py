"""The actions API: the ERP queues invoices, tracking updates, cancellations and changes over HTTP.

Every call needs ``Authorization: Bearer <orders.actions.api_token>`` (401 otherwise; without a
configured token the API is closed: 503).

- ``POST /actions/invoice|tracking|cancel|change``: the body is one action in the format of an action
  file (``docs/orders.md``; ``type`` comes from the path) -> 202 ``{id, new, state, dedupKey}``
  (``new`` is false when the same action was already queued: a retried call queues nothing);
  422 ``{errors: [{field, message, ...}]}`` when it is invalid or reuses an invoice number with
  other content, when a value is out of the bounds of :mod:`vtexbridge.untrusted` (nesting, a number
  beyond ±2^53 such as ``invoiceValueCents`` 10^30, NUL, lone surrogates) or ``orderId`` is not an
  order id (``..``); a body over 256 KiB -> 413 before the token is checked.
- ``GET /actions/{id}`` -> the action: state (``pending``, ``running``, ``done``, ``rejected``,
  ``failed``, ``cancelled``), attempts, VTEX's status and message.
- ``GET /actions?state=rejected&orderId=...`` -> up to 100 actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.orders.action_format import KINDS, Problems, parse_action
from vtexbridge.orders.actions import action_json, enqueue
from vtexbridge.orders.pipeline import state_call
from vtexbridge.state import ActionState
from vtexbridge.untrusted import UntrustedInput, check_id, parse_json
from vtexbridge.web.deps import error, row_id, secret_matches, services

__all__ = ["MAX_BODY", "body_limits", "routes"]

MAX_BODY = 256 * 1024


def _denied(request: Request) -> Response | None:
    token = services(request).settings.orders.actions.api_token
    if token is None:
        return error(503, "the actions API is closed: orders.actions.api_token is not set")
    header = request.headers.get("authorization", "")
    given = header[7:].strip() if header[:7].lower() == "bearer " else None
    if not secret_matches(given, token.get_secret_value()):
        return error(401, "missing or wrong bearer token")
    return None


async def post_action(request: Request) -> Response:
    if (denied := _denied(request)) is not None:
        return denied
    svc = services(request)
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return error(404, f"unknown action {kind!r}; one of {', '.join(KINDS)}")
    try:
        body = parse_json(await request.body(), parse_float=Decimal)
        if isinstance(body, Mapping) and "orderId" in body:
            check_id(body["orderId"], "orderId")
    except UntrustedInput as e:
        if not e.field:  # not JSON at all, or nested too deep
            return error(400, e.message)
        problem = {"source": "api", "field": e.field, "message": e.message}
        return JSONResponse({"error": "invalid action", "errors": [problem]}, status_code=422)
    try:
        action_request = parse_action(body, kind=kind, source="api")
        [queued] = await state_call(enqueue, svc.store, svc.account, [action_request])
    except Problems as e:
        return JSONResponse({"error": "invalid action", "errors": e.as_json()}, status_code=422)
    if queued.new:
        svc.wakeups.actions.set()
    action = await state_call(svc.store.actions.get, queued.id)
    return JSONResponse(
        {
            "id": queued.id,
            "new": queued.new,
            "state": action.state if action else ActionState.PENDING.value,
            "dedupKey": action_request.dedup_key,
        },
        status_code=202,
    )


async def get_action(request: Request) -> Response:
    if (denied := _denied(request)) is not None:
        return denied
    svc = services(request)
    raw = request.path_params["action_id"]
    number = row_id(raw)
    action = await state_call(svc.store.actions.get, number) if number is not None else None
    if action is None or action.account != svc.account:
        return error(404, f"action {raw} not found")
    return JSONResponse(action_json(action))


async def list_actions(request: Request) -> Response:
    if (denied := _denied(request)) is not None:
        return denied
    svc = services(request)
    state = request.query_params.get("state")
    if state is not None and state not in {s.value for s in ActionState}:
        return error(400, f"state must be one of {', '.join(s.value for s in ActionState)}", field="state")
    order_id = request.query_params.get("orderId") or None
    try:
        if order_id is not None:
            check_id(order_id, "orderId")
    except UntrustedInput as e:
        return error(400, str(e), field="orderId")
    actions = await state_call(
        svc.store.actions.list_for,
        svc.account,
        order_id=order_id,
        states=[state] if state else None,
        limit=100,
    )
    return JSONResponse({"actions": [action_json(a) for a in actions]})


def body_limits(settings: Settings) -> dict[str, int]:
    """The actions API's 256 KiB (enforced by :mod:`vtexbridge.web.edge` before the token is checked)."""
    return {"/actions": MAX_BODY}


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return [
        Route("/actions", list_actions, methods=["GET"]),
        Route("/actions/{action_id}", get_action, methods=["GET"]),
        Route("/actions/{kind}", post_action, methods=["POST"]),
    ]
