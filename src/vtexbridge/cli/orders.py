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

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from vtexbridge import aio
from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit
from vtexbridge.cli._orders_service import (
    action_line,
    fail,
    open_store,
    order_detail,
    prepare,
    recent_orders,
    requeue,
    run_orders,
    with_status,
)
from vtexbridge.cli._orders_view import print_detail, print_list
from vtexbridge.errors import VtexbridgeError
from vtexbridge.orders.actions import action_json
from vtexbridge.orders.service import OrdersService
from vtexbridge.state import ActionState

__all__ = ["prepare", "register"]


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False, markup=False)


def run_command(
    once: bool = typer.Option(False, "--once", help="Process what is waiting now, then exit."),
    config: Path | None = ConfigOption,
) -> None:
    """Run the feed consumer, the hook inbox and the actions worker."""
    settings = settings_or_exit(config)
    prepare(settings)
    try:
        report = aio.run(run_orders(settings, once))
    except VtexbridgeError as e:
        fail(e)
    if once:
        _print_lines(report.lines())
        if not report.ok:
            raise typer.Exit(1)


def status_command(
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
    store = open_store(settings)
    try:
        if order_id is not None:
            detail = order_detail(store, settings.vtex.account, order_id)
            if not detail["known"] and not as_json:
                err_console.print(f"order {order_id} is not known to the pipeline")
                raise typer.Exit(1)
            with_status(settings, store, [detail], live=not local and detail["known"])
        else:
            rows, problems = recent_orders(settings, store, limit, live=not local)
    finally:
        store.close()
    if order_id is not None:
        if as_json:
            console.print_json(json.dumps(detail))
        else:
            print_detail(console, detail)
    elif as_json:
        console.print_json(json.dumps({"orders": rows, "problemActions": problems}))
    else:
        print_list(console, rows, live=not local)
        if problems:
            console.print(
                f"[yellow]{problems} action(s) rejected or failed[/yellow]: "
                "`vtexbridge orders actions`, then `vtexbridge orders requeue ID...`"
            )


def replay_command(
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
        fail(e)
    console.print(f"order {order_id} ({status_}) delivered again: {result.erp_ref}", soft_wrap=True)


def actions_command(
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
    store = open_store(settings)
    try:
        found = store.actions.list_for(settings.vtex.account, order_id=order_id, states=state, limit=limit)
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
            action_line(a),
            a.state,
            str(a.vtex_status or ""),
            a.vtex_message or "",
            a.source_ref or "",
        )
    console.print(table)


def requeue_command(
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
    store = open_store(settings)
    try:
        lines, refused = requeue(store, settings.vtex.account, action_ids or [], every, order_id)
    finally:
        store.close()
    _print_lines(lines)
    if refused:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    orders_app = typer.Typer(
        name="orders",
        help="Orders into the ERP, actions (invoice, tracking, cancel) back.",
        no_args_is_help=True,
    )
    orders_app.command("run")(run_command)
    orders_app.command("status")(status_command)
    orders_app.command("replay")(replay_command)
    orders_app.command("actions")(actions_command)
    orders_app.command("requeue")(requeue_command)
    app.add_typer(orders_app, name="orders")
