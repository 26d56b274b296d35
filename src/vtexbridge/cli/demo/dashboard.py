"""The demo's last step: the web app (dashboard, ``/metrics``, hook receiver, actions API) with the
order worker, until Ctrl-C."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from contextlib import aclosing

import uvicorn

from vtexbridge.cli._common import console
from vtexbridge.cli.demo.model import HOST
from vtexbridge.config import Settings
from vtexbridge.observability import Metrics
from vtexbridge.orders.service import OrdersService
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.transport import Transport
from vtexbridge.web.app import create_app as create_web_app
from vtexbridge.web.auth import set_policy
from vtexbridge.web.sync_runs import BackgroundSync

__all__ = ["ServingHook", "serve_dashboard", "vtex_client"]

ServingHook = Callable[[str, uvicorn.Server], None]


def vtex_client(settings: Settings, metrics: Metrics) -> VtexClient:
    """The demo's VTEX client (the sandbox plays VTEX), counting its calls in ``metrics``."""
    return VtexClient(Transport(settings.vtex, metrics=metrics.transport))


async def serve_dashboard(
    settings: Settings,
    store: StateStore,
    metrics: Metrics,
    sock: socket.socket,
    *,
    on_serving: ServingHook | None = None,
) -> None:
    """Serve the web app (dashboard, /metrics, hook, actions API) on ``sock`` with the order worker,
    until Ctrl-C."""
    async with (
        aclosing(vtex_client(settings, metrics)) as client,
        OrdersService(settings, store=store, client=client, metrics=metrics) as service,
    ):
        app = create_web_app(
            settings, state=store, client=service.client, wakeups=service.wakeups, metrics=metrics
        )
        app.state.sync_trigger = BackgroundSync(settings, store, metrics=metrics)
        set_policy(app.state, HOST, None)
        url = f"http://{HOST}:{sock.getsockname()[1]}/dashboard/"
        server = uvicorn.Server(
            uvicorn.Config(app, lifespan="on", access_log=False, log_level="warning", log_config=None)
        )
        stop = asyncio.Event()
        worker = asyncio.create_task(service.run(stop), name="orders-worker")
        metrics_url = url.replace("/dashboard/", "/metrics")
        console.print(
            f"\n[bold green]Dashboard: {url}[/bold green]  (Prometheus: {metrics_url})  Ctrl-C to stop"
        )
        watcher = asyncio.create_task(_announce(server, url, on_serving))
        try:
            await server.serve(sockets=[sock])
        finally:
            stop.set()
            watcher.cancel()
            await asyncio.gather(worker, watcher, return_exceptions=True)


async def _announce(server: uvicorn.Server, url: str, on_serving: ServingHook | None) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.02)
    if on_serving is not None:
        on_serving(url, server)
