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
from collections import Counter
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.table import Table

from vtexbridge import aio
from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit
from vtexbridge.clock import SystemClock
from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.log import register_secret, setup_logging
from vtexbridge.marketplace.runtime import MarketplaceRuntime, marketplace_settings
from vtexbridge.orders.actions import action_json
from vtexbridge.orders.journal import Journal
from vtexbridge.orders.marketplace_orders import seller_router
from vtexbridge.orders.service import OrdersService
from vtexbridge.state import Action, ActionState, StateStore


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


async def _run(settings: Settings, once: bool) -> OrdersService:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass
    async with OrdersService(settings) as service:
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
        return service


def _summary(service: OrdersService) -> str:
    outcomes: Counter[str] = Counter()
    read = failed = 0
    for report in service.consumer.reports:
        read += max(report.read, 0)
        failed += report.failed
        outcomes.update(report.outcomes)
    parts = [f"feed: {read} event(s) read"]
    parts += [f"{n} {k}" for k, n in sorted(outcomes.items())]
    if failed:
        parts.append(f"{failed} kept for later")
    sweep = service.sweep.last  # h7 (#12): what the order sweep found
    if sweep is not None:
        return ", ".join(parts) + "; " + sweep.summary()
    return ", ".join(parts)


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
    state = store.get_order_state(account, order_id)
    deliveries = store.list_deliveries(account, order_id)
    journal = Journal(store, account, SystemClock()).get(order_id)
    actions = store.list_actions(account, order_id=order_id, limit=200)
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


def _print_detail(d: dict[str, Any]) -> None:
    console.print(f"[bold]order {d['orderId']}[/bold]")
    console.print(f"last status        {d['lastStatus'] or '-'}  (changed {d['statusChangedAt'] or '-'})")
    console.print(f"handling started   {d['handlingStartedAt'] or '-'}")
    if d["deliveries"]:
        table = Table("status", "ERP accepted at", "sink", "ERP reference", title="delivered to the ERP")
        for x in d["deliveries"]:
            table.add_row(x["status"], x["acceptedAt"], x["sink"], x["erpRef"] or "-")
        console.print(table)
    else:
        console.print("delivered          -")
    if d["seen"]:
        table = Table("at", "from", "event said", "order was", "outcome", "handling", title="events seen")
        for s in d["seen"]:
            table.add_row(
                s.get("at", ""),
                s.get("source") or "",
                s.get("event") or "-",
                s.get("status") or "-",
                s.get("outcome") or "",
                s.get("handling") or "",
            )
        console.print(table)
    if d["actions"]:
        table = Table(
            "#", "action", "state", "tries", "VTEX says", "source", title="invoices, tracking, actions"
        )
        for a in d["actions"]:
            said = f"{a['vtexStatus'] or ''} {a['vtexMessage'] or ''}".strip()
            table.add_row(str(a["id"]), a["what"], a["state"], str(a["attempts"]), said, a["source"] or "")
        console.print(table)
    for e in d["errors"]:
        console.print(
            f"[red]error[/red] {e.get('at', '')} {e.get('step', '')}: {e.get('message', '')}", soft_wrap=True
        )
    for n in d["notes"]:
        console.print(f"note {n.get('at', '')}: {n.get('note', '')}", soft_wrap=True)


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
            service = aio.run(_run(settings, once))
        except VtexbridgeError as e:
            _fail(e)
        if once:
            console.print(_summary(service), soft_wrap=True)

    @orders_app.command("status")
    def status(
        order_id: str | None = typer.Argument(None, help="One order (default: the most recent ones)."),
        limit: int = typer.Option(30, "--limit", help="Orders listed without ORDER_ID."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        config: Path | None = ConfigOption,
    ) -> None:
        """What the pipeline knows about each order."""
        settings = settings_or_exit(config)
        account = settings.vtex.account
        store = _store(settings)
        try:
            if order_id is not None:
                detail = _order_detail(store, account, order_id)
                if as_json:
                    console.print_json(json.dumps(detail))
                elif not detail["known"]:
                    err_console.print(f"order {order_id} is not known to the pipeline")
                    raise typer.Exit(1)
                else:
                    _print_detail(detail)
                return
            rows = [
                _order_detail(store, account, s.order_id)
                for s in store.list_order_states(account, limit=limit)
            ]
            open_problems = store.list_actions(
                account, states=[ActionState.REJECTED, ActionState.FAILED], limit=1000
            )
        finally:
            store.close()
        if as_json:
            console.print_json(json.dumps({"orders": rows, "problemActions": len(open_problems)}))
            return
        table = Table()
        table.add_column("order", no_wrap=True)
        table.add_column("last status", no_wrap=True)
        for name in ("ERP accepted", "handling started", "actions", "errors"):
            table.add_column(name)
        for d in rows:
            accepted = ", ".join(f"{x['status']} {x['acceptedAt'][:19]}" for x in d["deliveries"]) or "-"
            acts = Counter(f"{a['kind']} {a['state']}" for a in d["actions"])
            table.add_row(
                d["orderId"],
                d["lastStatus"] or "-",
                accepted,
                (d["handlingStartedAt"] or "-")[:19],
                ", ".join(f"{n}x {k}" if n > 1 else k for k, n in sorted(acts.items())) or "-",
                str(len(d["errors"])) if d["errors"] else "",
            )
        console.print(table)
        if open_problems:
            console.print(
                f"[yellow]{len(open_problems)} action(s) rejected or failed[/yellow]: "
                "`vtexbridge orders actions`"
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
            found = store.list_actions(settings.vtex.account, order_id=order_id, states=state, limit=limit)
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

    app.add_typer(orders_app, name="orders")
