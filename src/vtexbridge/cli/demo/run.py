"""``vtexbridge demo`` steps: the whole product on a fresh machine, with no VTEX account and no configuration.

Step by step, each also a command a user can run against a real store (the summary lists them):

1. start the local VTEX sandbox (seeded, persisted in ``.demo/sandbox.db``) on the documented port
   8710 when it is free, else any free loopback port (every command printed names the real one);
2. write ``.demo/vtexbridge.toml`` (+ ``secrets.toml`` with the sandbox's key/token), create the
   SQLite state store, and check every VTEX API area as ``vtexbridge doctor`` does;
3. sync ``examples/erp/`` into the sandbox, with progress bars;
4. configure the orders feed, then place a handful of orders in the sandbox (its admin API);
5. run the order pipeline once: the orders land in ``.demo/erp/orders/`` and handling starts;
6. drop an invoice and a tracking file per order into ``.demo/erp/actions/`` and run the actions;
7. check in the sandbox that every order is ``invoiced`` with its tracking;
8. serve the dashboard (and ``/metrics``, the hook receiver, the worker) until Ctrl-C.

The summary ends with how to start the sandbox again after the demo exits, so that the printed
commands (``doctor``, ``orders status``...) keep working.

Running it twice is safe: the sandbox and the state store persist in ``.demo/``, so the second run
syncs nothing (nothing changed), reuses the orders it placed (kept in ``demo-orders.json``), and
re-posts no invoice (invoice numbers are sent once).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from pathlib import Path
from typing import Any

from vtexbridge.cli._common import console
from vtexbridge.cli.demo import providers as providers_demo
from vtexbridge.cli.demo.admin import SandboxAdmin
from vtexbridge.cli.demo.dashboard import ServingHook, serve_dashboard, vtex_client
from vtexbridge.cli.demo.files import SECRETS_TEXT, config_text, example_store, fresh_start, write_file
from vtexbridge.cli.demo.model import HOST, DemoError, DemoOptions, DemoState
from vtexbridge.cli.demo.shop import drop_actions, place_orders, verify
from vtexbridge.cli.doctor import run_checks
from vtexbridge.config import Settings, load_settings
from vtexbridge.observability import Metrics
from vtexbridge.orders.service import OrdersService
from vtexbridge.overview import ProgressPublisher, PublishingProgress
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import DEFAULT_PORT as SANDBOX_PORT
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.serving import Served, bind, serve_in_thread
from vtexbridge.state import StateStore
from vtexbridge.sync.report import RichProgress, render
from vtexbridge.sync.runner import SyncOptions
from vtexbridge.web.routes.providers import provider_routes
from vtexbridge.web.sync_runs import run_catalog_sync

__all__ = ["run_demo", "sandbox_command", "step"]

ORDER_BODY = '{"items": [{"skuId": "1", "quantity": 1}]}'


def _sandbox_socket(port: int) -> socket.socket:
    """The sandbox's socket: ``port`` when given; else the documented port when free, else any free one."""
    if port:
        return _bind(port)
    try:
        return bind(HOST, SANDBOX_PORT)
    except OSError:
        return _bind(0)


def _bind(port: int) -> socket.socket:
    try:
        return bind(HOST, port)
    except OSError as e:
        raise DemoError(f"cannot listen on {HOST}:{port}: {e.strerror} (choose another port)") from None


def _serve_sandbox(app: Any, sock: socket.socket) -> Served:
    """Serve the sandbox on ``sock``; returns once it accepts connections."""
    try:
        return serve_in_thread(app, sock=sock, name="demo-sandbox", log_level="warning")
    except RuntimeError as e:
        raise DemoError(f"the sandbox did not start: {e}") from None


@contextmanager
def step(state: DemoState, n: int, title: str, *commands: str) -> Iterator[None]:
    console.rule(f"[bold]{n}. {title}", align="left")
    for command in commands:
        console.print(f"  [dim]$ {command}[/dim]", soft_wrap=True, highlight=False)
        state.commands.append((title, command))
    started = time.monotonic()
    yield
    state.timings.append((title, time.monotonic() - started))


async def run_demo(options: DemoOptions, *, on_serving: ServingHook | None = None) -> DemoState:
    """Run every step; serve the dashboard at the end unless ``options.wait`` is false.

    ``on_serving(url, server)`` is called once the dashboard accepts connections (tests stop it
    with ``server.should_exit = True``; a person with Ctrl-C).
    """
    state = DemoState(options)
    directory = options.directory
    directory.mkdir(parents=True, exist_ok=True)
    fresh_start(directory)
    erp = (options.erp or example_store()).resolve()
    if not (erp / "skus.csv").exists():
        raise DemoError(f"no ERP store at {erp} (no skus.csv): give --erp DIR, a folder of ERP files")
    metrics = Metrics()
    demo_started = time.monotonic()
    # Take both ports now: a busy port is better reported before the steps than after, and every
    # command printed names the sandbox's real port.
    web_socket = _bind(options.port) if options.wait else None
    web_port = web_socket.getsockname()[1] if web_socket is not None else options.port
    try:
        sandbox_socket = _sandbox_socket(options.port_sandbox)
        state.sandbox_port = sandbox_socket.getsockname()[1]
        with step(state, 1, "Start the local VTEX sandbox", sandbox_command(directory, state.sandbox_port)):
            sandbox_app = create_sandbox(
                SandboxOptions(
                    host=HOST, port=state.sandbox_port, state=directory / "sandbox.db", seed="demo"
                )
            )
            sandbox = _serve_sandbox(sandbox_app, sandbox_socket)
            state.sandbox_url = sandbox.url
            console.print(f"  VTEX sandbox at {sandbox.url} (account sandbox), store {directory}/sandbox.db")
        try:
            await _with_sandbox(state, metrics, sandbox, erp, web_port, web_socket, on_serving, demo_started)
        finally:
            sandbox.stop()
            sandbox_app.state.sandbox.store.close()
    finally:
        if web_socket is not None:
            web_socket.close()
    return state


def sandbox_command(directory: Path, port: int, *, seed: bool = True) -> str:
    """The command that serves the demo's sandbox (``seed``: the first time)."""
    return f"vtexbridge sandbox --state {directory}/sandbox.db{' --seed demo' if seed else ''} --port {port}"


async def _with_sandbox(
    state: DemoState,
    metrics: Metrics,
    sandbox: Served,
    erp: Path,
    web_port: int,
    web_socket: socket.socket | None,
    on_serving: ServingHook | None,
    demo_started: float,
) -> None:
    directory = state.options.directory
    cfg = directory / "vtexbridge.toml"
    with step(
        state,
        2,
        "Write the configuration, create the state store, check every VTEX API area",
        f"vtexbridge state upgrade -c {cfg}",
        f"vtexbridge doctor -c {cfg}",
    ):
        write_file(cfg, config_text(sandbox.url, erp, directory, web_port))
        write_file(directory / "secrets.toml", SECRETS_TEXT)
        (directory / "secrets.toml").chmod(0o600)
        settings = state.settings = load_settings(cfg, env={})
        store = StateStore.open(settings.state.url, create=True)
        console.print(f"  {cfg}, {directory}/secrets.toml, state {directory}/state.db (SQLite)")
        await _doctor(settings)
    try:
        await _steps(state, settings, store, metrics, sandbox, cfg, directory)
        _summary(state, time.monotonic() - demo_started)
        if state.options.wait:
            assert web_socket is not None
            await serve_dashboard(settings, store, metrics, web_socket, on_serving=on_serving)
    finally:
        store.close()


async def _doctor(settings: Settings) -> None:
    """What ``vtexbridge doctor`` checks: one read-only request per VTEX API area."""
    results = await run_checks(settings.vtex)
    failed = [f"{r.probe.api.value}: {r.detail or r.result}" for r in results if not r.ok]
    if failed:
        raise DemoError(f"the sandbox refused the doctor's checks: {'; '.join(failed)}")
    console.print(f"  doctor: every VTEX API area answered ({len(results)} of {len(results)})")


async def _steps(
    state: DemoState,
    settings: Settings,
    store: StateStore,
    metrics: Metrics,
    sandbox: Served,
    cfg: Path,
    directory: Path,
) -> None:
    account = settings.vtex.account
    with step(state, 3, "Sync the example ERP store into VTEX", f"vtexbridge sync -c {cfg}"):
        bars = RichProgress(console)
        try:
            outcome = await run_catalog_sync(
                settings,
                SyncOptions(),
                progress=PublishingProgress(ProgressPublisher(store, account), bars),
                metrics=metrics,
            )
        finally:
            bars.stop()
        render(outcome.report, console)
    async with (
        SandboxAdmin(sandbox.url) as admin,
        aclosing(vtex_client(settings, metrics)) as client,
        OrdersService(settings, store=store, client=client, metrics=metrics) as service,
    ):
        with step(
            state,
            4,
            "Place orders in the sandbox (a shopper buys)",
            f"vtexbridge orders run --once -c {cfg}   # configures the orders feed",
            f"curl -X POST {sandbox.url}/_sandbox/orders -d '{ORDER_BODY}'",
        ):
            await service.run(once=True)  # asserts the feed configuration before the orders exist
            await place_orders(state, admin)
        with step(
            state,
            5,
            "Run the orders into the ERP folder",
            f"vtexbridge orders run --once -c {cfg}",
            f"ls {directory}/erp/orders/",
        ):
            await service.run(once=True)
            for order in state.orders:
                delivery = store.orders.get_delivery(account, order.order_id, "ready-for-handling")
                console.print(
                    f"  {order.order_id} -> {delivery.erp_ref if delivery else '[red]not delivered[/red]'}"
                )
        with step(
            state,
            6,
            "The ERP invoices and ships: drop invoice and tracking files, run the actions",
            f"cp order-ORDER_ID.json {directory}/erp/actions/   # what the ERP writes (docs/orders.md)",
            f"vtexbridge orders run --once -c {cfg}",
        ):
            await drop_actions(state, admin, directory / "erp" / "actions", store, account)
            await service.run(once=True)
        with step(
            state,
            7,
            "Check in VTEX that every order is invoiced",
            f"vtexbridge orders status ORDER_ID -c {cfg}",
        ):
            await verify(state, admin, store)
    await _provider_step(state, settings, store, sandbox, directory)


async def _provider_step(
    state: DemoState, settings: Settings, store: StateStore, sandbox: Served, directory: Path
) -> None:
    """Step 8 (the provider protocols, docs/providers.md): gift card + ERP credit line at checkout."""
    with step(
        state,
        8,
        "Pay an order with a gift card and the ERP credit line (provider protocols)",
        f"curl -X POST {sandbox.url}/_sandbox/providers/orders -d '{{...giftCard, payment...}}'",
        f"curl -X POST {sandbox.url}/_sandbox/providers/orders/ORDER_ID/invoice",
    ):
        providers_demo.write_demo_erp(directory / "erp" / "providers")
        record = directory / "demo-provider-orders.json"
        result = await providers_demo.run_provider_order(
            settings, store, sandbox.url, record, routes=provider_routes
        )
        console.print(
            f"  {result.invoiced['orderId']}: 20.00 on gift card + 100.00 on the company's credit line, "
            f"analysed, captured on invoice; {result.cancelled['orderId']}: cancelled, released"
        )
        console.print(
            f"  ERP: gift card balance {result.card_balance:.2f}, credit line used {result.credit_used:.2f}"
        )


def _summary(state: DemoState, total_s: float) -> None:
    console.rule(f"[bold]Done in {total_s:.1f} s", align="left")
    console.print(
        "Every step, as the command you would run yourself (for a real store: docs/real-account.md):"
    )
    commands: dict[str, list[str]] = {}
    for title, command in state.commands:
        commands.setdefault(title, []).append(command)
    for n, (title, seconds) in enumerate(state.timings, 1):
        console.print(f"  {n}. {title} [dim]({seconds:.1f} s)[/dim]", highlight=False)
        for command in commands.get(title, []):
            console.print(f"       $ {command}", soft_wrap=True, highlight=False)
    directory = state.options.directory
    when = "once the dashboard is stopped (Ctrl-C)" if state.options.wait else "now"
    console.print(
        f"The sandbox stops with the demo ({when}). To run these commands yourself afterwards, start it "
        "again on the same port (its store is kept), then e.g. doctor:",
        highlight=False,
    )
    console.print(f"  $ {sandbox_command(directory, state.sandbox_port, seed=False)} &", soft_wrap=True)
    console.print(f"  $ vtexbridge doctor -c {directory}/vtexbridge.toml", soft_wrap=True, highlight=False)
