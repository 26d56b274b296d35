"""Fulfillment simulation latency of the external seller endpoint (target: p99 under 50 ms).

    python -m bench.bench_simulation [--skus 100000] [--items 20] [--requests 2000] [--erp DIR]

A server process builds the offer index (``--skus`` synthetic SKUs with prices, fixed prices and
stock, or the SKUs of an ERP folder with ``--erp``) and serves ``vtexbridge``'s seller routes with
uvicorn on loopback; this process sends ``--requests`` simulations of ``--items``-item carts (random
SKUs, one keep-alive connection, as VTEX's checkout does) and prints p50/p90/p99/max of the
round trip, then the cost of the pure ``simulate()`` call alone.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from bench.figures import figure_line
from vtexbridge.marketplace.runtime import MarketplaceRuntime
from vtexbridge.marketplace.seller.simulation import FixedOffer, Offer
from vtexbridge.marketplace.settings import MarketplaceSettings

P99_TARGET_MS = 50.0
"""The fulfillment simulation must answer VTEX's checkout with p99 under 50 ms."""

KEY, TOKEN = "vtexappkey-bench-KEY", "bench-token"


def _offers(n: int, seed: int = 7) -> list[Offer]:
    rng = random.Random(seed)
    offers = []
    for i in range(n):
        price = rng.randrange(500, 200_000)
        fixed = (FixedOffer(value=price - 100, list_price=None, min_quantity=5),) if i % 10 == 0 else ()
        stock = None if i % 97 == 0 else rng.randrange(0, 500)
        offers.append(Offer(f"SKU-{i:07d}", price, price + 1000, stock, fixed=fixed))
    return offers


def _build_runtime(
    skus: int, erp: str | None, workdir: str
) -> tuple[MarketplaceRuntime, MarketplaceSettings]:
    from vtexbridge.config import Settings
    from vtexbridge.erp.readers.folder import FolderReader
    from vtexbridge.erp.sinks.folder import FolderSink
    from vtexbridge.marketplace.settings import SellerSettings
    from vtexbridge.state import StateStore
    from vtexbridge.vtex.settings import VtexSettings

    mkp = MarketplaceSettings(
        seller=SellerSettings(seller_id="bench", app_key=SecretStr(KEY), app_token=SecretStr(TOKEN))
    )
    store = StateStore.open(f"sqlite:///{workdir}/state.db", create=True)
    runtime = MarketplaceRuntime.build(
        Settings(vtex=VtexSettings(account="bench")),
        state=store,
        client=None,
        marketplace=mkp,
        sink=FolderSink(Path(workdir) / "orders", fsync=False),
        reader=(lambda: FolderReader(erp)) if erp else None,
    )
    assert runtime.seller is not None
    if not erp:
        runtime.seller.index.replace(_offers(skus))
    return runtime, mkp


def _serve(skus: int, erp: str | None, workdir: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    import asyncio

    import uvicorn

    from vtexbridge.testing.marketplace import protocol_app

    runtime, mkp = _build_runtime(skus, erp, workdir)
    asyncio.run(runtime.ready())
    assert runtime.seller is not None
    ids = list(runtime.seller.index.offers)
    app = protocol_app(runtime, mkp)
    # proto IPPROTO_TCP, so that asyncio sets TCP_NODELAY on accepted connections (see harness.py)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    queue.put((sock.getsockname()[1], ids))
    config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--erp", default=None, help="an ERP folder to load the offers from instead")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        started = time.perf_counter()
        server = ctx.Process(target=_serve, args=(args.skus, args.erp, workdir, queue), daemon=True)
        server.start()
        port, ids = queue.get(timeout=300)
        print(f"index: {len(ids):,} offers, server ready in {time.perf_counter() - started:.1f} s")
        url = f"http://127.0.0.1:{port}/marketplace/seller/pvt/orderForms/simulation"
        headers = {"X-VTEX-API-AppKey": KEY, "X-VTEX-API-AppToken": TOKEN}
        rng = random.Random(1)
        carts = [
            {
                "items": [
                    {"id": s, "quantity": rng.randint(1, 3), "seller": "1"}
                    for s in rng.sample(ids, args.items)
                ],
                "postalCode": "22270-030",
                "country": "BRA",
            }
            for _ in range(args.requests)
        ]
        for _ in range(30):  # wait for uvicorn to accept
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        times: list[float] = []
        # TCP_NODELAY on the client too: httpcore writes the headers and the body separately.
        nodelay = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        with httpx.Client(timeout=10, transport=nodelay) as client:
            for cart in carts[:50]:  # warm-up
                client.post(url, json=cart, headers=headers).raise_for_status()
            for cart in carts:
                t0 = time.perf_counter()
                r = client.post(url, json=cart, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200 or len(r.json()["items"]) != args.items:
                    sys.exit(f"unexpected answer: {r.status_code} {r.text[:200]}")
        server.terminate()
        server.join(5)

    p99_http = _percentile(times, 99)
    print(
        f"simulation over HTTP, {args.items}-item cart, {len(ids):,} SKUs, {args.requests} requests: "
        f"p50 {statistics.median(times):.2f} ms  p90 {_percentile(times, 90):.2f} ms  "
        f"p99 {p99_http:.2f} ms  max {max(times):.2f} ms"
    )
    print(
        figure_line(
            "figure",
            f"p99 {p99_http:.2f} ms over HTTP",
            f"p99 < {P99_TARGET_MS:g} ms",
            p99_http < P99_TARGET_MS,
        )
    )

    # the pure function alone, in this process
    from vtexbridge.marketplace.seller.simulation import OfferIndex, SimulationOptions, simulate
    from vtexbridge.marketplace.settings import SellerSettings

    index = OfferIndex()
    index.replace(_offers(args.skus))
    options = SimulationOptions.from_settings(SellerSettings(seller_id="bench"))
    synthetic = list(index.offers)
    rng = random.Random(2)
    now = datetime.now(UTC)
    pure: list[float] = []
    for _ in range(args.requests):
        cart = {"items": [{"id": s, "quantity": 1, "seller": "1"} for s in rng.sample(synthetic, args.items)]}
        t0 = time.perf_counter()
        simulate(cart, index, options, now)
        pure.append((time.perf_counter() - t0) * 1000)
    p50, p99 = statistics.median(pure) * 1000, _percentile(pure, 99) * 1000
    print(f"simulate() alone: p50 {p50:.0f} µs  p99 {p99:.0f} µs (a breakdown, no target of its own)")


if __name__ == "__main__":
    main()
