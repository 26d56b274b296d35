"""The dashboard in a real browser (headless Chromium, driven by Playwright), as a person sees it.

The demo runs against an ERP folder with one bad SKU row, and serves its dashboard. The test reads
the run summary and the entity in error with its message, fixes the row, presses the row's Retry
button, watches the error go away, and opens an order's timeline.

Needs Debian's ``chromium`` (``/usr/bin/chromium``, or ``VTEXBRIDGE_CHROMIUM``) and the ``playwright``
package (a dev extra). Without them the test is skipped, with the reason — unless
``VTEXBRIDGE_REQUIRE_SERVICES=1`` (CI), where it fails. It never downloads a browser.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from vtexbridge.cli.demo import DemoOptions, DemoState, example_store, run_demo

pytestmark = pytest.mark.timeout(300)

CHROMIUM = Path(os.environ.get("VTEXBRIDGE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BAD_SKU = "P0005-01"
BAD_VALUE = "0,46"


def _require_browser() -> None:
    problems = []
    if importlib.util.find_spec("playwright") is None:
        problems.append("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not problems:
        return
    reason = "; ".join(problems)
    if os.environ.get("VTEXBRIDGE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and VTEXBRIDGE_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(reason)


@dataclass
class RunningDemo:
    url: str
    erp: Path
    state: DemoState | None = None
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    errors: list[BaseException] = field(default_factory=list)


def _break_row(erp: Path) -> str:
    skus = erp / "skus.csv"
    lines = skus.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(f"{BAD_SKU},"):
            cells = line.rstrip("\n").split(",")
            original = line
            cells[6] = f'"{BAD_VALUE}"'
            lines[i] = ",".join(cells) + "\n"
            skus.write_text("".join(lines), encoding="utf-8")
            return original
    raise AssertionError(f"{BAD_SKU} not in {skus}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[RunningDemo]:
    _require_browser()
    erp = tmp_path / "erp"
    shutil.copytree(example_store(), erp)
    original = _break_row(erp)
    ready = threading.Event()
    running = RunningDemo(url="", erp=erp)

    def on_serving(url: str, server: uvicorn.Server) -> None:
        running.url, running.server = url, server
        ready.set()

    def main() -> None:
        try:
            options = DemoOptions(tmp_path / ".demo", port=0, orders=2, erp=erp)
            running.state = asyncio.run(run_demo(options, on_serving=on_serving))
        except BaseException as e:
            running.errors.append(e)
            ready.set()

    running.thread = threading.Thread(target=main, name="demo", daemon=True)
    running.thread.start()
    assert ready.wait(240), "the demo did not serve its dashboard within 240 s"
    if running.errors:
        raise running.errors[0]
    running.original_row = original  # type: ignore[attr-defined]
    yield running
    if running.server is not None:
        running.server.should_exit = True
    running.thread.join(timeout=30)
    assert not running.thread.is_alive(), "the demo did not stop"
    if running.errors:
        raise running.errors[0]


def _fix_row(erp: Path, original: str) -> None:
    skus = erp / "skus.csv"
    lines = skus.read_text(encoding="utf-8").splitlines(keepends=True)
    fixed = [original if line.startswith(f"{BAD_SKU},") else line for line in lines]
    skus.write_text("".join(fixed), encoding="utf-8")


def test_what_an_operator_sees_and_does(demo: RunningDemo) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            blocked: list[str] = []
            page.on("request", lambda r: blocked.append(r.url) if "127.0.0.1" not in r.url else None)
            page.goto(demo.url)
            _operator_session(page, demo, expect)
            assert blocked == [], f"the dashboard fetched something from outside: {blocked}"
        finally:
            browser.close()


def _operator_session(page: Any, demo: RunningDemo, expect: Any) -> None:
    # The catalog VTEX accepted, and the run summary.
    expect(page.get_by_test_id("card-catalog")).to_contain_text("Catalog in VTEX")
    expect(page.get_by_test_id("card-catalog")).to_contain_text("sku 149")
    runs = page.get_by_test_id("runs")
    first_run = runs.locator("tbody tr").first
    expect(first_run).to_contain_text("partial")
    expect(first_run).to_contain_text("sku")
    records = int(first_run.locator("td").nth(4).inner_text())
    assert records > 1500

    # The entity in error, with its ERP key, field, source and message.
    row = page.get_by_test_id("errors").locator(f'tr[data-key="sku:{BAD_SKU}"]')
    expect(row).to_contain_text("packaged_weight_kg")
    expect(row).to_contain_text(f"not a decimal number: '{BAD_VALUE}'")
    expect(row).to_contain_text("skus.csv")
    expect(page.get_by_test_id("card-errors")).not_to_contain_text(" 0")

    # Fix the row in the ERP, press Retry: a sync runs and the error goes away.
    _fix_row(demo.erp, demo.original_row)  # type: ignore[attr-defined]
    row.get_by_role("button", name="Retry").click()
    expect(page.locator("#notice")).to_contain_text("Sync started")
    expect(page.get_by_test_id("no-errors")).to_be_visible(timeout=90_000)
    expect(runs.locator("tbody tr").first).to_contain_text("succeeded", timeout=30_000)
    expect(page.get_by_test_id("card-catalog")).to_contain_text("sku 150", timeout=30_000)

    # The order pipeline, and one order's timeline.
    assert demo.state is None  # still serving
    stages = page.get_by_test_id("stages")
    expect(stages).to_contain_text("2 invoiced")
    recent = page.get_by_test_id("recent-orders")
    expect(recent.locator("tbody tr")).to_have_count(2)
    expect(recent).to_contain_text("invoiced, tracking sent")
    link = recent.locator("tbody tr a").first
    order_id = link.inner_text()
    link.click()
    expect(page.locator("h1")).to_contain_text(order_id)
    timeline = page.get_by_test_id("timeline")
    for entry in (
        "first seen",
        "delivered to the ERP (ready-for-handling)",
        "start handling accepted by VTEX",
        "invoice done",
        "tracking done",
    ):
        expect(timeline).to_contain_text(entry)
    started = time.monotonic()
    page.go_back()
    expect(page.get_by_test_id("runs")).to_be_visible()
    assert time.monotonic() - started < 30
