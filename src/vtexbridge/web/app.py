"""The ``vtexbridge serve`` ASGI app factory.

``create_app(settings)`` returns a FastAPI (Starlette) app whose routes are discovered: every module
of :mod:`vtexbridge.web.routes` (in name order, ``_``-prefixed modules skipped) that defines
``routes(settings) -> list[BaseRoute]`` (plain Starlette routes) or a FastAPI ``router``
(``APIRouter``) is mounted. Adding an area (marketplace protocols, dashboard, ``/metrics``) is adding a
module. Handlers get the shared objects with ``vtexbridge.web.deps.services(request)``.

Every request first goes through :mod:`vtexbridge.web.edge`: its body is read there up to its route's
limit (a module's ``body_limits(settings) -> {path prefix: bytes}``; 64 KiB elsewhere) within
``web.body_timeout_s``, before any handler or authentication runs, and every answer carries the
security headers.

Nothing is created at import time. The state store is the caller's when given (``state=``); otherwise
the app opens one and closes it at shutdown (lifespan). The order worker does not run inside the app:
``vtexbridge serve`` runs it beside the app in the same process and shares its wake-up events
(``wakeups=``), so that a hook notification is processed as soon as it is stored.

Each app has one :class:`~vtexbridge.observability.Metrics` on ``app.state.metrics`` (``metrics=``,
the one whose ``transport`` the VTEX client records into; a fresh one when absent), which
``/metrics`` renders. There is no process-wide registry: two apps never share counters.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

from vtexbridge.config import Settings
from vtexbridge.observability import Metrics
from vtexbridge.orders.service import Wakeups
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.web import routes as routes_pkg
from vtexbridge.web.deps import WebServices
from vtexbridge.web.edge import harden

__all__ = ["body_limits", "create_app", "discover"]


def _modules() -> list[ModuleType]:
    infos = sorted(pkgutil.iter_modules(routes_pkg.__path__), key=lambda m: m.name)
    return [
        importlib.import_module(f"{routes_pkg.__name__}.{i.name}")
        for i in infos
        if not i.name.startswith("_")
    ]


def body_limits(settings: Settings) -> dict[str, int]:
    """Path prefix -> largest body, from every route module's ``body_limits(settings)``."""
    limits: dict[str, int] = {}
    for module in _modules():
        declare: Callable[[Settings], Mapping[str, int]] | None = getattr(module, "body_limits", None)
        if callable(declare):
            limits.update(declare(settings))
    return limits


def discover(settings: Settings) -> tuple[list[BaseRoute], list[APIRouter]]:
    """The routes and routers of every module of :mod:`vtexbridge.web.routes`, in module-name order."""
    found: list[BaseRoute] = []
    routers: list[APIRouter] = []
    for module in _modules():
        factory: Callable[[Settings], Sequence[BaseRoute]] | None = getattr(module, "routes", None)
        if callable(factory):
            found.extend(factory(settings))
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return found, routers


def create_app(
    settings: Settings,
    *,
    state: StateStore | None = None,
    client: VtexClient | None = None,
    wakeups: Wakeups | None = None,
    metrics: Metrics | None = None,
) -> FastAPI:
    """Build the app.

    Args:
        settings: the configuration (routes read their sections from it).
        state: the state store; opened from ``settings.state.url`` (and closed at shutdown) when absent.
        client: the VTEX client, for routes that call VTEX.
        wakeups: the worker's wake-up events (``OrdersService.wakeups``); fresh ones when absent.
        metrics: the process's metrics (``app.state.metrics``, served by ``/metrics``); a fresh
            :class:`Metrics` when absent.
    """
    owned = state is None
    store = state if state is not None else StateStore.open(settings.state.url, create=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                store.close()

    app = FastAPI(title="vtexbridge", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.services = WebServices(settings, store, client, wakeups or Wakeups())
    app.state.metrics = metrics if metrics is not None else Metrics()
    plain, routers = discover(settings)
    app.router.routes.extend(plain)
    for router in routers:
        app.include_router(router)
    harden(app, limits=body_limits(settings), body_timeout_s=settings.web.body_timeout_s)
    return app
