"""``vtexbridge erp``: look at the ERP source without syncing anything.

``erp check`` reads a folder as a sync would and writes nothing: for each file, the dialect detected
(delimiter, encoding, number format), the one configured, the records read, the first errors (root
causes first), and the ``[erp.files.<entity>]`` lines that would read a file whose detected dialect
differs from the configured one. Exit code 0 when every file reads without an error, 1 when some
file has errors, 2 when the folder or the configuration is unusable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit
from vtexbridge.erp.check import FileCheck, check_folder
from vtexbridge.erp.config import ErpSettings
from vtexbridge.erp.dialect import Dialect
from vtexbridge.errors import ConfigError, VtexbridgeError


def _describe(d: Dialect) -> str:
    numbers = {"auto": "numbers auto", ".": "decimal '.'", ",": "decimal ','"}[d.number.decimal]
    if d.number.decimal != "auto" and d.number.thousands:
        numbers += f" thousands {d.number.thousands!r}"
    return f"delimiter {d.delimiter!r}, {d.encoding}, {numbers}"


def _toml(value: str) -> str:
    return json.dumps(value)  # a TOML basic string is a JSON string for these values


def _render(check: FileCheck, common: dict[str, str]) -> None:
    name = check.path.name
    count = f"{check.records} record(s) read, {check.error_count} error(s)"
    colour = "red" if check.error_count else "green"
    console.print(f"[bold]{escape(name)}[/bold]: [{colour}]{count}[/{colour}]", soft_wrap=True)
    if check.detected is None:
        console.print(f"  JSON Lines, {check.configured.encoding}", highlight=False)
    elif check.detected.dialect == check.configured:
        console.print(
            f"  {escape(_describe(check.configured))} (as detected)", soft_wrap=True, highlight=False
        )
    else:
        console.print(f"  configured: {escape(_describe(check.configured))}", soft_wrap=True, highlight=False)
        detected = _describe(check.detected.dialect)
        console.print(f"  detected:   {escape(detected)}", soft_wrap=True, highlight=False)
    if check.detected is not None:
        for note in check.detected.notes:
            console.print(f"    ({escape(note)})", soft_wrap=True, highlight=False)
    for e in check.errors:
        message = str(e).replace(f"{check.path}", name)
        console.print(f"  [red]{type(e).__name__}[/red] {escape(message)}", soft_wrap=True, highlight=False)
    if check.error_count > len(check.errors):
        console.print(f"  ... and {check.error_count - len(check.errors)} more error(s)")
    suggestion = {k: v for k, v in check.suggestion().items() if common.get(k) != v}
    if suggestion:
        console.print("  to read it as detected, add to the config file:")
        console.print(f"    [erp.files.{check.entity.value}]", highlight=False, markup=False)
        for key, value in suggestion.items():
            console.print(f"    {key} = {_toml(value)}", highlight=False, markup=False)


def _as_json(check: FileCheck) -> dict[str, Any]:
    return {
        "entity": check.entity.value,
        "file": str(check.path),
        "configured": check.configured.settings(),
        "detected": None if check.detected is None else check.detected.dialect.settings(),
        "records": check.records,
        "errors": check.error_count,
        "first_errors": [
            {"type": type(e).__name__, "row": e.record.row if e.record else None, "message": e.user_message}
            for e in check.errors
        ],
        "suggestion": check.suggestion(),
    }


def _common_suggestion(checks: list[FileCheck]) -> dict[str, str]:
    """The settings every CSV file needs alike (when there are several files): one for [erp]."""
    wanted = [c.suggestion() for c in checks if c.detected is not None]
    if len(wanted) < 2:
        return {}
    return {k: v for k, v in wanted[0].items() if all(w.get(k) == v for w in wanted[1:])}


def _settings(folder: Path | None, config: Path | None) -> tuple[ErpSettings, Path | None]:
    if config is None and folder is not None:
        return ErpSettings(path=folder), None
    settings = settings_or_exit(config)
    erp = settings.erp
    base = settings.config_path.parent if settings.config_path else None
    if erp is None or erp.kind != "folder":
        if folder is None:
            raise ConfigError(
                "erp check reads a folder: give FOLDER, or a config whose [erp] kind is 'folder'"
            )
        return ErpSettings(path=folder), None
    if folder is not None:
        return erp.model_copy(update={"path": folder}), None
    return erp, base


def register(app: typer.Typer) -> None:
    erp_app = typer.Typer(name="erp", help="Look at the ERP source without syncing.", no_args_is_help=True)

    @erp_app.command("check")
    def check(
        folder: Path | None = typer.Argument(
            None, help="The ERP folder (default: [erp] path of the config file)."
        ),
        config: Path | None = ConfigOption,
        errors: int = typer.Option(5, "--errors", min=0, max=1000, help="Errors shown per file."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    ) -> None:
        """Read an ERP folder as a sync would; print each file's detected and configured dialect, its
        records and first errors. Writes nothing. Exit 1 when a file has errors."""
        try:
            settings, base = _settings(folder, config)
            checks = check_folder(settings, base_dir=base, keep=errors)
        except VtexbridgeError as e:
            err_console.print(f"[red]error:[/red] {escape(e.user_message)}", soft_wrap=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps([_as_json(c) for c in checks], indent=2))
        else:
            if not checks:
                console.print(
                    "no ERP file found (expected <entity>.csv or <entity>.jsonl, see docs/erp-format.md)"
                )
            common = _common_suggestion(checks)
            for c in checks:
                _render(c, common)
            if common:
                console.print("every file needs these; to read them as detected, add to [erp]:", markup=False)
                for key, value in common.items():
                    console.print(f"    {key} = {_toml(value)}", highlight=False, markup=False)
        raise typer.Exit(1 if any(c.error_count for c in checks) else 0)

    app.add_typer(erp_app, name="erp")
