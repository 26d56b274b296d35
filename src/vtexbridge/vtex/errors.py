"""The VTEX error tree and the single status -> class table.

Every error raised by the client carries the method, the route template, the URL (secrets never
appear: auth travels in headers, which are not part of the message), the HTTP status, VTEX's own
error code and message when the body has them, the request id, and the ERP record it was about when
the caller said so.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

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
        text = f"{head}: {detail}" if head else detail
        if self.record is not None:
            text = f"{self.record}: {text}"
        return redact(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.user_message!r})"


class VtexTransportError(VtexError):
    """No response arrived."""

    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True


class VtexConnectError(VtexTransportError):
    """The connection could not be made (nothing was sent)."""


class VtexTimeout(VtexTransportError):
    """The request timed out."""


class OutcomeUnknown(VtexTimeout):
    """A non-idempotent write was sent and not answered: it may or may not have been applied.

    It is not re-sent blindly; the caller resolves it (the sync looks the entity up by RefId).
    """

    retryable: ClassVar[bool] = False


class CircuitOpen(VtexError):
    """The breaker of an API area is open after repeated 503s; ``reopens_in`` seconds remain."""

    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True

    def __init__(self, message: str, *, reopens_in: float, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reopens_in = reopens_in


class VtexStatusError(VtexError):
    """A response arrived with an error status."""


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
    409: Conflict,
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
