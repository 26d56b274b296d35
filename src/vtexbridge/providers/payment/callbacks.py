"""Telling VTEX's Payment Gateway about a decision the ERP took later: the ``callbackUrl``.

Two modes (``providers.payment.callback_mode``): *notification* POSTs the payment's updated answer
(the same body ``POST /payments`` returns) to the ``callbackUrl``; *retry* POSTs to it without a
body, and the gateway calls ``POST /payments`` again, which then answers the decision. Either way the
call carries the retailer's VTEX app key and token (``vtex.app_key``/``app_token``), so it only
goes to hosts on ``callback_hosts`` (VTEX's payment hosts, and ``vtex.base_url``'s host for the
sandbox). The URL is used exactly as VTEX gave it (its query carries VTEX's signature).

One attempt per call with a hard timeout; the follow-up loop schedules the next attempt with a
doubling delay, so a gateway that is down never holds a request or the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from fnmatch import fnmatch
from typing import Any
from urllib.parse import urlsplit

import httpx

from vtexbridge.config import VtexSettings
from vtexbridge.vtex.transport import auth_headers

__all__ = ["CallbackSender", "Notifier", "host_allowed"]

_log = logging.getLogger(__name__)


def host_allowed(url: str, patterns: list[str]) -> bool:
    """Whether ``url`` is http(s) and its host matches one of ``patterns`` (``*.x`` or an exact host)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    return any(fnmatch(host, p.lower()) or host == p.lower().removeprefix("*.") for p in patterns)


class CallbackSender:
    def __init__(
        self,
        vtex: VtexSettings,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json", "Content-Type": "application/json", **auth_headers(vtex)}
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout_s, headers=headers)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, url: str, payload: Mapping[str, Any] | None) -> bool:
        """One attempt; True when the gateway answered 2xx."""
        try:
            if payload is None:
                response = await self._client.post(url)
            else:
                response = await self._client.post(url, json=dict(payload))
        except httpx.HTTPError as e:
            _log.warning("payment callback to %s failed: %s", urlsplit(url).hostname, type(e).__name__)
            return False
        if 200 <= response.status_code < 300:
            return True
        _log.warning("payment callback to %s answered HTTP %s", urlsplit(url).hostname, response.status_code)
        return False


class Notifier:
    """A sender and the hosts it may call: what the payment callbacks and antifraud hooks use."""

    def __init__(self, sender: CallbackSender, hosts: list[str]) -> None:
        self.sender = sender
        self.hosts = hosts

    def allowed(self, url: str) -> bool:
        return host_allowed(url, self.hosts)

    async def send(self, url: str, payload: Mapping[str, Any] | None) -> bool:
        return await self.sender.send(url, payload)
