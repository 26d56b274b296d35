"""Benchmark: requests/s the sandbox serves for a catalog read and an order read.

Starts ``vtexbridge sandbox`` (limits off, in-memory store) in a subprocess on a free loopback port,
so server and clients use separate cores; seeds a small catalog through the public API (and one
order through ``POST /_sandbox/orders`` when the orders module is installed), then hammers
``GET /api/catalog/pvt/stockkeepingunit/{skuId}`` and ``GET /api/oms/pvt/orders/{orderId}`` with
concurrent httpx clients for a few seconds each and prints throughput and latency percentiles.

Usage: ``python bench/bench_sandbox.py [--seconds 4] [--concurrency 32] [--skus 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN

HEADERS = {
    "X-VTEX-API-AppKey": DEFAULT_APP_KEY,
    "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN,
    "Host": "bench.vtexcommercestable.com.br",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_sandbox(port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "vtexbridge", "sandbox", "--port", str(port), "--limits", "off",
           "--inventory-lock-ms", "0", "--account", "bench"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sandbox exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("sandbox did not start within 15 s")


async def _ok(client: httpx.AsyncClient, method: str, url: str, body: Any = None) -> Any:
    response = await client.request(method, url, json=body)
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:200]}")
    return response.json() if response.content else None


async def seed(client: httpx.AsyncClient, skus: int) -> tuple[list[int], str | None]:
    category = await _ok(client, "POST", "/api/catalog/pvt/category", {"Name": "Bench"})
    await _ok(client, "POST", "/api/catalog/pvt/brand", {"Id": 1, "Name": "Bench"})
    product = await _ok(
        client, "POST", "/api/catalog/pvt/product", {"Name": "P", "CategoryId": category["Id"], "BrandId": 1}
    )
    await _ok(client, "POST", f"/api/catalog/pvt/product/{product['Id']}/salespolicy/1")
    await _ok(client, "POST", "/api/logistics/pvt/configuration/docks", {"id": "d1", "name": "Dock"})
    dock = {
        "dockId": "d1",
        "name": "Dock",
        "time": "1.00:00:00",
        "cost": "0",
        "translateDays": "0",
        "costToDisplay": "0",
    }
    await _ok(
        client,
        "POST",
        "/api/logistics/pvt/configuration/warehouses",
        {"id": "wh1", "name": "WH", "warehouseDocks": [dock]},
    )
    ids = []
    for i in range(skus):
        dims = {"PackagedHeight": 1, "PackagedLength": 1, "PackagedWidth": 1, "PackagedWeightKg": 1}
        body = {
            "ProductId": product["Id"],
            "Name": f"S{i}",
            "RefId": f"S{i}",
            "ActivateIfPossible": True,
            **dims,
        }
        sku = await _ok(client, "POST", "/api/catalog/pvt/stockkeepingunit", body)
        await _ok(client, "POST", f"/api/catalog/pvt/stockkeepingunit/{sku['Id']}/file",
                  {"Name": "i", "Url": f"https://img.example.com/{i}.jpg"})  # fmt: skip
        await _ok(client, "PUT", f"/pricing/prices/{sku['Id']}", {"basePrice": 10 + i, "costPrice": 5})
        await _ok(
            client, "PUT", f"/api/logistics/pvt/inventory/skus/{sku['Id']}/warehouses/wh1", {"quantity": 100}
        )
        ids.append(sku["Id"])
    order_id = None
    if importlib.util.find_spec("vtexbridge.sandbox.routes.orders") is not None:
        order = await _ok(
            client, "POST", "/_sandbox/orders", {"items": [{"skuId": str(ids[0]), "quantity": 1}]}
        )
        order_id = order["orderId"]
    return ids, order_id


async def hammer(base: str, urls: list[str], seconds: float, concurrency: int) -> dict[str, float]:
    """``concurrency`` clients, each an ``httpx.AsyncClient`` on one keep-alive connection.

    (One shared client with a large pool spends more time in its pool bookkeeping than the sandbox
    spends serving, which would measure httpx rather than the sandbox.)
    """
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, headers=HEADERS, limits=limits, timeout=10) as client:
            i = offset
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await client.get(urls[i % len(urls)])
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1
                i += concurrency

    began = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pct(0.5),
        "p99": pct(0.99),
        "errors": errors,
    }


async def asgi_only(requests: int = 5000) -> float:
    """Microseconds per ``GET /api/catalog/pvt/stockkeepingunit/{skuId}`` calling the ASGI app directly.

    Measures the sandbox's own cost (middleware, routing, store, JSON) without HTTP parsing or a client.
    """
    from vtexbridge.sandbox.app import create_app
    from vtexbridge.sandbox.options import SandboxOptions

    app = create_app(SandboxOptions(limits="off", account="bench"))
    app.state.sandbox.store.table("bench", "sku")["1"] = {"Id": 1, "ProductId": 1, "Name": "S", "RefId": "S"}
    headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
    path = "/api/catalog/pvt/stockkeepingunit/1"
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(requests):
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "headers": headers, "server": ("127.0.0.1", 80),
                 "client": ("127.0.0.1", 1)}  # fmt: skip
        await app(scope, receive, send)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    if set(statuses) != {200}:
        raise RuntimeError(f"unexpected statuses {sorted(set(statuses))}")
    return elapsed / requests * 1e6


async def main(seconds: float, concurrency: int, skus: int) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_sandbox(port)
    try:
        async with httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=30) as client:
            started = time.perf_counter()
            ids, order_id = await seed(client, skus)
            seeded = time.perf_counter() - started
        rate = skus * 4 / seeded
        print(f"sandbox bench: {skus} SKUs seeded in {seeded:.1f} s ({rate:.0f} writes/s, sequential)")
        print(
            f"{concurrency} concurrent httpx clients, {seconds:.0f} s per endpoint, uvicorn in a subprocess"
        )
        cases = [
            (
                "GET /api/catalog/pvt/stockkeepingunit/{skuId}",
                [f"/api/catalog/pvt/stockkeepingunit/{i}" for i in ids],
            )
        ]
        if order_id is not None:
            cases.append(("GET /api/oms/pvt/orders/{orderId}", [f"/api/oms/pvt/orders/{order_id}"]))
        else:
            print("GET /api/oms/pvt/orders/{orderId}: skipped (orders module not installed)")
        failed = False
        for label, urls in cases:
            r = await hammer(base, urls, seconds, concurrency)
            print(f"{label:55s} {r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
                  f"  ({r['requests']:.0f} requests, {r['errors']:.0f} errors)")  # fmt: skip
            failed = failed or r["errors"] > 0
        micros = await asgi_only()
        label = "ASGI app alone (no HTTP, no client), same SKU GET"
        print(f"{label:55s} {1e6 / micros:8.0f} req/s  ({micros:.0f} us per request)")
        return 1 if failed else 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skus", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(asyncio.run(main(args.seconds, args.concurrency, args.skus)))
