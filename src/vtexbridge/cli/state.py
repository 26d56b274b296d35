"""``vtexbridge state``: migrate the state database and show where it stands."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.table import Table

from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit
from vtexbridge.errors import SchemaOutdated, VtexbridgeError
from vtexbridge.state import StateStore, migrations
from vtexbridge.state.engine import display_url, sqlite_path


def register(app: typer.Typer) -> None:
    state_app = typer.Typer(
        name="state", help="The state database: migrations and status.", no_args_is_help=True
    )

    @state_app.command("upgrade")
    def upgrade(config: Path | None = ConfigOption) -> None:
        """Create or migrate the state database to the schema this vtexbridge needs."""
        url = settings_or_exit(config).state.url
        try:
            path = sqlite_path(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            before = migrations.current_revision(url)
            migrations.upgrade(url)
            after = migrations.current_revision(url)
        except VtexbridgeError as e:
            _fail(e)
        where = display_url(url)
        if before == after:
            console.print(f"state database {where} is up to date (revision {after})", soft_wrap=True)
        else:
            console.print(f"state database {where} upgraded: {before or 'empty'} -> {after}", soft_wrap=True)

    @state_app.command("status")
    def status(config: Path | None = ConfigOption) -> None:
        """Show the database's revision against this vtexbridge's, and the rows in each table.

        Exits with 2 when the database needs `vtexbridge state upgrade`.
        """
        url = settings_or_exit(config).state.url
        path = sqlite_path(url)
        if path is not None and not path.exists():
            err_console.print(
                f"state database {path} does not exist yet; `vtexbridge state upgrade` creates it",
                soft_wrap=True,
            )
            raise typer.Exit(SchemaOutdated.exit_code)
        try:
            with StateStore(url, check_schema=False) as store:
                schema = store.schema_status()
                counts = store.row_counts()
        except VtexbridgeError as e:
            _fail(e)
        console.print(f"state database  {display_url(url)}", soft_wrap=True)
        verdict = "up to date" if schema.up_to_date else "[yellow]needs `vtexbridge state upgrade`[/yellow]"
        console.print(
            f"revision        {schema.current or 'none'} (this vtexbridge: {schema.head}) - {verdict}"
        )
        table = Table("table", "rows")
        for name, n in sorted(counts.items()):
            table.add_row(name, "-" if n is None else f"{n:,}")
        console.print(table)
        if not schema.up_to_date:
            raise typer.Exit(SchemaOutdated.exit_code)

    app.add_typer(state_app, name="state")


def _fail(e: VtexbridgeError) -> NoReturn:
    err_console.print(f"[red]error:[/red] {e.user_message}", soft_wrap=True)
    raise typer.Exit(e.exit_code) from None
