"""The ``vtexbridge`` command: a typer app assembled from one module per command group.

Each module in this package defines ``register(app: typer.Typer) -> None``; modules are discovered,
so adding a command group is adding a file. Commands parse options, call one flow, and render.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from vtexbridge import __version__


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vtexbridge {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="vtexbridge",
        help="Connect a retailer's back office to VTEX: sync catalog, prices, stock and customers; "
        "run orders into the ERP and actions back; serve marketplace protocols; run a local VTEX sandbox.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        """vtexbridge."""

    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
    return app


def main() -> None:
    build_app()()
