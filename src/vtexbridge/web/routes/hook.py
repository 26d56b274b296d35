"""The orders hook receiver: ``POST {orders.hook.path}`` (default ``/hooks/vtex/orders``).

- ``{"hookConfig": "ping"}`` (VTEX checking the URL when the hook is configured) -> 200 at once; a
  ping carries no order data, so it is answered whatever its headers.
- Any other call must carry the header ``orders.hook.header`` with the configured secret (compared in
  constant time), else 401; without a configured secret the receiver is closed (503).
- A notification (``{Domain, OrderId, State, LastChange, CurrentChange, Origin}``) is written to the
  durable inbox (``hook_inbox``) and committed **before** the 200 goes back, then the worker is woken.
  VTEX wants an answer within 5 s; this takes one small insert. A body that is not JSON or not a
  notification -> 400; one larger than 64 KiB -> 413.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.inbox import hook_event, is_ping
from vtexbridge.orders.pipeline import state_call
from vtexbridge.web.deps import error, secret_matches, services

__all__ = ["MAX_BODY", "routes"]

MAX_BODY = 64 * 1024
_log = logging.getLogger(__name__)


async def receive(request: Request) -> Response:
    svc = services(request)
    hook = svc.settings.orders.hook
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return error(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return error(400, "the body is not JSON")
    if is_ping(body):
        return JSONResponse({"ok": True})
    if hook.secret is None:
        return error(503, "the hook receiver is closed: orders.hook.secret is not set")
    if not secret_matches(request.headers.get(hook.header), hook.secret.get_secret_value()):
        return error(401, f"missing or wrong {hook.header} header")
    event = hook_event(body)
    if event is None:
        return error(400, "not an order notification: OrderId is required")
    try:
        item_id = await state_call(svc.store.put_inbox, svc.account, body)
    except VtexbridgeError as e:
        _log.error("hook notification for %s not stored: %s", event.order_id, e.user_message)
        return error(503, "the notification could not be stored; retry later")
    svc.wakeups.inbox.set()
    return JSONResponse({"ok": True, "inboxId": item_id})


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return [Route(settings.orders.hook.path, receive, methods=["POST"])]
