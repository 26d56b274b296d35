"""Who may call our protocol endpoints: VTEX, with the credentials it was configured with.

The External Seller Fulfillment spec declares ``X-VTEX-API-AppKey`` + ``X-VTEX-API-AppToken`` headers,
and its order placement example shows VTEX sending ``authorization: VTEX key="..." token="..."``:
both forms are accepted. Comparisons are constant-time; nothing here logs a credential.

The affiliate endpoints (VTEX's affiliate notification and the marketplace services endpoint) carry
no VTEX credentials: a shared secret in the URL we register (``?token=``) or in the
``X-Vtexbridge-Token`` header protects them, and without a configured secret they are closed.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping

from pydantic import SecretStr

__all__ = [
    "TOKEN_HEADER",
    "TOKEN_QUERY",
    "presented_vtex_credentials",
    "token_matches",
    "vtex_credentials_match",
]

TOKEN_HEADER = "x-vtexbridge-token"
TOKEN_QUERY = "token"
_VTEX_AUTH = re.compile(r"^\s*vtex\s+(?P<rest>.*)$", re.IGNORECASE)
_PAIR = re.compile(r'(?P<name>[A-Za-z]+)\s*=\s*"(?P<value>[^"]*)"')


def presented_vtex_credentials(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(app key, app token) from the ``X-VTEX-API-*`` headers, else from ``Authorization: VTEX ...``.

    ``headers`` must be case-insensitive (Starlette's and httpx's are) or use lower-case names.
    """
    key = headers.get("x-vtex-api-appkey")
    token = headers.get("x-vtex-api-apptoken")
    if key is not None or token is not None:
        return key, token
    raw = headers.get("authorization")
    match = _VTEX_AUTH.match(raw) if raw else None
    if match is None:
        return None, None
    pairs = {m["name"].lower(): m["value"] for m in _PAIR.finditer(match["rest"])}
    return pairs.get("key"), pairs.get("token")


def vtex_credentials_match(
    headers: Mapping[str, str], expected_key: SecretStr | None, expected_token: SecretStr | None
) -> bool:
    """Whether the request carries the expected VTEX app key and token (False when none is configured)."""
    if expected_key is None or expected_token is None:
        return False
    key, token = presented_vtex_credentials(headers)
    if key is None or token is None:
        return False
    key_ok = hmac.compare_digest(key.encode(), expected_key.get_secret_value().encode())
    token_ok = hmac.compare_digest(token.encode(), expected_token.get_secret_value().encode())
    return key_ok and token_ok


def token_matches(headers: Mapping[str, str], query: Mapping[str, str], expected: SecretStr | None) -> bool:
    """Whether the shared secret is presented (False when no secret is configured)."""
    if expected is None:
        return False
    given = headers.get(TOKEN_HEADER) or query.get(TOKEN_QUERY)
    if not given:
        return False
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())
