"""What a sandbox route handler needs, in one call: ``ctx = sandbox(request)``.

Route modules (``vtexbridge.sandbox.routes.*``) stay free of plumbing: they get the store, the resolved
account, the clock, the options and a per-app scratch dict from the context, build VTEX-shaped errors
with :func:`vtex_error` / :func:`catalog_error` / :func:`admin_error`, and read bodies with
:func:`read_json`, which turns malformed JSON into a VTEX-like 400. Raising :class:`VtexHTTPError` (or
calling :func:`abort`) from anywhere inside a handler answers with the error's response; a handler
decorated with :func:`rule_errors` answers a :class:`~vtexbridge.sandbox.rules.RuleError` in its API's
error shape.

Example::

    async def get_thing(request: Request) -> Response:
        ctx = sandbox(request)
        doc = ctx.table("thing").get(request.path_params["id"]) or abort(404, "Thing not found")
        return JSONResponse(doc)
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vtexbridge.clock import Clock
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.store import Store, Table

if TYPE_CHECKING:
    from vtexbridge.sandbox.faults import FaultInjector
    from vtexbridge.sandbox.ratelimit import RateLimiter
    from vtexbridge.sandbox.requestlog import RequestLog

__all__ = [
    "MAX_BODY_BYTES",
    "Handler",
    "SandboxContext",
    "SandboxRuntime",
    "VtexHTTPError",
    "abort",
    "admin_error",
    "catalog_error",
    "read_json",
    "rule_errors",
    "sandbox",
    "vtex_error",
]

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(slots=True)
class SandboxRuntime:
    """Everything one sandbox app owns; kept on ``app.state.sandbox``.

    ``app_state`` is free for route modules (hook delivery tasks, feed queues ...): use a key named
    after your module to avoid clashes. It is not persisted and is cleared by ``POST /_sandbox/reset``
    only for keys a module chooses to clear (register a callable in ``reset_hooks``).
    """

    store: Store
    clock: Clock
    options: SandboxOptions
    request_log: RequestLog
    faults: FaultInjector
    limiter: RateLimiter
    app_state: dict[str, Any] = field(default_factory=dict)
    reset_hooks: list[Callable[[str | None], None]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SandboxContext:
    """The per-request view: the app's runtime plus the account the request was resolved to."""

    runtime: SandboxRuntime
    account: str

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def options(self) -> SandboxOptions:
        return self.runtime.options

    @property
    def app_state(self) -> dict[str, Any]:
        return self.runtime.app_state

    def table(self, kind: str) -> Table:
        """The ``kind`` table of the resolved account (see :mod:`vtexbridge.sandbox.store`)."""
        return self.runtime.store.table(self.account, kind)


def runtime_of(request: Request) -> SandboxRuntime:
    """The sandbox runtime of the app serving ``request``."""
    runtime: SandboxRuntime = request.app.state.sandbox
    return runtime


def sandbox(request: Request) -> SandboxContext:
    """The context of a request: runtime, store and the account resolved by the account middleware."""
    runtime = runtime_of(request)
    account = request.scope.get("state", {}).get("account") or runtime.options.account
    return SandboxContext(runtime, account)


class VtexHTTPError(Exception):
    """Raised inside a handler to answer with ``response`` (the app installs the handler)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def vtex_error(status: int, message: str, code: str | None = None) -> JSONResponse:
    """VTEX's common error body: ``{"error": {"code", "message", "exception": null}}``.

    Used by OMS, Logistics, Pricing and most platform services; ``code`` defaults to the status.
    """
    body = {
        "error": {"code": code if code is not None else str(status), "message": message, "exception": None}
    }
    return JSONResponse(body, status_code=status)


def catalog_error(status: int, message: str) -> JSONResponse:
    """The Catalog's error body, ``{"Message": ...}`` (the spec's ``ErrorResponse`` schema)."""
    return JSONResponse({"Message": message}, status_code=status)


def admin_error(status: int, message: str) -> JSONResponse:
    """The error body of the sandbox's own ``/_sandbox/...`` routes, ``{"error": ...}``."""
    return JSONResponse({"error": message}, status_code=status)


ErrorShape = Literal["vtex", "catalog", "admin"]
_ANSWERS: dict[ErrorShape, Callable[[RuleError], Response]] = {
    "vtex": lambda e: vtex_error(e.status, e.message, e.code),
    "catalog": lambda e: catalog_error(e.status, e.message),
    "admin": lambda e: admin_error(e.status, e.message),
}


def rule_errors(shape: ErrorShape) -> Callable[[Handler], Handler]:
    """Decorate a handler so that a :class:`RuleError` it raises answers in ``shape``: VTEX's common
    error body (:func:`vtex_error`, with the error's ``code``), the Catalog's (:func:`catalog_error`) or
    the sandbox admin's (:func:`admin_error`).
    """
    answer = _ANSWERS[shape]

    def decorate(fn: Handler) -> Handler:
        @wraps(fn)
        async def wrapper(request: Request) -> Response:
            try:
                return await fn(request)
            except RuleError as e:
                return answer(e)

        return wrapper

    return decorate


def abort(status: int, message: str, code: str | None = None, *, catalog: bool = False) -> NoReturn:
    """Stop the handler and answer with a VTEX error (Catalog shape when ``catalog``)."""
    raise VtexHTTPError(catalog_error(status, message) if catalog else vtex_error(status, message, code))


MAX_BODY_BYTES = 8 * 1024 * 1024


async def _bounded_body(request: Request, catalog: bool) -> bytes:
    """The body, read in chunks; more than :data:`MAX_BODY_BYTES` answers 413 without reading the rest."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            abort(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.", catalog=catalog)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, *, required: bool = True, catalog: bool = False) -> Any:
    """The request's JSON body; malformed JSON (or a missing body when ``required``) answers 400,
    a body over :data:`MAX_BODY_BYTES` answers 413.

    Returns ``None`` for an empty body when not ``required``.
    """
    raw = await _bounded_body(request, catalog)
    if not raw.strip():
        if required:
            abort(400, "The request body is required.", catalog=catalog)
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        abort(400, f"The request body is not valid JSON: {e}", catalog=catalog)
