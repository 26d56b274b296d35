"""``GET /health``: the process answers and its state database is reachable (200), or not (503).

Bound to loopback, or asked with the dashboard's token, the answer names the VTEX account; bound
anywhere else without the token it says only ``{"status": ...}`` (nothing about the account). The
reason of a 503 is logged, never answered (it would name the database).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.pipeline import state_call
from vtexbridge.web.auth import policy_of, presented_token
from vtexbridge.web.deps import services

__all__ = ["routes"]

_log = logging.getLogger(__name__)


async def health(request: Request) -> Response:
    svc = services(request)
    policy = policy_of(request)
    detailed = policy.open and policy.host_allowed(request.headers.get("host"))
    detailed = detailed or (not policy.open and policy.allows(presented_token(request)))
    try:
        await state_call(svc.store.values.get, "health", "ping")
    except VtexbridgeError as e:
        _log.error("/health: the state database is unavailable: %s", e.user_message)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "account": svc.account} if detailed else {"status": "ok"})


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return [Route("/health", health, methods=["GET"])]
