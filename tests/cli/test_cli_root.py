from __future__ import annotations

from typer.testing import CliRunner

from vtexbridge import __version__
from vtexbridge.cli import build_app


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
