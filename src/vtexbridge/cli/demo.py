"""``vtexbridge demo``: the whole product on a fresh machine, with no VTEX account and no configuration.

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

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import typer
import uvicorn

import vtexbridge
from vtexbridge import aio
from vtexbridge.cli._common import PORT_MAX, console, err_console
from vtexbridge.cli.doctor import run_checks
from vtexbridge.config import Settings, load_settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.log import setup_logging
from vtexbridge.observability import Metrics
from vtexbridge.orders.service import OrdersService
from vtexbridge.overview import ProgressPublisher, PublishingProgress
from vtexbridge.providers import demo as providers_demo
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.options import DEFAULT_PORT as SANDBOX_PORT
from vtexbridge.serving import Served, bind, serve_in_thread
from vtexbridge.state import StateStore
from vtexbridge.sync.report import RichProgress, render
from vtexbridge.sync.runner import SyncOptions, run_sync
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.transport import Transport
from vtexbridge.web.app import create_app as create_web_app
from vtexbridge.web.auth import set_policy
from vtexbridge.web.routes.providers import provider_routes
from vtexbridge.web.settings import DEFAULT_PORT
from vtexbridge.web.sync_runs import BackgroundSync

__all__ = ["DemoOptions", "register", "run_demo"]

HOST = "127.0.0.1"
ORDERS_FILE = "demo-orders.json"
ORDER_BODY = '{"items": [{"skuId": "1", "quantity": 1}]}'
ServingHook = Callable[[str, uvicorn.Server], None]


class DemoError(VtexbridgeError):
    """A demo step did not do what it should (the message says which and why)."""


@dataclass(frozen=True)
class DemoOptions:
    directory: Path = Path(".demo")
    port_sandbox: int = 0  # 0: a free port
    port: int = DEFAULT_PORT
    wait: bool = True
    orders: int = 3
    erp: Path | None = None


@dataclass
class DemoOrder:
    order_id: str
    sku_id: str
    value: int
    erp_file: str | None = None
    status: str | None = None
    invoice: str | None = None
    tracking: str | None = None


@dataclass
class DemoState:
    options: DemoOptions
    settings: Settings | None = None
    sandbox_url: str = ""
    sandbox_port: int = 0
    orders: list[DemoOrder] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)
    commands: list[tuple[str, str]] = field(default_factory=list)


def example_store() -> Path:
    """The example ERP store: ``examples/erp`` of the clone vtexbridge runs from (an editable install),
    else the copy the wheel ships inside the package (``vtexbridge/example_store``)."""
    package = Path(vtexbridge.__file__).resolve().parent
    clone = package.parents[1] / "examples" / "erp"
    return clone if (clone / "skus.csv").is_file() else package / "example_store"


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


# --- files ----------------------------------------------------------------------------------------


def config_text(sandbox_url: str, erp: Path, directory: Path, web_port: int) -> str:
    return f"""\
# Written by `vtexbridge demo`. The local VTEX sandbox stands in for VTEX; every command of the demo
# takes this file, e.g.  vtexbridge sync -c {directory}/vtexbridge.toml
# For a real store: drop base_url, set account, and give your app key/token (docs/real-account.md).

[vtex]
account = "sandbox"
base_url = "{sandbox_url}"
secrets_file = "secrets.toml"   # the sandbox's key and token (never put secrets in this file)

[state]
url = "sqlite:///state.db"      # relative to this file

[log]
level = "warning"

[erp]
kind = "folder"
path = {json.dumps(str(erp))}

[sync]
report_dir = {json.dumps(str((directory / "sync-reports").resolve()))}

[orders.feed]
empty_poll_s = 0.5              # sandbox only: against VTEX itself, never below 5 s

[orders.sink]
kind = "folder"
path = "erp/orders"             # the ERP's inbox of orders (one JSON file per order and status)

[orders.actions]
folder = "erp/actions"          # the ERP drops invoices and tracking here
min_age_s = 0.0

[web]
host = "127.0.0.1"              # loopback: the dashboard needs no token
port = {web_port}
""" + providers_demo.config_text()


SECRETS_TEXT = f"""\
# The local sandbox's credentials (written by `vtexbridge demo`).
[vtex]
app_key = "{DEFAULT_APP_KEY}"
app_token = "{DEFAULT_APP_TOKEN}"
""" + providers_demo.secrets_text()


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _fresh_start(directory: Path) -> None:
    """The sandbox and the state store must agree: if only one of them survived, start both anew."""
    sandbox_db, state_db = directory / "sandbox.db", directory / "state.db"
    if sandbox_db.exists() != state_db.exists():
        for path in directory.glob("*.db*"):
            path.unlink()
        (directory / ORDERS_FILE).unlink(missing_ok=True)
        (directory / "demo-provider-orders.json").unlink(missing_ok=True)


# --- the steps ------------------------------------------------------------------------------------


@contextmanager
def step(state: DemoState, n: int, title: str, *commands: str) -> Iterator[None]:
    console.rule(f"[bold]{n}. {title}", align="left")
    for command in commands:
        console.print(f"  [dim]$ {command}[/dim]", soft_wrap=True, highlight=False)
        state.commands.append((title, command))
    started = time.monotonic()
    yield
    state.timings.append((title, time.monotonic() - started))


def _client(settings: Settings, metrics: Metrics) -> VtexClient:
    return VtexClient(Transport(settings.vtex, metrics=metrics.transport))


async def _sandbox_json(client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    r = await client.request(method, path, json=body)
    if r.status_code >= 400:
        raise DemoError(f"the sandbox answered {r.status_code} to {method} {path}: {r.text[:300]}")
    return r.json()


async def _sellable_skus(admin: httpx.AsyncClient, n: int) -> list[str]:
    """Active SKUs with the most stock available, deterministic."""
    catalog = await _sandbox_json(admin, "GET", "/_sandbox/catalog")
    active = {str(s["Id"]) for s in catalog["skus"] if s.get("IsActive")}
    prices = {str(p.get("itemId")) for p in (await _sandbox_json(admin, "GET", "/_sandbox/prices"))["prices"]}
    stock: dict[str, int] = {}
    for line in (await _sandbox_json(admin, "GET", "/_sandbox/inventory"))["inventory"]:
        sku = str(line.get("skuId"))
        available = int(line.get("totalQuantity", line.get("quantity", 0)) or 0) - int(
            line.get("reservedQuantity", 0) or 0
        )
        if line.get("unlimitedQuantity"):
            available = 1_000_000
        stock[sku] = max(stock.get(sku, 0), available)
    ready = sorted((s for s in active & prices if stock.get(s, 0) > 0), key=lambda s: (-stock[s], int(s)))
    if len(ready) < n:
        raise DemoError(f"only {len(ready)} SKU(s) can be sold in the sandbox after the sync; {n} wanted")
    return ready[:n]


async def place_orders(state: DemoState, admin: httpx.AsyncClient) -> None:
    directory = state.options.directory
    saved = directory / ORDERS_FILE
    if saved.exists():
        kept = [DemoOrder(**o) for o in json.loads(saved.read_text(encoding="utf-8"))]
        known = [o for o in kept if (await admin.get(f"/_sandbox/orders/{o.order_id}")).status_code == 200]
        if len(known) == len(kept) and kept:
            state.orders = known
            console.print(f"  {len(known)} order(s) placed by an earlier run are still there: reusing them")
            return
    skus = await _sellable_skus(admin, state.options.orders)
    for sku in skus:
        order = await _sandbox_json(
            admin, "POST", "/_sandbox/orders", {"items": [{"skuId": sku, "quantity": 1}]}
        )
        state.orders.append(DemoOrder(str(order["orderId"]), sku, int(order.get("value", 0))))
        value = int(order.get("value", 0)) / 100
        console.print(f"  placed order [bold]{order['orderId']}[/bold]: 1 x SKU {sku}, {value:.2f}")
    _write(saved, json.dumps([o.__dict__ for o in state.orders], indent=2) + "\n")


def action_file(order: DemoOrder, issued: str) -> dict[str, Any]:
    """What an ERP writes when it invoices and ships an order (docs/orders.md)."""
    number = f"NF-{order.order_id.split('-')[0]}"
    return {
        "actions": [
            {
                "type": "invoice",
                "orderId": order.order_id,
                "invoiceNumber": number,
                "issuanceDate": issued,
                "invoiceValueCents": order.value,
                "invoiceUrl": f"https://erp.example.com/invoices/{number}.pdf",
            },
            {
                "type": "tracking",
                "orderId": order.order_id,
                "invoiceNumber": number,
                "courier": "Correios",
                "trackingNumber": f"BR{order.order_id.split('-')[0][-9:]}BR",
                "trackingUrl": "https://rastreamento.correios.com.br/",
            },
        ]
    }


async def drop_actions(
    state: DemoState, admin: httpx.AsyncClient, folder: Path, store: StateStore, store_account: str
) -> None:
    for order in state.orders:
        dump = await _sandbox_json(admin, "GET", f"/_sandbox/orders/{order.order_id}")
        doc = dump.get("order", dump)
        issued = str(doc.get("creationDate") or "2024-01-01T00:00:00Z")[:10]
        path = folder / f"order-{order.order_id}.json"
        number = action_file(order, issued)["actions"][0]["invoiceNumber"]
        earlier = store.actions.find(store_account, f"invoice:{number}")
        if earlier is not None and earlier.state == "done":
            console.print(f"  invoice {number} of {order.order_id} was accepted by VTEX in an earlier run")
            continue
        _write(path, json.dumps(action_file(order, issued), indent=2) + "\n")
        console.print(f"  wrote {path}")


async def verify(state: DemoState, admin: httpx.AsyncClient, store: StateStore) -> None:
    account = state.settings.vtex.account if state.settings else "sandbox"
    for order in state.orders:
        dump = await _sandbox_json(admin, "GET", f"/_sandbox/orders/{order.order_id}")
        doc = dump.get("order", dump)
        order.status = str(doc.get("status"))
        invoices = (doc.get("packageAttachment") or {}).get("packages") or []
        if invoices:
            order.invoice = str(invoices[-1].get("invoiceNumber"))
            order.tracking = invoices[-1].get("trackingNumber") or None
        delivery = store.orders.get_delivery(account, order.order_id, "ready-for-handling")
        order.erp_file = delivery.erp_ref if delivery else None
    for o in state.orders:  # under 80 columns; the ERP file is listed by step 5
        mark = "[green]✓[/green]" if o.status == "invoiced" and o.tracking else "[red]✗[/red]"
        console.print(
            f"  {mark} {o.order_id} {o.value / 100:>9.2f}  {o.invoice or '-'}  {o.tracking or '-'}"
            f"  VTEX: [bold]{o.status}[/bold]",
            soft_wrap=True,
            highlight=False,
        )
    late = [o.order_id for o in state.orders if o.status != "invoiced" or not o.tracking]
    if late:
        raise DemoError(
            f"not invoiced with tracking in VTEX: {', '.join(late)} (see `vtexbridge orders status`)"
        )


async def run_demo(options: DemoOptions, *, on_serving: ServingHook | None = None) -> DemoState:
    """Run every step; serve the dashboard at the end unless ``options.wait`` is false.

    ``on_serving(url, server)`` is called once the dashboard accepts connections (tests stop it
    with ``server.should_exit = True``; a person with Ctrl-C).
    """
    state = DemoState(options)
    directory = options.directory
    directory.mkdir(parents=True, exist_ok=True)
    _fresh_start(directory)
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
        _write(cfg, config_text(sandbox.url, erp, directory, web_port))
        _write(directory / "secrets.toml", SECRETS_TEXT)
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
            outcome = await run_sync(
                settings,
                SyncOptions(),
                progress=PublishingProgress(ProgressPublisher(store, account), bars),
                metrics=metrics,
            )
        finally:
            bars.stop()
        render(outcome.report, console)
    async with (
        httpx.AsyncClient(base_url=sandbox.url, timeout=30) as admin,
        aclosing(_client(settings, metrics)) as client,
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
        aclosing(_client(settings, metrics)) as client,
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


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        port_sandbox: int = typer.Option(
            0,
            "--port-sandbox",
            min=0,
            max=PORT_MAX,
            help=f"Sandbox port (default: {SANDBOX_PORT} when free, else a free one).",
        ),
        port: int = typer.Option(
            DEFAULT_PORT, "--port", min=0, max=PORT_MAX, help="Dashboard port (0: a free one)."
        ),
        wait: bool = typer.Option(
            True,
            "--wait/--no-wait",
            help="Serve the dashboard until Ctrl-C (default), or exit after the summary.",
        ),
        directory: Path = typer.Option(
            Path(".demo"), "--dir", help="Where the demo keeps its config, state and ERP folders."
        ),
        orders: int = typer.Option(3, "--orders", min=1, max=20, help="Orders to place."),
        erp: Path | None = typer.Option(None, "--erp", help="ERP folder to sync (default: examples/erp)."),
    ) -> None:
        """Run everything locally against the VTEX sandbox (no account needed), then serve the dashboard."""
        setup_logging("warning", "text")
        options = DemoOptions(directory, port_sandbox, port, wait, orders, erp)
        try:
            aio.run(run_demo(options))
        except VtexbridgeError as e:
            err_console.print(f"[red]error:[/red] {e.user_message}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:  # pragma: no cover - Ctrl-C during the steps
            raise typer.Exit(130) from None
