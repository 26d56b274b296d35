"""The operator's dashboard, server-rendered (Jinja2) with a little vendored JavaScript (no CDN).

Pages (all under ``/dashboard``; ``/`` redirects there):

- ``/dashboard/`` — the catalog VTEX accepted (entities per kind), the live progress of a running
  sync, the last sync runs (when, how long, counts per outcome, requests and rate achieved),
  entities in error (ERP key, field, source, VTEX's message) with retry buttons, and the order
  pipeline: orders per status, stuck orders, recent orders with their last event, actions VTEX
  rejected with a retry button. Panels refresh themselves (``data-poll``).
- ``/dashboard/runs[?q=&offset=]`` — every sync run, paged, searchable (status, holder, id).
- ``/dashboard/runs/{id}`` — one run: counts per entity kind and outcome, the errors it recorded.
- ``/dashboard/errors[?kind=&q=&offset=]`` — every entity in error, paged, searchable.
- ``/dashboard/orders[?q=&offset=]`` — every order, paged, searchable (id, status), with its VTEX
  status as best known here.
- ``/dashboard/orders/{orderId}`` — one order's timeline.
- ``POST /dashboard/errors/retry`` (form ``kind``, ``key``; none for all) — runs a sync now, which
  sends every entity in error again (and anything else that changed, nothing more). The app's
  ``state.sync_trigger`` (see :class:`SyncTrigger`) starts it; by default a
  :class:`~vtexbridge.web.sync_runs.BackgroundSync` when ``[erp]`` is configured.
- ``POST /dashboard/actions/{id}/retry`` — sends a rejected or failed action again.

Every page goes through :func:`vtexbridge.web.auth.protected`. No page has inline script or style
(the content security policy forbids them): behaviour is in ``static/dashboard.js``, looks in
``static/dashboard.css``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.pipeline import in_thread
from vtexbridge.orders.service import resolve_path
from vtexbridge.untrusted import UntrustedInput, check_id
from vtexbridge.web import lists, panels
from vtexbridge.web.auth import protected
from vtexbridge.web.deps import row_id, services

__all__ = ["PREFIX", "SyncTrigger", "routes"]

PREFIX = "/dashboard"
UNAVAILABLE = "The state database could not be read; the details are in the server log."
_log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent.parent
PARTIALS: dict[str, tuple[str, Callable[[panels.PanelSource], dict[str, Any]]]] = {
    "summary": ("_summary.html", panels.summary_panel),
    "progress": ("_progress.html", panels.progress_panel),
    "runs": ("_runs.html", panels.runs_panel),
    "errors": ("_errors.html", panels.errors_panel),
    "pipeline": ("_pipeline.html", panels.pipeline_panel),
    "providers": ("_providers.html", panels.providers_panel),
}


class SyncTrigger(Protocol):
    """Starts a sync in the background and says what it did, for the operator (one sentence).

    ``only`` names the entities the operator asked to retry, as ``(kind, erp_key)``; a trigger may
    run a whole sync instead (it only sends what differs from what VTEX accepted, and every entity in
    error differs).
    """

    def __call__(self, only: Sequence[tuple[str, str]] | None) -> Awaitable[str]: ...


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _short_when(moment: datetime | None) -> str:
    """``12-07 22:12`` (UTC; the full time in the cell's title)."""
    return moment.astimezone(UTC).strftime("%m-%d %H:%M") if moment else "-"


def _page_url(path: str, query: lists.ListQuery, offset: int) -> str:
    params = {"q": query.search, "kind": query.kind or "", "offset": str(offset) if offset else ""}
    encoded = urlencode({k: v for k, v in params.items() if v})
    return f"{path}?{encoded}" if encoded else path


@functools.cache
def _environment() -> Environment:
    """The templates (built on first use, then shared: they are read-only)."""
    env = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = _duration
    env.filters["when"] = _when
    env.filters["short_when"] = _short_when
    env.filters["changes"] = panels.run_changes
    env.globals["page_url"] = _page_url
    env.filters["urlpart"] = lambda s: quote(str(s), safe="")
    env.globals["prefix"] = PREFIX
    return env


def _source(request: Request) -> panels.PanelSource:
    svc = services(request)
    web, erp = svc.settings.web, svc.settings.erp
    root = (
        resolve_path(svc.settings, erp.path).resolve() if erp is not None and erp.path is not None else None
    )
    return panels.PanelSource(
        svc.store, svc.account, list(svc.settings.orders.statuses), web.stuck_after_s, erp_root=root
    )


def _render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    env = _environment()
    svc = services(request)
    page = env.get_template(template).render(
        **context, account=svc.account, notice=request.query_params.get("notice")
    )
    return HTMLResponse(page, status_code=status)


async def _page(request: Request, template: str, build: Callable[[], dict[str, Any] | None]) -> Response:
    try:
        context = await in_thread(build)
    except VtexbridgeError as e:
        _log.error("dashboard page %s: %s", request.url.path, e.user_message)
        return _render(request, "unavailable.html", {"message": UNAVAILABLE}, status=503)
    if context is None:
        return _render(request, "not_found.html", {"path": request.url.path}, status=404)
    return _render(request, template, context)


async def index(request: Request) -> Response:
    src = _source(request)
    return await _page(request, "index.html", lambda: panels.home(src))


async def partial(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in PARTIALS:
        return _render(request, "not_found.html", {"path": request.url.path}, status=404)
    template, build = PARTIALS[name]
    src = _source(request)
    return await _page(request, template, lambda: build(src))


async def run_detail(request: Request) -> Response:
    raw = request.path_params["run_id"]
    src = _source(request)
    number = row_id(raw)

    def build() -> dict[str, Any] | None:
        page = panels.run_page(src, number) if number is not None else None
        return (
            None
            if page is None or number is None
            else {**page, **lists.run_errors(src, number, src.erp_root)}
        )

    return await _page(request, "run.html", build)


async def runs_page(request: Request) -> Response:
    src, query = _source(request), lists.ListQuery.of(request.query_params)
    return await _page(request, "runs.html", lambda: lists.runs_list(src, query))


async def orders_page(request: Request) -> Response:
    src, query = _source(request), lists.ListQuery.of(request.query_params)
    return await _page(request, "orders.html", lambda: lists.orders_list(src, query))


async def errors_page(request: Request) -> Response:
    query = lists.ListQuery.of(request.query_params)
    if query.kind is not None and not _valid_id(query.kind):
        return _render(request, "not_found.html", {"path": request.url.path}, status=404)
    src = _source(request)
    return await _page(request, "errors.html", lambda: lists.errors_list(src, query, src.erp_root))


async def favicon(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/static/favicon.svg", status_code=308)


def _valid_id(raw: str | None) -> bool:
    try:
        check_id(raw, "id")
    except UntrustedInput:
        return False
    return True


async def order_detail(request: Request) -> Response:
    order_id = request.path_params["order_id"]
    src = _source(request)
    if not _valid_id(order_id):  # no such order can exist: never sent to the database
        return _render(request, "not_found.html", {"path": request.url.path}, status=404)
    return await _page(request, "order.html", lambda: panels.order_page(src, order_id))


def _back(request: Request, notice: str, fallback: str) -> Response:
    """After a POST: the JS client gets the notice as text; a plain form gets a redirect."""
    if request.headers.get("x-requested-with") == "fetch":
        return PlainTextResponse(notice)  # text, never markup: it quotes ids and VTEX's messages
    referer = request.headers.get("referer", "")
    path = referer.split(request.headers.get("host", "\0"), 1)[-1] if referer else ""
    target = path.split("?", 1)[0] if path.startswith(PREFIX) else fallback
    return RedirectResponse(f"{target}?{urlencode({'notice': notice})}", status_code=303)


def _trigger(request: Request) -> SyncTrigger | None:
    """The app's sync trigger; when none was installed and ``[erp]`` is configured, a
    :class:`~vtexbridge.web.sync_runs.BackgroundSync` made on first use."""
    state = request.app.state
    trigger: SyncTrigger | None = getattr(state, "sync_trigger", None)
    svc = services(request)
    if trigger is None and svc.settings.erp is not None:
        from vtexbridge.web.sync_runs import BackgroundSync  # the sync engine, only when asked for

        trigger = state.sync_trigger = BackgroundSync(
            svc.settings, svc.store, metrics=getattr(state, "metrics", None)
        )
    return trigger


async def retry_errors(request: Request) -> Response:
    form = await request.form()
    kind, key = str(form.get("kind") or ""), str(form.get("key") or "")
    only = [(kind, key)] if kind and key else None
    trigger = _trigger(request)
    if trigger is None:
        notice = (
            "No sync can be started from this process: run `vtexbridge sync` "
            "(every sync retries the entities in error)."
        )
    else:
        try:
            notice = await trigger(only)
        except VtexbridgeError as e:
            notice = f"The sync could not start: {e.user_message}"
    return _back(request, notice, f"{PREFIX}/")


async def retry_action(request: Request) -> Response:
    svc = services(request)
    raw = request.path_params["action_id"]
    number = row_id(raw)
    action = await in_thread(svc.store.actions.get, number) if number is not None else None
    if action is None or action.account != svc.account:
        return _back(request, f"No action {raw[:40]}.", f"{PREFIX}/")
    if await in_thread(svc.store.actions.requeue, action.id):
        svc.wakeups.actions.set()
        notice = f"{action.kind.capitalize()} of order {action.order_id} queued again."
    else:
        notice = f"Action {action.id} is {action.state}: only rejected or failed actions can be retried."
    return _back(request, notice, f"{PREFIX}/orders/{quote(action.order_id, safe='')}")


async def root(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=307)


def _route(path: str, endpoint: Callable[[Request], Awaitable[Response]], methods: list[str]) -> Route:
    return Route(path, protected(endpoint), methods=methods)


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return [
        Route("/", root, methods=["GET"]),
        Route(PREFIX, root, methods=["GET"]),
        _route(f"{PREFIX}/", index, ["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        _route(f"{PREFIX}/partials/{{name}}", partial, ["GET"]),
        _route(f"{PREFIX}/runs", runs_page, ["GET"]),
        _route(f"{PREFIX}/runs/{{run_id}}", run_detail, ["GET"]),
        _route(f"{PREFIX}/orders", orders_page, ["GET"]),
        _route(f"{PREFIX}/errors", errors_page, ["GET"]),
        _route(f"{PREFIX}/errors/retry", retry_errors, ["POST"]),
        _route(f"{PREFIX}/orders/{{order_id}}", order_detail, ["GET"]),
        _route(f"{PREFIX}/actions/{{action_id}}/retry", retry_action, ["POST"]),
        Mount(f"{PREFIX}/static", app=StaticFiles(directory=WEB_DIR / "static"), name="dashboard-static"),
    ]
