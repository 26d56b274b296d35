"""The demo's files: its configuration and secrets, and a fresh start when only half of it survived."""

from __future__ import annotations

import json
from pathlib import Path

import vtexbridge
from vtexbridge.cli.demo import providers as providers_demo
from vtexbridge.cli.demo.model import ORDERS_FILE
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN

__all__ = ["SECRETS_TEXT", "config_text", "example_store", "fresh_start", "write_file"]


def example_store() -> Path:
    """The example ERP store: ``examples/erp`` of the clone vtexbridge runs from (an editable install),
    else the copy the wheel ships inside the package (``vtexbridge/example_store``)."""
    package = Path(vtexbridge.__file__).resolve().parent
    clone = package.parents[1] / "examples" / "erp"
    return clone if (clone / "skus.csv").is_file() else package / "example_store"


def config_text(sandbox_url: str, erp: Path, directory: Path, web_port: int) -> str:
    return f"""\
# Written by `vtexbridge demo`. The local VTEX sandbox stands in for VTEX; every command of the demo
# takes this file, e.g.  vtexbridge sync -c {directory}/vtexbridge.toml
# For a real store: drop base_url, set account, and give your app key/token (docs/real-account.md).

[vtex]
account = "sandbox"
base_url = "{sandbox_url}"
secrets_file = "secrets.toml"   # the sandbox's key and token (never put secrets in this file)

[state]
url = "sqlite:///state.db"      # relative to this file

[log]
level = "warning"

[erp]
kind = "folder"
path = {json.dumps(str(erp))}

[sync]
report_dir = {json.dumps(str((directory / "sync-reports").resolve()))}

[orders.feed]
empty_poll_s = 0.5              # sandbox only: against VTEX itself, never below 5 s

[orders.sink]
kind = "folder"
path = "erp/orders"             # the ERP's inbox of orders (one JSON file per order and status)

[orders.actions]
folder = "erp/actions"          # the ERP drops invoices and tracking here
min_age_s = 0.0

[web]
host = "127.0.0.1"              # loopback: the dashboard needs no token
port = {web_port}
""" + providers_demo.config_text()


SECRETS_TEXT = f"""\
# The local sandbox's credentials (written by `vtexbridge demo`).
[vtex]
app_key = "{DEFAULT_APP_KEY}"
app_token = "{DEFAULT_APP_TOKEN}"
""" + providers_demo.secrets_text()


def write_file(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def fresh_start(directory: Path) -> None:
    """The sandbox and the state store must agree: if only one of them survived, start both anew."""
    sandbox_db, state_db = directory / "sandbox.db", directory / "state.db"
    if sandbox_db.exists() != state_db.exists():
        for path in directory.glob("*.db*"):
            path.unlink()
        (directory / ORDERS_FILE).unlink(missing_ok=True)
        (directory / "demo-provider-orders.json").unlink(missing_ok=True)
