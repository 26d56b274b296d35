"""What ``vtexbridge orders`` does, apart from parsing options and printing: run the pipeline, read
what the state store knows of an order (and ask VTEX its status now), requeue actions.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, NoReturn

import typer

from vtexbridge import aio
from vtexbridge.cli._common import err_console
from vtexbridge.cli._orders_view import OnceReport
from vtexbridge.clock import SystemClock
from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.log import register_secret, setup_logging
from vtexbridge.marketplace.runtime import MarketplaceRuntime
from vtexbridge.marketplace.seller.router import seller_router
from vtexbridge.order_status import CurrentStatus, current_status, fetch_current
from vtexbridge.orders.action_sources import ScanReport
from vtexbridge.orders.journal import Journal
from vtexbridge.orders.service import OrdersService
from vtexbridge.state import Action, ActionState, StateStore
from vtexbridge.state.browse import finished_actions_since, inbox_since
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.transport import Transport

LIVE_TIMEOUT_S = 10.0


def fail(e: VtexbridgeError) -> NoReturn:
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
    mkp = settings.marketplace
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
            fail(e)


class _ReportingService(OrdersService):
    """The order service, keeping what its scans of the action sources found (for the report)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.scans: list[ScanReport] = []

    async def scan_sources(self) -> list[ScanReport]:
        reports = await super().scan_sources()
        self.scans.extend(reports)
        return reports


async def run_orders(settings: Settings, once: bool) -> OnceReport:
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
        if settings.marketplace.seller is not None:
            # Only the seller's order records and the marketplace services client are used here:
            # its offers are not loaded (that is `serve`'s simulation endpoint).
            seller = MarketplaceRuntime.build(
                settings,
                state=service.store,
                client=service.client,
                marketplace=settings.marketplace.model_copy(update={"affiliate": None}),
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


def open_store(settings: Settings) -> StateStore:
    try:
        return StateStore.open(settings.state.url, create=True)
    except VtexbridgeError as e:
        fail(e)


def action_line(a: Action) -> str:
    p = a.payload if isinstance(a.payload, dict) else {}
    what = p.get("invoiceNumber") or p.get("reason") or ""
    extra = f" tracking {p['trackingNumber']}" if a.kind == "tracking" and p.get("trackingNumber") else ""
    return f"{a.kind} {what}{extra}".strip()


def order_detail(store: StateStore, account: str, order_id: str) -> dict[str, Any]:
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
                "what": action_line(a),
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


def with_status(
    settings: Settings, store: StateStore, details: list[dict[str, Any]], live: bool
) -> list[dict[str, Any]]:
    answers: dict[str, CurrentStatus | str] = {}
    if live and details and settings.vtex.credentials_problem() is None:
        answers = aio.run(_live(settings, store, [d["orderId"] for d in details]))
    for d in details:
        d["current"] = _current(store, settings.vtex.account, d, answers.get(d["orderId"]))
    return details


def requeue(
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
            lines.append(f"#{action.id} {action_line(action)} of order {action.order_id}: queued again")
        else:
            lines.append(f"#{action.id} is {action.state}: only rejected or failed actions are queued again")
            refused = True
    if not lines:
        lines.append("no rejected or failed action")
    elif not refused:
        lines.append("the next `vtexbridge orders run` (or a running `vtexbridge serve`) sends them")
    return lines, refused


def recent_orders(
    settings: Settings, store: StateStore, limit: int, live: bool
) -> tuple[list[dict[str, Any]], int]:
    """The ``limit`` most recent orders with their status, and how many actions are rejected or failed."""
    account = settings.vtex.account
    rows = [order_detail(store, account, s.order_id) for s in store.orders.list_recent(account, limit=limit)]
    with_status(settings, store, rows, live=live)
    problems = store.actions.list_for(account, states=[ActionState.REJECTED, ActionState.FAILED], limit=1000)
    return rows, len(problems)
