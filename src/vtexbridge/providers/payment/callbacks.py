"""Telling VTEX's Payment Gateway about a decision the ERP took later: the ``callbackUrl``.

Two modes (``providers.payment.callback_mode``): *notification* POSTs the payment's updated answer
(the same body ``POST /payments`` returns) to the ``callbackUrl``; *retry* POSTs to it without a
body, and the gateway calls ``POST /payments`` again, which then answers the decision. Either way the
call carries the retailer's VTEX app key and token (``vtex.app_key``/``app_token``), so it only
goes to hosts on ``callback_hosts`` (VTEX's payment hosts, and ``vtex.base_url``'s host for the
sandbox). The URL is used exactly as VTEX gave it (its query carries VTEX's signature).

The calls go through the project's transport (its breaker, metrics and rule on where our credentials
may go). One attempt per round with a hard timeout; the follow-up loop schedules the next one with a
doubling delay, so a gateway that is down never holds a request or the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from fnmatch import fnmatch
from typing import Any
from urllib.parse import urlsplit

import httpx

from vtexbridge.vtex.errors import VtexError
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call, Transport

__all__ = ["TARGET", "CallbackSender", "Notifier", "host_allowed"]

TARGET = "provider-callbacks"

_log = logging.getLogger(__name__)


def host_allowed(url: str, patterns: list[str]) -> bool:
    """Whether ``url`` is http(s) and its host matches one of ``patterns`` (``*.x`` or an exact host)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    return any(fnmatch(host, p.lower()) or host == p.lower().removeprefix("*.") for p in patterns)


class CallbackSender:
    """Sends callbacks through the project's transport (target ``provider-callbacks``): its breaker,
    metrics and credential rule (our VTEX credentials only to ``vtex.credential_hosts`` over https,
    or loopback)."""

    def __init__(
        self,
        vtex: VtexSettings,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        metrics: TransportMetrics | None = None,
    ) -> None:
        settings = vtex.model_copy(update={"timeout_s": timeout_s, "max_retries": 1})
        self._transport = Transport(settings, http_transport=transport, metrics=metrics)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def send(self, url: str, payload: Mapping[str, Any] | None) -> bool:
        """One attempt (a connection refused is tried once more); True when the gateway answered 2xx."""
        call = Call(
            Api.EXTERNAL, "POST", "", json=None if payload is None else dict(payload), base_url=url,
            target=TARGET, credentials=True, idempotent=True,
        )  # fmt: skip
        try:
            await self._transport.send(call)
        except VtexError as e:
            _log.warning("callback to %s failed: %s", urlsplit(url).hostname, type(e).__name__)
            return False
        return True


class Notifier:
    """A sender and the hosts it may call: what the payment callbacks and antifraud hooks use."""

    def __init__(self, sender: CallbackSender, hosts: list[str]) -> None:
        self.sender = sender
        self.hosts = hosts

    def allowed(self, url: str) -> bool:
        return host_allowed(url, self.hosts)

    async def send(self, url: str, payload: Mapping[str, Any] | None) -> bool:
        return await self.sender.send(url, payload)
