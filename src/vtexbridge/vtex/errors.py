"""The VTEX error tree, the single status -> class table, and the constructors the transport uses.

Every error raised by the client carries the method, the route template, the URL (without its query;
secrets never appear: auth travels in headers, which are not part of the message), the HTTP status,
VTEX's own error code and message when the body has them, the request id, the number of attempts
made, and the ERP record it was about when the caller said so. ``str()`` and ``repr()`` are redacted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from vtexbridge.errors import Category, RecordRef, VtexbridgeError
from vtexbridge.log import redact


class VtexError(VtexbridgeError):
    """A request to VTEX failed."""

    category: ClassVar[Category] = "system"

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        route: str = "",
        url: str = "",
        status: int | None = None,
        vtex_code: str | None = None,
        vtex_message: str | None = None,
        request_id: str | None = None,
        record: RecordRef | None = None,
    ) -> None:
        super().__init__(message, record=record)
        self.method = method
        self.route = route
        self.url = url
        self.status = status
        self.vtex_code = vtex_code
        self.vtex_message = vtex_message
        self.request_id = request_id
        self.attempts = 1

    def context(self) -> dict[str, Any]:
        """The request context as constructor keywords, to derive another error from this one."""
        return {
            "method": self.method,
            "route": self.route,
            "url": self.url,
            "status": self.status,
            "vtex_code": self.vtex_code,
            "vtex_message": self.vtex_message,
            "request_id": self.request_id,
            "record": self.record,
        }

    @property
    def user_message(self) -> str:
        parts = [f"{self.method} {self.route}".strip()]
        if self.status is not None:
            parts.append(f"-> {self.status}")
        head = " ".join(p for p in parts if p)
        detail = self.message
        if self.vtex_code or self.vtex_message:
            code = f"[{self.vtex_code}] " if self.vtex_code else ""
            detail = f"{detail}: {code}{self.vtex_message or ''}".rstrip(": ")
        if self.attempts > 1:
            detail = f"{detail} (after {self.attempts} attempts)"
        if self.request_id:
            detail = f"{detail} (request id {self.request_id})"
        text = f"{head}: {detail}" if head else detail
        if self.record is not None:
            text = f"{self.record}: {text}"
        return redact(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.user_message!r})"


class VtexTransportError(VtexError):
    """No response arrived. ``request_sent`` says whether VTEX may have received the request."""

    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True
    request_sent: bool = True


class VtexConnectError(VtexTransportError):
    """The connection could not be made (nothing was sent)."""

    request_sent: bool = False


class VtexTimeout(VtexTransportError):
    """The request timed out (``request_sent`` is False when it timed out waiting for a connection)."""

    def __init__(self, message: str, *, request_sent: bool = True, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.request_sent = request_sent


class OutcomeUnknown(VtexTimeout):
    """A non-idempotent write reached VTEX and got no usable answer: it may or may not have been applied.

    It is never re-sent blindly; the caller resolves it by looking the entity up (the sync looks it up by
    RefId) before deciding to send it again.
    """

    retryable: ClassVar[bool] = False

    @classmethod
    def from_error(cls, error: VtexError, what: str) -> OutcomeUnknown:
        """The unknown outcome of the request that failed with ``error`` (``what`` says how)."""
        out = cls(
            f"{what}; the write may or may not have been applied, so it was not re-sent: "
            "resolve it by looking the entity up (e.g. by RefId) before retrying",
            **error.context(),
        )
        out.attempts = error.attempts
        return out


class CredentialsWithheld(VtexError):
    """A call named a URL that our VTEX credentials may not go to (host not allowed, or not https):
    nothing was sent. Fixed in the configuration (``vtex.credential_hosts``), not by retrying."""

    category: ClassVar[Category] = "config"
    exit_code: ClassVar[int] = 2


class CircuitOpen(VtexError):
    """The breaker of an API area is open after repeated 503s; ``reopens_in`` seconds remain."""

    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True

    def __init__(self, message: str, *, reopens_in: float, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reopens_in = reopens_in


class VtexStatusError(VtexError):
    """A response arrived with an error status; ``retry_after`` is the server's hint, in seconds."""

    retry_after: float | None = None


class BadRequest(VtexStatusError):
    category: ClassVar[Category] = "record"


class Unauthorized(VtexStatusError):
    category: ClassVar[Category] = "config"
    exit_code: ClassVar[int] = 2


class Forbidden(VtexStatusError):
    category: ClassVar[Category] = "config"
    exit_code: ClassVar[int] = 2


class NotFound(VtexStatusError):
    category: ClassVar[Category] = "record"


class Conflict(VtexStatusError):
    category: ClassVar[Category] = "record"


class Locked(VtexStatusError):
    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True


class NotProcessed(VtexStatusError):
    """408 Request Timeout or 425 Too Early: the server did not process the request; retried."""

    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True


class RateLimited(VtexStatusError):
    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(VtexStatusError):
    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True


class Unavailable(ServerError):
    """503: counts towards the API area's circuit breaker."""


STATUS_ERRORS: dict[int, type[VtexStatusError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    408: NotProcessed,
    409: Conflict,
    425: NotProcessed,
    422: BadRequest,
    423: Locked,
    429: RateLimited,
    503: Unavailable,
}


def error_class_for(status: int) -> type[VtexStatusError]:
    """The one table from HTTP status to error class."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if status >= 500:
        return ServerError
    return BadRequest if 400 <= status < 500 else VtexStatusError


def parse_vtex_error(body: bytes) -> tuple[str | None, str | None]:
    """VTEX's (code, message) from an error body, in the several shapes VTEX uses."""
    if not body:
        return None, None
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body.decode("utf-8", "replace").strip()
        return None, text[:500] or None
    if isinstance(data, str):
        return None, data[:500]
    if not isinstance(data, dict):
        return None, None
    err = data.get("error")
    if isinstance(err, dict):
        code = err.get("code") or err.get("Code")
        msg = err.get("message") or err.get("Message")
        return (str(code) if code is not None else None), (str(msg) if msg is not None else None)
    code = data.get("code") or data.get("Code") or data.get("errorCode")
    msg = data.get("message") or data.get("Message") or data.get("error_description") or err
    return (str(code) if code is not None else None), (str(msg) if msg is not None else None)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None  # NaN is not a hint


def status_error(response: httpx.Response, ctx: Mapping[str, Any], *, now: datetime) -> VtexStatusError:
    """The error for an error ``response`` to the request described by ``ctx``."""
    code, message = parse_vtex_error(response.content)
    headers = response.headers
    err = error_class_for(response.status_code)(
        response.reason_phrase or "error",
        **ctx,
        status=response.status_code,
        vtex_code=code,
        vtex_message=message,
        request_id=headers.get("x-request-id") or headers.get("x-vtex-request-id"),
    )
    err.retry_after = parse_retry_after(headers.get("retry-after"), now)
    return err


def transport_error(exc: httpx.TransportError, ctx: Mapping[str, Any]) -> VtexTransportError:
    """The error for a request that got no response, saying whether it may have reached VTEX."""
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return VtexTimeout(f"timed out before sending ({name})", request_sent=False, **ctx)
    if isinstance(exc, httpx.TimeoutException):
        return VtexTimeout(f"timed out waiting for the answer ({name})", **ctx)
    if isinstance(exc, httpx.ConnectError):
        return VtexConnectError(f"cannot connect: {exc}", **ctx)
    return VtexTransportError(f"connection failed after sending ({name}: {exc})", **ctx)
