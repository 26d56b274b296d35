"""Benchmark of the continuous sync (#13): change-to-VTEX latency under a steady stream of changes.

    python -m bench.bench_continuous                          # 100,000 SKUs, 20 changes/s for 60 s
    python -m bench.bench_continuous --skus 1000000           # the 1M-SKU figure
    python -m bench.bench_continuous --skus 300 --seconds 5   # a smoke run

1. A store of ``--skus`` SKUs is generated (``bench/generate_store.py``) and loaded by
   ``vtexbridge sync`` into a sandbox served in this process (limits off for the load only).
2. The same sandbox store is served again with ``--limits`` (default ``real``: VTEX's published
   rate limits), and ``vtexbridge serve`` runs as a subprocess over a SQLite state, its loop holding
   the sync lease.
3. This process pushes ``--rate`` changes per second (half stock, half price, each a different
   SKU: no coalescing opportunity) for ``--seconds``, one ``POST /erp/changes`` per change, on a fixed
   schedule; then waits until the queue is drained.
4. Figures: change-to-VTEX latency p50 and p99, from each change's arrival in the intake queue to the
   loop's record that VTEX accepted it (``change_queue.received_at`` -> ``done_at``; target p99 < 2 s);
   writes sent / changes (the sandbox's request log: stock and price writes; target 1.00).

The full reconciliation's time and memory are the full sync's: ``bench/bench_sync.py`` measures them.
Both processes share this machine's CPUs: run it on a quiet machine for figures.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.figures import figure_line
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.rules.catalog import default_sales_channel
from vtexbridge.sandbox.store import Store
from vtexbridge.serving import serve_in_thread
from vtexbridge.state import migrations

ROOT = Path(__file__).resolve().parents[1]
VTEXBRIDGE = Path(sys.executable).parent / "vtexbridge"
TOKEN = "bench-continuous-intake-token-0123456789"
P99_TARGET_S = 2.0


def _env(work: Path, sandbox_url: str, erp: Path, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    env.update(
        VTEXBRIDGE_VTEX__ACCOUNT="sandbox",
        VTEXBRIDGE_VTEX__BASE_URL=sandbox_url,
        VTEXBRIDGE_VTEX__APP_KEY=DEFAULT_APP_KEY,
        VTEXBRIDGE_VTEX__APP_TOKEN=DEFAULT_APP_TOKEN,
        VTEXBRIDGE_ERP__KIND="folder",
        VTEXBRIDGE_ERP__PATH=str(erp),
        VTEXBRIDGE_STATE__URL=f"sqlite:///{state}",
        VTEXBRIDGE_SYNC__REPORT_DIR=str(work / "reports"),
        VTEXBRIDGE_SYNC__CONTINUOUS__INTAKE_TOKEN=TOKEN,
        VTEXBRIDGE_LOG__LEVEL="warning",
    )
    return env


def _load(store: Store, env: dict[str, str]) -> float:
    """The initial full sync into ``store`` served with limits off; returns its seconds."""
    served = serve_in_thread(create_app(SandboxOptions(limits="off"), store=store), name="sandbox-load")
    try:
        started = time.monotonic()
        done = subprocess.run(
            [str(VTEXBRIDGE), "sync", "--json"],
            env={**env, "VTEXBRIDGE_VTEX__BASE_URL": served.url},
            capture_output=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"the initial sync failed: {done.stderr.decode()[-2000:]}")
        return time.monotonic() - started
    finally:
        served.stop()


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(VTEXBRIDGE), "serve", "--no-worker", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code < 500:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("serve did not start")


def _change(i: int, skus: int) -> dict[str, Any]:
    sku = f"S{(i // 2) % skus + 1:08d}"
    if i % 2 == 0:
        return {"inventory": [{"sku_key": sku, "warehouse_key": "W01", "quantity": 1000 + i}]}
    return {"prices": [{"sku_key": sku, "base_price": f"{100 + i / 100:.2f}"}]}


def _push(port: int, rate: float, seconds: float, skus: int) -> int:
    """One change per POST on a fixed schedule; returns the changes pushed."""
    n = int(rate * seconds)
    started = time.monotonic()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for i in range(n):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            r = client.post(
                "/erp/changes",
                json={"records": _change(i, skus)},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            if r.status_code != 202:
                raise SystemExit(f"change {i} refused: {r.status_code} {r.text}")
    return n


def _drained(state: Path, timeout_s: float) -> list[float]:
    """Wait until nothing is queued; the latency of every change done, in seconds."""
    deadline = time.monotonic() + timeout_s
    with sqlite3.connect(state) as db:
        while db.execute(
            "SELECT count(*) FROM change_queue WHERE state IN ('pending', 'claimed')"
        ).fetchone()[0]:
            if time.monotonic() > deadline:
                raise SystemExit("the queue did not drain")
            time.sleep(0.2)
        rows = db.execute("SELECT received_at, done_at FROM change_queue WHERE state = 'done'").fetchall()
    return [(datetime.fromisoformat(d) - datetime.fromisoformat(r)).total_seconds() for r, d in rows]


def _writes(sandbox_url: str, since: int) -> int:
    body = httpx.get(f"{sandbox_url}/_sandbox/requests?since={since}&writes=1", timeout=30).json()
    return sum(n for route, n in body["counts"].items() if "inventory" in route or "pricing" in route)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=20.0, help="changes per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--limits", choices=("real", "off"), default="real")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-continuous-") as tmp:
        work = Path(tmp)
        erp, state = work / "erp", work / "state.db"
        gen = [sys.executable, str(ROOT / "bench" / "generate_store.py"), str(erp), "--skus", str(args.skus)]
        subprocess.run(gen, check=True, capture_output=True)
        migrations.upgrade(f"sqlite:///{state}")
        store = Store()
        store.table("sandbox", "saleschannel")["2"] = {**default_sales_channel(), "Id": 2, "Name": "Atacado"}
        env = _env(work, "http://unused", erp, state)
        load_s = _load(store, env)
        served = serve_in_thread(create_app(SandboxOptions(limits=args.limits), store=store), name="sandbox")
        env["VTEXBRIDGE_VTEX__BASE_URL"] = served.url
        port = _free_port()
        proc = _serve(env, port, work / "serve.log")
        try:
            since = int(httpx.get(f"{served.url}/_sandbox/requests").json()["cursor"])
            pushed = _push(port, args.rate, args.seconds, args.skus)
            latencies = sorted(_drained(state, timeout_s=300))
            writes = _writes(served.url, since)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            served.stop()
        _report(args, load_s, pushed, latencies, writes)


def _report(
    args: argparse.Namespace, load_s: float, pushed: int, latencies: list[float], writes: int
) -> None:
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    ratio = writes / pushed if pushed else float("nan")
    print(
        f"continuous sync: {args.skus:,} SKUs (initial load {load_s:.0f} s, limits off), "
        f"{args.rate:g} changes/s for {args.seconds:g} s ({pushed} changes, {len(latencies)} done), "
        f"sandbox limits {args.limits}"
    )
    print(figure_line("change-to-VTEX latency p50", f"{p50:.3f} s", "-", True))
    print(
        figure_line("change-to-VTEX latency p99", f"{p99:.3f} s", f"< {P99_TARGET_S} s", p99 < P99_TARGET_S)
    )
    print(
        figure_line(
            "writes sent / changes", f"{ratio:.2f} ({writes}/{pushed})", "1.00", abs(ratio - 1) < 0.005
        )
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
