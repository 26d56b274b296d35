"""The provider routes' error mapping: a failure of the state database is a 503 VTEX retries, with a
fixed message (the detail stays in the log), never a stack trace or a 500 page."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vtexbridge.errors import StateLocked
from vtexbridge.providers.http import guarded


async def test_a_busy_state_database_is_a_503_with_a_fixed_message() -> None:
    @guarded
    async def busy(request: Request) -> Response:
        raise StateLocked("state database /secret/path/state.db is busy (another process holds its lock)")

    app = Starlette(routes=[Route("/x", busy)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/x")
    assert r.status_code == 503
    assert r.json() == {"error": {"code": "unavailable", "message": "the provider is unavailable; retry"}}
