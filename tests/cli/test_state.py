"""``vtexbridge state upgrade`` / ``status`` on an embedded SQLite database."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from vtexbridge.cli import build_app
from vtexbridge.state import StateStore, migrations


def invoke(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), ["state", *args], env={"VTEXBRIDGE_STATE__URL": url})
    return result.exit_code, result.output


def test_status_before_upgrade_says_what_to_run(tmp_path: Path) -> None:
    code, out = invoke(f"sqlite:///{tmp_path / 'state.db'}", "status")
    assert code == 2
    assert "vtexbridge state upgrade" in out
    assert not (tmp_path / "state.db").exists()


def test_upgrade_then_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'state.db'}"
    code, out = invoke(url, "upgrade")
    assert code == 0, out
    assert f"upgraded: empty -> {migrations.head_revision()}" in out
    code, out = invoke(url, "upgrade")
    assert code == 0 and "up to date" in out
    with StateStore(url) as store:
        store.inbox.put("acc", {"OrderId": "o-1"})
    code, out = invoke(url, "status")
    assert code == 0, out
    assert f"{migrations.head_revision()} (this vtexbridge: {migrations.head_revision()}) - up to date" in out
    assert "hook_inbox" in out and "entity_map" in out


def test_status_of_an_uninitialised_database_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch()
    code, out = invoke(f"sqlite:///{path}", "status")
    assert code == 2
    assert "needs `vtexbridge state upgrade`" in out


def test_bad_url_is_a_config_error(tmp_path: Path) -> None:
    code, out = invoke("mysql://u@h/db", "upgrade")
    assert code == 2
    assert "supports sqlite" in out
