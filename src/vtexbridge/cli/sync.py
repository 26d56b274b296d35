"""``vtexbridge sync``: send the ERP snapshot to VTEX — only what changed.

    vtexbridge sync                       # plan and apply, with progress bars and a summary
    vtexbridge sync --dry-run             # print the plan (counts per kind and action), send nothing
    vtexbridge sync --dry-run --show SKU-1   # and the field-by-field change for one key
    vtexbridge sync --only prices --only inventory --json
    vtexbridge sync --dry-run --adopt     # match what VTEX already holds first (see `vtexbridge adopt`)

Exit codes: 0 every record went through; 1 some record failed or was held back (listed, and in the
report file); 2 a configuration problem (no ``[erp]``, bad overrides, missing credentials); 3 the run
was stopped because VTEX cannot be used (credentials refused, permission missing, host unreachable:
nothing was marked in error); 4 the run crashed (an internal error; the JSON output still says so,
with what was planned). With ``--json``, every outcome prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import NoReturn

import typer
from rich.markup import escape

from vtexbridge import aio
from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit, with_state
from vtexbridge.errors import VtexbridgeError
from vtexbridge.log import setup_logging
from vtexbridge.sync.continuous import runtime as continuous
from vtexbridge.sync.report import RichProgress, RunReport, render
from vtexbridge.sync.runner import SyncOptions, entities_named
from vtexbridge.sync.stop import STOPPED_EXIT
from vtexbridge.web.sync_runs import run_catalog_sync

CRASH_EXIT = 4
"""The exit code of a sync that crashed (distinct from 1, a run that ended with record errors)."""

log = logging.getLogger(__name__)


def _failed(error: BaseException, message: str, code: int, as_json: bool) -> NoReturn:
    """Report a run that ended early: on stderr, and as JSON on stdout with ``--json``."""
    err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    if as_json:
        report: RunReport | None = getattr(error, "sync_report", None)
        body = report.to_json() if report is not None else {}
        status = {CRASH_EXIT: "crashed", STOPPED_EXIT: "stopped"}.get(code, "failed")
        body.update(
            status=status,
            exit_code=code,
            error={
                "type": type(error).__name__,
                "message": message,
                "category": getattr(error, "category", "system"),
            },
        )
        typer.echo(json.dumps(body, indent=2, default=str))
    raise typer.Exit(code) from None


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
        watch: bool = typer.Option(
            False, "--watch", help="Keep running: apply ERP changes as they arrive (docs/continuous-sync.md)."
        ),
        config: Path | None = ConfigOption,
    ) -> None:
        """Sync catalog, prices, stock and customers from the ERP to VTEX (only what changed)."""
        settings = settings_or_exit(config)
        setup_logging(settings.log.level, settings.log.format)
        settings = with_state(settings, state)
        if watch:  # #13: the continuous loop alone (no HTTP intake), until Ctrl-C
            aio.run(continuous.watch(settings))
            raise typer.Exit(0)
        progress = None if (as_json or dry_run) else RichProgress(console)
        try:
            options = SyncOptions(
                only=entities_named(only),
                dry_run=dry_run,
                show=show,
                report_path=report,
                pause_collector=True,  # this process does nothing else while it plans
                adopt=adopt or None,  # h7 (#12)
            )
            outcome = aio.run(run_catalog_sync(settings, options, progress=progress))
        except VtexbridgeError as e:
            _failed(e, e.user_message, e.exit_code, as_json)
        except Exception as e:  # a bug: say so, with its own exit code (not a partial run's)
            log.exception("the sync crashed")
            _failed(e, f"internal error: {type(e).__name__}: {e}", CRASH_EXIT, as_json)
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
