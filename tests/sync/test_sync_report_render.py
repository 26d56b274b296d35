"""The sync summary fits an 80-column terminal (cron, make and CI logs): nothing cut, names in full."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from vtexbridge.sync.graph import Kind
from vtexbridge.sync.report import KIND_LABEL, RichProgress, RunReport, render
from vtexbridge.sync.steps import WRITES, Action


def _text(report: RunReport, width: int = 80) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    render(report, console)
    return console.export_text()


def _report(done: dict[Action, int], unchanged: int, blocked: int = 0, failed: int = 0) -> RunReport:
    report = RunReport(account="sandbox", dry_run=False, started_at=datetime.now(UTC))
    report.planned = {k: {Action.UNCHANGED: unchanged, Action.BLOCKED: blocked} for k in Kind}
    report.done = {k: dict(done) for k in Kind}
    report.failed = {k: failed for k in Kind if failed}
    return report


def _fits(text: str, width: int = 80) -> None:
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in text, "nothing is cut"
    for kind in Kind:
        assert any(KIND_LABEL[kind] in line for line in lines), f"{kind.value} is named in full"
    assert len(set(KIND_LABEL.values())) == len(Kind) and max(map(len, KIND_LABEL.values())) <= 12


def test_a_usual_run_is_a_table_of_the_columns_with_figures_in_80_columns() -> None:
    text = _text(_report({Action.CREATE: 150, Action.LINK: 300}, unchanged=20))
    _fits(text)
    assert " create ┃" in text and " link ┃" in text and " unchanged ┃" in text
    assert "update" not in text and "deactivate" not in text, "empty columns are left out"


def test_a_run_with_every_action_and_big_figures_is_one_line_per_kind_in_80_columns() -> None:
    every = {a: 1_234_567 for a in WRITES}
    text = _text(_report(every, unchanged=1_000_000, blocked=3, failed=2))
    _fits(text)
    for action in (*WRITES, Action.UNCHANGED, Action.BLOCKED):
        assert f" {action.value}" in text
    assert "1,234,567 create" in text and "1,000,000 unchanged" in text and "2 failed" in text
    wide = _text(_report(every, unchanged=1_000_000, blocked=3, failed=2), width=200)
    assert " deactivate ┃" in wide, "a wide terminal keeps the table"


def test_progress_bars_are_named_in_full_in_80_columns() -> None:
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    bars = RichProgress(console)
    bars.start({k: 150_000 for k in Kind})
    bars.advance(Kind.SPEC_FIELD, 10)
    bars.stop()
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert all(KIND_LABEL[k] in text for k in Kind)
