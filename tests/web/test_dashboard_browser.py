"""The dashboard in a real browser (headless Chromium, driven by Playwright), as a person sees it.

The demo runs against an ERP folder with one bad SKU row, and serves its dashboard. On a 1,366-px
screen the test reads the run summary and the entity in error with its message (the errors table
fits the screen), finds the run's error on the run's page, searches the runs list, fixes the row,
presses the row's Retry button, watches the error go away, lists the orders with their VTEX status,
opens an order's timeline, and takes the README's screenshot (``docs/dashboard.png`` with
``VTEXBRIDGE_UPDATE_SCREENSHOT=1``, else a throw-away file).

Needs Debian's ``chromium`` (``/usr/bin/chromium``, or ``VTEXBRIDGE_CHROMIUM``) and the ``playwright``
package (a dev extra). Without them the test is skipped, with the reason — unless
``VTEXBRIDGE_REQUIRE_SERVICES=1`` (CI), where it fails. It never downloads a browser.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
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
BAD_VALUE = "0.46 kg"  # not a number in any dialect
SCREEN = {"width": 1366, "height": 768}
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
# Read at import: the suite's autouse fixture hides every VTEXBRIDGE_* variable from the tests.
UPDATE_SCREENSHOT = os.environ.get("VTEXBRIDGE_UPDATE_SCREENSHOT") == "1"


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
            page = browser.new_page(viewport=SCREEN)
            blocked: list[str] = []
            page.on("request", lambda r: blocked.append(r.url) if "127.0.0.1" not in r.url else None)
            failures: list[str] = []
            page.on("console", lambda m: failures.append(m.text) if m.type == "error" else None)
            page.goto(demo.url)
            _operator_session(page, demo, expect)
            _lists_and_screenshot(page, demo, expect)
            assert blocked == [], f"the dashboard fetched something from outside: {blocked}"
            assert failures == [], f"the browser reported errors (CSP, missing files): {failures}"
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

    # The entity in error, with its ERP key, field, source (relative to the ERP folder) and message.
    row = page.get_by_test_id("errors").locator(f'tr[data-key="sku:{BAD_SKU}"]')
    expect(row).to_contain_text("packaged_weight_kg")
    expect(row).to_contain_text(BAD_VALUE)
    expect(row.locator("td.source")).to_have_text(re.compile(r"^skus\.csv:\d+$"))
    expect(page.get_by_test_id("card-errors")).not_to_contain_text(" 0")
    _fits_the_screen(page, "errors")

    # The run's page lists that run's error; the runs list finds the run.
    page.goto(demo.url + "runs/1")
    expect(page.get_by_test_id("errors").locator(f'tr[data-key="sku:{BAD_SKU}"]')).to_be_visible()
    _nav(page, "Runs")
    search = page.get_by_test_id("runs-search")
    search.locator("input").fill("partial")
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("pager")).to_contain_text("1 to 1 of 1 runs")
    expect(page.get_by_test_id("runs").locator("tbody tr").first).to_contain_text("sku 149 new")
    _nav(page, "Overview")
    row = page.get_by_test_id("errors").locator(f'tr[data-key="sku:{BAD_SKU}"]')

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


def _nav(page: Any, name: str) -> None:
    page.locator("header nav").get_by_role("link", name=name, exact=True).click()


def _fits_the_screen(page: Any, testid: str) -> None:
    """No column off-screen: the table ends inside the window and the page does not scroll sideways."""
    box = page.get_by_test_id(testid).bounding_box()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert box is not None and box["x"] + box["width"] <= SCREEN["width"], box
    assert width <= SCREEN["width"], f"the page is {width} px wide on a {SCREEN['width']}-px screen"


def _lists_and_screenshot(page: Any, demo: RunningDemo, expect: Any) -> None:
    # The orders list: each order with its VTEX status now (invoiced), searchable.
    _nav(page, "Orders")
    orders = page.get_by_test_id("orders")
    expect(orders.locator("tbody tr")).to_have_count(2)
    expect(orders.locator("tbody tr").first).to_contain_text("invoiced")
    assert demo.state is None
    order_id = orders.locator("tbody tr a").first.inner_text()
    search = page.get_by_test_id("orders-search")
    search.locator("input").fill(order_id[-6:])
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("pager")).to_contain_text("1 to 1 of 1 orders")
    # The errors list (none left) and the favicon.
    _nav(page, "Errors")
    expect(page.get_by_test_id("no-errors")).to_be_visible()
    icon = page.request.get(demo.url + "static/favicon.svg")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    # The README's screenshot: the overview as an operator sees it.
    _nav(page, "Overview")
    expect(page.get_by_test_id("stages")).to_contain_text("2 invoiced")
    update = UPDATE_SCREENSHOT or not SCREENSHOT.exists()
    target = SCREENSHOT if update else demo.erp.parent / "dashboard.png"
    page.screenshot(path=str(target), clip={"x": 0, "y": 0, **SCREEN})
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size < 400_000
