"""The demo's options, its record of what it did, and its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.web.settings import DEFAULT_PORT

__all__ = ["HOST", "ORDERS_FILE", "DemoError", "DemoOptions", "DemoOrder", "DemoState"]

HOST = "127.0.0.1"
ORDERS_FILE = "demo-orders.json"


class DemoError(VtexbridgeError):
    """A demo step did not do what it should (the message says which and why)."""


@dataclass(frozen=True)
class DemoOptions:
    directory: Path = Path(".demo")
    port_sandbox: int = 0  # 0: a free port
    port: int = DEFAULT_PORT
    wait: bool = True
    orders: int = 3
    erp: Path | None = None


@dataclass
class DemoOrder:
    order_id: str
    sku_id: str
    value: int
    erp_file: str | None = None
    status: str | None = None
    invoice: str | None = None
    tracking: str | None = None


@dataclass
class DemoState:
    options: DemoOptions
    settings: Settings | None = None
    sandbox_url: str = ""
    sandbox_port: int = 0
    orders: list[DemoOrder] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)
    commands: list[tuple[str, str]] = field(default_factory=list)
