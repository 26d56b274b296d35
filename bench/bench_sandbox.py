"""Benchmark: requests/s the sandbox serves for a catalog read and an order read.

Starts ``vtexbridge sandbox`` (limits off, in-memory store) in a subprocess on a free loopback port,
so server and clients use separate cores; seeds a small catalog through the public API (and one
order through ``POST /_sandbox/orders`` when the orders module is installed), then hammers
``GET /api/catalog/pvt/stockkeepingunit/{skuId}`` and ``GET /api/oms/pvt/orders/{orderId}`` with
concurrent httpx clients for a few seconds each and prints throughput and latency percentiles.

Then calls the catalog routes straight into the ASGI app (no HTTP) on stores of 5k and 50k SKUs written
directly into the store (``--catalog-skus``), printing throughput and latency per route.

Usage: ``python -m bench.bench_sandbox [--seconds 4] [--concurrency 32] [--skus 200]
[--catalog-skus 5000,50000]
[--catalog-seconds 1] [--catalog-only]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.figures import figure_line
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN

HTTP_TARGET = 800
"""Requests/s the sandbox must serve over HTTP: twice what the 5k initial-load bench asks of it
(about 54,000 requests in the 136 s that VTEX's pricing budget allows, ~400/s), so that a client
bench measures the client, not the sandbox."""
ROUTE_TARGET = 800
"""Requests/s every catalog route must serve in the ASGI app alone, at every store size (same reason)."""

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


# --- catalog routes at a large store -----------------------------------------------------------

SKUS_PER_PRODUCT = 5


def populate_catalog(store: Any, account: str, skus: int) -> None:
    """Write a catalog of ``skus`` SKUs straight into the store (no HTTP, no rules): 3-level category
    tree, 20 brands, one product per 5 SKUs (in trade policy 1, one product specification), each SKU
    with a RefId, an EAN, an image and a SKU specification, all active."""
    from vtexbridge.sandbox.rules import catalog as rules

    def table(kind: str) -> Any:
        return store.table(account, kind)

    categories = table("category")
    for cat_id, parent in [
        (1, None),
        *((10 + i, 1) for i in range(10)),
        *((100 + i, 10 + i % 10) for i in range(50)),
    ]:
        doc = {
            "Id": cat_id,
            **rules.coerce({"Name": f"C{cat_id}", "FatherCategoryId": parent}, rules.CATEGORY_FIELDS),
        }
        categories[str(cat_id)] = {**doc, "LinkId": f"c{cat_id}", "Title": f"C{cat_id}"}
    for brand_id in range(1, 21):
        table("brand")[str(brand_id)] = {
            "Id": brand_id,
            **rules.coerce({"Name": f"B{brand_id}"}, rules.BRAND_FIELDS),
        }
    table("specgroup")["1"] = {"Id": 1, "CategoryId": 1, "Name": "G", "Position": 1}
    for field_id, is_sku in ((1, False), (2, True)):
        body = {
            "FieldTypeId": 1,
            "CategoryId": 1,
            "FieldGroupId": 1,
            "Name": f"F{field_id}",
            "IsStockKeepingUnit": is_sku,
        }
        table("specfield")[str(field_id)] = {"Id": field_id, **rules.coerce(body, rules.SPECFIELD_FIELDS)}
    products, skus_t, files, eans = table("product"), table("sku"), table("skufile"), table("skuean")
    policies, pspecs, sspecs = table("salespolicy"), table("productspec"), table("skuspec")
    for p in range(1, skus // SKUS_PER_PRODUCT + 1):
        body = {
            "Name": f"P{p}",
            "CategoryId": 100 + p % 50,
            "BrandId": 1 + p % 20,
            "RefId": f"P{p}",
            "DepartmentId": 1,
            "LinkId": f"p{p}",
            "Title": f"P{p}",
            "ReleaseDate": "2024-01-01T00:00:00",
        }
        products[str(p)] = {"Id": p, **rules.coerce(body, rules.PRODUCT_FIELDS)}
        policies[f"{p}:1"] = {"ProductId": p, "StoreId": 1}
        pspecs[str(p)] = {"Id": p, "ProductId": p, "FieldId": 1, "FieldValueId": None, "Text": "x"}
    for s in range(1, skus + 1):
        p = (s - 1) // SKUS_PER_PRODUCT + 1
        body = {
            "ProductId": p,
            "IsActive": True,
            "Name": f"S{s}",
            "RefId": f"S{s}",
            "PackagedHeight": 1,
            "PackagedLength": 1,
            "PackagedWidth": 1,
            "PackagedWeightKg": 1,
            "CreationDate": "2024-01-01T00:00:00",
        }
        skus_t[str(s)] = {"Id": s, **rules.coerce(body, rules.SKU_FIELDS)}
        files[str(s)] = {
            "Id": s,
            "ArchiveId": 100_000 + s,
            "SkuId": s,
            "Name": "i",
            "IsMain": True,
            "Text": "",
            "Label": None,
            "Url": f"https://img.example.com/{s}.jpg",
            "FileLocation": f"{account}.vteximg.com.br",
            "Position": 1,
        }
        eans[str(s)] = {"SkuId": s, "Eans": [f"789{s:010d}"]}
        sspecs[str(s)] = {"Id": s, "SkuId": s, "FieldId": 2, "FieldValueId": None, "Text": "y"}
    for kind, last in (
        ("category", 200),
        ("brand", 20),
        ("product", skus // SKUS_PER_PRODUCT),
        ("sku", skus),
        ("skufile", skus),
        ("productspec", skus // SKUS_PER_PRODUCT),
        ("skuspec", skus),
        ("specgroup", 1),
        ("specfield", 2),
    ):
        store.bump_id(account, kind, last)


async def asgi_request(app: Any, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    """One request straight into the ASGI app: (status, body)."""
    raw = b"" if body is None else json.dumps(body).encode()
    path, _, query = path.partition("?")
    headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
    }
    out: dict[str, Any] = {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


Request = tuple[str, Any]  # (path, JSON body or None)


def catalog_cases(skus: int) -> list[tuple[str, str, Callable[[int], Request]]]:
    """(method, route, i -> (path, body)) of the catalog routes measured; ``i`` counts the requests."""
    pvt, sku, sys_ = "/api/catalog/pvt", "/api/catalog/pvt/stockkeepingunit", "/api/catalog_system/pvt"
    products = skus // SKUS_PER_PRODUCT
    dims = {"PackagedHeight": 1, "PackagedLength": 1, "PackagedWidth": 1, "PackagedWeightKg": 1}

    def sku_of(i: int) -> int:
        return 1 + (i * 7919) % skus

    def product_of(i: int) -> int:
        return 1 + (i * 7919) % products

    def new_sku(i: int) -> Request:
        return sku, {"ProductId": product_of(i), "Name": f"N{i}", "RefId": f"NEW-{i}", **dims}

    def put_sku(i: int) -> Request:
        s = sku_of(i)
        body = {"ProductId": (s - 1) // SKUS_PER_PRODUCT + 1, "Name": f"S{s}", "RefId": f"S{s}", **dims}
        return f"{sku}/{s}", {**body, "IsActive": True, "PackagedHeight": 2}

    def put_product(i: int) -> Request:
        p = product_of(i)
        return f"{pvt}/product/{p}", {
            "Name": f"P{p}",
            "CategoryId": 100 + p % 50,
            "BrandId": 1 + p % 20,
            "RefId": f"P{p}",
        }

    def new_file(i: int) -> Request:
        return f"{sku}/{sku_of(i)}/file", {"Name": "j", "Url": f"https://img.example.com/n{i}.png"}

    def ids_page(i: int) -> Request:
        return f"{sys_}/sku/stockkeepingunitids?page={1 + i % max(1, skus // 1000)}&pagesize=1000", None

    gets: dict[str, Callable[[int], str]] = {
        "stockkeepingunit/{skuId}": lambda i: f"{sku}/{sku_of(i)}",
        "stockkeepingunit?RefId=": lambda i: f"{sku}?RefId=S{sku_of(i)}",
        "stockkeepingunitidbyrefid/{refId}": lambda i: f"{sys_}/sku/stockkeepingunitidbyrefid/S{sku_of(i)}",
        "productgetbyrefid/{refId}": lambda i: f"{sys_}/products/productgetbyrefid/P{product_of(i)}",
        "stockkeepingunitByProductId/{productId}": lambda i: (
            f"{sys_}/sku/stockkeepingunitByProductId/{product_of(i)}"
        ),
        "stockkeepingunitbyid/{skuId} (context)": lambda i: f"{sys_}/sku/stockkeepingunitbyid/{sku_of(i)}",
        "stockkeepingunitbyean/{ean}": lambda i: f"{sys_}/sku/stockkeepingunitbyean/789{sku_of(i):010d}",
        "stockkeepingunit/{skuId}/file": lambda i: f"{sku}/{sku_of(i)}/file",
    }

    def get(path: Callable[[int], str]) -> Callable[[int], Request]:
        return lambda i: (path(i), None)

    cases = [("GET", label, get(path)) for label, path in gets.items()]
    return [
        *cases,
        ("GET", "stockkeepingunitids?page=N", ids_page),
        ("POST", "stockkeepingunit", new_sku),
        ("PUT", "stockkeepingunit/{skuId}", put_sku),
        ("POST", "stockkeepingunit/{skuId}/ean/{ean}", lambda i: (f"{sku}/{sku_of(i)}/ean/NEWEAN{i}", None)),
        ("POST", "stockkeepingunit/{skuId}/file", new_file),
        ("PUT", "product/{productId}", put_product),
    ]


async def catalog_bench(skus: int, seconds: float) -> list[tuple[str, int, float, float]]:
    """(label, requests, mean us, p99 us) per catalog route on a ``skus``-SKU in-memory store."""
    from vtexbridge.sandbox.app import create_app
    from vtexbridge.sandbox.options import SandboxOptions
    from vtexbridge.sandbox.store import Store

    store = Store()
    populate_catalog(store, "bench", skus)
    app = create_app(SandboxOptions(limits="off", account="bench"), store=store)
    results = []
    for method, route, make in catalog_cases(skus):
        label = f"{method:4s} {route}"
        latencies: list[float] = []
        stop = time.perf_counter() + seconds
        i = 0
        while (time.perf_counter() < stop or i < 5) and i < 20_000:
            path, body = make(i)
            started = time.perf_counter()
            status, raw = await asgi_request(app, method, path, body)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{method} {path}: {status} {raw[:200]!r}")
            i += 1
        latencies.sort()
        mean = sum(latencies) / len(latencies) * 1e6
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1e6
        results.append((label, len(latencies), mean, p99))
    return results


async def print_catalog_bench(sizes: list[int], seconds: float) -> None:
    print(f"catalog routes, ASGI app alone (no HTTP), in-memory store, {seconds:g} s per route and size")
    for skus in sizes:
        started = time.perf_counter()
        rows = await catalog_bench(skus, seconds)
        print(f"  {skus:,} SKUs ({time.perf_counter() - started:.1f} s)")
        for label, n, mean, p99 in rows:
            print(
                f"    {label:46s} {1e6 / mean:8.0f} req/s  mean {mean:8.0f} us  p99 {p99:8.0f} us"
                f"  ({n} requests)"
            )
        slowest = min(1e6 / mean for _label, _n, mean, _p99 in rows)
        met = slowest >= ROUTE_TARGET
        print(
            "    " + figure_line("slowest route", f"{slowest:,.0f} req/s", f">= {ROUTE_TARGET:,} req/s", met)
        )


async def main(
    seconds: float,
    concurrency: int,
    skus: int,
    catalog_sizes: list[int],
    catalog_seconds: float,
    catalog_only: bool,
) -> int:
    if catalog_sizes:
        await print_catalog_bench(catalog_sizes, catalog_seconds)
    if catalog_only:
        return 0
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
            met = r["rps"] >= HTTP_TARGET and r["errors"] == 0
            print("  " + figure_line("figure", f"{r['rps']:,.0f} req/s, {r['errors']:.0f} errors",
                                     f">= {HTTP_TARGET:,} req/s, no error", met))  # fmt: skip
            failed = failed or r["errors"] > 0
        micros = await asgi_only()
        label = "ASGI app alone (no HTTP, no client), same SKU GET"
        print(f"{label:55s} {1e6 / micros:8.0f} req/s  ({micros:.0f} us per request; a breakdown)")
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
    parser.add_argument(
        "--catalog-skus", default="5000,50000", help="store sizes of the catalog routes ('' skips)"
    )
    parser.add_argument("--catalog-seconds", type=float, default=1.0, help="time per catalog route and size")
    parser.add_argument("--catalog-only", action="store_true", help="only the catalog routes")
    args = parser.parse_args()
    sizes = [int(n) for n in args.catalog_skus.split(",") if n.strip()]
    sys.exit(
        asyncio.run(
            main(args.seconds, args.concurrency, args.skus, sizes, args.catalog_seconds, args.catalog_only)
        )
    )
