"""Every base URL vtexbridge talks to, built in one place.

Each VTEX API area lives on a host of its own: most on ``https://{account}.{environment}.com.br``,
Pricing and Suggestions on ``https://api.vtex.com/{account}``, the Payment Gateway on
``https://{account}.vtexpayments.com.br``. Calls to hosts that are not an account's (a marketplace's
services endpoint, the ERP's HTTP endpoint) are :data:`Api.EXTERNAL` and name their base URL per call;
:func:`credentials_refusal` says whether our VTEX credentials may go there. With ``base_url`` set (the local
sandbox, a proxy) every area is sent there instead: areas that VTEX serves under an account path
keep their ``/{account}`` prefix, the others carry the account in the ``Host`` header semantics of
the sandbox by path alone (the sandbox resolves the account from the ``--account`` default or the
Host header).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit


class Api(StrEnum):
    """A VTEX API area: decides the host, the rate-limit family and the circuit breaker."""

    CATALOG = "catalog"
    PRICING = "pricing"
    LOGISTICS = "logistics"
    ORDERS = "orders"
    MASTERDATA = "masterdata"
    MARKETPLACE = "marketplace"
    SUGGESTIONS = "suggestions"
    CHECKOUT = "checkout"
    PAYMENTS = "payments"
    EXTERNAL = "external"
    """Not an area of the account: every call names its base URL (and a target for its metrics)."""


_ACCOUNT_PATH_APIS = frozenset({Api.PRICING, Api.SUGGESTIONS})


@dataclass(frozen=True, slots=True)
class Hosts:
    account: str
    environment: str = "vtexcommercestable"
    base_url: str | None = None

    def base(self, api: Api) -> str:
        """The URL that the route templates of ``api`` are appended to (no trailing slash); ``""`` for
        :data:`Api.EXTERNAL`, whose calls name their own."""
        if api is Api.EXTERNAL:
            return ""
        if self.base_url:
            if api in _ACCOUNT_PATH_APIS:
                return f"{self.base_url}/{self.account}"
            return self.base_url
        if api in _ACCOUNT_PATH_APIS:
            return f"https://api.vtex.com/{self.account}"
        return f"https://{self.host(api)}"

    def store_host(self) -> str:
        """The account's VTEX host name, sent as ``Host`` when ``base_url`` points elsewhere."""
        return f"{self.account}.{self.environment}.com.br"

    def host(self, api: Api) -> str:
        """The VTEX host name of ``api`` (sent as ``Host`` when ``base_url`` points elsewhere)."""
        if api is Api.PAYMENTS:
            return f"{self.account}.vtexpayments.com.br"
        return self.store_host()


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1 (the local sandbox)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Whether ``host`` matches one of ``patterns``: an exact name, or ``*.domain`` (any sub-domain)."""
    name = host.lower().rstrip(".")
    for pattern in patterns:
        p = pattern.lower().rstrip(".")
        if p.startswith("*."):
            if name.endswith(p[1:]) and len(name) > len(p) - 1:
                return True
        elif name == p:
            return True
    return False


def credentials_refusal(url: str, patterns: Iterable[str]) -> str | None:
    """Why our VTEX credentials must not be sent to ``url``, or None when they may.

    They go only over https to a host that ``patterns`` allows; a loopback host (the local sandbox)
    is allowed over http too.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        return f"{url!r} names no host"
    if is_loopback(host):
        return None if parts.scheme in ("http", "https") else f"{parts.scheme!r} is not http(s)"
    if parts.scheme != "https":
        return f"{host} is not reached over https (credentials never travel over plain {parts.scheme})"
    if not host_allowed(host, patterns):
        return f"{host} is not an allowed host (vtex.credential_hosts)"
    return None
