"""Order pipeline benchmark: orders/s end to end and latency to the ERP file, with the hook and the feed.

    python bench/bench_orders.py [--rate 60] [--seconds 15] [--burst 600] [--modes hook,feed]

Three processes on this machine: the sandbox (uvicorn, in memory, limits off), vtexbridge (``serve``
with the hook registered and the feed as safety net; or ``orders run``, feed only, with the default
5 s empty-poll floor), and this driver, which places orders through ``POST /_sandbox/orders``.

For each mode:

- **steady**: orders placed at ``--rate`` per second for ``--seconds``; latency is measured per order
  from its ``ready-for-handling`` time (the order's ``lastChange`` as the placement answers it) to the
  moment its ERP file exists (the file's ctime: the folder sink links the fsynced file into place);
  sustained throughput is orders / (last file - first placement);
- **burst**: ``--burst`` orders placed as fast as the driver can; throughput is how fast they reach
  the ERP folder (orders / (last file - first placement)).

Every run also checks that each order reached the folder exactly once. Defaults take about 90 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from figures import figure_line

ROOT = Path(__file__).resolve().parent.parent
HOOK_TARGET_PER_S = 150.0
"""#15: at least 150 orders/s per process on the hook path."""
APP_KEY, APP_TOKEN = "vtexappkey-sandbox-KEY", "sandbox-token"
HEADERS = {
    "X-VTEX-API-AppKey": APP_KEY,
    "X-VTEX-API-AppToken": APP_TOKEN,
    "Host": "sandbox.vtexcommercestable.com.br",
}
SECRET = "bench-hook-secret"


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
    url: str, ok: tuple[int, ...] = (200,), timeout: float = 30, headers: dict[str, str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1, headers=headers).status_code in ok:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer {ok} within {timeout:.0f} s")


def vtex_epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass
class Phase:
    name: str
    placed: dict[str, float] = field(default_factory=dict)  # order id -> ready-for-handling time
    first_placed: float = 0.0
    placing_s: float = 0.0


async def place(client: httpx.AsyncClient, phase: Phase) -> None:
    r = await client.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]})
    if r.status_code != 201:
        raise SystemExit(f"placing an order failed: {r.status_code} {r.text[:200]}")
    order = r.json()
    phase.placed[order["orderId"]] = vtex_epoch(order["lastChange"])


async def place_steady(sandbox: str, rate: float, seconds: float, name: str) -> Phase:
    phase = Phase(name)
    total = int(rate * seconds)
    async with httpx.AsyncClient(base_url=sandbox, headers=HEADERS, timeout=30) as client:
        start = time.monotonic()
        phase.first_placed = time.time()
        tasks = []
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(place(client, phase)))
        await asyncio.gather(*tasks)
        phase.placing_s = time.monotonic() - start
    return phase


async def place_burst(sandbox: str, n: int, name: str, concurrency: int = 8) -> Phase:
    phase = Phase(name)
    async with httpx.AsyncClient(base_url=sandbox, headers=HEADERS, timeout=30) as client:
        queue = list(range(n))
        start = time.monotonic()
        phase.first_placed = time.time()

        async def worker() -> None:
            while queue:
                queue.pop()
                await place(client, phase)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        phase.placing_s = time.monotonic() - start
    return phase


def wait_files(folder: Path, phase: Phase, timeout: float) -> dict[str, float]:
    """ctime of each order's file, once all exist."""
    wanted = {f"{oid}.ready-for-handling.json": oid for oid in phase.placed}
    deadline = time.monotonic() + timeout
    while True:
        present = {e.name for e in os.scandir(folder)} if folder.exists() else set()
        if all(name in present for name in wanted):
            break
        if time.monotonic() > deadline:
            missing = len([n for n in wanted if n not in present])
            raise SystemExit(f"{phase.name}: {missing} of {len(wanted)} orders never reached the ERP folder")
        time.sleep(0.05)
    return {oid: (folder / name).stat().st_ctime for name, oid in wanted.items()}


def report(phase: Phase, files: dict[str, float]) -> dict[str, float]:
    latencies = sorted((files[oid] - t) * 1000 for oid, t in phase.placed.items())
    last = max(files.values())
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "orders": len(latencies),
        "placed_per_s": len(latencies) / phase.placing_s,
        "sustained_per_s": len(latencies) / (last - phase.first_placed),
        "p50_ms": statistics.median(latencies),
        "p99_ms": q[98],
        "max_ms": latencies[-1],
    }


def bridge_env(tmp: Path, sandbox: str, mode: str, bridge_port: int, feed_poll: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    env.update(
        {
            "VTEXBRIDGE_VTEX__BASE_URL": sandbox,
            "VTEXBRIDGE_VTEX__APP_KEY": APP_KEY,
            "VTEXBRIDGE_VTEX__APP_TOKEN": APP_TOKEN,
            "VTEXBRIDGE_STATE__URL": f"sqlite:///{tmp / 'state.db'}",
            "VTEXBRIDGE_ORDERS__SINK__PATH": str(tmp / "orders"),
            "VTEXBRIDGE_ORDERS__ACTIONS__FOLDER": "",
            "VTEXBRIDGE_ORDERS__FEED__EMPTY_POLL_S": str(feed_poll),
            "VTEXBRIDGE_LOG__LEVEL": "warning",
        }
    )
    if mode == "hook":
        env["VTEXBRIDGE_ORDERS__HOOK__SECRET"] = SECRET
        env["VTEXBRIDGE_ORDERS__HOOK__PUBLIC_URL"] = f"http://127.0.0.1:{bridge_port}/hooks/vtex/orders"
    return env


def bench_mode(mode: str, args: argparse.Namespace, tmp_root: Path) -> list[tuple[str, dict[str, float]]]:
    tmp = tmp_root / mode
    tmp.mkdir()
    sandbox_port, bridge_port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    procs: list[subprocess.Popen[bytes]] = []
    log = (tmp / "processes.log").open("wb")
    try:
        procs.append(
            subprocess.Popen(
                [sys.executable, __file__, "--sandbox", str(sandbox_port)], stdout=log, stderr=log
            )
        )
        wait_http(f"{sandbox}/_sandbox/health")
        if mode == "hook":
            cmd = ["serve", "--port", str(bridge_port)]
            poll = 5.0  # the feed is the safety net, at VTEX's pace
        else:
            cmd = ["orders", "run"]
            poll = args.feed_poll
        env = bridge_env(tmp, sandbox, mode, bridge_port, poll)
        procs.append(
            subprocess.Popen([sys.executable, "-m", "vtexbridge", *cmd], env=env, stdout=log, stderr=log)
        )
        wait_http(f"{sandbox}/api/orders/feed/config", headers=HEADERS)
        if mode == "hook":
            wait_http(f"{sandbox}/api/orders/hook/config", headers=HEADERS)
        folder = tmp / "orders"
        warm = asyncio.run(place_burst(sandbox, 20, "warm-up", concurrency=2))
        wait_files(folder, warm, 30)
        steady = asyncio.run(place_steady(sandbox, args.rate, args.seconds, f"{mode} steady {args.rate:g}/s"))
        results = [(steady.name, report(steady, wait_files(folder, steady, 60)))]
        burst = asyncio.run(place_burst(sandbox, args.burst, f"{mode} burst {args.burst}"))
        results.append((burst.name, report(burst, wait_files(folder, burst, 90))))
        files = [e.name for e in os.scandir(folder) if not e.name.startswith(".")]
        expected = len(warm.placed) + len(steady.placed) + len(burst.placed)
        if len(files) != expected:
            raise SystemExit(f"{mode}: {len(files)} files for {expected} orders")
        return results
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--rate", type=float, default=60.0, help="orders placed per second in the steady phase"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the steady phase")
    parser.add_argument("--burst", type=int, default=600, help="orders placed at once in the burst phase")
    parser.add_argument("--modes", default="hook,feed", help="hook, feed or both")
    parser.add_argument("--feed-poll", type=float, default=5.0, help="feed mode: wait after an empty read")
    parser.add_argument("--sandbox", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sandbox is not None:
        run_sandbox(args.sandbox)
        return
    started = time.monotonic()
    tmp_root = Path(tempfile.mkdtemp(prefix="bench-orders-"))
    rows = []
    try:
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            rows.extend(bench_mode(mode, args, tmp_root))
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    print(f"order pipeline, {os.cpu_count()} CPU(s); placed -> ERP file (folder sink, fsync on)")
    print(f"{'phase':<22}{'orders':>7}{'placed/s':>10}{'e2e/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, r in rows:
        print(
            f"{name:<22}{r['orders']:>7.0f}{r['placed_per_s']:>10.1f}{r['sustained_per_s']:>8.1f}"
            f"{r['p50_ms']:>9.0f}{r['p99_ms']:>9.0f}{r['max_ms']:>9.0f}"
        )
    print(
        "feed mode waits 5 s after an empty read (VTEX's floor); hook mode also runs the feed as safety net"
    )
    for name, r in rows:
        if name.startswith("hook") and "steady" in name:
            sustained, p99 = r["sustained_per_s"], r["p99_ms"]
            met = sustained >= HOOK_TARGET_PER_S and p99 < 1000.0
            print(figure_line(
                name, f"{sustained:.1f} orders/s end to end, p99 {p99:.0f} ms (at most the offered rate)",
                f">= {HOOK_TARGET_PER_S:.0f} orders/s per process with p99 < 1 s", met,
            ))  # fmt: skip
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
