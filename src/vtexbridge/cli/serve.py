"""``vtexbridge serve``: the web app (hook receiver, actions API, health) and the order worker in
one process.

The worker (feed consumer, hook inbox, action sources, actions outbox) runs beside uvicorn on the
same event loop and shares the app's wake-up events, so a hook notification is processed as soon as
it is stored. With ``orders.hook.public_url`` set, the hook is registered with VTEX once the server
accepts connections (VTEX pings the URL before it saves the configuration).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import typer
import uvicorn

from vtexbridge.cli._common import ConfigOption, err_console, settings_or_exit
from vtexbridge.cli.orders import prepare
from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.service import OrdersService
from vtexbridge.web.app import create_app
from vtexbridge.web.auth import set_policy

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


async def serve_forever(settings: Settings, host: str, port: int, *, worker: bool = True) -> None:
    """Serve the app and run the worker until the server is asked to stop (SIGINT/SIGTERM)."""
    async with OrdersService(settings) as service:
        app = create_app(settings, state=service.store, client=service.client, wakeups=service.wakeups)
        token = settings.web.token.get_secret_value() if settings.web.token is not None else None
        set_policy(app.state, host, token)  # the dashboard and /metrics: open on loopback, token elsewhere
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="on",
            access_log=False,
            log_level=settings.log.level,
            log_config=None,
        )
        server = uvicorn.Server(config)
        stop = asyncio.Event()
        background = []
        if worker:
            worker_task = asyncio.create_task(service.run(stop), name="orders-worker")

            def worker_done(task: asyncio.Task[None]) -> None:
                if not task.cancelled() and task.exception() is not None:
                    _log.error("the order worker failed (%r): stopping the server", task.exception())
                    server.should_exit = True  # let a supervisor restart the whole process

            worker_task.add_done_callback(worker_done)
            background.append(worker_task)
        if settings.orders.hook.public_url:
            background.append(asyncio.create_task(_register_when_up(server, service), name="hook-register"))
        try:
            await server.serve()
        finally:
            stop.set()
            results = await asyncio.gather(*background, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                    _log.error("the order worker stopped with an error: %s", result)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str | None = typer.Option(None, "--host", help="Address to bind (default: web.host)."),
        port: int | None = typer.Option(None, "--port", help="Port to listen on (default: web.port)."),
        worker: bool = typer.Option(
            True, "--worker/--no-worker", help="Run the order worker in this process (default) or not."
        ),
        config: Path | None = ConfigOption,
    ) -> None:
        """Serve the hook receiver and the actions API, and run the order worker."""
        settings = settings_or_exit(config)
        prepare(settings)
        try:
            asyncio.run(
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
