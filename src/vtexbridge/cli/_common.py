"""Shared option handling for commands: config loading with a clean error, the rich console."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from vtexbridge.config import Settings, load_settings
from vtexbridge.errors import VtexbridgeError

PORT_MAX = 65535  # every --port option is checked against it (typer refuses 99999, never wraps it)

console = Console()
err_console = Console(stderr=True)

ConfigOption = typer.Option(
    None, "--config", "-c", help="Config file (default: $VTEXBRIDGE_CONFIG, else ./vtexbridge.toml)."
)


def settings_or_exit(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except VtexbridgeError as e:
        err_console.print(f"[red]error:[/red] {e.user_message}")
        raise typer.Exit(e.exit_code) from None


def with_state(settings: Settings, state: str | None) -> Settings:
    """``settings`` with ``--state`` (a SQLite file or a database URL) as ``state.url``, when given."""
    if not state:
        return settings
    url = state if "://" in state else f"sqlite:///{Path(state).resolve()}"
    return settings.model_copy(update={"state": settings.state.model_copy(update={"url": url})})
