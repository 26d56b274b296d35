"""``vtexbridge sync``: options, dry run, JSON, exit codes, a live run against a served sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.sync.sync_harness import ACCOUNT, EXAMPLE_ERP, copy_store, seed_trade_policies
from vtexbridge.cli import build_app
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.serving import serve_in_thread


@pytest.fixture
def env(tmp_path: Path, state_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "VTEXBRIDGE_ERP__KIND": "folder",
        "VTEXBRIDGE_ERP__PATH": str(EXAMPLE_ERP),
        "VTEXBRIDGE_STATE__URL": state_url,
        "VTEXBRIDGE_SYNC__REPORT_DIR": str(tmp_path / "reports"),
        "VTEXBRIDGE_LOG__LEVEL": "warning",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    return values


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), ["sync", *args])
    return result.exit_code, result.output


def test_without_an_erp_section_the_command_says_what_to_configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = invoke("--dry-run")
    assert code == 2
    assert "[erp] section is not configured" in out and "VTEXBRIDGE_ERP__PATH" in out


def test_dry_run_prints_counts_as_json_and_sends_nothing(env: dict[str, str]) -> None:
    code, out = invoke("--dry-run", "--json")
    assert code == 0, out
    body = json.loads(out)
    assert body["dry_run"] is True and body["status"] == "dry-run"
    assert body["counts"]["sku"] == {"create": 150}, "a SKU once: its activation is a step of the record"
    assert body["counts"]["price"] == {"create": 150}
    assert body["errors"] == [] and Path(body["report_file"]).exists()


def test_dry_run_table_and_field_diff_of_one_key(env: dict[str, str]) -> None:
    code, out = invoke("--dry-run", "--show", "P0001-01")
    assert code == 0, out
    assert "plan" in out and "sku" in out
    assert "create sku P0001-01" in out and "PackagedWeightKg" in out and "460" in out
    assert "create price P0001-01" in out and "fixedPrices" in out


def test_only_restricts_the_plan_and_rejects_unknown_names(env: dict[str, str]) -> None:
    code, out = invoke("--dry-run", "--json", "--only", "customers", "--only", "addresses")
    assert code == 0, out
    assert set(json.loads(out)["counts"]) == {"customer", "address"}
    code, out = invoke("--dry-run", "--only", "widgets")
    assert code == 2 and "unknown entity for --only: widgets" in out


def test_dry_run_exits_1_when_records_are_invalid(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    erp = copy_store(tmp_path)
    text = (erp / "customers.jsonl").read_text(encoding="utf-8")
    (erp / "customers.jsonl").write_text(text.replace("ana.almeida1@example.com", "nope"), encoding="utf-8")
    monkeypatch.setenv("VTEXBRIDGE_ERP__PATH", str(erp))
    code, out = invoke("--dry-run", "--json", "--only", "customers", "--state", str(tmp_path / "s.db"))
    assert code == 1
    errors = json.loads(out)["errors"]
    assert errors[0]["field"] == "email" and errors[0]["row"] == 1


@pytest.fixture
def served() -> Iterator[str]:
    store = Store()
    seed_trade_policies(store)
    app = create_app(SandboxOptions(limits="off"), store=store)
    served = serve_in_thread(app, name="sandbox")
    yield served.url
    served.stop()


def test_live_run_with_progress_summary_and_report(
    env: dict[str, str], served: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VTEXBRIDGE_VTEX__ACCOUNT", ACCOUNT)
    monkeypatch.setenv("VTEXBRIDGE_VTEX__BASE_URL", served)
    monkeypatch.setenv("VTEXBRIDGE_VTEX__APP_KEY", DEFAULT_APP_KEY)
    monkeypatch.setenv("VTEXBRIDGE_VTEX__APP_TOKEN", DEFAULT_APP_TOKEN)
    code, out = invoke("--only", "customers,addresses", "--report", str(tmp_path / "run.json"))
    assert code == 0, out
    assert "sync of sandbox" in out and "customer" in out and "requests sent: 47" in out
    report = json.loads((tmp_path / "run.json").read_text())
    assert report["status"] == "succeeded" and report["counts"]["address"] == {"create": 27}
    code, out = invoke("--only", "customers,addresses", "--json")
    assert code == 0 and json.loads(out)["requests"] == 0


def test_live_run_needs_credentials(env: dict[str, str]) -> None:
    code, out = invoke()
    assert code == 2 and "VTEXBRIDGE_VTEX__APP_KEY" in out


def _live(monkeypatch: pytest.MonkeyPatch, served: str, token: str = DEFAULT_APP_TOKEN) -> None:
    monkeypatch.setenv("VTEXBRIDGE_VTEX__ACCOUNT", ACCOUNT)
    monkeypatch.setenv("VTEXBRIDGE_VTEX__BASE_URL", served)
    monkeypatch.setenv("VTEXBRIDGE_VTEX__APP_KEY", DEFAULT_APP_KEY)
    monkeypatch.setenv("VTEXBRIDGE_VTEX__APP_TOKEN", token)


def test_a_crash_has_its_own_exit_code_and_still_prints_json(
    env: dict[str, str], served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtexbridge.sync.apply import Executor

    async def crash(self: Executor) -> None:
        raise RuntimeError("boom")

    _live(monkeypatch, served)
    monkeypatch.setattr(Executor, "run", crash)
    result = CliRunner().invoke(build_app(), ["sync", "--json", "--only", "customers"])
    assert result.exit_code == 4, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "crashed" and body["exit_code"] == 4
    assert body["error"]["type"] == "RuntimeError" and "boom" in body["error"]["message"]
    assert body["planned"]["customer"] == {"create": 20}, "what was planned is still reported"


def test_refused_credentials_exit_3_with_one_error_naming_account_and_host(
    env: dict[str, str], served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _live(monkeypatch, served, token="wrong")
    result = CliRunner().invoke(build_app(), ["sync", "--json"])
    assert result.exit_code == 3, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "stopped" and body["error"]["type"] == "SyncStopped"
    host = served.split("://", 1)[1]
    assert f"account '{ACCOUNT}'" in body["error"]["message"] and host in body["error"]["message"]
    assert body["errors"] == [
        {"type": "SyncStopped", "message": body["error"]["message"], "category": "config"}
    ]
