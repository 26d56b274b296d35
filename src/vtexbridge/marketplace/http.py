"""The HTTP edge shared by the protocol route modules: body reading, rendering, error mapping, lookup.

Route modules (``web/routes/seller_protocol.py``, ``web/routes/affiliate.py``) stay a few lines per
endpoint: ``@guarded`` turns a :class:`~vtexbridge.marketplace.errors.ProtocolError` into its status
and ``{"error": {"code", "message"}}`` (other failures: 503 or 500 with a fixed message; the
detail, which may name the database, goes to the log only), :func:`read_body` parses JSON with the
bounds of :mod:`vtexbridge.untrusted` (400 naming the field otherwise), :func:`path_id` checks an id
of the path, and
:func:`seller_protocol` / :func:`affiliate_protocol` find the app's :class:`MarketplaceRuntime`
(attached by ``vtexbridge serve``, or built on first use from the app's services).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vtexbridge.errors import VtexbridgeError
from vtexbridge.marketplace.errors import BadProtocolRequest, ProtocolError
from vtexbridge.untrusted import UntrustedInput, check_id, parse_json

if TYPE_CHECKING:
    from vtexbridge.marketplace.affiliate.service import AffiliateProtocol
    from vtexbridge.marketplace.runtime import MarketplaceRuntime
    from vtexbridge.marketplace.seller.service import SellerProtocol

__all__ = [
    "MAX_BODY",
    "affiliate_protocol",
    "error_response",
    "guarded",
    "json_response",
    "path_id",
    "read_body",
    "runtime_of",
    "seller_protocol",
]

MAX_BODY = 1024 * 1024
Handler = Callable[[Request], Awaitable[Response]]
_log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def json_response(data: Any, status: int = 200) -> Response:
    """``data`` as JSON; ``None`` is an empty body (the protocol's "evaluating" answer)."""
    if data is None:
        return Response(status_code=status)
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
    )


async def read_body(request: Request, limit: int = MAX_BODY, *, required: bool = True) -> Any:
    """The JSON body (``None`` when empty and not ``required``); the app's body limit middleware has
    already refused a larger body before authentication.

    Raises:
        BadProtocolRequest: too large, not JSON, out of bounds (naming the field), or missing.
    """
    raw = await request.body()
    if len(raw) > limit:
        raise BadProtocolRequest(f"the body is larger than {limit} bytes")
    if not raw.strip():
        if required:
            raise BadProtocolRequest("a JSON body is required")
        return None
    try:
        return parse_json(raw)
    except UntrustedInput as e:
        raise BadProtocolRequest(str(e)) from None


def path_id(request: Request, name: str) -> str:
    """The path parameter ``name``, checked as an identifier.

    Raises:
        BadProtocolRequest: not an identifier (empty, ``..``, too long, odd characters).
    """
    try:
        return check_id(request.path_params.get(name), name)
    except UntrustedInput as e:
        raise BadProtocolRequest(str(e)) from None


def guarded(fn: Handler) -> Handler:
    """Map protocol errors to their status and message; any other failure to 503 (transient) or 500
    with a fixed message (the detail is logged, redacted, never answered)."""

    @wraps(fn)
    async def wrapper(request: Request) -> Response:
        try:
            return await fn(request)
        except ProtocolError as e:
            return error_response(e.status, e.code, e.message)
        except UntrustedInput as e:
            return error_response(400, "MKP400", str(e))
        except VtexbridgeError as e:
            _log.error("%s %s failed: %s", request.method, request.url.path, e.user_message)
            if e.retryable:
                return error_response(503, "MKP503", "temporarily unavailable; retry later")
            return error_response(500, "MKP500", "internal error; the details are in the server log")
        except Exception:
            _log.exception("%s %s failed", request.method, request.url.path)
            return error_response(500, "MKP500", "internal error; the details are in the server log")

    return wrapper


def runtime_of(request: Request) -> MarketplaceRuntime:
    """The app's marketplace runtime, built from its services on first use when none is attached."""
    from vtexbridge.marketplace.runtime import MarketplaceRuntime

    runtime = getattr(request.app.state, "marketplace", None)
    if isinstance(runtime, MarketplaceRuntime):
        return runtime
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise ProtocolError("the marketplace protocols are not set up in this app")
    runtime = MarketplaceRuntime.from_services(services)
    request.app.state.marketplace = runtime
    return runtime


async def seller_protocol(request: Request) -> SellerProtocol:
    runtime = runtime_of(request)
    if runtime.seller is None:
        raise ProtocolError(runtime.problems.get("seller", "marketplace.seller is not configured"))
    await runtime.ready()
    return runtime.seller


async def affiliate_protocol(request: Request) -> AffiliateProtocol:
    runtime = runtime_of(request)
    if runtime.affiliate is None:
        raise ProtocolError(runtime.problems.get("affiliate", "marketplace.affiliate is not configured"))
    await runtime.ready()
    return runtime.affiliate
