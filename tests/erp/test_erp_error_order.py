"""The console's error list puts root causes first: unreadable files, then header problems."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from vtexbridge.erp.errors import cause_rank
from vtexbridge.sync.report import RunReport, render


def _error(kind: str, message: str) -> dict[str, object]:
    return {"type": kind, "message": message, "kind": "sku", "key": None, "category": "record"}


def test_the_console_lists_root_causes_first_whatever_order_the_plan_found_them() -> None:
    report = RunReport(account="sandbox", dry_run=True, started_at=datetime.now(UTC))
    report.errors = [
        _error("RecordInvalid", "prices.csv:2 field 'base_price': bad 1"),
        _error("DependencyFailed", "sku S1 held back"),
        _error("RowUnreadable", "skus.csv:9: 8 columns where the header has 7"),
        _error("RecordInvalid", "prices.csv:3 field 'base_price': bad 2"),
        _error("UnknownColumn", "skus.csv:1 field 'colour': unknown column"),
        _error("SourceUnreadable", "inventory.csv:1: required column(s) missing"),
    ]
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    render(report, console, errors_shown=4)
    text = console.export_text()
    lines = [line.strip() for line in text.split("not synced:")[1].splitlines() if line.strip()]
    assert lines == [
        "SourceUnreadable inventory.csv:1: required column(s) missing",
        "UnknownColumn skus.csv:1 field 'colour': unknown column",
        "RowUnreadable skus.csv:9: 8 columns where the header has 7",
        "RecordInvalid prices.csv:2 field 'base_price': bad 1",
        "... and 2 more (see the report file)",
    ]
    assert str(report.errors[0]["message"]).endswith("bad 1")  # the report itself is untouched


def test_cause_rank() -> None:
    assert cause_rank("SourceUnreadable") < cause_rank("UnknownColumn") < cause_rank("RowUnreadable")
    assert cause_rank("RowUnreadable") < cause_rank("RecordInvalid") < cause_rank("VtexError")
