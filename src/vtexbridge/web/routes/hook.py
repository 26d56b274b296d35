"""The orders hook receiver: ``POST {orders.hook.path}`` (default ``/hooks/vtex/orders``).

- ``{"hookConfig": "ping"}`` (VTEX checking the URL when the hook is configured) -> 200 at once; a
  ping carries no order data, so it is answered whatever its headers.
- Any other call must carry the header ``orders.hook.header`` with the configured secret (compared in
  constant time), else 401; without a configured secret the receiver is closed (503).
- A notification (``{Domain, OrderId, State, LastChange, CurrentChange, Origin}``) is written to the
  durable inbox (``hook_inbox``) and committed **before** the 200 goes back, then the worker is woken.
  VTEX wants an answer within 5 s; this takes one small insert. A body that is not JSON or not a
  notification, or out of the bounds of :mod:`vtexbridge.untrusted` (depth, numbers, NUL, lone
  surrogates), or whose ``OrderId`` is not an order id -> 400 naming the field; one larger than
  64 KiB -> 413 before the secret is even looked at (:mod:`vtexbridge.web.edge`).
- ``Origin.Key`` (our own VTEX app key, which VTEX echoes in every notification) is dropped before
  the notification is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.inbox import hook_event, is_ping
from vtexbridge.orders.pipeline import state_call
from vtexbridge.untrusted import UntrustedInput, check_id, parse_json
from vtexbridge.web.deps import error, secret_matches, services

__all__ = ["MAX_BODY", "body_limits", "routes", "without_origin_key"]

MAX_BODY = 64 * 1024
_log = logging.getLogger(__name__)


def without_origin_key(body: Mapping[str, Any]) -> dict[str, Any]:
    """The notification without ``Origin.Key`` (an app key: never stored)."""
    out = dict(body)
    origin = out.get("Origin")
    if isinstance(origin, Mapping):
        out["Origin"] = {k: v for k, v in origin.items() if k.lower() != "key"}
    return out


async def receive(request: Request) -> Response:
    svc = services(request)
    hook = svc.settings.orders.hook
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return error(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        body = parse_json(raw) if raw else None
    except UntrustedInput as e:
        return error(400, e.message, field=e.field or None)
    if is_ping(body):
        return JSONResponse({"ok": True})
    if hook.secret is None:
        return error(503, "the hook receiver is closed: orders.hook.secret is not set")
    if not secret_matches(request.headers.get(hook.header), hook.secret.get_secret_value()):
        return error(401, f"missing or wrong {hook.header} header")
    event = hook_event(body)
    if event is None or not isinstance(body, Mapping):
        return error(400, "not an order notification: OrderId is required", field="OrderId")
    try:
        check_id(event.order_id, "OrderId")
    except UntrustedInput as e:
        return error(400, f"OrderId {e.message}", field="OrderId")
    try:
        item_id = await state_call(svc.store.inbox.put, svc.account, without_origin_key(body))
    except VtexbridgeError as e:
        _log.error("hook notification for %s not stored: %s", event.order_id, e.user_message)
        return error(503, "the notification could not be stored; retry later")
    svc.wakeups.inbox.set()
    return JSONResponse({"ok": True, "inboxId": item_id})


def body_limits(settings: Settings) -> dict[str, int]:
    """The hook's 64 KiB (enforced by :mod:`vtexbridge.web.edge` before the secret is checked)."""
    return {settings.orders.hook.path: MAX_BODY}


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return [Route(settings.orders.hook.path, receive, methods=["POST"])]
