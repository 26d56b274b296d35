"""``vtexbridge sandbox``: run the local VTEX sandbox (an ASGI app served by uvicorn).

The command only turns options into :class:`SandboxOptions`, builds the app with
:func:`vtexbridge.sandbox.app.create_app` and serves it; docs/sandbox.md describes the behaviour.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal, cast

import typer
import uvicorn

from vtexbridge.cli._common import PORT_MAX, console, err_console
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.faults import ConnectionDropped, FaultSpecError
from vtexbridge.sandbox.options import (
    DEFAULT_ACCOUNT,
    DEFAULT_APP_KEY,
    DEFAULT_APP_TOKEN,
    DEFAULT_HOST,
    DEFAULT_PORT,
    SandboxOptions,
)
from vtexbridge.serving import bind

CONFIG_EXIT = 2


def _hide_dropped_connections(record: logging.LogRecord) -> bool:
    """Keep uvicorn from printing a traceback for every connection a fault rule dropped on purpose."""
    return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def build_options(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    state: Path | None = None,
    faults: str | None = None,
    fault_seed: int | None = None,
    account: str = DEFAULT_ACCOUNT,
    seed: str | None = None,
    app_key: str | None = None,
    app_token: str | None = None,
    user_tokens: list[str] | None = None,
    allow_remote_admin: bool = False,
    limits: str = "real",
    inventory_lock_ms: float = 150.0,
    masterdata: str = "strict",
) -> SandboxOptions:
    """Options from command-line values; raises :class:`typer.BadParameter` on inconsistent input."""
    if (app_key is None) != (app_token is None):
        raise typer.BadParameter("--app-key and --app-token go together: give both or neither")
    if limits not in ("real", "off"):
        raise typer.BadParameter(f"--limits must be 'real' or 'off', not {limits!r}")
    if masterdata not in ("strict", "lenient"):
        raise typer.BadParameter(f"--masterdata must be 'strict' or 'lenient', not {masterdata!r}")
    if not account or "." in account or "/" in account:
        raise typer.BadParameter(f"--account must be a VTEX account name, not {account!r}")
    credentials = {app_key: app_token} if app_key and app_token else {DEFAULT_APP_KEY: DEFAULT_APP_TOKEN}
    return SandboxOptions(
        host=host,
        port=port,
        state=state,
        account=account,
        credentials=credentials,
        user_tokens=frozenset(user_tokens or ()),
        faults=faults,
        fault_seed=fault_seed,
        allow_remote_admin=allow_remote_admin,
        seed=seed,
        limits=cast(Literal["real", "off"], limits),
        inventory_lock_ms=inventory_lock_ms,
        masterdata=cast(Literal["strict", "lenient"], masterdata),
    )


def register(app: typer.Typer) -> None:
    @app.command("sandbox")
    def sandbox_command(
        host: str = typer.Option(
            DEFAULT_HOST, "--host", help="Address to bind (the admin API is loopback-only)."
        ),
        port: int = typer.Option(
            DEFAULT_PORT, "--port", min=0, max=PORT_MAX, help="Port to listen on (0: a free one)."
        ),
        state: Path | None = typer.Option(
            None, "--state", help="SQLite file keeping the store across restarts (default: memory)."
        ),
        faults: str | None = typer.Option(
            None, "--faults", help='Fault SPEC, e.g. "*:429=0.05,503=0.05;/pricing/*:latency=20ms".'
        ),
        fault_seed: int | None = typer.Option(
            None, "--fault-seed", help="Seed of the fault dice (reproducible runs)."
        ),
        account: str = typer.Option(
            DEFAULT_ACCOUNT, "--account", help="Account used when neither Host nor path prefix names one."
        ),
        seed: str | None = typer.Option(None, "--seed", help="Seed data set applied at start (e.g. 'demo')."),
        app_key: str | None = typer.Option(
            None, "--app-key", help=f"Accepted app key (default {DEFAULT_APP_KEY})."
        ),
        app_token: str | None = typer.Option(
            None, "--app-token", help="Accepted app token (with --app-key)."
        ),
        user_token: list[str] = typer.Option(
            [], "--user-token", help="Accepted VtexIdclientAutCookie value (repeatable)."
        ),
        allow_remote_admin: bool = typer.Option(
            False, "--allow-remote-admin", help="Serve /_sandbox/* even on a non-loopback bind."
        ),
        limits: str = typer.Option(
            "real", "--limits", help="'real' enforces VTEX's published rate limits; 'off'."
        ),
        inventory_lock_ms: float = typer.Option(
            150.0,
            "--inventory-lock-ms",
            help="Window in which a second inventory PUT of a SKU+warehouse gets 423.",
        ),
        masterdata: str = typer.Option(
            "strict",
            "--masterdata",
            help="'strict': Master Data as VTEX answers it; 'lenient': any entity, REST-Range optional.",
        ),
    ) -> None:
        """Run a local VTEX sandbox that a VTEX client cannot tell from VTEX."""
        options = build_options(
            host=host,
            port=port,
            state=state,
            faults=faults,
            fault_seed=fault_seed,
            account=account,
            seed=seed,
            app_key=app_key,
            app_token=app_token,
            user_tokens=user_token,
            allow_remote_admin=allow_remote_admin,
            limits=limits,
            inventory_lock_ms=inventory_lock_ms,
            masterdata=masterdata,
        )
        _serve(options, host, port)


def _serve(options: SandboxOptions, host: str, port: int) -> None:
    """Build the app, bind (a taken port is reported before any banner), serve until stopped."""
    try:
        asgi_app = create_app(options)
    except (FaultSpecError, ValueError) as e:
        err_console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(CONFIG_EXIT) from None
    try:
        sock = bind(host, port)  # before the banner: a taken port is reported, nothing announced
    except OSError as e:
        asgi_app.state.sandbox.store.close()
        err_console.print(f"[red]error:[/red] cannot listen on {host}:{port}: {e.strerror}")
        raise typer.Exit(CONFIG_EXIT) from None
    _banner(options, host, sock.getsockname()[1])
    logging.getLogger("uvicorn.error").addFilter(_hide_dropped_connections)
    config = uvicorn.Config(asgi_app, log_level="warning", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        asgi_app.state.sandbox.store.close()


def _banner(options: SandboxOptions, host: str, port: int) -> None:
    key = next(iter(options.credentials))
    token = "sandbox-token" if options.credentials[key] == DEFAULT_APP_TOKEN else "(as given)"
    console.print(f"VTEX sandbox on http://{host}:{port}  account={options.account}")
    console.print(f"  X-VTEX-API-AppKey: {key}  X-VTEX-API-AppToken: {token}")
    store = options.state or "memory"
    console.print(f"  store: {store}  limits: {options.limits}  faults: {options.faults or 'none'}")
    admin = (
        f"http://{host}:{port}/_sandbox/health" if options.admin_enabled else "disabled (non-loopback bind)"
    )
    console.print(f"  admin: {admin}")
