"""Benchmarks of ``vtexbridge sync``; every figure is printed with how it was obtained.

    python bench/bench_sync.py                      # no-change at 100k SKUs, 1%-change and initial load at 5k
    python bench/bench_sync.py --max-skus 1000000   # also the no-change re-sync at 1,000,000 SKUs (~10 min)
    python bench/bench_sync.py --only nochange      # or: initial (which includes the 1%-change run)

1. **No-change re-sync** of a generated store (``bench/generate_store.py``: SKUs with prices, fixed
   prices, stock in two warehouses, images, EANs, specifications, customers ...). The state is
   *prepared without VTEX*: each record's payload hash is computed with vtexbridge's own mapping
   (what a first sync would have recorded) and written with ``StateStore.entities.record_accepted``,
   with made-up VTEX ids. Then ``vtexbridge sync`` runs as a subprocess: wall time and its peak RSS
   (``wait4`` rusage). It must plan zero writes and send zero requests, which also checks that the
   prepared state is what a sync records.
2. **Initial load** of a generated 5,000-SKU store into an empty sandbox served by uvicorn in another
   process with VTEX's real rate limits (pricing writes 33/s with 500 burst credits, pricing deletes
   16/s with 300, catalog 15,000/min per endpoint and 45,000/min per account, each bucket starting
   full as VTEX's does). The lower bound is max over budgets of (requests on the budget - its burst) /
   its rate, from the sandbox's request log: no client can finish sooner without a 429. The ratio is
   wall time / lower bound (target <= 1.03) and the 429s received, counted from the statuses in the
   sandbox's request log, must be zero. Both processes share this machine's CPUs.
3. **1%-changed re-sync** of that store: 1% of SKUs get a new price, 1% a new stock level, 1% of
   products a new name; requests sent (reads included, from the request log) / the minimum (one
   write per changed record).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from figures import figure_line, verdict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from vtexbridge.erp import FolderReader  # noqa: E402
from vtexbridge.erp.records import Entity, FixedPrice, WarehouseDock  # noqa: E402
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, RateLimitSettings  # noqa: E402
from vtexbridge.state import Accepted, StateStore  # noqa: E402
from vtexbridge.sync.graph import Kind  # noqa: E402
from vtexbridge.sync.mapping import Mapper, link_hash  # noqa: E402
from vtexbridge.sync.validate import canonical_trade_policy, state_key  # noqa: E402

VTEXBRIDGE = Path(sys.executable).parent / "vtexbridge"
ACCOUNT = "bench"
LIMITS = RateLimitSettings()
"""The figures the sandbox enforces (VTEX's published ones): the bound is computed from them."""
INITIAL_RATIO_TARGET = 1.03
NOCHANGE_TARGETS = {100_000: (20.0, 400), 1_000_000: (200.0, None)}
"""SKUs -> (wall seconds, peak RSS MB or None) that a no-change re-sync must stay under."""


def say(text: str = "") -> None:
    print(text, flush=True)


def generate(out: Path, skus: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate_store.py"),
            str(out),
            "--skus",
            str(skus),
            "--jobs",
            "2",
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


# --- 1. no-change ----------------------------------------------------------------------------------


def _read(reader: FolderReader, entity: Entity) -> Iterator[Any]:
    for item in reader.read(entity):
        if isinstance(item, Exception):
            raise SystemExit(f"the generated store has an unreadable row: {item}")
        yield item


def prepare_state(erp: Path, url: str) -> tuple[int, float]:
    """Record, for every ERP record, what a first sync would (hash of its payload, a made-up id)."""
    start = time.perf_counter()
    mapper = Mapper()
    reader = FolderReader(erp)
    ids = iter(range(1, 10**9))
    rows: list[Accepted] = []
    total = 0
    store = StateStore.open(url, create=True)

    def add(kind: Kind, key: str, values: tuple[Any, ...] | None, *, parent: str | None = None,
            active: bool = True, digest: bytes | None = None, vtex_id: str | None = "") -> None:  # fmt: skip
        nonlocal total, rows
        if digest is None:
            assert values is not None
            digest = mapper[kind].hash(values)
        rows.append(
            Accepted(
                kind.value,
                state_key(key),
                str(next(ids)) if vtex_id == "" else vtex_id,
                digest,
                parent,
                active,
            )
        )
        if len(rows) >= 20_000:
            store.entities.record_accepted(ACCOUNT, rows)
            total += len(rows)
            rows = []

    simple = {
        Entity.CATEGORIES: Kind.CATEGORY, Entity.BRANDS: Kind.BRAND,
        Entity.SPECIFICATION_GROUPS: Kind.SPEC_GROUP, Entity.SPECIFICATION_VALUES: Kind.SPEC_VALUE,
        Entity.SKU_IMAGES: Kind.IMAGE,
        Entity.CUSTOMERS: Kind.CUSTOMER, Entity.ADDRESSES: Kind.ADDRESS,
    }  # fmt: skip
    group_category: dict[str, str] = {}
    for entity, kind in simple.items():
        km = mapper[kind]
        for r in _read(reader, entity):
            if entity is Entity.SPECIFICATION_GROUPS:
                group_category[r.key] = r.category_key
            add(kind, r.key, km.values(r), active=getattr(r, "is_active", True))
    for r in _read(reader, Entity.SPECIFICATION_FIELDS):
        add(Kind.SPEC_FIELD, r.key, mapper.spec_field(r, group_category[r.group_key]))
    tp = link_hash(Kind.TRADE_POLICY)
    for r in _read(reader, Entity.PRODUCTS):
        add(Kind.PRODUCT, r.key, mapper[Kind.PRODUCT].values(r), active=r.is_active)
        for policy in r.trade_policies:
            add(Kind.TRADE_POLICY, f"{r.key}|{canonical_trade_policy(policy)}", None, digest=tp, vtex_id=None)
    for r in _read(reader, Entity.PRODUCT_SPECIFICATIONS):
        add(Kind.PRODUCT_SPEC, r.key, mapper.product_spec(r), vtex_id=None)
    for r in _read(reader, Entity.SKUS):
        add(Kind.SKU, r.key, mapper[Kind.SKU].values(r), active=r.is_active, parent=r.product_key)
    for r in _read(reader, Entity.SKU_SPECIFICATIONS):
        add(Kind.SKU_SPEC, r.key, mapper.sku_spec(r))
    ean = link_hash(Kind.EAN)
    for r in _read(reader, Entity.EANS):
        add(Kind.EAN, r.key, None, digest=ean, vtex_id=None)
    fixed: dict[str, list[FixedPrice]] = {}
    for f in _read(reader, Entity.FIXED_PRICES):
        fixed.setdefault(f.sku_key, []).append(f)
    for r in _read(reader, Entity.PRICES):
        add(Kind.PRICE, r.key, mapper.price(r, fixed.pop(r.key, [])), vtex_id=None)
    names = {}
    for r in _read(reader, Entity.DOCKS):
        names[r.key] = r.name
        add(Kind.DOCK, r.key, mapper.dock(r), vtex_id=r.key)
    links: dict[str, list[WarehouseDock]] = {}
    for wd in _read(reader, Entity.WAREHOUSE_DOCKS):
        links.setdefault(wd.warehouse_key, []).append(wd)
    for r in _read(reader, Entity.WAREHOUSES):
        add(
            Kind.WAREHOUSE,
            r.key,
            mapper.warehouse(r, links.get(r.key, []), names),
            vtex_id=r.key,
            active=r.is_active,
        )
    for r in _read(reader, Entity.INVENTORY):
        add(Kind.INVENTORY, r.key, mapper[Kind.INVENTORY].values(r), vtex_id=None)
    if rows:
        store.entities.record_accepted(ACCOUNT, rows)
        total += len(rows)
    store.close()
    return total, time.perf_counter() - start


def sync_env(erp: Path, base_url: str, reports: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    env.update(
        VTEXBRIDGE_VTEX__ACCOUNT=ACCOUNT,
        VTEXBRIDGE_VTEX__BASE_URL=base_url,
        VTEXBRIDGE_VTEX__APP_KEY=DEFAULT_APP_KEY,
        VTEXBRIDGE_VTEX__APP_TOKEN=DEFAULT_APP_TOKEN,
        VTEXBRIDGE_ERP__KIND="folder",
        VTEXBRIDGE_ERP__PATH=str(erp),
        VTEXBRIDGE_SYNC__REPORT_DIR=str(reports),
        VTEXBRIDGE_LOG__LEVEL="warning",
    )
    return env


def run_sync(env: dict[str, str], state: Path) -> tuple[float, int, dict[str, Any]]:
    """``vtexbridge sync --json`` as a child: wall seconds, peak RSS in MB, its JSON summary."""
    out = state.parent / f"sync-{time.time_ns()}.json"
    start = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.Popen(
            [str(VTEXBRIDGE), "sync", "--json", "--state", str(state)], env=env, stdout=fh
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out.read_text()
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise SystemExit(f"vtexbridge sync failed ({proc.returncode}):\n{text[-3000:]}") from None
    return wall, usage.ru_maxrss // 1024, body


def no_change(skus: int, work: Path) -> float:
    say(f"== no-change re-sync, {skus:,} SKUs")
    erp = work / f"erp-{skus}"
    say(f"   generated the store in {generate(erp, skus):.1f} s ({_rows(erp):,} rows)")
    state = work / f"state-{skus}.db"
    n, took = prepare_state(erp, f"sqlite:///{state}")
    say(f"   prepared the state without VTEX: {n:,} entities hashed with the sync's mapping and recorded "
        f"with fake ids in {took:.1f} s")  # fmt: skip
    wall, rss, body = run_sync(sync_env(erp, "http://127.0.0.1:9", work / "reports"), state)
    writes = sum(n for row in body["counts"].values() for a, n in row.items() if a not in ("unchanged",))
    unchanged = sum(row.get("unchanged", 0) for row in body["counts"].values())
    say(f"   vtexbridge sync (subprocess): {wall:.1f} s wall, peak RSS {rss} MB; "
        f"{unchanged:,} entities unchanged, {writes} steps, {body['requests']} requests, "
        f"{len(body['errors'])} errors")  # fmt: skip
    if writes or body["requests"] or body["errors"]:
        raise SystemExit("   FAILED: a no-change sync must plan nothing and send nothing")
    wall_target, rss_target = NOCHANGE_TARGETS.get(skus, (None, None))
    if wall_target is not None:
        met = wall < wall_target and (rss_target is None or rss < rss_target)
        rss_part = f", peak RSS < {rss_target} MB" if rss_target is not None else ""
        say("   " + figure_line("figure", f"{wall:.1f} s, {rss} MB", f"< {wall_target:.0f} s{rss_part}", met))
    else:
        say(f"   figure: {wall:.1f} s, {rss} MB; target: none set for {skus:,} SKUs")
    return wall


def _rows(erp: Path) -> int:
    return sum(sum(1 for _ in p.open("rb")) - 1 for p in erp.glob("*.csv"))


# --- 2. initial load and 3. 1% change --------------------------------------------------------------

_SANDBOX = textwrap.dedent(
    """
    import sys, uvicorn
    from vtexbridge.sandbox.app import create_app
    from vtexbridge.sandbox.options import SandboxOptions
    from vtexbridge.sandbox.rules.catalog import default_sales_channel
    from vtexbridge.sandbox.store import Store
    store = Store()
    store.table(sys.argv[2], "saleschannel")["2"] = {**default_sales_channel(), "Id": 2, "Name": "Two"}
    options = SandboxOptions(limits="real", account=sys.argv[2], request_log_size=5_000_000)
    app = create_app(options, store=store)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LOOPBACK = {
    "VTEXBRIDGE_SYNC__CONCURRENCY__CATALOG": "8",
    "VTEXBRIDGE_SYNC__CONCURRENCY__PRICING": "2",
    "VTEXBRIDGE_SYNC__CONCURRENCY__LOGISTICS": "4",
    "VTEXBRIDGE_SYNC__CONCURRENCY__MASTERDATA": "2",
    "VTEXBRIDGE_VTEX__MAX_CONNECTIONS": "16",
}
"""Fewer requests in flight than the defaults (sized for VTEX's latencies): against a sandbox a few
milliseconds away they are enough to keep every route at its limit, and each idle connection costs
the client CPU on every request (httpcore checks them all)."""


def _show(env: dict[str, str]) -> str:
    return ", ".join(
        f"{k.removeprefix('VTEXBRIDGE_').lower().replace('__', '.')}={v}" for k, v in env.items()
    )


def _budget(key: str) -> str | None:
    """The sandbox budget a request ``"METHOD /template"`` spends from, if any."""
    method, template = key.split(" ", 1)
    if template.startswith("/pricing/"):
        return {"GET": None, "DELETE": "pricing deletes"}.get(method, "pricing writes")
    return None


def lower_bound(counts: dict[str, int]) -> tuple[float, str]:
    """max over budgets of (requests - burst) / rate, with each budget's burst as VTEX gives it.

    Pricing writes (POST/PUT/PATCH) share one budget, DELETEs another; catalog routes spend from the
    account's budget and from their endpoint's (method + route template).
    """
    spent: dict[str, int] = {}
    for key, n in counts.items():
        budget = _budget(key)
        if budget is not None:
            spent[budget] = spent.get(budget, 0) + n
    catalog = {k: n for k, n in counts.items() if k.split(" ", 1)[1].startswith("/api/catalog")}
    figures = {
        "pricing writes": (LIMITS.pricing_write_burst, LIMITS.pricing_write_per_second),
        "pricing deletes": (LIMITS.pricing_delete_burst, LIMITS.pricing_delete_per_second),
    }
    bounds = {name: max(0.0, (spent.get(name, 0) - burst) / rate) for name, (burst, rate) in figures.items()}
    account_rate = LIMITS.catalog_account_per_minute / 60
    bounds["catalog account"] = max(
        0.0, (sum(catalog.values()) - LIMITS.catalog_account_per_minute) / account_rate
    )
    endpoint_rate = LIMITS.catalog_endpoint_per_minute / 60
    for k, n in catalog.items():
        bounds[k] = max(0.0, (n - LIMITS.catalog_endpoint_per_minute) / endpoint_rate)
    name = max(bounds, key=lambda b: bounds[b])
    return bounds[name], name


@dataclass
class LogFigures:
    """What the sandbox's request log says about a run: answers by status, and the pricing writes' span."""

    by_status: dict[int, int]
    complete: bool
    pricing_writes: int
    pricing_span_s: float


def log_figures(admin: httpx.Client, since: int = 0) -> LogFigures:
    """Read every entry of the sandbox's request log after ``since`` (its ring is sized to hold them)."""
    entries = admin.get("/_sandbox/requests", params={"since": since}).json()["entries"]
    by_status: dict[int, int] = {}
    times: list[datetime] = []
    for entry in entries:
        by_status[entry["status"]] = by_status.get(entry["status"], 0) + 1
        if _budget(f"{entry['method']} {entry['route']}") == "pricing writes":
            times.append(datetime.fromisoformat(entry["time"]))
    complete = not entries or entries[0]["seq"] == since + 1
    span = (max(times) - min(times)).total_seconds() if times else 0.0
    return LogFigures(by_status, complete, len(times), span)


def initial_and_changed(skus: int, work: Path) -> None:
    say(f"== initial load, {skus:,} SKUs, sandbox over uvicorn with VTEX's real limits")
    erp = work / f"erp-initial-{skus}"
    generate(erp, skus)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", _SANDBOX, str(port), ACCOUNT], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        admin = httpx.Client(base_url=base, timeout=60)
        deadline = time.monotonic() + 30
        while True:
            try:
                admin.get("/_sandbox/health")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        state = work / "state-initial.db"
        env = {**sync_env(erp, base, work / "reports"), **LOOPBACK}
        say(f"   settings for a loopback sandbox (latency ~ms, not VTEX's ~100 ms): {_show(LOOPBACK)}")
        sampler = _Sampler(base)
        sampler.start()
        wall, rss, body = run_sync(env, state)
        sampler.stop()
        counts = {k: v for k, v in admin.get("/_sandbox/requests").json()["counts"].items() if v}
        total = sum(counts.values())
        bound, route = lower_bound(counts)
        figures = log_figures(admin)
        by_status, complete = figures.by_status, figures.complete
        throttled = by_status.get(429, 0)
        pricing = sum(n for k, n in counts.items() if "/pricing/" in k)
        say(f"   {total:,} requests ({pricing:,} to pricing), {len(body['errors'])} errors, "
            f"peak RSS {rss} MB")  # fmt: skip
        say(f"   answers by status (sandbox request log{'' if complete else ', INCOMPLETE'}): "
            f"{dict(sorted(by_status.items()))}")  # fmt: skip
        say(f"   lower bound {bound:.1f} s ({route}: (requests - burst) / rate)")
        ratio = wall / bound if bound > 0 else float("inf")
        met = ratio <= INITIAL_RATIO_TARGET and throttled == 0 and complete
        say("   " + figure_line(
            "figure", f"wall {wall:.1f} s, ratio {ratio:.3f}, {throttled} 429s received",
            f"ratio <= {INITIAL_RATIO_TARGET} and zero 429s", met,
        ))  # fmt: skip
        pricing_bound = (
            figures.pricing_writes - LIMITS.pricing_write_burst
        ) / LIMITS.pricing_write_per_second
        if pricing_bound > 0:
            say(f"   the limiter alone: {figures.pricing_writes:,} pricing writes from the first to the "
                f"last in {figures.pricing_span_s:.1f} s for a {pricing_bound:.1f} s bound (ratio "
                f"{figures.pricing_span_s / pricing_bound:.3f}); the rest of the wall time is the other "
                "routes' work and start-up")  # fmt: skip
        say(f"   overlap: {sampler.describe()}")
        if body["errors"]:
            say(f"   first error: {body['errors'][0]['message']}")

        say(f"== 1%-changed re-sync of the {skus:,}-SKU store")
        changed = change_one_percent(erp)
        cursor = admin.get("/_sandbox/requests").json()["cursor"]
        wall, _rss, body = run_sync(env, state)
        after = admin.get(f"/_sandbox/requests?since={cursor}").json()
        sent = after["total"]
        say(f"   changed {changed} records (prices, stock lines, product names): minimum {changed} requests")
        ratio = sent / changed
        say(f"   sent {sent} requests ({after['counts']}) in {wall:.1f} s")
        say(
            "   "
            + figure_line("figure", f"ratio {ratio:.2f} requests per changed record", "<= 1.00", ratio <= 1.0)
        )
        admin.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


class _Sampler(threading.Thread):
    """Reads the sandbox's request counters every second: when pricing ran, when the rest was done."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.samples: list[tuple[float, int, int]] = []  # (t, pricing requests, other requests)
        self.halt = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as admin:
            while not self.halt.wait(1.0):
                try:
                    counts = admin.get("/_sandbox/requests").json()["counts"]
                except httpx.HTTPError:
                    continue
                pricing = sum(n for k, n in counts.items() if "/pricing/" in k)
                other = sum(counts.values()) - pricing
                self.samples.append((time.perf_counter() - self.t0, pricing, other))

    def stop(self) -> None:
        self.halt.set()
        self.join()

    def describe(self) -> str:
        if not self.samples:
            return "no samples"
        last_p, last_o = self.samples[-1][1], self.samples[-1][2]
        first = next((t for t, p, _o in self.samples if p), 0.0)
        p_done = next((t for t, p, _o in self.samples if p >= last_p), 0.0)
        o_done = next((t for t, _p, o in self.samples if o >= last_o), 0.0)
        rate = last_p / (p_done - first) if p_done > first else 0.0
        return (
            f"pricing ran from {first:.0f} s to {p_done:.0f} s ({rate:.1f}/s); every other route was "
            f"done at {o_done:.0f} s ({last_o:,} requests)"
        )


def change_one_percent(erp: Path) -> int:
    rng = random.Random(7)
    changed = 0
    for name, column, new in (
        ("prices.csv", "base_price", lambda v: f"{float(v) + 1:.2f}"),
        ("inventory.csv", "quantity", lambda v: str(int(v) + 3)),
        ("products.csv", "name", lambda v: v + " v2"),
    ):
        path = erp / name
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        col = rows[0].index(column)
        body = rows[1:]
        picks = rng.sample(range(len(body)), max(1, len(body) // 100))
        if name == "prices.csv":  # keep list price above base price
            lp = rows[0].index("list_price")
            for i in picks:
                body[i][lp] = f"{float(body[i][lp]) + 1:.2f}"
        for i in picks:
            body[i][col] = new(body[i][col])
        changed += len(picks)
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--max-skus", type=int, default=100_000, help="largest no-change run (1000000 adds 1M)"
    )
    parser.add_argument("--initial-skus", type=int, default=5_000)
    parser.add_argument("--only", choices=("nochange", "initial"), default=None)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the files here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-sync-"))
    work.mkdir(parents=True, exist_ok=True)
    say(f"bench_sync: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, work dir {work}")
    try:
        if args.only in (None, "nochange"):
            sizes = [n for n in (100_000, 1_000_000) if n <= args.max_skus] or [args.max_skus]
            times = {n: no_change(n, work) for n in sizes}
            if len(times) > 1:
                small, big = sizes[0], sizes[-1]
                growth = times[big] / times[small]
                say(f"   linearity: {big:,} SKUs took {growth:.1f}x the time of {small:,} "
                    f"({big / small:.0f}x the SKUs); target: at most {big / small:.0f}x; "
                    f"{verdict(growth <= big / small)}")  # fmt: skip
        if args.only in (None, "initial"):
            initial_and_changed(args.initial_skus, work)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
