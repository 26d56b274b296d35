"""The one place that talks HTTP: to VTEX, and to the other hosts vtexbridge calls.

``Transport.send(call)`` builds the request from the route template, adds the auth headers, and runs
each attempt through the target's circuit breaker and the rate-limit buckets of its route, then
turns error statuses into the VtexError tree and lets the pure :class:`RetryPolicy` decide whether to
send it again. Area modules (catalog, pricing, ...) only describe calls. Every attempt is one debug
log line (method, route template, status, duration, attempt; never a header) and one set of metrics.

A call's *target* is its API area (``catalog``, ``pricing`` ...) or, for a call that names its own
base URL (:data:`Api.EXTERNAL`: a marketplace's services endpoint, the ERP's HTTP endpoint), the name
it gives: breakers and the metrics' ``api`` label are per target. Our VTEX credentials go with a call
that names its own URL only when :func:`~vtexbridge.vtex.hosts.credentials_refusal` allows that URL
(https to a configured host, or loopback); otherwise :class:`CredentialsWithheld` is raised and
nothing is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.errors import RecordRef
from vtexbridge.log import register_secret
from vtexbridge.vtex.breaker import Admission, BreakerState, CircuitBreaker
from vtexbridge.vtex.errors import (
    CircuitOpen,
    CredentialsWithheld,
    VtexConnectError,
    VtexError,
    VtexTimeout,
    parse_retry_after,
    status_error,
    transport_error,
)
from vtexbridge.vtex.hosts import Api, Hosts, credentials_refusal
from vtexbridge.vtex.limits import Limiter, RoutePlan
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.retry import GiveUp, RetryPolicy
from vtexbridge.vtex.settings import VtexSettings

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
_ACCOUNT_PATH_APIS = frozenset({Api.PRICING, Api.SUGGESTIONS})
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Call:
    """One request, described: the API area, the verb, the VTEX route template and its values."""

    api: Api
    method: str
    route: str
    path: Mapping[str, str | int] = field(default_factory=dict)
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: Mapping[str, str] | None = None
    idempotent: bool | None = None
    record: RecordRef | None = None
    base_url: str | None = None
    """The URL the route is appended to, instead of the area's host (required for Api.EXTERNAL)."""
    target: str | None = None
    """The name of the breaker and metrics of this call (default: the API area)."""
    credentials: bool = True
    """Send our VTEX credentials (only ever to an allowed host when ``base_url`` is given)."""
    accept: frozenset[int] = frozenset()
    """Error statuses returned as a response instead of raised (e.g. 409 "already have it")."""
    unsafe_statuses: frozenset[int] | None = None
    """Statuses after which a non-idempotent call may have been applied (default: 500, 502, 504)."""

    @property
    def is_idempotent(self) -> bool:
        return self.idempotent if self.idempotent is not None else self.method.upper() in IDEMPOTENT_METHODS

    @property
    def label(self) -> str:
        """The target: breaker and metrics name."""
        return self.target or self.api.value

    def render_path(self) -> str:
        out = self.route
        for name, value in self.path.items():
            out = out.replace("{" + name + "}", quote(str(value), safe=""))
        if "{" in out:
            raise ValueError(f"route {self.route} is missing path values: {out}")
        return out


def auth_headers(settings: VtexSettings) -> dict[str, str]:
    """The VTEX auth headers: app key + token, or a user token."""
    if settings.app_key is not None and settings.app_token is not None:
        key, token = settings.app_key.get_secret_value(), settings.app_token.get_secret_value()
        register_secret(key)
        register_secret(token)
        return {"X-VTEX-API-AppKey": key, "X-VTEX-API-AppToken": token}
    if settings.user_token is not None:
        tok = settings.user_token.get_secret_value()
        register_secret(tok)
        return {"VtexIdclientAutCookie": tok}
    return {}


def _failure_label(error: VtexError) -> str:
    if isinstance(error, VtexConnectError):
        return "connect_error"
    return "timeout" if isinstance(error, VtexTimeout) else "network_error"


class Transport:
    """Every VTEX API call of one account: hosts, auth headers, rate limits, circuit breakers, retries,
    and one ``httpx.AsyncClient`` (connection pool) per API area, created on first use."""

    def __init__(
        self,
        settings: VtexSettings,
        *,
        http_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        metrics: TransportMetrics | None = None,
        limiter: Limiter | None = None,
        retry_policy: RetryPolicy | None = None,
        breakers: dict[str, CircuitBreaker] | None = None,
    ) -> None:
        self.settings = settings
        self.hosts = Hosts(settings.account, settings.environment, settings.base_url)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.metrics = metrics
        self._owns_limiter = limiter is None
        self.limiter = limiter if limiter is not None else Limiter.from_settings(settings, self.clock)
        self.retry_policy = retry_policy or RetryPolicy.from_settings(settings, self.clock)
        self.breakers: dict[str, CircuitBreaker] = breakers if breakers is not None else {}
        """One breaker per target, created on first use (share the dict to share the breakers)."""
        self.sent = 0
        """Requests sent by this transport (every attempt, whatever its answer)."""
        self._limits = httpx.Limits(
            max_connections=settings.max_connections, max_keepalive_connections=settings.max_connections
        )
        self._timeout = httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
        self._http_transport = http_transport
        self._auth = auth_headers(settings)
        self._bases = {api: self.hosts.base(api) for api in Api}
        self._headers = {api: self._headers_for(api) for api in Api}
        self._bare_headers = dict(JSON_HEADERS)
        # One connection pool per API area (created on first use): httpcore looks at every pooled
        # connection on each request, so a pool per area keeps that scan to the area's connections.
        self._clients: dict[Api, httpx.AsyncClient] = {}

    def _client(self, api: Api) -> httpx.AsyncClient:
        client = self._clients.get(api)
        if client is None:
            client = self._clients[api] = httpx.AsyncClient(
                transport=self._http_transport, limits=self._limits, timeout=self._timeout
            )
        return client

    def breaker(self, target: str) -> CircuitBreaker:
        """The circuit breaker of ``target`` (an API area's value, or an external target's name)."""
        breaker = self.breakers.get(target)
        if breaker is None:
            metrics = self.metrics

            def changed(state: BreakerState) -> None:
                if metrics is not None:
                    metrics.breaker_state(target, state)

            s = self.settings
            breaker = CircuitBreaker(s.breaker_threshold, s.breaker_cooldown_s, self.clock, on_change=changed)
            self.breakers[target] = breaker
        return breaker

    def _headers_for(self, api: Api) -> dict[str, str]:
        headers = dict(JSON_HEADERS)
        if self.settings.base_url and api not in _ACCOUNT_PATH_APIS and api is not Api.EXTERNAL:
            headers["Host"] = self.hosts.host(api)
        headers.update(self._auth)
        return headers

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools (and an injected network that no pool took over)."""
        for client in self._clients.values():
            await client.aclose()
        if not self._clients and self._http_transport is not None:
            await self._http_transport.aclose()
        if self._owns_limiter:
            await self.limiter.aclose()

    def build_request(self, call: Call) -> httpx.Request:
        """The request of ``call``.

        Raises:
            CredentialsWithheld: the call names a URL that our credentials may not be sent to.
            ValueError: the call names no URL of its own for Api.EXTERNAL, or misses path values.
        """
        if call.base_url is None:
            if call.api is Api.EXTERNAL:
                raise ValueError(f"a call to {call.label} must name its base URL")
            base = self._bases[call.api]
            headers = self._headers[call.api] if call.credentials else self._bare_headers
        else:
            base = call.base_url.rstrip("/") if call.route else call.base_url
            headers = self._bare_headers
            if call.credentials and self._auth:
                refusal = credentials_refusal(base, self.settings.credential_hosts)
                if refusal is not None:
                    raise CredentialsWithheld(
                        f"our VTEX credentials were not sent to {call.label}: {refusal}",
                        method=call.method.upper(),
                        route=call.route,
                        url=_without_userinfo(base),
                        record=call.record,
                    )
                headers = {**headers, **self._auth}
        if call.headers:
            headers = {**headers, **call.headers}
        params = {k: v for k, v in call.params.items() if v is not None} if call.params else None
        return self._client(call.api).build_request(
            call.method.upper(),
            base + call.render_path(),
            params=params or None,
            json=call.json,
            headers=headers,
        )

    async def send(self, call: Call) -> httpx.Response:
        """Send ``call``, with limits, breaker and retries; return a response with status < 400.

        Raises:
            VtexError: the subclass for the failure (see ``vtex.errors`` and ``vtex.retry``).
        """
        request = self.build_request(call)
        plan = self.limiter.plan(call.api, request.method, call.route)
        breaker = self.breaker(call.label)
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(call, request, plan, breaker, attempt)
            if isinstance(outcome, httpx.Response):
                return outcome
            outcome.attempts = attempt
            decision = self.retry_policy.decide(call, outcome, attempt)
            if isinstance(decision, GiveUp):
                raise decision.error from (outcome.__cause__ if decision.error is outcome else outcome)
            if breaker.reopens_in() > decision.delay:
                raise self._circuit_open(call, request, breaker) from outcome
            if self.metrics is not None:
                self.metrics.retry(call.label, decision.reason)
            await self.clock.sleep(decision.delay)

    async def _attempt(
        self, call: Call, request: httpx.Request, plan: RoutePlan, breaker: CircuitBreaker, attempt: int
    ) -> httpx.Response | VtexError:
        """One attempt: the response when its status is < 400, else the error (not raised)."""
        clock, metrics, target = self.clock, self.metrics, call.label
        admission = breaker.admit()
        if admission is Admission.REFUSE:
            if metrics is not None:
                metrics.refused(target, call.route, request.method)
            raise self._circuit_open(call, request, breaker)
        status: int | None = None
        try:
            if plan.buckets:
                waited = await self.limiter.acquire(plan)
                if waited and metrics is not None:
                    metrics.waited(target, call.route, waited)
            start = clock.monotonic()
            try:
                response = await self._client(call.api).send(request)
            except httpx.TransportError as exc:
                failure = transport_error(exc, self._context(call, request))
                failure.__cause__ = exc
                outcome: httpx.Response | VtexError = failure
                label = _failure_label(failure)
            else:
                status = response.status_code
                retry_after = None
                if status == 429:
                    retry_after = parse_retry_after(response.headers.get("retry-after"), clock.now())
                self.limiter.observe(plan, status, response.headers, retry_after)
                outcome = response
                if status >= 400 and status not in call.accept:
                    outcome = status_error(response, self._context(call, request), now=clock.now())
                label = str(status)
            elapsed = clock.monotonic() - start
        except BaseException:
            breaker.abandon(admission)
            raise
        breaker.record(status, admission)
        self.sent += 1
        if metrics is not None:
            metrics.request(target, call.route, request.method, label, elapsed)
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "%s %s %s -> %s in %.1f ms (attempt %d)",
                "VTEX" if call.base_url is None else target,
                request.method,
                call.route,
                label,
                elapsed * 1000.0,
                attempt,
                extra={"api": target, "route": call.route, "status": label, "attempt": attempt},
            )
        return outcome

    @staticmethod
    def _context(call: Call, request: httpx.Request) -> dict[str, Any]:
        return {
            "method": request.method,
            "route": call.route,
            "url": str(request.url.copy_with(query=None, username=None, password=None)),
            "record": call.record,
        }

    def _circuit_open(self, call: Call, request: httpx.Request, breaker: CircuitBreaker) -> CircuitOpen:
        if breaker.state is BreakerState.OPEN:
            why = f"failing fast after {breaker.threshold} consecutive 503s from {call.label}"
        else:
            why = f"a probe call to {call.label} is deciding whether its breaker closes"
        return CircuitOpen(
            f"circuit open: {why}", reopens_in=breaker.reopens_in(), **self._context(call, request)
        )

    async def request(
        self,
        api: Api,
        method: str,
        route: str,
        *,
        path: Mapping[str, str | int] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        record: RecordRef | None = None,
        base_url: str | None = None,
        target: str | None = None,
        credentials: bool = True,
        accept: frozenset[int] = frozenset(),
        unsafe_statuses: frozenset[int] | None = None,
    ) -> httpx.Response:
        """Shorthand for ``send(Call(...))``."""
        call = Call(
            api, method, route, path or {}, params, json, headers, idempotent, record,
            base_url, target, credentials, accept, unsafe_statuses,
        )  # fmt: skip
        return await self.send(call)


def _without_userinfo(url: str) -> str:
    """``url`` without a user name and password (never in an error)."""
    return str(httpx.URL(url).copy_with(username=None, password=None))
