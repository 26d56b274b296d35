"""`vtexbridge adopt [--dry-run] [--json] [--show KEY]` against a sandbox over HTTP that another state
database filled."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from typer.testing import CliRunner

from vtexbridge.cli import build_app
from vtexbridge.config import load_settings
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.rules.catalog import default_sales_channel
from vtexbridge.sandbox.store import Store
from vtexbridge.state import migrations
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.runner import SyncOptions, SyncOutcome, run_sync
from vtexbridge.sync.steps import Action
from vtexbridge.testing.orders import ADMIN_HEADERS, Served, serve_in_thread

EXAMPLE_ERP = Path(__file__).resolve().parents[2] / "examples" / "erp"
KEPT = {"P0001", "P0002", "P0003"}  # a small catalog: the command, not the matching, is under test


def _small_erp(tmp: Path) -> Path:
    """The example ERP with only the products of KEPT (and their SKUs, prices, stock ...)."""
    out = tmp / "erp"
    out.mkdir()
    for src in EXAMPLE_ERP.iterdir():
        if src.suffix == ".csv":
            with src.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                rows = list(reader)
                header = list(reader.fieldnames or [])
            owner = next((c for c in ("product_key", "sku_key") if rows and c in rows[0]), None)
            if src.stem in ("products", "skus"):
                owner = "key"
            if owner is not None:
                rows = [r for r in rows if r[owner].split("-")[0] in KEPT]
            with (out / src.name).open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=header)
                writer.writeheader()
                writer.writerows(rows)
        elif src.suffix == ".jsonl":
            lines = [ln for ln in src.read_text(encoding="utf-8").splitlines() if ln.strip()]
            if src.stem == "product_specifications":
                lines = [ln for ln in lines if json.loads(ln)["product_key"] in KEPT]
            (out / src.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.fixture
def sandbox() -> Iterator[tuple[Served, Starlette]]:
    store = Store()
    store.table("sandbox", "saleschannel")["2"] = {**default_sales_channel(), "Id": 2, "Name": "Atacado"}
    app = create_app(SandboxOptions(limits="off"), store=store)
    served = serve_in_thread(app)
    yield served, app
    served.stop()
    store.close()


def _env(sandbox: Served, state: Path, erp: Path) -> dict[str, str]:
    return {
        "VTEXBRIDGE_VTEX__ACCOUNT": "sandbox",
        "VTEXBRIDGE_VTEX__BASE_URL": sandbox.url,
        "VTEXBRIDGE_VTEX__APP_KEY": ADMIN_HEADERS["X-VTEX-API-AppKey"],
        "VTEXBRIDGE_VTEX__APP_TOKEN": ADMIN_HEADERS["X-VTEX-API-AppToken"],
        "VTEXBRIDGE_STATE__URL": f"sqlite:///{state}",
        "VTEXBRIDGE_ERP__KIND": "folder",
        "VTEXBRIDGE_ERP__PATH": str(erp),
        "VTEXBRIDGE_SYNC__REPORT_DIR": str(state.parent / "reports"),
        "VTEXBRIDGE_LOG__LEVEL": "error",
        "COLUMNS": "200",
    }


async def _fill(app: Starlette, env: dict[str, str], state: Path) -> SyncOutcome:
    migrations.upgrade(f"sqlite:///{state}")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        settings = load_settings(None)
    options = SyncOptions(write_report=False)
    return await run_sync(settings, options, http_transport=httpx.ASGITransport(app=app))


def test_adopt_dry_run_then_live(tmp_path: Path, sandbox: tuple[Served, Starlette]) -> None:
    served, sandbox_app = sandbox
    runner = CliRunner()
    app = build_app()
    # filled through another state database (in process: the fast way to fill the served store)
    erp = _small_erp(tmp_path)
    first = tmp_path / "first.db"
    filled = asyncio.run(_fill(sandbox_app, _env(served, first, erp), first))
    assert filled.exit_code == 0

    fresh = _env(served, tmp_path / "fresh.db", erp)
    dry = runner.invoke(app, ["adopt", "--dry-run", "--json"], env=fresh)
    assert dry.exit_code == 0, dry.output
    body = json.loads(dry.output)
    assert body["dry_run"] is True and body["errors"] == [] and body["next_sync_writes"] == 0
    kinds = body["kinds"]
    assert kinds["sku"]["matched_unchanged"] == filled.plan.count(Kind.SKU, Action.CREATE) > 0
    assert kinds["specification_value"]["matched_unchanged"] == 63
    assert all(k["matched_updated"] == 0 and k["created"] == 0 for k in kinds.values())
    assert all(k["left_alone"] in (0, None) for k in kinds.values())

    live = runner.invoke(app, ["adopt", "--show", "P0001"], env=fresh)
    assert live.exit_code == 0, live.output
    assert "matches recorded" in live.output and "matched unchanged" in live.output
    assert "P0001: no difference" in live.output
    after = runner.invoke(app, ["sync", "--dry-run", "--json"], env=fresh)
    assert after.exit_code == 0, after.output
    counts = json.loads(after.output)["counts"]
    assert counts and {action for per in counts.values() for action in per} == {"unchanged"}
