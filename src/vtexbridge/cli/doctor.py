"""``vtexbridge doctor``: are the credentials set, and does every VTEX API area accept them?

One cheap read-only GET per API area, through the real :class:`Transport` (auth, hosts, limits) but
with a single attempt and a short timeout, so that the table says what one request sees. Where a
404 is the normal answer of a healthy account (a price for a dummy SKU, an orders feed not yet
configured), it still proves that the host answered and accepted the credentials.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.table import Table
from rich.text import Text

from vtexbridge import aio
from vtexbridge.cli._common import ConfigOption, console, err_console, settings_or_exit
from vtexbridge.clock import Clock, SystemClock
from vtexbridge.config import CONFIG_ENV, DEFAULT_CONFIG_NAME
from vtexbridge.vtex.errors import (
    CircuitOpen,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    VtexError,
    VtexStatusError,
    VtexTransportError,
)
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call, Transport

DOCTOR_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Probe:
    """The request that checks one API area; ``absent_ok``: a 404 still proves reachability and auth."""

    api: Api
    route: str
    path: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    absent_ok: bool = False

    def call(self) -> Call:
        return Call(self.api, "GET", self.route, self.path, self.params, None, self.headers)


PROBES: tuple[Probe, ...] = (
    Probe(Api.CATALOG, "/api/catalog_system/pvt/saleschannel/list"),
    Probe(Api.PRICING, "/pricing/prices/{itemId}", {"itemId": "0"}, absent_ok=True),
    Probe(Api.LOGISTICS, "/api/logistics/pvt/configuration/warehouses"),
    Probe(Api.ORDERS, "/api/orders/feed/config", absent_ok=True),
    Probe(
        Api.MASTERDATA,
        "/api/dataentities/CL/search",
        params={"_fields": "id"},
        headers={"REST-Range": "resources=0-0"},
    ),
    Probe(Api.MARKETPLACE, "/api/seller-register/pvt/sellers", params={"from": 0, "to": 1}),
    Probe(Api.SUGGESTIONS, "/suggestions/configuration", absent_ok=True),
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    probe: Probe
    status: int | None
    result: str
    ok: bool
    seconds: float
    detail: str = ""


def _verdict(probe: Probe, error: VtexError) -> tuple[str, bool]:
    if isinstance(error, NotFound) and probe.absent_ok:
        return "ok (none yet)", True
    if isinstance(error, Unauthorized):
        return "auth refused", False
    if isinstance(error, Forbidden):
        return "forbidden", False
    if isinstance(error, VtexTransportError | CircuitOpen):
        return "unreachable", False
    if isinstance(error, RateLimited):
        return "rate limited", False
    return "error", False


async def _check(transport: Transport, probe: Probe, clock: Clock) -> CheckResult:
    start = clock.monotonic()
    try:
        response = await transport.send(probe.call())
    except VtexError as e:
        status = e.status if isinstance(e, VtexStatusError) else None
        result, ok = _verdict(probe, e)
        detail = "" if ok else str(e)
        if isinstance(e, Forbidden):
            detail += " (the key's role lacks a License Manager resource for this area)"
        return CheckResult(probe, status, result, ok, clock.monotonic() - start, detail)
    return CheckResult(probe, response.status_code, "ok", True, clock.monotonic() - start)


async def run_checks(
    settings: VtexSettings,
    *,
    probes: tuple[Probe, ...] = PROBES,
    http_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
) -> list[CheckResult]:
    """Run every probe concurrently, one attempt each; the results in the order of ``probes``."""
    clock = clock or SystemClock()
    quick = settings.model_copy(
        update={
            "max_retries": 0,
            "timeout_s": min(settings.timeout_s, DOCTOR_TIMEOUT_S),
            "connect_timeout_s": min(settings.connect_timeout_s, DOCTOR_TIMEOUT_S),
        }
    )
    async with Transport(quick, http_transport=http_transport, clock=clock) as transport:
        return list(await asyncio.gather(*(_check(transport, p, clock) for p in probes)))


def render(results: list[CheckResult]) -> Table:
    table = Table(title="VTEX API areas")
    table.add_column("area", no_wrap=True)
    table.add_column("route", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("latency", justify="right", no_wrap=True)
    for r in results:
        colour = "green" if r.ok else "red"
        status = str(r.status) if r.status is not None else "-"
        latency = f"{r.seconds * 1000:.0f} ms"
        table.add_row(r.probe.api.value, r.probe.route, status, f"[{colour}]{r.result}[/{colour}]", latency)
    return table


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor(config: Path | None = ConfigOption) -> None:
        """Check the configuration, the credentials and every VTEX API area (one read-only GET each)."""
        settings = settings_or_exit(config)
        vtex = settings.vtex
        if settings.config_path is None:
            console.print(
                f"no config file (no --config, no ${CONFIG_ENV}, no ./{DEFAULT_CONFIG_NAME}): "
                "using the defaults and the environment",
                highlight=False,
            )
        else:
            console.print(f"config {settings.config_path}", highlight=False)
        where = (
            f"via {vtex.base_url}" if vtex.base_url else f"https://{vtex.account}.{vtex.environment}.com.br"
        )
        console.print(f"account [bold]{vtex.account}[/bold] ({where})", highlight=False)
        problem = vtex.credentials_problem()
        if problem:
            err_console.print(f"[red]credentials:[/red] {problem}")
            raise typer.Exit(2)
        results = aio.run(run_checks(vtex))
        console.print(render(results))
        failed = [r for r in results if not r.ok]
        for r in failed:
            line = Text.assemble((f"{r.probe.api.value}: ", "red"), r.detail)
            err_console.print(line, highlight=False, soft_wrap=True)
        if failed:
            err_console.print(f"{len(failed)} of {len(results)} API areas failed")
            raise typer.Exit(1)
        console.print("every API area answered")
