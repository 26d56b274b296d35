"""Logs and metrics of the flows: one JSON line per VTEX call (debug) and per record error (warning),
secrets redacted; run counting; live progress through the state store."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from vtexbridge.clock import FakeClock
from vtexbridge.log import JsonFormatter, RedactingFilter, register_secret, setup_logging
from vtexbridge.observability import Metrics, SyncMetrics, iter_counts, log_record_errors
from vtexbridge.overview import ProgressPublisher, PublishingProgress, read_progress
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.state import StateStore
from vtexbridge.state.models import ErrorRow, Run
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Transport


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every log record of vtexbridge as the JSON lines a non-terminal gets (redaction included)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("vtexbridge")
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(old_level)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_one_warning_line_per_record_error_with_its_fields(json_lines: io.StringIO) -> None:
    register_secret("pg-password-123")
    errors = [
        ErrorRow(
            "sku",
            "S1",
            "skus.csv:3 (skus S1) field 'ean': wrong check digit",
            field="ean",
            source="skus.csv:3",
        ),
        ErrorRow(
            "product",
            "P1",
            "VTEX refused it; connecting with postgresql://u:pg-password-123@db failed",
            vtex_status=400,
            vtex_code="C01",
            vtex_message="Category not found",
        ),
    ]
    assert log_record_errors(errors, run_id=7) == 2
    first, second = lines(json_lines)
    assert first["level"] == "warning" and first["logger"] == "vtexbridge.records"
    assert first["kind"] == "sku" and first["erp_key"] == "S1" and first["field"] == "ean"
    assert first["source"] == "skus.csv:3" and first["run_id"] == 7
    assert "check digit" in str(first["msg"])  # (other tests may register short secrets)
    assert second["vtex_status"] == 400 and "Category not found" in str(second["msg"])
    assert "pg-password-123" not in json_lines.getvalue()


def test_one_debug_line_per_vtex_call_without_credentials(json_lines: io.StringIO) -> None:
    sandbox = create_sandbox(SandboxOptions())
    vtex = VtexSettings.model_validate(
        {
            "account": "sandbox",
            "base_url": "http://sandbox.test",
            "app_key": DEFAULT_APP_KEY,
            "app_token": DEFAULT_APP_TOKEN,
        }
    )
    register_secret(DEFAULT_APP_TOKEN)

    async def call() -> None:
        async with Transport(vtex, http_transport=httpx.ASGITransport(app=sandbox), clock=FakeClock()) as t:
            await VtexClient(t).catalog.list_trade_policies()

    asyncio.run(call())
    calls = [line for line in lines(json_lines) if line.get("route")]
    assert len(calls) == 1
    [line] = calls
    assert line["level"] == "debug" and line["route"] == "/api/catalog_system/pvt/saleschannel/list"
    assert line["status"] == "200" and line["api"] == "catalog"
    assert DEFAULT_APP_TOKEN not in json_lines.getvalue()


def test_logs_are_json_when_not_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("warning", "auto")  # pytest's stderr is not a terminal
    try:
        log_record_errors([ErrorRow("price", "S9", "no base price")])
    finally:
        setup_logging("warning", "text")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["erp_key"] == "S9" and line["level"] == "warning"


def _run(run_id: int, status: str = "succeeded", counts: dict[str, object] | None = None) -> Run:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return Run(
        run_id, "acme", "sync", status, None, start, start + timedelta(seconds=30), counts or {}, 3, 0, None
    )


def test_runs_are_counted_once_and_history_is_not() -> None:
    metrics = Metrics()
    sync: SyncMetrics = metrics.sync
    assert sync.observe_runs([_run(1, counts={"sku": {"create": 5}})]) == 0  # history at the first look
    assert sync.observe_runs([_run(2, counts={"sku": {"create": 2}}), _run(1)]) == 1
    assert sync.observe_runs([_run(2)]) == 0
    assert not sync.observe_run(_run(3, status="running"))
    assert sync.observe_run(_run(3, status="partial", counts={"sku": {"failed": 1}}))
    text = metrics.render().decode()
    assert 'vtexbridge_sync_records_total{kind="sku",outcome="create"} 2.0' in text
    assert 'vtexbridge_sync_runs_total{status="partial"} 1.0' in text


def test_counts_skip_what_is_not_a_count() -> None:
    counts = {"sku": {"create": 2, "odd": "x", "flag": True, "zero": 0}, "note": "text"}
    assert list(iter_counts(counts)) == [("sku", "create", 2)]


def test_progress_goes_through_the_store(tmp_path: Path) -> None:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    try:
        seen: list[tuple[str, int]] = []

        class Bars:
            def start(self, totals: dict[str, int]) -> None:
                seen.append(("start", sum(totals.values())))

            def advance(self, kind: str, n: int = 1) -> None:
                seen.append((kind, n))

        progress = PublishingProgress(ProgressPublisher(store, "acme", 4, interval_s=3600), Bars())
        progress.start({"sku": 10, "price": 5})
        progress.advance("sku", 3)  # not yet published (interval)
        shown = read_progress(store, "acme")
        assert shown is not None and shown.run_id == 4 and shown.total == 15 and shown.done == 0
        progress.publisher.finish()
        shown = read_progress(store, "acme")
        assert shown is not None and shown.done == 3 and shown.finished and shown.percent == 20
        assert seen == [("start", 15), ("sku", 3)]
        assert read_progress(store, "other") is None
    finally:
        store.close()
