"""What a sync did, for people and machines: the summary, per-record errors, JSON, rich tables, a file.

A :class:`RunReport` is built from the plan (and the executor's result for a live run). Its JSON form
is the report file (``sync-reports/sync-<account>-<run>-<time>.json`` unless told otherwise) and the
``--json`` output; :func:`render` prints the same as tables. Every error carries what an operator
needs to fix it: entity, key, file and row when known, field, the message, and VTEX's own status and
message when VTEX refused it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from vtexbridge.erp.errors import cause_rank
from vtexbridge.errors import VtexbridgeError
from vtexbridge.sync.graph import KIND_ORDER, Kind
from vtexbridge.sync.steps import WRITES, Action, Plan, PlanError

__all__ = ["RichProgress", "RunReport", "error_json", "render", "write_report"]

SHOWN_ERRORS = 50


def error_json(e: PlanError) -> dict[str, Any]:
    """One error as the report lists it."""
    err: VtexbridgeError = e.error
    ref = err.record
    out: dict[str, Any] = {
        "kind": e.kind.value,
        "key": e.key if e.key is not None else (ref.key if ref else None),
        "entity": ref.entity if ref else None,
        "source": ref.source if ref else None,
        "row": ref.row if ref else None,
        "field": getattr(err, "field", None),
        "type": type(err).__name__,
        "category": err.category,
        "message": err.user_message,
    }
    cause = err if hasattr(err, "status") else err.__cause__
    status = getattr(cause, "status", None)
    if status is not None:
        out["vtex_status"] = status
        out["vtex_code"] = getattr(cause, "vtex_code", None)
        out["vtex_message"] = getattr(cause, "vtex_message", None)
    return out


@dataclass(repr=False)
class RunReport:
    """A sync run (or a dry run) in numbers and errors."""

    account: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None = None
    run_id: int | None = None
    status: str = "running"
    planned: dict[Kind, dict[Action, int]] = field(default_factory=dict)
    done: dict[Kind, dict[Action, int]] = field(default_factory=dict)
    failed: dict[Kind, int] = field(default_factory=dict)
    blocked_live: dict[Kind, int] = field(default_factory=dict)
    requests: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    diffs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of_plan(cls, plan: Plan, *, account: str, dry_run: bool, started_at: datetime) -> RunReport:
        report = cls(account=account, dry_run=dry_run, started_at=started_at)
        report.planned = {k: dict(v) for k, v in plan.rows()}
        report.errors = [error_json(e) for e in plan.errors]
        report.warnings = [error_json(e) for e in plan.warnings]
        report.incomplete = sorted(e.value for e in plan.incomplete)
        return report

    def add_result(
        self,
        done: Mapping[Kind, Mapping[Action, int]],
        failed: Mapping[Kind, int],
        blocked: Mapping[Kind, int],
        errors: Iterable[PlanError],
    ) -> None:
        self.done = {k: dict(v) for k, v in done.items()}
        self.failed = dict(failed)
        self.blocked_live = dict(blocked)
        self.errors.extend(error_json(e) for e in errors)

    @property
    def error_count(self) -> int:
        return len(self.errors)

    def __repr__(self) -> str:
        return f"<RunReport {self.account} {self.status}, {len(self.errors)} errors>"

    def counts(self) -> dict[str, dict[str, int]]:
        """``{kind: {action: n}}``: what was done (live) or planned (dry run), plus failures."""
        out: dict[str, dict[str, int]] = {}
        for kind in KIND_ORDER:
            planned = self.planned.get(kind, {})
            row: dict[str, int] = {}
            if self.dry_run:
                row = {a.value: n for a, n in planned.items() if n}
            else:
                row = {a.value: n for a, n in self.done.get(kind, {}).items() if n}
                for a in (Action.UNCHANGED, Action.BLOCKED):
                    if planned.get(a):
                        row[a.value] = planned[a]
                if self.failed.get(kind):
                    row["failed"] = self.failed[kind]
                if self.blocked_live.get(kind):
                    row[Action.BLOCKED.value] = row.get(Action.BLOCKED.value, 0) + self.blocked_live[kind]
            if row:
                out[kind.value] = row
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": (
                round((self.finished_at - self.started_at).total_seconds(), 3) if self.finished_at else None
            ),
            "counts": self.counts(),
            "planned": {k.value: {a.value: n for a, n in v.items() if n} for k, v in self.planned.items()},
            "requests": self.requests,
            "errors": self.errors,
            "warnings": self.warnings,
            "incomplete": self.incomplete,
            "diffs": self.diffs,
        }


def write_report(report: RunReport, directory: Path | None = None, path: Path | None = None) -> Path:
    """Write the report as JSON; returns the file's path."""
    if path is None:
        directory = directory or Path("sync-reports")
        stamp = report.started_at.strftime("%Y%m%dT%H%M%SZ")
        run = f"-{report.run_id}" if report.run_id is not None else ""
        kind = "plan" if report.dry_run else "sync"
        path = directory / f"{kind}-{report.account}{run}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
    return path


KIND_LABEL: dict[str, str] = {
    Kind.CATEGORY: "category",
    Kind.BRAND: "brand",
    Kind.SPEC_GROUP: "spec group",
    Kind.SPEC_FIELD: "spec field",
    Kind.SPEC_VALUE: "spec value",
    Kind.PRODUCT: "product",
    Kind.PRODUCT_SPEC: "product spec",
    Kind.TRADE_POLICY: "trade policy",
    Kind.SKU: "sku",
    Kind.SKU_SPEC: "sku spec",
    Kind.IMAGE: "sku image",
    Kind.EAN: "ean",
    Kind.PRICE: "price",
    Kind.DOCK: "dock",
    Kind.WAREHOUSE: "warehouse",
    Kind.INVENTORY: "inventory",
    Kind.CUSTOMER: "customer",
    Kind.ADDRESS: "address",
}
"""Short, unambiguous names of the kinds for terminals (at most 12 characters: 80 columns fit)."""


def render(report: RunReport, console: Console, *, errors_shown: int = SHOWN_ERRORS) -> None:
    """Print the summary, the errors (the first ``errors_shown``), and the field diffs.

    The summary is a table of the columns that have a figure; when even that is wider than the
    terminal (80 columns is the usual width under cron, make and CI), one line per kind instead.
    """
    columns = [a.value for a in (*WRITES, Action.UNCHANGED, Action.BLOCKED)]
    if not report.dry_run:
        columns.insert(len(WRITES), "failed")
    counts = report.counts()
    totals = {c: sum(row.get(c, 0) for row in counts.values()) for c in columns}
    columns = [c for c in columns if totals[c]] or [Action.UNCHANGED.value]
    title = "plan" if report.dry_run else f"sync of {report.account}"
    table = Table(title=title, show_footer=True)
    table.add_column("kind", footer="total", no_wrap=True)
    for c in columns:
        table.add_column(c, justify="right", footer=_n(totals[c]), no_wrap=True)
    for kind, row in counts.items():
        table.add_row(KIND_LABEL.get(kind, kind), *(_n(row.get(c, 0)) for c in columns))
    if _width(console, table) <= console.width:
        console.print(table)
    else:
        _render_lines(title, counts, columns, totals, console)
    for w in report.warnings[:errors_shown]:  # an incomplete read's warning among them
        console.print(f"[yellow]warning:[/yellow] {escape(w['message'])}", soft_wrap=True)
    if report.errors:
        console.print(f"[red]{len(report.errors)} record(s) not synced:[/red]")
        root_causes_first = sorted(report.errors, key=lambda e: cause_rank(e["type"]))  # stable
        for e in root_causes_first[:errors_shown]:
            console.print(f"  [red]{e['type']}[/red] {escape(e['message'])}", soft_wrap=True, highlight=False)
        if len(report.errors) > errors_shown:
            console.print(f"  ... and {len(report.errors) - errors_shown} more (see the report file)")
    for diff in report.diffs:
        _render_diff(diff, console)
    if report.requests is not None:
        console.print(f"requests sent: {report.requests}")


def _width(console: Console, table: Table) -> int:
    """The width ``table`` takes with nothing cut (its natural width, not the terminal's)."""
    return Measurement.get(console, console.options.update_width(1_000_000), table).maximum


def _render_lines(
    title: str,
    counts: Mapping[str, Mapping[str, int]],
    columns: list[str],
    totals: Mapping[str, int],
    console: Console,
) -> None:
    """The summary for a narrow terminal: ``kind  n action, n action ...`` per kind, continued on
    indented lines when it does not fit (never cutting an ``n action`` pair)."""
    console.print(f"[bold]{escape(title)}[/bold]", highlight=False)
    pad = max((len(KIND_LABEL.get(k, k)) for k in counts), default=5)
    rows = [(KIND_LABEL.get(k, k), row) for k, row in counts.items()] + [("total", totals)]
    room = max(console.width - pad - 5, 20)  # indent, gap and a trailing comma
    for label, row in rows:
        items = [f"{row[c]:,} {c}" for c in columns if row.get(c)]
        lines: list[str] = []
        for item in items:
            if lines and len(lines[-1]) + 2 + len(item) <= room:
                lines[-1] += ", " + item
            else:
                if lines:
                    lines[-1] += ","
                lines.append(item)
        for i, line in enumerate(lines or [""]):
            head = label if i == 0 else ""
            console.print(f"  {head:<{pad}}  {line}", highlight=False, soft_wrap=True)


def _render_diff(diff: Mapping[str, Any], console: Console) -> None:
    table = Table(title=f"{diff['action']} {diff['kind']} {diff['key']}")
    table.add_column("field")
    table.add_column("VTEX now")
    table.add_column("after sync")
    for row in diff["fields"]:
        style = "bold" if row["changed"] else "dim"
        current = _show(row["current"]) if "current" in row else "?"
        table.add_row(
            Text(row["field"], style=style),
            Text(current, style=style),
            Text(_show(row["wanted"]), style=style),
        )
    console.print(table)
    if diff.get("note"):
        console.print(f"  {escape(diff['note'])}")


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _n(n: int) -> str:
    return f"{n:,}" if n else ""


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f}/s" if speed else "-/s", style="progress.data.speed")


class RichProgress:
    """Progress bars per kind: done/total, rate, ETA (a :class:`~vtexbridge.sync.apply.Progress`)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bars = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[Kind, Any] = {}

    def start(self, totals: dict[Kind, int]) -> None:
        for kind in KIND_ORDER:
            if totals.get(kind):
                self.tasks[kind] = self.bars.add_task(KIND_LABEL[kind], total=totals[kind])
        if self.tasks:
            self.bars.start()

    def advance(self, kind: Kind, n: int = 1) -> None:
        task = self.tasks.get(kind)
        if task is not None:
            self.bars.advance(task, n)

    def stop(self) -> None:
        if self.tasks:
            self.bars.stop()
