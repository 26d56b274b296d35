"""``GET /metrics``: every collector of the process in Prometheus' text format.

The app's :class:`~vtexbridge.observability.Metrics` is ``app.state.metrics``, set by ``create_app``
(``vtexbridge serve`` and ``vtexbridge demo`` create it first, give ``metrics.transport`` to the VTEX
client and ``metrics`` to the order worker, so that VTEX calls and the order flow are counted); an
app assembled without ``create_app`` gets a fresh one on first use. On the first scrape the
state store's figures are attached (:class:`~vtexbridge.observability.StateCollector`).

Protected like the dashboard (:mod:`vtexbridge.web.auth`): open on loopback, token elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.aio import in_thread
from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.observability import Metrics
from vtexbridge.web.auth import protected
from vtexbridge.web.deps import services

__all__ = ["metrics_of", "routes"]

_log = logging.getLogger(__name__)


def metrics_of(request: Request) -> Metrics:
    """The app's metrics (created on first use when the app was built without)."""
    state = request.app.state
    metrics: Metrics | None = getattr(state, "metrics", None)
    if metrics is None:
        metrics = state.metrics = Metrics()
    return metrics


async def scrape(request: Request) -> Response:
    metrics = metrics_of(request)
    svc = services(request)
    metrics.watch_state(svc.store, svc.account, statuses=list(svc.settings.orders.statuses))
    try:
        body = await in_thread(metrics.render)
    except VtexbridgeError as e:
        _log.error("/metrics: %s", e.user_message)
        return PlainTextResponse(
            "state store unavailable; the details are in the server log\n", status_code=503
        )
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return [Route("/metrics", protected(scrape), methods=["GET"])]
