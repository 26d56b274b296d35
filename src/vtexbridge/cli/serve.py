"""``vtexbridge serve``: the web app (hook receiver, actions API, health, dashboard, ``/metrics``,
marketplace protocol endpoints) and the order worker in one process.

The worker (feed consumer, hook inbox, action sources, actions outbox, pruning) runs beside uvicorn
on the same event loop and shares the app's wake-up events, so a hook notification is processed as
soon as it is stored. With ``orders.hook.public_url`` set, the hook is registered with VTEX once the
server accepts connections (VTEX pings the URL before it saves the configuration).

One :class:`~vtexbridge.observability.Metrics` per process: the worker's VTEX client records its
calls in ``metrics.transport``, the order flow in ``metrics.orders``, and ``/metrics`` renders it.

With ``[marketplace.seller]`` or ``[marketplace.affiliate]`` configured, the
:class:`~vtexbridge.marketplace.runtime.MarketplaceRuntime` is built over the worker's state store,
client and ERP sink, attached to the app, made ready (the seller's offers loaded) *before* the
server accepts connections, run beside the worker (offer refresh, affiliate follow-up) and closed at
shutdown. The actions of the seller's orders (``VB-...``) go to the marketplace, not the OMS.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from pathlib import Path

import typer
import uvicorn
from fastapi import FastAPI

from vtexbridge import aio
from vtexbridge.cli._common import PORT_MAX, ConfigOption, err_console, settings_or_exit
from vtexbridge.cli.orders import prepare
from vtexbridge.config import Settings
from vtexbridge.errors import ConfigError, VtexbridgeError
from vtexbridge.marketplace.runtime import MarketplaceRuntime, attach
from vtexbridge.marketplace.seller.router import seller_router
from vtexbridge.observability import Metrics
from vtexbridge.orders.service import OrdersService
from vtexbridge.providers.runtime import ProvidersRuntime, attach_if_configured
from vtexbridge.serving import server_config
from vtexbridge.sync.continuous import runtime as continuous
from vtexbridge.web.app import create_app
from vtexbridge.web.auth import check_affiliate_exposure, set_policy

_log = logging.getLogger(__name__)


async def _register_when_up(server: uvicorn.Server, service: OrdersService) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    try:
        await service.register_hook()
    except (VtexbridgeError, ValueError) as e:
        message = e.user_message if isinstance(e, VtexbridgeError) else str(e)
        _log.error("the hook could not be registered with VTEX: %s (the feed keeps working)", message)


def marketplace_runtime(settings: Settings, service: OrdersService) -> MarketplaceRuntime | None:
    """The marketplace runtime over ``service``'s state store, client and sink, when
    ``[marketplace.seller]`` or ``[marketplace.affiliate]`` is configured (None otherwise); the
    seller's orders are routed to the marketplace by ``service``'s actions outbox.

    Raises:
        ConfigError: a payment handler cannot be loaded.
    """
    mkp = settings.marketplace
    if mkp.seller is None and mkp.affiliate is None:
        return None
    runtime = MarketplaceRuntime.build(
        settings, state=service.store, client=service.client, sink=service.sink
    )
    for side, problem in runtime.problems.items():
        _log.error("marketplace %s not available: %s", side, problem)
    if runtime.seller is not None:
        service.route_marketplace_orders(seller_router(runtime.seller.orders))
    return runtime


def _stop_server_on_failure(server: uvicorn.Server, what: str) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            _log.error("the %s failed (%r): stopping the server", what, task.exception())
            server.should_exit = True  # let a supervisor restart the whole process

    return done


async def serve_forever(
    settings: Settings,
    host: str,
    port: int,
    *,
    worker: bool = True,
    on_server: Callable[[uvicorn.Server], None] | None = None,
) -> None:
    """Serve the app and run the worker until the server is asked to stop (SIGINT/SIGTERM).

    Args:
        on_server: called with the uvicorn server before it starts (tests: its ``started`` flag,
            ``config.app``, and ``should_exit`` to stop it from another thread).
    """
    sock = listen(host, port)  # first: a taken port is reported before anything starts
    try:
        await _build_and_serve(settings, sock, host, worker=worker, on_server=on_server)
    finally:
        sock.close()


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``; raises ConfigError naming the address when it cannot be."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except OSError as e:
        raise ConfigError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {e.strerror or e} (choose another --port, or web.port)"
        ) from None
    return sock


async def _build_and_serve(
    settings: Settings,
    sock: socket.socket,
    host: str,
    *,
    worker: bool,
    on_server: Callable[[uvicorn.Server], None] | None,
) -> None:
    metrics = Metrics()
    async with OrdersService(settings, metrics=metrics) as service:
        app = create_app(
            settings, state=service.store, client=service.client, wakeups=service.wakeups, metrics=metrics
        )
        token = settings.web.token.get_secret_value() if settings.web.token is not None else None
        # the dashboard and /metrics: open on loopback (allowed host names only), token elsewhere
        set_policy(app.state, host, token, settings.web.allowed_hosts)
        check_affiliate_exposure(settings.marketplace.affiliate, host)
        runtime = marketplace_runtime(settings, service)
        providers = attach_if_configured(  # gift card/payment/antifraud
            app, settings, service.store, metrics.registry, metrics.transport
        )
        try:
            if runtime is not None:
                attach(app, runtime)
                await runtime.ready()  # the first simulation is answered from the loaded offers
            await _serve(settings, app, service, runtime, sock, worker=worker, on_server=on_server)
        finally:
            if runtime is not None:
                await runtime.aclose()
            if providers is not None:
                await providers.aclose()


async def _serve(
    settings: Settings,
    app: FastAPI,
    service: OrdersService,
    runtime: MarketplaceRuntime | None,
    sock: socket.socket,
    *,
    worker: bool,
    on_server: Callable[[uvicorn.Server], None] | None,
) -> None:
    host, port = sock.getsockname()[:2]
    config = server_config(
        app,
        header_timeout_s=settings.web.header_timeout_s,
        keep_alive_s=settings.web.keep_alive_s,
        host=host,
        port=port,
        lifespan="on",
        log_level=settings.log.level,
    )
    server = uvicorn.Server(config)
    if on_server is not None:
        on_server(server)
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []
    if worker:
        worker_task = asyncio.create_task(service.run(stop), name="orders-worker")
        worker_task.add_done_callback(_stop_server_on_failure(server, "order worker"))
        background.append(worker_task)
    if runtime is not None:
        mkp_task = asyncio.create_task(runtime.run(stop), name="marketplace")
        mkp_task.add_done_callback(_stop_server_on_failure(server, "marketplace runtime"))
        background.append(mkp_task)
    providers = getattr(app.state, "providers", None)
    if isinstance(providers, ProvidersRuntime):
        providers_task = asyncio.create_task(providers.run(stop), name="providers")
        providers_task.add_done_callback(_stop_server_on_failure(server, "provider protocols"))
        background.append(providers_task)
    if settings.orders.hook.public_url:
        background.append(asyncio.create_task(_register_when_up(server, service), name="hook-register"))
    if settings.sync.continuous.enabled:  # #13: the change intake's loop (under the sync lease)
        background += continuous.start(
            settings, service.store, stop, app_state=app.state, metrics=app.state.metrics
        )
    try:
        await server.serve(sockets=[sock])
    finally:
        stop.set()
        results = await asyncio.gather(*background, return_exceptions=True)
        for task, result in zip(background, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                _log.error("%s stopped with an error: %s", task.get_name(), result)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str | None = typer.Option(None, "--host", help="Address to bind (default: web.host)."),
        port: int | None = typer.Option(
            None, "--port", min=0, max=PORT_MAX, help="Port to listen on (default: web.port, 8780)."
        ),
        worker: bool = typer.Option(
            True, "--worker/--no-worker", help="Run the order worker in this process (default) or not."
        ),
        config: Path | None = ConfigOption,
    ) -> None:
        """Serve the dashboard, /metrics, the hook receiver and the actions API; run the order worker.

        Dashboard: http://HOST:PORT/dashboard/ (sync runs, entities in error, the order pipeline).

        Prometheus metrics: http://HOST:PORT/metrics.

        Both are open on a loopback address and need web.token (VTEXBRIDGE_WEB__TOKEN) on any other.
        With marketplace.seller or marketplace.affiliate configured, their protocol endpoints too.
        """
        settings = settings_or_exit(config)
        prepare(settings)
        try:
            aio.run(
                serve_forever(
                    settings,
                    host if host is not None else settings.web.host,
                    port if port is not None else settings.web.port,
                    worker=worker,
                )
            )
        except VtexbridgeError as e:
            err_console.print(f"[red]error:[/red] {e.user_message}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C
            raise typer.Exit(130) from None
