"""``vtexbridge demo``: the whole product on a fresh machine, with no VTEX account and no configuration.

The command parses its options and reports an error; the steps are in :mod:`.run`, the files the
demo writes in :mod:`.files`, the shopper's and the ERP's part in :mod:`.shop`, the provider
protocols' step in :mod:`.providers`, and the dashboard it serves at the end in :mod:`.dashboard`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from vtexbridge import aio
from vtexbridge.cli._common import PORT_MAX, err_console
from vtexbridge.cli.demo.files import config_text, example_store
from vtexbridge.cli.demo.model import DemoError, DemoOptions, DemoState
from vtexbridge.cli.demo.run import run_demo
from vtexbridge.errors import VtexbridgeError
from vtexbridge.log import setup_logging
from vtexbridge.sandbox.options import DEFAULT_PORT as SANDBOX_PORT
from vtexbridge.web.settings import DEFAULT_PORT

__all__ = ["DemoError", "DemoOptions", "DemoState", "config_text", "example_store", "register", "run_demo"]


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        port_sandbox: int = typer.Option(
            0,
            "--port-sandbox",
            min=0,
            max=PORT_MAX,
            help=f"Sandbox port (default: {SANDBOX_PORT} when free, else a free one).",
        ),
        port: int = typer.Option(
            DEFAULT_PORT, "--port", min=0, max=PORT_MAX, help="Dashboard port (0: a free one)."
        ),
        wait: bool = typer.Option(
            True,
            "--wait/--no-wait",
            help="Serve the dashboard until Ctrl-C (default), or exit after the summary.",
        ),
        directory: Path = typer.Option(
            Path(".demo"), "--dir", help="Where the demo keeps its config, state and ERP folders."
        ),
        orders: int = typer.Option(3, "--orders", min=1, max=20, help="Orders to place."),
        erp: Path | None = typer.Option(None, "--erp", help="ERP folder to sync (default: examples/erp)."),
    ) -> None:
        """Run everything locally against the VTEX sandbox (no account needed), then serve the dashboard."""
        setup_logging("warning", "text")
        options = DemoOptions(directory, port_sandbox, port, wait, orders, erp)
        try:
            aio.run(run_demo(options))
        except VtexbridgeError as e:
            err_console.print(f"[red]error:[/red] {e.user_message}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:  # pragma: no cover - Ctrl-C during the steps
            raise typer.Exit(130) from None
