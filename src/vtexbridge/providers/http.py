"""The HTTP edge of the provider protocols: credentials, body reading, rendering, error mapping.

Route modules stay one line per endpoint. VTEX authenticates with the pair configured for the
provider, as ``X-VTEX-API-AppKey``/``X-VTEX-API-AppToken`` (payment and antifraud specs) or
``X-PROVIDER-API-AppKey``/``X-PROVIDER-API-AppToken`` (gift card hub); comparisons are constant-time
and no credential reaches a log line. Bodies are JSON whatever the declared media type (VTEX sends
``application/vnd.vtex.giftcards.v1+json``), at most :data:`MAX_BODY` bytes, checked like every
untrusted body (:mod:`vtexbridge.untrusted`).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response

from vtexbridge.errors import VtexbridgeError
from vtexbridge.providers.errors import BadRequest, ProviderError, Unauthorized
from vtexbridge.untrusted import UntrustedInput, check_id, parse_json

__all__ = ["MAX_BODY", "check_credentials", "guarded", "json_response", "path_id", "read_body"]

MAX_BODY = 256 * 1024
Handler = Callable[[Request], Awaitable[Response]]
_log = logging.getLogger(__name__)


def check_credentials(headers: Mapping[str, str], key: SecretStr | None, token: SecretStr | None) -> None:
    """Raise :class:`Unauthorized` unless the request carries the provider's app key and token."""
    if key is None or token is None:
        raise Unauthorized("no credentials are configured for this provider: every call is refused")
    given_key = headers.get("x-vtex-api-appkey") or headers.get("x-provider-api-appkey")
    given_token = headers.get("x-vtex-api-apptoken") or headers.get("x-provider-api-apptoken")
    if given_key is None or given_token is None:
        raise Unauthorized("the app key and app token headers are required")
    key_ok = hmac.compare_digest(given_key.encode(), key.get_secret_value().encode())
    token_ok = hmac.compare_digest(given_token.encode(), token.get_secret_value().encode())
    if not (key_ok and token_ok):
        raise Unauthorized("the app key or app token is not the one configured")


async def read_body(request: Request, *, required: bool = True) -> Any:
    """The JSON body (None when empty and not required), checked by :func:`vtexbridge.untrusted.parse_json`
    (depth, number range, strings); the app's edge already refused a body over :data:`MAX_BODY`.

    Raises:
        BadRequest: too large, not JSON, out of bounds (naming the field), or missing.
    """
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"the body is larger than {MAX_BODY} bytes")
    if not raw.strip():
        if required:
            raise BadRequest("a JSON body is required")
        return None
    try:
        return parse_json(raw)
    except UntrustedInput as e:
        raise BadRequest(str(e)) from None


def path_id(request: Request, name: str) -> str:
    """The path parameter ``name`` as an identifier (:func:`vtexbridge.untrusted.check_id`, up to 128).

    Raises:
        BadRequest: empty, too long, or not an identifier.
    """
    try:
        return check_id(request.path_params.get(name), name, max_length=128)
    except UntrustedInput as e:
        raise BadRequest(str(e)) from None


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
    )


def guarded(fn: Handler) -> Handler:
    """Protocol errors become their status and ``{"error": {"code", "message"}}``; another vtexbridge
    error (the state database busy or unreachable) a 503 VTEX retries (500 when not transient), with a
    fixed message: the detail is logged, never answered."""

    @wraps(fn)
    async def wrapper(request: Request) -> Response:
        try:
            return await fn(request)
        except ProviderError as e:
            if e.status >= 500:
                _log.warning("%s provider call: %s", request.method, e.message)
            return json_response({"error": {"code": e.code, "message": e.message}}, e.status)
        except VtexbridgeError as e:
            _log.error("%s provider call failed: %s", request.method, e.user_message)
            body = {"error": {"code": "unavailable", "message": "the provider is unavailable; retry"}}
            return json_response(body, 503 if e.retryable else 500)

    return wrapper
