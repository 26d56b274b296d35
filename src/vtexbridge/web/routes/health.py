"""``GET /health``: the process answers and its state database is reachable (200), or not (503)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.pipeline import state_call
from vtexbridge.web.deps import services

__all__ = ["routes"]


async def health(request: Request) -> Response:
    svc = services(request)
    try:
        await state_call(svc.store.get_value, "health", "ping")
    except VtexbridgeError as e:
        return JSONResponse({"status": "unavailable", "state": e.user_message}, status_code=503)
    return JSONResponse({"status": "ok", "account": svc.account})


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return [Route("/health", health, methods=["GET"])]
