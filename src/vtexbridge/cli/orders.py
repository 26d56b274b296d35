"""``vtexbridge orders``: run the order pipeline and see what it knows.

- ``orders run [--once]`` — the feed consumer, the hook inbox, the action sources and the actions
  worker, until interrupted (``--once``: drain what is there now and exit);
- ``orders status [ORDER_ID]`` — per order: statuses seen, ERP accepted at, handling started,
  invoices, tracking, errors;
- ``orders replay ORDER_ID`` — deliver the order to the ERP again, in its current status;
- ``orders actions`` — actions VTEX refused (or that failed), with VTEX's message.

With ``[marketplace.seller]`` configured, ``orders run`` sends the actions of the orders a VTEX
marketplace placed on us (``VB-<marketplaceOrderId>``) to that marketplace's services endpoint,
like ``vtexbridge serve`` does; their refusals are listed by ``orders actions`` like VTEX's.
"""

from __future__ import annotations

import asyncio
import json
import signal
from contextlib import aclosing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.table import Table

from vtexbridge import aio
from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit
from vtexbridge.cli._orders_view import OnceReport, print_detail, print_list
from vtexbridge.clock import SystemClock
from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.log import register_secret, setup_logging
from vtexbridge.marketplace.runtime import MarketplaceRuntime, marketplace_settings
from vtexbridge.order_status import CurrentStatus, current_status, fetch_current
from vtexbridge.orders.action_sources import ScanReport
from vtexbridge.orders.actions import action_json
from vtexbridge.orders.journal import Journal
from vtexbridge.orders.marketplace_orders import seller_router
from vtexbridge.orders.service import OrdersService
from vtexbridge.state import Action, ActionState, StateStore
from vtexbridge.state.browse import finished_actions_since, inbox_since
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.transport import Transport

LIVE_TIMEOUT_S = 10.0


def _fail(e: VtexbridgeError) -> NoReturn:
    err_console.print(f"[red]error:[/red] {e.user_message}", soft_wrap=True)
    raise typer.Exit(e.exit_code) from None


def prepare(settings: Settings, *, needs_vtex: bool = True) -> None:
    """Logging, secrets registered for redaction, credentials checked."""
    setup_logging(settings.log.level, settings.log.format)
    orders = settings.orders
    for secret in (orders.hook.secret, orders.actions.api_token, orders.sink.url, orders.actions.sql_url):
        if secret is not None:
            register_secret(secret.get_secret_value())
    for value in orders.sink.headers.values():
        register_secret(value.get_secret_value())
    mkp = marketplace_settings(settings)
    for secret in (
        mkp.seller.app_key if mkp.seller else None,
        mkp.seller.app_token if mkp.seller else None,
        mkp.affiliate.secret if mkp.affiliate else None,
    ):
        if secret is not None:
            register_secret(secret.get_secret_value())
    if needs_vtex:
        try:
            settings.vtex.require_credentials()
        except VtexbridgeError as e:
            _fail(e)


class _ReportingService(OrdersService):
    """The order service, keeping what its scans of the action sources found (for the report)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.scans: list[ScanReport] = []

    async def scan_sources(self) -> list[ScanReport]:
        reports = await super().scan_sources()
        self.scans.extend(reports)
        return reports


async def _run(settings: Settings, once: bool) -> OnceReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass
    started = datetime.now(UTC)
    service = _ReportingService(settings)
    async with service:
        seller = None
        if marketplace_settings(settings).seller is not None:
            # Only the seller's order records and the marketplace services client are used here:
            # its offers are not loaded (that is `serve`'s simulation endpoint).
            seller = MarketplaceRuntime.build(
                settings,
                state=service.store,
                client=service.client,
                marketplace=marketplace_settings(settings).model_copy(update={"affiliate": None}),
                sink=service.sink,
            )
            assert seller.seller is not None
            service.route_marketplace_orders(seller_router(seller.seller.orders))
        try:
            await service.run(stop, once=once)
        finally:
            if seller is not None:
                await seller.aclose()
        return await asyncio.to_thread(_once_report, settings, service, started)


def _once_report(settings: Settings, service: _ReportingService, started: datetime) -> OnceReport:
    """What the run did, counted in the state store (actions finished, notifications processed)."""
    account, store = service.account, service.store
    done, waiting = inbox_since(store, account, started)
    return OnceReport(
        feed_enabled=settings.orders.feed.enabled,
        lots=list(service.consumer.reports),
        inbox_done=done,
        inbox_waiting=waiting,
        scans=service.scans,
        finished=finished_actions_since(store, account, started),
        pending=store.actions.count(account).get(ActionState.PENDING.value, 0),
        sweep=service.sweep.last,
    )


def _store(settings: Settings) -> StateStore:
    try:
        return StateStore.open(settings.state.url, create=True)
    except VtexbridgeError as e:
        _fail(e)


def _action_line(a: Action) -> str:
    p = a.payload if isinstance(a.payload, dict) else {}
    what = p.get("invoiceNumber") or p.get("reason") or ""
    extra = f" tracking {p['trackingNumber']}" if a.kind == "tracking" and p.get("trackingNumber") else ""
    return f"{a.kind} {what}{extra}".strip()


def _order_detail(store: StateStore, account: str, order_id: str) -> dict[str, Any]:
    state = store.orders.get(account, order_id)
    deliveries = store.orders.list_deliveries(account, order_id)
    journal = Journal(store, account, SystemClock()).get(order_id)
    actions = store.actions.list_for(account, order_id=order_id, limit=200)
    return {
        "orderId": order_id,
        "known": state is not None or bool(deliveries) or bool(actions),
        "lastStatus": state.last_status if state else None,
        "statusChangedAt": state.status_changed_at.isoformat() if state and state.status_changed_at else None,
        "firstSeenAt": state.first_seen_at.isoformat() if state else None,
        "handlingStartedAt": state.handling_started_at.isoformat()
        if state and state.handling_started_at
        else None,
        "deliveries": [
            {"status": d.status, "sink": d.sink, "erpRef": d.erp_ref, "acceptedAt": d.accepted_at.isoformat()}
            for d in deliveries
        ],
        "seen": journal.get("seen") or [],
        "errors": journal.get("errors") or [],
        "notes": journal.get("notes") or [],
        "actions": [
            {
                "id": a.id,
                "kind": a.kind,
                "what": _action_line(a),
                "state": a.state,
                "attempts": a.attempts,
                "vtexStatus": a.vtex_status,
                "vtexMessage": a.vtex_message,
                "source": a.source_ref,
            }
            for a in actions
        ],
    }


def _current(store: StateStore, account: str, d: dict[str, Any], live: CurrentStatus | str | None) -> str:
    """The status column: VTEX's answer now, else the best local knowledge (``?``: VTEX did not
    answer; its reason goes to ``d["vtexError"]``)."""
    if isinstance(live, CurrentStatus):
        return live.label
    state = store.orders.get(account, d["orderId"])
    done = store.actions.list_for(account, order_id=d["orderId"], states=[ActionState.DONE], limit=200)
    known = current_status(store, account, state, done)
    if live is None:
        return known.label
    d["vtexError"] = live
    return f"{known.label} (?)"


async def _live(
    settings: Settings, store: StateStore, order_ids: list[str]
) -> dict[str, CurrentStatus | str]:
    """VTEX's status of each order now: one attempt each, a short timeout (like doctor)."""
    vtex = settings.vtex
    quick = vtex.model_copy(
        update={"max_retries": 0, "timeout_s": min(vtex.timeout_s, LIVE_TIMEOUT_S), "connect_timeout_s": 5.0}
    )
    async with aclosing(VtexClient(Transport(quick))) as client:
        try:
            first = await fetch_current(client, store, settings.vtex.account, order_ids[:1])
            return first | await fetch_current(client, store, settings.vtex.account, order_ids[1:])
        except VtexbridgeError as e:  # VTEX unreachable: said once, not waited for per order
            return dict.fromkeys(order_ids, f"not reachable: {e.user_message}")


def _with_status(
    settings: Settings, store: StateStore, details: list[dict[str, Any]], live: bool
) -> list[dict[str, Any]]:
    answers: dict[str, CurrentStatus | str] = {}
    if live and details and settings.vtex.credentials_problem() is None:
        answers = aio.run(_live(settings, store, [d["orderId"] for d in details]))
    for d in details:
        d["current"] = _current(store, settings.vtex.account, d, answers.get(d["orderId"]))
    return details


def register(app: typer.Typer) -> None:
    orders_app = typer.Typer(
        name="orders",
        help="Orders into the ERP, actions (invoice, tracking, cancel) back.",
        no_args_is_help=True,
    )

    @orders_app.command("run")
    def run(
        once: bool = typer.Option(False, "--once", help="Process what is waiting now, then exit."),
        config: Path | None = ConfigOption,
    ) -> None:
        """Run the feed consumer, the hook inbox and the actions worker."""
        settings = settings_or_exit(config)
        prepare(settings)
        try:
            report = aio.run(_run(settings, once))
        except VtexbridgeError as e:
            _fail(e)
        if once:
            for line in report.lines():
                console.print(line, soft_wrap=True, highlight=False, markup=False)
            if not report.ok:
                raise typer.Exit(1)

    @orders_app.command("status")
    def status(
        order_id: str | None = typer.Argument(None, help="One order (default: the most recent ones)."),
        limit: int = typer.Option(30, "--limit", min=1, max=500, help="Orders listed without ORDER_ID."),
        local: bool = typer.Option(
            False, "--local", help="Do not ask VTEX for the current status (show what is known here)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        config: Path | None = ConfigOption,
    ) -> None:
        """What the pipeline knows about each order, and its status in VTEX now (one GET per order)."""
        settings = settings_or_exit(config)
        account = settings.vtex.account
        store = _store(settings)
        try:
            if order_id is not None:
                detail = _order_detail(store, account, order_id)
                if not detail["known"] and not as_json:
                    err_console.print(f"order {order_id} is not known to the pipeline")
                    raise typer.Exit(1)
                _with_status(settings, store, [detail], live=not local and detail["known"])
                if as_json:
                    console.print_json(json.dumps(detail))
                else:
                    print_detail(console, detail)
                return
            rows = [
                _order_detail(store, account, s.order_id)
                for s in store.orders.list_recent(account, limit=limit)
            ]
            _with_status(settings, store, rows, live=not local)
            open_problems = store.actions.list_for(
                account, states=[ActionState.REJECTED, ActionState.FAILED], limit=1000
            )
        finally:
            store.close()
        if as_json:
            console.print_json(json.dumps({"orders": rows, "problemActions": len(open_problems)}))
            return
        print_list(console, rows, live=not local)
        if open_problems:
            console.print(
                f"[yellow]{len(open_problems)} action(s) rejected or failed[/yellow]: "
                "`vtexbridge orders actions`, then `vtexbridge orders requeue ID...`"
            )

    @orders_app.command("replay")
    def replay(
        order_id: str = typer.Argument(..., help="The VTEX order id."),
        config: Path | None = ConfigOption,
    ) -> None:
        """Deliver an order to the ERP again, in its current status (overwrites a folder sink's file)."""
        settings = settings_or_exit(config)
        prepare(settings)

        async def go() -> tuple[str, Any]:
            async with OrdersService(settings) as service:
                return await service.replay(order_id)

        try:
            status_, result = aio.run(go())
        except VtexbridgeError as e:
            _fail(e)
        console.print(f"order {order_id} ({status_}) delivered again: {result.erp_ref}", soft_wrap=True)

    @orders_app.command("actions")
    def actions(
        state: list[str] = typer.Option(
            ["rejected", "failed"],
            "--state",
            help="States to list (repeatable); default rejected and failed.",
        ),
        order_id: str | None = typer.Option(None, "--order", help="Only this order."),
        limit: int = typer.Option(100, "--limit"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        config: Path | None = ConfigOption,
    ) -> None:
        """Actions VTEX refused or that failed, with VTEX's message (any state with --state)."""
        settings = settings_or_exit(config)
        valid = {s.value for s in ActionState}
        bad = [s for s in state if s not in valid]
        if bad:
            err_console.print(f"[red]error:[/red] unknown state(s) {bad}; one of {sorted(valid)}")
            raise typer.Exit(2)
        store = _store(settings)
        try:
            found = store.actions.list_for(
                settings.vtex.account, order_id=order_id, states=state, limit=limit
            )
        finally:
            store.close()
        if as_json:
            console.print_json(json.dumps({"actions": [action_json(a) for a in found]}))
            return
        if not found:
            console.print(f"no {' or '.join(state)} action")
            return
        table = Table()
        table.add_column("#", no_wrap=True)
        table.add_column("order", no_wrap=True)
        for name in ("action", "state", "VTEX status", "VTEX's message", "source"):
            table.add_column(name)
        for a in found:
            table.add_row(
                str(a.id),
                a.order_id,
                _action_line(a),
                a.state,
                str(a.vtex_status or ""),
                a.vtex_message or "",
                a.source_ref or "",
            )
        console.print(table)

    @orders_app.command("requeue")
    def requeue(
        action_ids: list[int] = typer.Argument(None, help="Action ids (from `orders actions`)."),
        every: bool = typer.Option(False, "--all", help="Every rejected or failed action (of --order)."),
        order_id: str | None = typer.Option(None, "--order", help="Only this order's actions (with --all)."),
        config: Path | None = ConfigOption,
    ) -> None:
        """Queue rejected or failed actions again (once their cause is fixed): the next
        `orders run` (or a running `serve`) sends them."""
        settings = settings_or_exit(config)
        if not action_ids and not every:
            err_console.print("[red]error:[/red] give action ids, or --all")
            raise typer.Exit(2)
        store = _store(settings)
        try:
            lines, refused = _requeue(store, settings.vtex.account, action_ids or [], every, order_id)
        finally:
            store.close()
        for line in lines:
            console.print(line, soft_wrap=True, highlight=False, markup=False)
        if refused:
            raise typer.Exit(1)

    app.add_typer(orders_app, name="orders")


def _requeue(
    store: StateStore, account: str, ids: list[int], every: bool, order_id: str | None
) -> tuple[list[str], bool]:
    """Requeue the actions; returns what was done (a line each) and whether one could not be."""
    closed = [ActionState.REJECTED, ActionState.FAILED]
    found: list[Action | None] = [store.actions.get(i) for i in ids]
    if every:
        found += store.actions.list_for(account, order_id=order_id, states=closed, limit=10_000)
    lines: list[str] = []
    refused = False
    for wanted, action in zip([*ids, *([None] * (len(found) - len(ids)))], found, strict=True):
        if action is None or action.account != account:
            lines.append(f"no action {wanted} (of account {account})")
            refused = True
        elif store.actions.requeue(action.id):
            lines.append(f"#{action.id} {_action_line(action)} of order {action.order_id}: queued again")
        else:
            lines.append(f"#{action.id} is {action.state}: only rejected or failed actions are queued again")
            refused = True
    if not lines:
        lines.append("no rejected or failed action")
    elif not refused:
        lines.append("the next `vtexbridge orders run` (or a running `vtexbridge serve`) sends them")
    return lines, refused
