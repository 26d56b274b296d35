"""Benchmark of ``vtexbridge adopt``: taking over a store that already holds the ERP's catalog.

    python -m bench.bench_adopt                 # 10,000 SKUs
    python -m bench.bench_adopt --skus 2000     # smaller
    python -m bench.bench_adopt --keep /tmp/adopt-stores   # fill once, reuse the filled store

1. A store is generated (``bench/generate_store.py``) and written into a sandbox store file by a sync
   *in process*, with the sandbox's limits off (filling is not what is measured).
2. The same store file is served by uvicorn in another process with **VTEX's real limits** (catalog
   250/s per endpoint and 750/s per account, pricing writes 33/s).
3. ``vtexbridge adopt --dry-run --json`` runs as a child process against it with a fresh, empty state
   database. Measured: wall time; the requests it made, from the sandbox's request log (reads and
   writes by route; target: no write); reads per entity found (target: at most 1, and far fewer for
   the kinds VTEX lists in bulk); and the ratio of the wall time to the route-limit lower bound of
   those reads (target: at most 1.10). Both processes share this machine's CPUs.

The lower bound is the rule the sandbox enforces (VTEX's published figures as token buckets): each
budget starts full, so a budget spent ``n`` times takes ``max(0, (n - burst) / rate)`` seconds, and
the budgets are spent side by side, so the bound is the largest of them (catalog: 15,000 a minute per
endpoint with a burst of 15,000, 45,000 a minute per account with a burst of 45,000; pricing GET,
logistics and Master Data have no published limit). The client paces itself more cautiously (its
published buckets hold one second of credits, less a quarter second for jitter): the bound under
the client's own budgets is printed too, with the adoption's phases (planning, reads, re-planning)
and, per route, the requests and the seconds from its first to its last request (the sandbox's log).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.bench_sync import (
    ACCOUNT,
    LOOPBACK,
    VTEXBRIDGE,
    _free_port,
    generate,
    lower_bound,
    say,
    sync_env,
)
from vtexbridge.config import Settings
from vtexbridge.erp.config import ErpSettings
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.rules.catalog import default_sales_channel
from vtexbridge.sandbox.store import Store
from vtexbridge.state import migrations
from vtexbridge.state.settings import StateSettings
from vtexbridge.sync.config import SyncSettings
from vtexbridge.sync.runner import SyncOptions, run_sync
from vtexbridge.vtex.limits import JITTER_S, PUBLISHED_LIMITS
from vtexbridge.vtex.settings import VtexSettings

ROOT = Path(__file__).resolve().parent.parent

LOOKUP = "POST /api/catalog_system/pub/sku/stockkeepingunitidsbyrefids"
"""A read VTEX serves as a POST (the RefIds travel in the body)."""
BULK = {
    "category": ("GET /api/catalog_system/pub/category/tree/{categoryLevels}",),
    "brand": ("GET /api/catalog_system/pvt/brand/pagedlist",),
    "specification_value": ("GET /api/catalog_system/pub/specification/fieldvalue/{fieldId}",),
    "warehouse": ("GET /api/logistics/pvt/configuration/warehouses",),
    "dock": ("GET /api/logistics/pvt/configuration/docks",),
    "customer": ("GET /api/dataentities/{acronym}/scroll",),
}
"""The listing routes of the kinds VTEX lists in bulk (Master Data's scroll serves CL and AD)."""

_SANDBOX = """
import sys, uvicorn
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.store import Store
store = Store(sys.argv[3])
options = SandboxOptions(limits="real", account=sys.argv[2], request_log_size=int(sys.argv[4]))
app = create_app(options, store=store)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


async def fill(erp: Path, store_file: Path, work: Path) -> tuple[float, int]:
    """Write the ERP into a sandbox store file (in process, limits off); seconds and requests."""
    store = Store(store_file)
    store.table(ACCOUNT, "saleschannel")["2"] = {**default_sales_channel(), "Id": 2, "Name": "Two"}
    app = create_app(SandboxOptions(limits="off", account=ACCOUNT), store=store)
    url = f"sqlite:///{work / 'filler.db'}"
    migrations.upgrade(url)
    settings = Settings(
        vtex=VtexSettings(
            account=ACCOUNT,
            base_url="http://sandbox.local",
            app_key=DEFAULT_APP_KEY,  # type: ignore[arg-type]
            app_token=DEFAULT_APP_TOKEN,  # type: ignore[arg-type]
        ),
        state=StateSettings(url=url),
        erp=ErpSettings(kind="folder", path=erp),
        sync=SyncSettings(report_dir=work / "reports"),
    )
    start = time.perf_counter()
    outcome = await run_sync(
        settings, SyncOptions(write_report=False), http_transport=httpx.ASGITransport(app=app)
    )
    if outcome.report.error_count:
        raise SystemExit(f"filling the store failed: {outcome.report.errors[:3]}")
    store.close()
    return time.perf_counter() - start, outcome.report.requests or 0


def client_bound(counts: dict[str, int]) -> tuple[float, str]:
    """The same bound under the client's own published budgets (what vtexbridge allows itself by
    default: one second of burst, less the jitter margin)."""
    bounds: dict[str, float] = {}
    for rule in PUBLISHED_LIMITS:
        spent: dict[str, int] = {}
        for key, n in counts.items():
            method, route = key.split(" ", 1)
            if (rule.methods is None or method in rule.methods) and _fits(rule.pattern, route):
                name = f"{rule.name} {key}" if rule.per_route else rule.name
                spent[name] = spent.get(name, 0) + n
        burst = rule.burst - math.ceil(rule.rate_per_s * JITTER_S)
        for name, n in spent.items():
            bounds[name] = max(0.0, (n - burst) / rule.rate_per_s)
    if not bounds:
        return 0.0, "none"
    name = max(bounds, key=lambda b: bounds[b])
    return bounds[name], name


def _fits(pattern: str, route: str) -> bool:
    return route.startswith(pattern.rstrip("*")) if pattern.endswith("*") else route == pattern


def spans(entries: list[dict[str, Any]]) -> dict[str, tuple[int, float]]:
    """Per route: requests and seconds from its first to its last request (the log's times)."""
    times: dict[str, list[datetime]] = {}
    for e in entries:
        times.setdefault(f"{e['method']} {e['route']}", []).append(datetime.fromisoformat(e["time"]))
    return {k: (len(t), (max(t) - min(t)).total_seconds()) for k, t in times.items()}


def run_adopt(env: dict[str, str], state: Path) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [str(VTEXBRIDGE), "adopt", "--dry-run", "--json", "--state", str(state)],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    try:
        return wall, json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"vtexbridge adopt failed ({proc.returncode}):\n{proc.stderr[-3000:]}") from None


def filled(skus: int, work: Path, keep: Path | None) -> tuple[Path, Path]:
    """The ERP and the filled sandbox store file (from ``keep`` when it holds them for ``skus``)."""
    erp, store_file = work / "erp", work / "sandbox.db"
    kept_erp, kept_store = (keep / f"erp-{skus}", keep / f"sandbox-{skus}.db") if keep else (None, None)
    if kept_erp is not None and kept_store is not None and kept_store.exists():
        shutil.copytree(kept_erp, erp)
        shutil.copyfile(kept_store, store_file)
        say(f"   reused the filled store of {kept_store}")
        return erp, store_file
    say(f"   generated the store in {generate(erp, skus):.1f} s")
    seconds, requests = asyncio.run(fill(erp, store_file, work))
    say(f"   filled the sandbox in process (limits off): {requests:,} requests in {seconds:.1f} s")
    if kept_erp is not None and kept_store is not None:
        kept_store.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(erp, kept_erp, dirs_exist_ok=True)
        shutil.copyfile(store_file, kept_store)
    return erp, store_file


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="keep the filled store here and reuse it next time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-adopt-") as tmp:
        work = Path(tmp)
        say(f"== adoption of a {args.skus:,}-SKU store (the machine is shared: figures vary with its load)")
        erp, store_file = filled(args.skus, work, args.keep)
        port = _free_port()
        log_size = str(max(10_000, args.skus * 20))
        server = subprocess.Popen(
            [sys.executable, "-c", _SANDBOX, str(port), ACCOUNT, str(store_file), log_size],
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            admin = httpx.Client(base_url=base, timeout=120)
            deadline = time.monotonic() + 60
            while True:
                try:
                    admin.get("/_sandbox/health")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            cursor = admin.get("/_sandbox/requests").json()["cursor"]
            env = {**sync_env(erp, base, work / "reports"), **LOOPBACK}
            wall, body = run_adopt(env, work / "fresh-state.db")
            log = admin.get("/_sandbox/requests", params={"since": cursor}).json()
        finally:
            server.terminate()
            server.wait(timeout=30)
        report(wall, body, {k: v for k, v in log["counts"].items() if v}, spans(log["entries"]))


def report(
    wall: float, body: dict[str, Any], counts: dict[str, int], route_spans: dict[str, tuple[int, float]]
) -> None:
    kinds = body["kinds"]
    matched = {k: v["matched_unchanged"] + v["matched_updated"] for k, v in kinds.items()}
    entities = sum(matched.values())
    writes = {k: n for k, n in counts.items() if not k.startswith("GET") and k != LOOKUP}
    reads = sum(n for k, n in counts.items() if k not in writes)
    bound, route = lower_bound(counts)
    own, own_route = client_bound(counts)
    ratio = wall / bound if bound else float("inf")
    say(
        f"   wall {wall:.1f} s; {entities:,} entities matched; {reads:,} reads; {sum(writes.values())} writes"
    )
    phases = body.get("phases") or {}
    shown = ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
    rest = wall - sum(phases.values())
    say(f"   phases in the child: {shown}; the rest (start, ERP read, JSON) {rest:.1f} s")
    say("   reads by route (requests, seconds from the route's first request to its last):")
    for k, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        span = route_spans.get(k, (0, 0.0))[1]
        say(f"     {n:>7,}  {span:>6.1f} s  {k}")
    say("   bulk-listed kinds (reads of their listing route / entities matched):")
    bulk_ok = True
    for kind, routes in BULK.items():
        n = sum(counts.get(r, 0) for r in routes)
        found = matched.get(kind, 0) + (matched.get("address", 0) if kind == "customer" else 0)
        bulk_ok = bulk_ok and n <= max(1, found // 10)
        say(f"     {kind:<22} {n:>5} read(s) / {found:,} entities")
    per_entity = reads / entities if entities else float("inf")
    say(f"   errors: {len(body['errors'])}; next sync writes: {body['next_sync_writes']}")
    say(f"   writes: {sum(writes.values())} (target 0): {'met' if not writes else 'NOT met'}")
    say(f"   reads per entity {per_entity:.2f} (target <= 1.00): {'met' if per_entity <= 1.0 else 'NOT met'}")
    say(f"   bulk-listed kinds: at most 1 read per 10 entities: {'met' if bulk_ok else 'NOT met'}")
    if not bound:
        route = "every budget's reads fit in its burst"
    say(
        f"   lower bound (the enforced buckets, bursts counted) {bound:.1f} s ({route}); ratio {ratio:.2f} "
        f"(target <= 1.10): {'met' if ratio <= 1.10 else 'NOT met'}"
    )
    reads_s = (body.get("phases") or {}).get("reads", wall)
    own_ratio = reads_s / own if own else float("inf")
    say(
        f"   under the client's own budgets: bound {own:.1f} s ({own_route}); reads phase {reads_s:.1f} s, "
        f"ratio {own_ratio:.2f}"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
