"""The ASGI middleware every ``serve`` app (and the protocol test harness) is wrapped in.

- :class:`BodyLimit`: each request's body is read here, **before any handler or authentication
  runs**, up to the limit of its route (longest matching path prefix; :data:`DEFAULT_LIMIT` else):
  a ``Content-Length`` over the limit is answered 413 at once without reading a byte of the body, a
  streamed (chunked) body is answered 413 as soon as it passes the limit, and a body that does not
  arrive within ``body_timeout_s`` is answered 408; these answers close the connection (the rest of
  the upload is never read). The handler then gets the body from memory (at most the limit).
- :class:`SecurityHeaders`: every answer carries a Content-Security-Policy without inline script or
  style, ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``
  and ``Referrer-Policy: same-origin``.

The header read timeout (a client that never finishes its request line and headers) is the server's
(:func:`vtexbridge.serving.server_config`): a middleware only sees a request once its headers are in.

Pure ASGI (no ``BaseHTTPMiddleware``) so that nothing buffers an answer or runs the app in another task.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "DEFAULT_LIMIT", "BodyLimit", "SecurityHeaders", "harden"]

DEFAULT_LIMIT = 64 * 1024
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


class BodyLimit:
    """Bounded, timed request bodies (see the module docstring).

    Args:
        app: the wrapped app.
        limits: path prefix -> largest body in bytes (the longest matching prefix wins).
        default: the limit of every other path.
        body_timeout_s: the whole body must arrive within this many seconds.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Mapping[str, int] | None = None,
        default: int = DEFAULT_LIMIT,
        body_timeout_s: float = 30.0,
    ) -> None:
        self.app = app
        self.limits = sorted((limits or {}).items(), key=lambda kv: len(kv[0]), reverse=True)
        self.default = default
        self.body_timeout_s = body_timeout_s

    def limit_of(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope.get("path", ""))
        try:
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                raise _Refused(413, f"the body is larger than {limit} bytes")
            body = await asyncio.wait_for(_read_body(receive, limit), self.body_timeout_s)
        except _Refused as e:
            await _refuse(send, e.status, e.message)
            return
        except TimeoutError:
            await _refuse(send, 408, f"the body did not arrive within {self.body_timeout_s:g} s")
            return
        if body is None:  # the client went away
            return
        await self.app(scope, _replay(body, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                raise _Refused(400, "Content-Length is not a number") from None
    return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Refused(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, status: int, message: str) -> None:
    payload = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
                *_SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class SecurityHeaders:
    """Adds the security headers to every answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def harden(
    app: Any,
    *,
    limits: Mapping[str, int] | None = None,
    default: int = DEFAULT_LIMIT,
    body_timeout_s: float = 30.0,
) -> None:
    """Wrap a Starlette/FastAPI ``app`` in :class:`BodyLimit` (outermost) and :class:`SecurityHeaders`."""
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limits=dict(limits or {}), default=default, body_timeout_s=body_timeout_s)
