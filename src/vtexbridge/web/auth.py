"""Who may see the operator pages (the dashboard and ``/metrics``).

The rule: **bound to a loopback address, no token is needed** (only this machine can connect);
**bound anywhere else, every request needs the configured token** (``web.token``, set with
``VTEXBRIDGE_WEB__TOKEN``), and ``vtexbridge serve`` refuses to start without one.

A request presents the token as ``Authorization: Bearer <token>`` (Prometheus' scrape config, curl)
or, in a browser, once as ``?token=<token>``: the answer sets an HttpOnly, SameSite=Strict cookie
and redirects to the same page without the token in its address. Comparisons are constant-time.
State-changing requests (the retry buttons) must come from the same origin (``Origin``,
``Sec-Fetch-Site``), so that another web site cannot post to a loopback dashboard.

Against DNS rebinding (a page on ``evil.example`` whose name then resolves to 127.0.0.1 is, for the
browser, same-origin with itself), an open (loopback, no token) dashboard answers only requests whose
``Host`` is an allowed name (``web.allowed_hosts``; by default the loopback names and the bind
address): 421 otherwise; and the same-origin test compares ``Origin`` with the allowed names, never
with ``Host``. With a token, the token decides (a rebinding page never has it: the cookie belongs to
the real host name), and the names are checked only when ``web.allowed_hosts`` is set.

The hook receiver, the actions API and the marketplace protocol endpoints have their own secrets
and do not go through this guard.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from vtexbridge.errors import ConfigError
from vtexbridge.log import register_secret
from vtexbridge.web.settings import LOOPBACK_NAMES

__all__ = [
    "COOKIE",
    "AuthPolicy",
    "check_affiliate_exposure",
    "host_name",
    "is_loopback",
    "policy_of",
    "protected",
    "same_origin",
    "set_policy",
]

COOKIE = "vtexbridge_token"
Endpoint = Callable[[Request], Awaitable[Response]]


def is_loopback(host: str) -> bool:
    """``True`` for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(netloc: str) -> str:
    """The lower-case host name of a ``Host`` header or URL netloc, without port or brackets."""
    netloc = netloc.strip().lower().rsplit("@", 1)[-1]
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    if netloc.count(":") == 1:
        return netloc.split(":", 1)[0]
    return netloc


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    """The access rule of one app: the address it is bound to, the token if any, and the host names
    the operator pages answer to (empty: the default, see the module docstring)."""

    host: str
    token: str | None = None
    allowed_hosts: tuple[str, ...] = ()

    def names(self) -> frozenset[str] | None:
        """The host names allowed, or ``None`` for any."""
        if "*" in self.allowed_hosts:
            return None
        if self.allowed_hosts:
            return frozenset(self.allowed_hosts)
        if not self.open:
            return None
        return frozenset((*LOOPBACK_NAMES, host_name(self.host)))

    def host_allowed(self, host_header: str | None) -> bool:
        names = self.names()
        return names is None or host_name(host_header or "") in names

    @property
    def open(self) -> bool:
        """No token needed: bound to loopback."""
        return is_loopback(self.host)

    def check(self) -> None:
        """Raise :class:`ConfigError` when the app would be reachable from outside without a token."""
        if not self.open and not self.token:
            raise ConfigError(
                f"serving on {self.host} (not a loopback address) needs an access token for the dashboard "
                "and /metrics: set VTEXBRIDGE_WEB__TOKEN (or [web] token), or bind to 127.0.0.1"
            )

    def allows(self, presented: str | None) -> bool:
        if self.open:
            return True
        if not self.token or presented is None:
            return False
        return hmac.compare_digest(presented.encode(), self.token.encode())


def set_policy(
    app_state: object, host: str, token: str | None, allowed_hosts: tuple[str, ...] | list[str] = ()
) -> AuthPolicy:
    """Install the policy on an app (``app.state``), after checking it; the token is redacted from logs.

    Raises:
        ConfigError: bound outside loopback without a token.
    """
    policy = AuthPolicy(host, token or None, tuple(allowed_hosts))
    policy.check()
    register_secret(policy.token)
    app_state.auth_policy = policy  # type: ignore[attr-defined]
    return policy


def check_affiliate_exposure(affiliate: object | None, host: str) -> None:
    """Refuse to serve the affiliate (external marketplace) endpoints outside loopback without their
    secret (``marketplace.affiliate.secret``): they take notifications, invoices and cancellations.

    Raises:
        ConfigError: bound outside loopback with the affiliate configured and no secret.
    """
    if affiliate is None or is_loopback(host):
        return
    if getattr(affiliate, "secret", None) is None:
        raise ConfigError(
            f"serving on {host} (not a loopback address) with [marketplace.affiliate] needs its secret: "
            "set VTEXBRIDGE_MARKETPLACE__AFFILIATE__SECRET (or marketplace.affiliate.secret), "
            "or bind to 127.0.0.1"
        )


def policy_of(request: Request) -> AuthPolicy:
    """The app's policy; without one installed, the ``[web]`` settings say where it is bound."""
    policy: AuthPolicy | None = getattr(request.app.state, "auth_policy", None)
    if policy is not None:
        return policy
    services = getattr(request.app.state, "services", None)
    web = getattr(getattr(services, "settings", None), "web", None)
    if web is not None:
        token = web.token.get_secret_value() if web.token is not None else None
        return AuthPolicy(web.host, token, tuple(web.allowed_hosts))
    return AuthPolicy("0.0.0.0")  # not known: closed


def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.query_params.get("token") or request.cookies.get(COOKIE)


def same_origin(request: Request, policy: AuthPolicy | None = None) -> bool:
    """Whether a state-changing request comes from our own pages (a defence against CSRF, which the
    loopback rule alone would not stop: any web page can post to 127.0.0.1). ``Origin`` must name an
    allowed host; ``Host`` is compared only when any name is allowed (a token protects the app)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    names = (policy or policy_of(request)).names()
    netloc = urlsplit(origin).netloc
    if names is None:
        return netloc == request.headers.get("host", "")
    return host_name(netloc) in names


def protected(endpoint: Endpoint) -> Endpoint:
    """Wrap a handler of an operator page with the token check (see the module docstring)."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        policy = policy_of(request)
        if not policy.host_allowed(request.headers.get("host")):
            return PlainTextResponse(
                "421 Misdirected Request: this host name is not one the dashboard answers to "
                "(web.allowed_hosts)\n",
                status_code=421,
            )
        if request.method not in ("GET", "HEAD") and not same_origin(request, policy):
            return PlainTextResponse("403 Forbidden: cross-site request refused\n", status_code=403)
        if policy.open:
            return await endpoint(request)
        given = presented_token(request)
        if not policy.allows(given):
            return PlainTextResponse(
                "401 Unauthorized: this page needs the access token (web.token): send "
                "'Authorization: Bearer <token>' or open it once with ?token=<token>\n",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="vtexbridge"'},
            )
        if "token" in request.query_params and request.method == "GET":
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            redirect = RedirectResponse(target, status_code=303)
            redirect.set_cookie(
                COOKIE, given or "", httponly=True, samesite="strict", secure=request.url.scheme == "https"
            )
            return redirect
        return await endpoint(request)

    return guarded
