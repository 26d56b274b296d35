"""What a route handler needs, in one call: ``svc = services(request)``.

``create_app`` keeps one :class:`WebServices` on ``app.state.services``; handlers read the settings,
the state store, the VTEX client and the worker's wake-up events from it, and never build their own.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from vtexbridge.config import Settings
from vtexbridge.orders.service import Wakeups
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient

__all__ = ["WebServices", "error", "row_id", "secret_matches", "services"]


@dataclass(slots=True)
class WebServices:
    """The shared objects of one app."""

    settings: Settings
    store: StateStore
    client: VtexClient | None
    wakeups: Wakeups

    @property
    def account(self) -> str:
        return self.settings.vtex.account


def services(request: Request) -> WebServices:
    svc: WebServices = request.app.state.services
    return svc


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    """``{"error": message, ...}`` with ``status``."""
    return JSONResponse({"error": message, **extra}, status_code=status)


def secret_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the expected one."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def row_id(raw: str) -> int | None:
    """A database row id from a URL (``None`` unless 1 to 15 ASCII digits: no larger id exists, and a
    longer number would overflow the column)."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 15:
        return int(raw)
    return None
