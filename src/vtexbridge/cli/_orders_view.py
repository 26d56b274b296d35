"""How ``vtexbridge orders`` prints: the ``run --once`` report, and ``status`` within 80 columns.

Times are printed whole, in short forms (``12-07 22:12``, UTC) rather than cut; below
:data:`NARROW` columns the order list turns into one block per order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vtexbridge.orders.action_sources import ScanReport
from vtexbridge.orders.consumer import LotReport
from vtexbridge.orders.sweep import SweepReport
from vtexbridge.state import Action

__all__ = ["NARROW", "OnceReport", "print_detail", "print_list", "short_time"]

NARROW = 78


def short_time(text: str | None, *, seconds: bool = False) -> str:
    """``2026-12-07T22:12:44.40+00:00`` -> ``12-07 22:12`` (UTC; with ``seconds``: ``12-07 22:12:44``)."""
    if not text:
        return "-"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%m-%d %H:%M:%S" if seconds else "%m-%d %H:%M")


def action_counts(actions: Iterable[Mapping[str, Any]]) -> str:
    """``invoice done, tracking rejected`` (``2x invoice done`` when repeated)."""
    counts = Counter(f"{a['kind']} {a['state']}" for a in actions)
    return ", ".join(f"{n}x {k}" if n > 1 else k for k, n in sorted(counts.items())) or "-"


def _erp(d: Mapping[str, Any]) -> str:
    if not d["deliveries"]:
        return "-"
    return short_time(max(x["acceptedAt"] for x in d["deliveries"]))


def print_list(console: Console, rows: list[dict[str, Any]], *, live: bool) -> None:
    """The order list: a table that fits 80 columns, or one block per order when narrower."""
    status_title = "VTEX status now" if live else "VTEX status"
    if console.width < NARROW:
        for d in rows:
            console.print(f"[bold]{escape(d['orderId'])}[/bold]  {escape(d['current'])}", highlight=False)
            handling = short_time(d["handlingStartedAt"])
            console.print(f"  in the ERP {_erp(d)}  handling {handling}", highlight=False)
            console.print(f"  actions {escape(action_counts(d['actions']))}", highlight=False)
            if d["errors"]:
                console.print(f"  [red]{len(d['errors'])} error(s)[/red]")
        _unanswered(console, rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    table.add_column("order", no_wrap=True)
    table.add_column(status_title, max_width=26)
    table.add_column("in the ERP", no_wrap=True)
    table.add_column("handling", no_wrap=True)
    table.add_column("actions", overflow="fold")
    table.add_column("err", justify="right", no_wrap=True)
    for d in rows:
        table.add_row(
            escape(d["orderId"]),
            escape(d["current"]),
            _erp(d),
            short_time(d["handlingStartedAt"]),
            escape(action_counts(d["actions"])),
            str(len(d["errors"])) if d["errors"] else "",
        )
    console.print(table)
    console.print("[dim]times in UTC (month-day hour:minute)[/dim]")
    _unanswered(console, rows)


def _unanswered(console: Console, rows: list[dict[str, Any]]) -> None:
    """Why VTEX did not answer (once per reason), for the statuses marked ``(?)``."""
    reasons: dict[str, int] = {}
    for d in rows:
        if d.get("vtexError"):
            reasons[d["vtexError"]] = reasons.get(d["vtexError"], 0) + 1
    for reason, n in reasons.items():
        console.print(f"(?) VTEX did not answer for {n} order(s), shown as last known here: {escape(reason)}")


def print_detail(console: Console, d: dict[str, Any]) -> None:
    """One order: facts, then lists (a line each) rather than wide tables."""
    p = console.print
    p(f"[bold]order {escape(d['orderId'])}[/bold]")
    p(f"VTEX status        {escape(d['current'])}", highlight=False)
    if d.get("vtexError"):
        p(f"  (?) VTEX did not answer: {escape(d['vtexError'])}", highlight=False)
    p(f"last status seen   {d['lastStatus'] or '-'} ({short_time(d['statusChangedAt'], seconds=True)})")
    p(f"handling started   {short_time(d['handlingStartedAt'], seconds=True)}")
    p("delivered to the ERP" + ("" if d["deliveries"] else ": -"))
    for x in d["deliveries"]:
        p(f"  {short_time(x['acceptedAt'], seconds=True)}  {x['status']} -> {x['sink']}", highlight=False)
        if x["erpRef"]:
            p(f"    {escape(x['erpRef'])}", soft_wrap=False, highlight=False)
    if d["seen"]:
        p("events seen")
    for s in d["seen"]:
        said = f"{s.get('event') or '-'} -> {s.get('status') or '-'}: {s.get('outcome') or ''}"
        handling = f"; handling {s['handling']}" if s.get("handling") else ""
        p(f"  {short_time(s.get('at'), seconds=True)}  {s.get('source') or ''}  {escape(said + handling)}")
    if d["actions"]:
        p("invoices, tracking, actions")
    for a in d["actions"]:
        said = f"{a['vtexStatus'] or ''} {a['vtexMessage'] or ''}".strip()
        tries = f"{a['attempts']} tr{'y' if a['attempts'] == 1 else 'ies'}"
        p(f"  #{a['id']} {escape(a['what'])}: {a['state']} ({tries})", highlight=False)
        if said:
            p(f"    VTEX: {escape(said)}", highlight=False)
        if a["source"]:
            p(f"    from {escape(a['source'])}", highlight=False)
    for e in d["errors"]:
        message = escape(str(e.get("message", "")))
        p(f"[red]error[/red] {short_time(e.get('at'), seconds=True)} {e.get('step', '')}: {message}")
    for n in d["notes"]:
        p(f"note {short_time(n.get('at'), seconds=True)}: {escape(str(n.get('note', '')))}")
    p("[dim]times in UTC[/dim]")


@dataclass
class OnceReport:
    """What one ``orders run --once`` did, part by part (counted in the state store where it can be)."""

    feed_enabled: bool
    lots: list[LotReport]
    inbox_done: int
    inbox_waiting: int
    scans: list[ScanReport]
    finished: list[Action]
    pending: int
    problems: list[str] = field(default_factory=list)
    sweep: SweepReport | None = None  # what the order sweep found (#12)

    @property
    def refused(self) -> list[Action]:
        return [a for a in self.finished if a.state in ("rejected", "failed")]

    @property
    def files_refused(self) -> int:
        return sum(s.files_rejected for s in self.scans)

    @property
    def feed_failed(self) -> int:
        return sum(r.failed for r in self.lots)

    @property
    def ok(self) -> bool:
        swept_failed = bool(self.sweep.failed) if self.sweep is not None else False
        return not (self.refused or self.files_refused or self.feed_failed or swept_failed)

    def lines(self) -> list[str]:
        outcomes: Counter[str] = Counter()
        for r in self.lots:
            outcomes.update(r.outcomes)
        read = sum(max(r.read, 0) for r in self.lots)
        feed = f"feed: {read} event(s) read" if self.feed_enabled else "feed: off (orders.feed.enabled)"
        feed += "".join(f", {n} {k}" for k, n in sorted(outcomes.items()))
        if self.feed_failed:
            feed += f", {self.feed_failed} kept for later"
        if self.sweep is not None:
            feed += f"; {self.sweep.summary()}"
        taken = sum(s.files_taken for s in self.scans)
        queued = sum(s.actions_queued for s in self.scans)
        by_state = Counter(a.state for a in self.finished)
        lines = [
            feed,
            f"inbox: {self.inbox_done} hook notification(s) processed, {self.inbox_waiting} waiting",
            f"action files: {taken} read, {self.files_refused} refused, {queued} action(s) queued",
            f"actions: {by_state.get('done', 0)} delivered, {by_state.get('rejected', 0)} refused, "
            f"{by_state.get('failed', 0)} failed, {self.pending} waiting",
        ]
        for a in self.refused:
            said = f"HTTP {a.vtex_status} " if a.vtex_status else ""
            lines.append(f"  refused: #{a.id} {a.kind} of order {a.order_id}: {said}{a.vtex_message or ''}")
        lines += [f"  {p}" for s in self.scans for p in s.problems]
        if self.refused:
            ids = " ".join(str(a.id) for a in self.refused)
            lines.append(f"fix the cause, then: vtexbridge orders requeue {ids}")
        return lines
