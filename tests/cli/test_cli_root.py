from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from vtexbridge import __version__
from vtexbridge.cli import build_app
from vtexbridge.log import CHATTY_LOGGERS, setup_logging
from vtexbridge.state import StateStore


def test_version_flag() -> None:
    result = CliRunner().invoke(build_app(), ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"vtexbridge {__version__}"


def test_help_lists_registered_commands() -> None:
    app = build_app()
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in names:
        assert name in result.output


def test_default_log_level_shows_no_per_request_or_migration_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def chatter() -> str:
        with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True):
            pass
        transport = httpx.MockTransport(lambda request: httpx.Response(200))
        with httpx.Client(transport=transport) as client:
            client.get("http://vtex.example/api/catalog")
        return capsys.readouterr().err

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    setup_logging("info", "text")
    try:
        assert chatter() == ""
        (tmp_path / "state.db").unlink()
        setup_logging("debug", "text")
        lines = chatter()
        assert "HTTP Request: GET http://vtex.example/api/catalog" in lines
        assert "alembic" in lines
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
