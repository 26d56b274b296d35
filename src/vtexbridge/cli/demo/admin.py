"""The demo's HTTP client of the sandbox's admin API."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from vtexbridge.cli.demo.model import DemoError

__all__ = ["SandboxAdmin"]


class SandboxAdmin:
    """The demo's HTTP client of the sandbox's admin API (``/_sandbox/...``).

    With it the demo plays the parts VTEX's own systems play against a real store: a shopper placing
    orders, VTEX's Payment Gateway registering the providers and driving their orders, and someone
    looking at an order in the admin. These calls are not VTEX API calls — the sandbox only offers
    them to tests and demos — so they do not go through the VTEX transport (no app key, rate limit
    or retry policy applies). Every VTEX API call of the demo (sync, orders, doctor) goes through
    :class:`~vtexbridge.vtex.transport.Transport`.
    """

    def __init__(self, base_url: str, *, timeout_s: float = 30.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)

    async def __aenter__(self) -> SandboxAdmin:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """The sandbox's answer, whatever its status."""
        return await self._http.request(method, path, json=body)

    async def has(self, path: str) -> bool:
        """Whether ``GET path`` finds something."""
        return (await self.request("GET", path)).status_code == 200

    async def json(self, method: str, path: str, body: Any = None) -> Any:
        """The sandbox's JSON answer.

        Raises:
            DemoError: the sandbox answered with an error status.
        """
        r = await self.request(method, path, body)
        if r.status_code >= 400:
            raise DemoError(f"the sandbox answered {r.status_code} to {method} {path}: {r.text[:300]}")
        return r.json()
