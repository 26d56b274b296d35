"""``vtexbridge adopt``: take over a VTEX store that already holds (part of) the ERP's data.

    vtexbridge adopt --dry-run            # per kind: matched unchanged / updated, created, left alone
    vtexbridge adopt --dry-run --show P0001   # the field-by-field difference of one key (and its links)
    vtexbridge adopt --json
    vtexbridge adopt                      # record the matches; the next `sync` sends only differences
    vtexbridge adopt --deactivate-missing --dry-run   # also count the products/SKUs it would switch off

Nothing is written to VTEX, and nothing VTEX holds that the ERP lacks is deactivated (it is counted
as "left alone") -- unless ``--deactivate-missing`` asks for it: then the products and SKUs VTEX
holds, the ERP lacks and the state does not know are deactivated (never deleted) through the
executor, within the rate limits (counted per kind as "deactivate").

Exit codes: 0 done; 1 some ERP record is ambiguous in VTEX (two entities with its natural key:
listed, nothing created for it) or a deactivation failed; 2 a configuration problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from vtexbridge import aio
from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit, with_state
from vtexbridge.errors import VtexbridgeError
from vtexbridge.log import setup_logging
from vtexbridge.sync.adopt import Adoption
from vtexbridge.sync.adopt_run import run_adopt
from vtexbridge.sync.runner import entities_named


def register(app: typer.Typer) -> None:
    @app.command("adopt")
    def adopt_command(
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Report what would be matched; record nothing."
        ),
        show: str | None = typer.Option(
            None, "--show", help="The field-by-field difference of this ERP key."
        ),
        only: list[str] = typer.Option([], "--only", help="Adopt only these entities (like `sync --only`)."),
        deactivate_missing: bool = typer.Option(
            False,
            "--deactivate-missing",
            help="Deactivate (never delete) the products and SKUs VTEX holds and the ERP lacks.",
        ),
        as_json: bool = typer.Option(
            False, "--json", help="Print the result as JSON (with every difference)."
        ),
        state: str | None = typer.Option(
            None, "--state", help="State database: a SQLite file or a database URL (overrides state.url)."
        ),
        config: Path | None = ConfigOption,
    ) -> None:
        """Match the ERP with what VTEX already holds (by natural key) and record the matches."""
        settings = settings_or_exit(config)
        setup_logging(settings.log.level, settings.log.format)
        settings = with_state(settings, state)
        try:
            flow = run_adopt(
                settings, dry_run=dry_run, only=entities_named(only), deactivate_missing=deactivate_missing
            )
            adoption = aio.run(flow)
        except VtexbridgeError as e:
            err_console.print(f"[red]error:[/red] {escape(e.user_message)}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        if as_json:
            body: dict[str, Any] = {"dry_run": dry_run, **adoption.to_json(), "diffs": adoption.diffs(show)}
            typer.echo(json.dumps(body, indent=2, default=str))
        else:
            render(adoption, dry_run=dry_run, show=show)
        failed = adoption.applied is not None and adoption.applied["failed"]
        raise typer.Exit(1 if adoption.errors or failed else 0)


def render(adoption: Adoption, *, dry_run: bool, show: str | None) -> None:
    title = "adoption (dry run: nothing recorded)" if dry_run else "adoption (matches recorded)"
    table = Table(title=title)
    asked = adoption.missing is not None
    names = ["kind", "matched unchanged", "matched, to update", "to create", "left alone", "ambiguous"]
    for name in names + (["deactivate" if dry_run else "deactivated"] if asked else []):
        table.add_column(name, justify="left" if name == "kind" else "right")
    for kind, t in adoption.tallies.items():
        left = "?" if t.left_alone is None else str(t.left_alone)
        row = [kind.value, str(t.unchanged), str(t.updated), str(t.created), left, str(t.ambiguous)]
        if asked:
            row.append("-" if t.deactivated is None else str(t.deactivated))
        table.add_row(*row)
    console.print(table)
    if adoption.applied is not None:
        applied = adoption.applied
        done = sum(applied["deactivated"].values())
        console.print(
            f"deactivated {done} entit(ies) in VTEX with {applied['requests']} request(s); "
            f"{applied['failed']} failed",
            highlight=False,
        )
        for e in applied["errors"]:
            console.print(f"[red]error[/red] {escape(e['kind'])} {escape(e['key'])}: {escape(e['message'])}")
    writes = adoption.plan.writes if adoption.plan is not None else 0
    console.print(
        f"{adoption.reads} read(s) of VTEX in {adoption.seconds:.1f} s; next sync: {writes} write(s)",
        highlight=False,
    )
    for e in adoption.errors:
        console.print(f"[red]ambiguous[/red] {escape(e.error.user_message)}", soft_wrap=True)
    if show is not None:
        diffs = adoption.diffs(show)
        if not diffs:
            console.print(f"{escape(show)}: no difference with VTEX's copy (or not matched)", highlight=False)
        for d in diffs:
            console.print(f"{d['kind']} {escape(d['key'])} (VTEX id {d['vtex_id']})", highlight=False)
            for row in d["fields"]:
                console.print(f"  {row['field']}: {row['current']!r} -> {row['wanted']!r}", highlight=False)
