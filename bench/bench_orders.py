"""Orders capacity: the highest rate sustained with p99 (placed -> delivered to the ERP) under 1 s.

    python -m bench.bench_orders                      # full: hook and feed, 1 and 2 `serve`, 60 s holds
    python -m bench.bench_orders --quick              # smoke run (short steps, not a figure to quote)
    python -m bench.bench_orders --modes hook --processes 1 --hold-s 60

Processes on this machine: the sandbox (uvicorn, in memory, limits off), one or two
``vtexbridge serve`` on PostgreSQL (a throw-away schema of ``--pg-url``, migrated here and dropped at
the end), for two processes in hook mode a round-robin TCP balancer in front of them (the hook URL;
:mod:`balancer`), and this driver, which places orders through ``POST /_sandbox/orders``.

- **hook** mode: the hook is registered (``serve`` does it) and the feed runs as the safety net at
  VTEX's pace (5 s after an empty read).
- **feed** mode: no hook; the feed consumer waits ``--feed-poll`` after an empty read (default 0.5 s,
  which only the sandbox allows: against VTEX the 5 s floor adds up to 5 s to an order's latency).

Per configuration, :func:`capacity.search` raises the offered rate step by step (short probes,
geometric ramp, then a bisection), and holds the best rate that passed for ``--hold-s`` (60 s by
default, as #15 asks), stepping down when the hold fails. An order's latency runs from its
``ready-for-handling`` time (``lastChange`` in the placement's answer) to its ERP file's ctime (the
folder sink links the fsynced file into place). A step fails on any placement or hook-delivery
error, any order not delivered, p99 >= 1 s, or a driver that could not offer the rate. The figure is
the rate delivered within 1 s during the hold that passed; the target (#15) is 150 orders/s per
process on the hook path (300 for two).

Each step also prints the CPU time the ``serve`` processes spent per order (``/proc``), in all and
beyond what they use idle (measured for 5 s before the first step): on a shared machine the rates
drop with the load, the CPU cost per order much less, and 1000 / (ms per order) bounds what one
core can do. Defaults take about 2 minutes per configuration on a quiet 2-core machine (8 in all);
``--quick`` about a minute each.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from bench.capacity import Plan, Result, Step, search
from bench.figures import figure_line

ROOT = Path(__file__).resolve().parent.parent
HOOK_TARGET_PER_S = 150.0
"""#15: at least 150 orders/s per process on the hook path."""
BOUND_MS = 1000.0
SUSTAIN_S = 60.0
"""#15: the rate must hold this long (a shorter hold, as with --quick, never meets the target)."""
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APP_KEY, APP_TOKEN = "vtexappkey-sandbox-KEY", "sandbox-token"
HEADERS = {
    "X-VTEX-API-AppKey": APP_KEY,
    "X-VTEX-API-AppToken": APP_TOKEN,
    "Host": "sandbox.vtexcommercestable.com.br",
}
SECRET = "bench-hook-secret"
IDLE_S = 5.0
"""How long the serve processes' idle CPU is measured before the first step."""
MAX_IN_FLIGHT = 64
"""Placements in flight at once; beyond this the driver falls behind (and the step says so)."""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_sandbox(port: int) -> None:
    """The sandbox server (``--sandbox PORT``): in memory, one sellable SKU, limits off."""
    import uvicorn

    from vtexbridge.sandbox.app import create_app
    from vtexbridge.sandbox.options import SandboxOptions
    from vtexbridge.sandbox.store import Store
    from vtexbridge.testing.orders import add_sellable_sku

    store = Store()
    add_sellable_sku(store, 100, stock=10**9)
    app = create_app(SandboxOptions(limits="off", port=port), store=store)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def wait_http(
    url: str, ok: tuple[int, ...] = (200,), timeout: float = 60, headers: dict[str, str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2, headers=headers).status_code in ok:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer {ok} within {timeout:.0f} s")


def vtex_epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# --- the processes of one configuration -----------------------------------------------------------


@dataclass
class Cluster:
    """The sandbox, the ``serve`` processes (and the balancer) of one configuration."""

    mode: str
    processes: int
    tmp: Path
    sandbox: str = ""
    folder: Path = field(init=False)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    serve_pids: list[int] = field(default_factory=list)
    idle_cpu_per_s: float = 0.0  # CPU seconds per second the serve processes use with no orders

    def __post_init__(self) -> None:
        self.folder = self.tmp / "orders"

    def env(self, state_url: str, hook_url: str, feed_poll: float) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
        env.update(
            {
                "VTEXBRIDGE_VTEX__BASE_URL": self.sandbox,
                "VTEXBRIDGE_VTEX__APP_KEY": APP_KEY,
                "VTEXBRIDGE_VTEX__APP_TOKEN": APP_TOKEN,
                "VTEXBRIDGE_STATE__URL": state_url,
                "VTEXBRIDGE_ORDERS__SINK__PATH": str(self.folder),
                "VTEXBRIDGE_ORDERS__ACTIONS__FOLDER": "",
                "VTEXBRIDGE_ORDERS__FEED__EMPTY_POLL_S": str(feed_poll),
                "VTEXBRIDGE_LOG__LEVEL": "warning",
            }
        )
        if self.mode == "hook":
            env["VTEXBRIDGE_ORDERS__HOOK__SECRET"] = SECRET
            env["VTEXBRIDGE_ORDERS__HOOK__PUBLIC_URL"] = f"{hook_url}/hooks/vtex/orders"
        return env

    def spawn(self, args: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.tmp / "processes.log").open("ab")
        self.procs.append(subprocess.Popen(args, env=env, stdout=log, stderr=log))
        log.close()

    def start(self, state_url: str, feed_poll: float) -> None:
        sandbox_port = free_port()
        self.sandbox = f"http://127.0.0.1:{sandbox_port}"
        self.spawn([sys.executable, "-m", "bench.bench_orders", "--sandbox", str(sandbox_port)])
        wait_http(f"{self.sandbox}/_sandbox/health")
        ports = [free_port() for _ in range(self.processes)]
        hook_url = f"http://127.0.0.1:{ports[0]}"
        if self.processes > 1 and self.mode == "hook":
            balancer = free_port()
            hook_url = f"http://127.0.0.1:{balancer}"
            self.spawn(
                [
                    sys.executable,
                    str(Path(__file__).with_name("balancer.py")),
                    str(balancer),
                    *map(str, ports),
                ]
            )
        env = self.env(state_url, hook_url, feed_poll if self.mode == "feed" else 5.0)
        for port in ports:
            self.spawn([sys.executable, "-m", "vtexbridge", "serve", "--port", str(port)], env)
            self.serve_pids.append(self.procs[-1].pid)
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/health", ok=(200, 503))
        wait_http(f"{self.sandbox}/api/orders/feed/config", headers=HEADERS)
        if self.mode == "hook":
            wait_http(f"{self.sandbox}/api/orders/hook/config", headers=HEADERS)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def serve_cpu_s(self) -> float:
        """CPU seconds used so far by the ``serve`` processes."""
        return cpu_seconds(self.serve_pids)

    def sandbox_cpu_s(self) -> float:
        """CPU seconds used so far by the sandbox (the rig's VTEX: placing, hooks, Get Order ...)."""
        return cpu_seconds(self.procs[:1])

    def hook_failures(self, orders: dict[str, float]) -> tuple[int, int]:
        """(notifications the sandbox gave up on so far, attempts at ``orders`` not answered 200 among
        the sandbox's last 2,000 attempts)."""
        if self.mode != "hook":
            return 0, 0
        body = httpx.get(f"{self.sandbox}/_sandbox/hook/deliveries", headers=HEADERS, timeout=30).json()
        refused = sum(1 for a in body["deliveries"] if not a["delivered"] and a["orderId"] in orders)
        return int(body["failed"]), refused


def cpu_seconds(procs: list[int] | list[subprocess.Popen[bytes]]) -> float:
    """CPU seconds (user + system) used so far by ``procs`` (Linux ``/proc``; NaN elsewhere)."""
    total = 0.0
    for proc in procs:
        pid = proc if isinstance(proc, int) else proc.pid
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return math.nan
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


# --- placing orders and watching them arrive ------------------------------------------------------


@dataclass
class Placed:
    orders: dict[str, float] = field(default_factory=dict)  # order id -> ready-for-handling time
    errors: int = 0
    placing_s: float = 0.0


async def place_at(sandbox: str, rate: float, seconds: float) -> Placed:
    """Place ``rate * seconds`` orders on schedule (at most :data:`MAX_IN_FLIGHT` at once)."""
    placed = Placed()
    slots = asyncio.Semaphore(MAX_IN_FLIGHT)
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)

    async def one(client: httpx.AsyncClient) -> None:
        try:
            r = await client.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]})
            if r.status_code == 201:
                order = r.json()
                placed.orders[order["orderId"]] = vtex_epoch(order["lastChange"])
                return
        except httpx.HTTPError:
            pass
        placed.errors += 1

    async with httpx.AsyncClient(base_url=sandbox, headers=HEADERS, timeout=30, limits=limits) as client:
        tasks = []
        start = time.monotonic()
        for n in range(int(rate * seconds)):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await slots.acquire()
            task = asyncio.create_task(one(client))
            task.add_done_callback(lambda _: slots.release())
            tasks.append(task)
        placed.placing_s = time.monotonic() - start + 1 / rate  # the last order's slot included
        await asyncio.gather(*tasks)
    return placed


class FolderWatch:
    """The ctime of every order file that appeared in the ERP folder (``{orderId}.{status}.json``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: dict[str, float] = {}

    def scan(self) -> None:
        if not self.folder.exists():
            return
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".ready-for-handling.json"):
                oid = entry.name.removesuffix(".ready-for-handling.json")
                if oid not in self.seen:
                    self.seen[oid] = entry.stat().st_ctime

    def wait(self, orders: dict[str, float], timeout: float) -> bool:
        """Until every order of ``orders`` arrived (True) or ``timeout`` passed (False)."""
        deadline = time.monotonic() + timeout
        while True:
            self.scan()
            if all(oid in self.seen for oid in orders):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def run_step(cluster: Cluster, watch: FolderWatch, kind: str, rate: float, seconds: float) -> Step:
    given_up_before, _ = cluster.hook_failures({})
    cpu_before, sandbox_before, started = cluster.serve_cpu_s(), cluster.sandbox_cpu_s(), time.monotonic()
    placed = asyncio.run(place_at(cluster.sandbox, rate, seconds))
    watch.wait(placed.orders, timeout=BOUND_MS / 1000 + 2.0)
    latencies = [(watch.seen[o] - t) * 1000 for o, t in placed.orders.items() if o in watch.seen]
    given_up, refused = cluster.hook_failures(placed.orders)
    drained = watch.wait(placed.orders, timeout=60)  # let a backlog drain before the next step
    step = Step(
        kind=kind,
        rate=rate,
        seconds=seconds,
        placed=len(placed.orders) + placed.errors,
        placing_s=placed.placing_s,
        latencies_ms=latencies,
        errors=placed.errors + given_up - given_up_before + refused,
        bound_ms=BOUND_MS,
        cpu_s=cluster.serve_cpu_s() - cpu_before if drained else math.nan,
        idle_cpu_s=cluster.idle_cpu_per_s * (time.monotonic() - started),
        rig_cpu_s=cluster.sandbox_cpu_s() - sandbox_before,
    )
    print(f"  {step_line(step)}", flush=True)
    if not drained:
        print("  (the backlog did not drain within 60 s)", flush=True)
    return step


def step_line(step: Step) -> str:
    p50, p99 = step.quantile_ms(0.5), step.quantile_ms(0.99)
    verdict = "pass" if step.passed else "FAIL: " + ", ".join(step.reasons)
    return (
        f"{step.kind:<5} {step.rate:>6.1f}/s x {step.seconds:>3.0f} s: offered {step.offered_per_s:>6.1f}/s, "
        f"delivered <1 s {step.delivered_per_s:>6.1f}/s, p50 {_ms(p50)}, p99 {_ms(p99)}, "
        f"serve CPU {step.cpu_ms_per_order:.1f} ms/order ({step.marginal_cpu_ms_per_order:.1f} beyond idle), "
        f"sandbox {1000 * step.rig_cpu_s / max(1, step.placed):.1f} ms/order - {verdict}"
    )


def _ms(value: float) -> str:
    return "   inf ms" if math.isinf(value) else f"{value:>6.0f} ms"


def bench_config(mode: str, processes: int, args: argparse.Namespace, plan: Plan) -> Result:
    print(f"{mode}, {processes} serve process(es):", flush=True)
    from vtexbridge.testing.pg import scratch_schema

    with (
        tempfile.TemporaryDirectory(prefix="bench-orders-") as tmp,
        scratch_schema(args.pg_url, "vbbench") as state_url,
    ):
        cluster = Cluster(mode, processes, Path(tmp))
        try:
            cluster.start(state_url, args.feed_poll)
            watch = FolderWatch(cluster.folder)
            warm = asyncio.run(place_at(cluster.sandbox, 10, 2))
            if warm.errors or not watch.wait(warm.orders, timeout=60):
                raise SystemExit(f"{mode} x{processes}: the warm-up orders did not reach the ERP folder")
            cluster.idle_cpu_per_s = idle_cpu(cluster, IDLE_S)
            print(f"  serve processes idle: {100 * cluster.idle_cpu_per_s:.0f}% of a CPU", flush=True)
            return search(plan, lambda kind, rate, s: run_step(cluster, watch, kind, rate, s))
        finally:
            cluster.stop()
            print_problems(Path(tmp) / "processes.log")


def idle_cpu(cluster: Cluster, seconds: float) -> float:
    """CPU seconds per second the serve processes use with no orders coming (polling, housekeeping)."""
    before, started = cluster.serve_cpu_s(), time.monotonic()
    time.sleep(seconds)
    return (cluster.serve_cpu_s() - before) / (time.monotonic() - started)


def print_problems(log: Path, shown: int = 5) -> None:
    """The warnings and errors the processes logged (the first few, and how many in all)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    problems = [line for line in lines if any(w in line.lower() for w in ("warning", "error", "traceback"))]
    if problems:
        print(f"  processes logged {len(problems)} warnings/errors, first {min(shown, len(problems))}:")
        for line in problems[:shown]:
            print(f"    {line[:200]}")


def summary(mode: str, processes: int, result: Result, hold_s: float) -> str:
    hold = result.sustained
    name = f"{mode} path, {processes} serve process{'es' if processes > 1 else ''}"
    if hold is None:
        figure = f"no rate sustained {hold_s:.0f} s with p99 < 1 s"
        rate = 0.0
    else:
        rate = hold.delivered_per_s
        figure = (
            f"{rate:.1f} orders/s sustained {hold.seconds:.0f} s "
            f"(offered {hold.rate:g}/s), p99 {hold.quantile_ms(0.99):.0f} ms, "
            f"serve CPU {hold.cpu_ms_per_order:.1f} ms/order "
            f"({hold.marginal_cpu_ms_per_order:.1f} beyond idle)"
        )
    short = hold is not None and hold.seconds < SUSTAIN_S
    if short:
        figure += f" (held less than {SUSTAIN_S:.0f} s: not a figure to quote)"
    if mode != "hook":
        return f"{name}: {figure}; target: none (#15 sets one for the hook path only)"
    target = HOOK_TARGET_PER_S * processes
    met = rate >= target and not short
    return figure_line(name, figure, f">= {target:.0f} orders/s ({HOOK_TARGET_PER_S:.0f} per process)", met)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--modes", default="hook,feed", help="hook, feed or both")
    parser.add_argument("--processes", default="1,2", help="serve processes per configuration")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (a throw-away schema is used)")
    parser.add_argument("--start", type=float, default=Plan.start, help="first offered rate (orders/s)")
    parser.add_argument("--factor", type=float, default=Plan.factor, help="ramp: next rate = rate x factor")
    parser.add_argument("--max-rate", type=float, default=Plan.max_rate, help="ramp stops here")
    parser.add_argument("--probe-s", type=float, default=Plan.probe_s, help="length of a ramp step")
    parser.add_argument("--refine", type=int, default=Plan.refine, help="bisection probes after the ramp")
    parser.add_argument("--hold-s", type=float, default=Plan.hold_s, help="length of the sustained hold")
    parser.add_argument("--holds", type=int, default=Plan.holds, help="holds tried (stepping down)")
    parser.add_argument("--feed-poll", type=float, default=0.5, help="feed mode: wait after an empty read")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 s probes, 6 s hold")
    parser.add_argument("--sandbox", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.probe_s, args.hold_s, args.refine, args.holds = 3.0, 6.0, 1, 2
    return args


def main() -> None:
    args = parse()
    if args.sandbox is not None:
        run_sandbox(args.sandbox)
        return
    plan = Plan(args.start, args.factor, args.max_rate, args.probe_s, args.refine, args.hold_s, args.holds)
    started = time.monotonic()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    print(
        f"orders capacity, {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.1f}; state on PostgreSQL; "
        f"placed -> ERP file (folder sink, fsync on); p99 bound {BOUND_MS:.0f} ms",
        flush=True,
    )
    lines = []
    for mode in modes:
        for n in counts:
            lines.append(summary(mode, n, bench_config(mode, n, args, plan), args.hold_s))
    print(
        "hook mode runs the feed as safety net (5 s after an empty read); feed mode waits "
        f"{args.feed_poll:g} s after an empty read (sandbox only: VTEX's floor is 5 s)"
    )
    for line in lines:
        print(line)
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
