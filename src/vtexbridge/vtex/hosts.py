"""Every base URL vtexbridge talks to, built in one place.

Each VTEX API area lives on a host of its own: most on ``https://{account}.{environment}.com.br``,
Pricing and Suggestions on ``https://api.vtex.com/{account}``. With ``base_url`` set (the local
sandbox, a proxy) every area is sent there instead: areas that VTEX serves under an account path
keep their ``/{account}`` prefix, the others carry the account in the ``Host`` header semantics of
the sandbox by path alone (the sandbox resolves the account from the ``--account`` default or the
Host header).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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


_ACCOUNT_PATH_APIS = frozenset({Api.PRICING, Api.SUGGESTIONS})


@dataclass(frozen=True, slots=True)
class Hosts:
    account: str
    environment: str = "vtexcommercestable"
    base_url: str | None = None

    def base(self, api: Api) -> str:
        """The URL that the route templates of ``api`` are appended to (no trailing slash)."""
        if self.base_url:
            if api in _ACCOUNT_PATH_APIS:
                return f"{self.base_url}/{self.account}"
            return self.base_url
        if api in _ACCOUNT_PATH_APIS:
            return f"https://api.vtex.com/{self.account}"
        return f"https://{self.account}.{self.environment}.com.br"

    def store_host(self) -> str:
        """The account's VTEX host name, sent as ``Host`` when ``base_url`` points elsewhere."""
        return f"{self.account}.{self.environment}.com.br"
