"""The sandbox ASGI app: VTEX's paths, hosts, auth and limits in front of the route modules.

``create_app(options)`` builds a Starlette app whose routes are discovered: every module of
:mod:`vtexbridge.sandbox.routes` that defines ``routes() -> list[BaseRoute]`` is mounted (modules in
name order, routes in list order), plus the admin API of :mod:`vtexbridge.sandbox.admin`. Route
paths are VTEX's server-relative paths (``/api/oms/pvt/orders/{orderId}``, ``/pricing/prices/{itemId}``);
this module handles hosts and account prefixes.

Every request passes, outermost first:

1. **request log** - records method, route template, status and duration (admin requests excluded);
2. **admin gating** - ``/_sandbox/*`` is 404 unless the bind is loopback or remote admin is allowed;
3. **account resolution** - a leading ``/{account}`` segment in front of a known root (``/acme/pricing/...``,
   as on ``api.vtex.com/{account}``), else the ``Host`` header (``{account}.vtexcommercestable.com.br``,
   ``{account}.myvtex.com``, ``{workspace}--{account}.myvtex.com``), else ``options.account``; the
   matched route is resolved here once and reused by the router;
4. **auth** - ``X-VTEX-API-AppKey`` + ``X-VTEX-API-AppToken`` (or ``VtexIdclientAutCookie``) -> 401;
5. **faults** - injected latency, 429/5xx, dropped connections (:mod:`~vtexbridge.sandbox.faults`);
6. **rate limits** - VTEX's published limits (:mod:`~vtexbridge.sandbox.ratelimit`);
7. the route.
"""

from __future__ import annotations

import hmac
import importlib
import pkgutil
import re
import time
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.sandbox import admin
from vtexbridge.sandbox import routes as routes_pkg
from vtexbridge.sandbox.context import SandboxRuntime, VtexHTTPError, vtex_error
from vtexbridge.sandbox.faults import ConnectionDropped, FaultInjector, parse_spec
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.ratelimit import RateLimiter
from vtexbridge.sandbox.requestlog import UNMATCHED, RequestLog
from vtexbridge.sandbox.store import Store

__all__ = ["SandboxRouter", "create_app", "discover_routes", "resolve_host_account", "route_template"]

ADMIN_PREFIX = "/_sandbox"
VTEX_HOST_SUFFIXES = (
    ".vtexcommercestable.com.br",
    ".vtexcommercebeta.com.br",
    ".myvtex.com",
    ".vtexpayments.com.br",
)
# First host labels that name a VTEX service, not an account (api.vtex.com, logistics.vtexcommercestable...).
SERVICE_LABELS = frozenset({"api", "logistics", "portal", "www", "io", "app"})
_CONVERTOR = re.compile(r"\{([^}:]+):[^}]+\}")
_MISSING = object()

# Scope keys set by the middleware (documented for route modules that want them).
SCOPE_TEMPLATE = "vtex.template"  # the matched route template, or requestlog.UNMATCHED
SCOPE_MATCH = "vtex.match"  # (route, child_scope) or None, reused by SandboxRouter
SCOPE_ADMIN = "vtex.admin"  # True for /_sandbox/* requests
SCOPE_ORIGINAL_PATH = "vtex.original_path"


def route_template(route: BaseRoute) -> str:
    """The VTEX-style template of a route: Starlette convertors dropped (``{skuId:int}`` -> ``{skuId}``)."""
    path = getattr(route, "path", None)
    return _CONVERTOR.sub(r"{\1}", path) if isinstance(path, str) else UNMATCHED


def discover_routes() -> list[BaseRoute]:
    """Routes of every ``vtexbridge.sandbox.routes`` module defining ``routes()``, in module-name order."""
    found: list[BaseRoute] = []
    for info in sorted(pkgutil.iter_modules(routes_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{routes_pkg.__name__}.{info.name}")
        factory: Callable[[], list[BaseRoute]] | None = getattr(module, "routes", None)
        if callable(factory):
            found.extend(factory())
    return found


def resolve_host_account(host: str) -> str | None:
    """The account a ``Host`` header names, or ``None`` (loopback, ``api.vtex.com``, unknown domains)."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip().lower().rstrip(".")
    for suffix in VTEX_HOST_SUFFIXES:
        if name.endswith(suffix):
            label = name[: -len(suffix)]
            if "." in label:
                return None
            label = label.rsplit("--", 1)[-1]  # {workspace}--{account}.myvtex.com
            return None if not label or label in SERVICE_LABELS else label
    return None


class SandboxRouter(Router):
    """A Router that resolves a request once (in the account middleware) and indexes routes by prefix."""

    def __init__(self, routes: Sequence[BaseRoute], **kwargs: Any) -> None:
        super().__init__(routes=list(routes), redirect_slashes=False, default=_not_found, **kwargs)
        self._index: dict[tuple[int, tuple[str, ...]], list[tuple[int, BaseRoute]]] = {}
        self.templates: dict[int, str] = {}
        roots: set[str] = set()
        for order, route in enumerate(self.routes):
            literal = _literal_prefix(route)
            depth = min(len(literal), 3)
            self._index.setdefault((depth, tuple(literal[:depth])), []).append((order, route))
            self.templates[id(route)] = route_template(route)
            if literal:
                roots.add(literal[0])
        self.roots = frozenset(roots)
        self._candidates = lru_cache(maxsize=4096)(self._candidates_uncached)

    def _candidates_uncached(self, head: tuple[str, ...]) -> list[BaseRoute]:
        found: list[tuple[int, BaseRoute]] = []
        for depth in range(min(len(head), 3) + 1):
            found.extend(self._index.get((depth, head[:depth]), ()))
        return [route for _order, route in sorted(found, key=lambda t: t[0])]

    def resolve(self, scope: Scope) -> tuple[BaseRoute, Scope] | None:
        """The route that will serve ``scope`` (a full match, else a method mismatch), or ``None``."""
        head = tuple(scope["path"].split("/")[1:4])
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self._candidates(head):
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route, child
            if match is Match.PARTIAL and partial is None:
                partial = (route, child)
        return partial

    def template_of(self, resolved: tuple[BaseRoute, Scope] | None) -> str:
        if resolved is None:
            return UNMATCHED
        return self.templates.get(id(resolved[0])) or route_template(resolved[0])

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        resolved = scope.get(SCOPE_MATCH, _MISSING)
        if resolved is _MISSING:
            resolved = self.resolve(scope)
        if resolved is None:
            await self.default(scope, receive, send)
            return
        route, child = resolved
        scope["route"] = route
        scope.update(child)
        await route.handle(scope, receive, send)


def _literal_prefix(route: BaseRoute) -> list[str]:
    path = getattr(route, "path", None)
    if not isinstance(route, Route) or not isinstance(path, str):
        return []
    literal = []
    for seg in path.split("/")[1:]:
        if "{" in seg:
            break
        literal.append(seg)
    return literal


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    response: Response
    if scope.get(SCOPE_ADMIN):
        response = JSONResponse({"error": "no such admin endpoint"}, status_code=404)
    else:
        response = vtex_error(404, f"No route for {scope['method']} {scope['path']}")
    await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _runtime(scope: Scope) -> SandboxRuntime:
    runtime: SandboxRuntime = scope["app"].state.sandbox
    return runtime


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        original_path = scope["path"]

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except ConnectionDropped:
            status = 0
            raise
        finally:
            if not scope.get(SCOPE_ADMIN):
                runtime = _runtime(scope)
                runtime.request_log.record(
                    method=scope["method"],
                    route=scope.get(SCOPE_TEMPLATE, UNMATCHED),
                    path=original_path,
                    account=scope.get("state", {}).get("account", runtime.options.account),
                    status=status,
                    time=runtime.clock.now().isoformat(),
                    duration_ms=(time.perf_counter() - started) * 1000.0,
                )


class AdminGateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            scope["path"] == ADMIN_PREFIX or scope["path"].startswith(ADMIN_PREFIX + "/")
        ):
            scope[SCOPE_ADMIN] = True
            if not _runtime(scope).options.admin_enabled:
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class AccountMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        runtime = _runtime(scope)
        router: SandboxRouter = scope["app"].router
        path: str = scope["path"]
        account: str | None = None
        parts = path.split("/", 3)  # ['', first, second, rest]
        if (
            len(parts) >= 3
            and parts[1]
            and parts[1] not in router.roots
            and parts[2] in router.roots
            and parts[2] != ADMIN_PREFIX[1:]  # the admin API is never reached through a prefix
        ):
            account = parts[1]
            scope[SCOPE_ORIGINAL_PATH] = path
            scope["path"] = path[len(account) + 1 :]
            scope["raw_path"] = scope["path"].encode()
        if account is None:
            host = _header(scope, b"host")
            account = resolve_host_account(host) if host else None
        scope.setdefault("state", {})["account"] = account or runtime.options.account
        resolved = router.resolve(scope)
        scope[SCOPE_MATCH] = resolved
        scope[SCOPE_TEMPLATE] = router.template_of(resolved)
        await self.app(scope, receive, send)


class AuthMiddleware:
    """401 unless a configured app key + token pair (or user token) is presented.

    Routes under a ``/pub/`` segment are VTEX's public storefront routes: they need no credentials,
    but credentials that are sent must still be valid.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(SCOPE_ADMIN):
            await self.app(scope, receive, send)
            return
        options = _runtime(scope).options
        key = _header(scope, b"x-vtex-api-appkey")
        token = _header(scope, b"x-vtex-api-apptoken")
        user = _header(scope, b"vtexidclientautcookie") or _cookie(scope, "VtexIdclientAutCookie")
        problem = _auth_problem(options, key, token, user)
        if problem == "missing" and "/pub/" in scope.get(SCOPE_TEMPLATE, ""):
            problem = None
        if problem is not None:
            message = (
                "Unauthorized: send X-VTEX-API-AppKey and X-VTEX-API-AppToken, or VtexIdclientAutCookie"
                if problem == "missing"
                else "Unauthorized: the credentials are not valid for this account"
            )
            await vtex_error(401, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _auth_problem(
    options: SandboxOptions, key: str | None, token: str | None, user: str | None
) -> str | None:
    if key is not None or token is not None:
        expected = options.credentials.get(key or "")
        if expected is not None and token is not None and hmac.compare_digest(expected, token):
            return None
        return "invalid"
    if user is not None:
        ok = any(hmac.compare_digest(user, t) for t in options.user_tokens)
        return None if ok else "invalid"
    return "missing"


class FaultMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(SCOPE_ADMIN):
            await self.app(scope, receive, send)
            return
        runtime = _runtime(scope)
        if not runtime.faults.active:
            await self.app(scope, receive, send)
            return
        decision = runtime.faults.decide(scope["method"], scope.get(SCOPE_TEMPLATE, UNMATCHED), scope["path"])
        if decision.latency_s:
            await runtime.clock.sleep(decision.latency_s)
        if decision.drop:
            # Start a response, then fail: uvicorn closes the socket mid-response (a dropped connection).
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
            )
            raise ConnectionDropped(f"fault injection dropped {scope['method']} {scope['path']}")
        if decision.status is not None:
            response = vtex_error(decision.status, _FAULT_MESSAGES.get(decision.status, "Injected fault"))
            if decision.status in (429, 503):
                response.headers["Retry-After"] = str(decision.retry_after)
            response.headers["X-Sandbox-Fault"] = "injected"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


_FAULT_MESSAGES = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(SCOPE_ADMIN):
            await self.app(scope, receive, send)
            return
        runtime = _runtime(scope)
        if not runtime.limiter.enabled:
            await self.app(scope, receive, send)
            return
        outcome = runtime.limiter.check(
            scope["state"]["account"],
            scope["method"],
            scope.get(SCOPE_TEMPLATE, UNMATCHED),
            runtime.clock.monotonic(),
        )
        if not outcome.allowed:
            response = vtex_error(429, "Too Many Requests", code="429")
            response.headers.update(outcome.headers)
            await response(scope, receive, send)
            return
        if not outcome.headers:
            await self.app(scope, receive, send)
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in outcome.headers.items()]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_wrapper)


async def _vtex_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VtexHTTPError)
    return exc.response


def _apply_seed(store: Store, account: str, name: str) -> None:
    try:
        module = importlib.import_module("vtexbridge.sandbox.seed")
    except ModuleNotFoundError as e:
        if e.name != "vtexbridge.sandbox.seed":
            raise
        raise ValueError(f"seed {name!r} requested but vtexbridge.sandbox.seed is not available") from None
    module.seed(store, account, name)


def create_app(
    options: SandboxOptions,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    extra_routes: Iterable[BaseRoute] = (),
) -> Starlette:
    """Build the sandbox app.

    Args:
        options: the sandbox settings (account, credentials, faults, limits ...).
        store: the document store; default ``Store(options.state)`` (memory when ``state`` is None).
        clock: time source for timestamps, latency and rate limits; default the system clock.
        extra_routes: more routes mounted after the discovered ones (tests).

    Raises:
        FaultSpecError: ``options.faults`` cannot be parsed.
    """
    store = store if store is not None else Store(options.state)
    clock = clock if clock is not None else SystemClock()
    faults = FaultInjector(parse_spec(options.faults) if options.faults else [], seed=options.fault_seed)
    runtime = SandboxRuntime(
        store=store,
        clock=clock,
        options=options,
        request_log=RequestLog(options.request_log_size),
        faults=faults,
        limiter=RateLimiter(options.rate_limits, enabled=options.real_limits),
    )
    all_routes = [*admin.routes(), *discover_routes(), *extra_routes]
    app = Starlette(
        middleware=[
            Middleware(RequestLogMiddleware),
            Middleware(AdminGateMiddleware),
            Middleware(AccountMiddleware),
            Middleware(AuthMiddleware),
            Middleware(FaultMiddleware),
            Middleware(RateLimitMiddleware),
        ],
        exception_handlers={VtexHTTPError: _vtex_http_error},
    )
    app.router = SandboxRouter(all_routes)
    app.state.sandbox = runtime
    if options.seed:
        _apply_seed(store, options.account, options.seed)
    return app
