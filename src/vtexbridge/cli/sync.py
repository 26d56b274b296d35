"""``vtexbridge sync``: send the ERP snapshot to VTEX — only what changed.

    vtexbridge sync                       # plan and apply, with progress bars and a summary
    vtexbridge sync --dry-run             # print the plan (counts per kind and action), send nothing
    vtexbridge sync --dry-run --show SKU-1   # and the field-by-field change for one key
    vtexbridge sync --only prices --only inventory --json
    vtexbridge sync --dry-run --adopt     # match what VTEX already holds first (see `vtexbridge adopt`)

Exit codes: 0 every record went through; 1 some record failed or was held back (listed, and in the
report file); 2 a configuration problem (no ``[erp]``, bad overrides, missing credentials).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from vtexbridge import aio
from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit, with_state
from vtexbridge.errors import VtexbridgeError
from vtexbridge.log import setup_logging
from vtexbridge.sync.report import RichProgress, render
from vtexbridge.sync.runner import SyncOptions, entities_named, run_sync


def register(app: typer.Typer) -> None:
    @app.command("sync")
    def sync_command(
        only: list[str] = typer.Option(
            [],
            "--only",
            help="Sync only these entities (repeat, or comma-separate): skus, prices, inventory, ...",
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; send nothing to VTEX."),
        show: str | None = typer.Option(
            None, "--show", help="With --dry-run: the field-by-field change planned for this ERP key."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON (no progress bars)."),
        adopt: bool = typer.Option(
            False,
            "--adopt",
            help="With --dry-run: match the creates with what VTEX holds first (reads VTEX).",
        ),
        report: Path | None = typer.Option(None, "--report", help="Write the run report to this file."),
        state: str | None = typer.Option(
            None, "--state", help="State database: a SQLite file or a database URL (overrides state.url)."
        ),
        config: Path | None = ConfigOption,
    ) -> None:
        """Sync catalog, prices, stock and customers from the ERP to VTEX (only what changed)."""
        settings = settings_or_exit(config)
        setup_logging(settings.log.level, settings.log.format)
        settings = with_state(settings, state)
        progress = None if (as_json or dry_run) else RichProgress(console)
        try:
            options = SyncOptions(
                only=entities_named(only), dry_run=dry_run, show=show, report_path=report, adopt=adopt or None
            )
            outcome = aio.run(run_sync(settings, options, progress=progress))
        except VtexbridgeError as e:
            err_console.print(f"[red]error:[/red] {escape(e.user_message)}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        finally:
            if progress is not None:
                progress.stop()
        if as_json:
            body = outcome.report.to_json()
            body["report_file"] = str(outcome.report_file) if outcome.report_file else None
            if "adoption" in outcome.extra:  # h7 (#12): what was found in VTEX before creating
                body["adoption"] = outcome.extra["adoption"]
            typer.echo(json.dumps(body, indent=2, default=str))
        else:
            render(outcome.report, console)
            if outcome.report_file is not None:
                console.print(f"report: {outcome.report_file}", soft_wrap=True, highlight=False)
        raise typer.Exit(outcome.exit_code)
