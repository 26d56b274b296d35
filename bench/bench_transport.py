"""Benchmark of the VTEX transport: rate-limit accuracy and per-request client overhead.

Run: ``.venv/bin/python -m bench.bench_transport`` (about 25 s). It starts a small Starlette app under
uvicorn in a subprocess on 127.0.0.1 and measures:

(a) rate-limit accuracy: a route budget of 100 req/s is configured in the client, and the server
    enforces the same budget with a strict token bucket (429 when it runs dry). 16 concurrent callers
    hammer the route for 3 s; the figures are the achieved rate over the budget (target >= 0.95) and
    the 429s the server returned (target 0). The machine's own ceiling is printed first: the budget
    must sit well below it, or the figure measures the machine. Runs with burst 20, 5 and 1. The
    server counts a request when it processes it, not when it arrives: a server stalled by a loaded
    machine loses the credits beyond its burst while requests queue in its socket, then answers 429
    to the queue. Burst 20 absorbs 200 ms of such stalls; burst 5 absorbs 50 ms; burst 1 absorbs
    none, and there no late wake-up of the event loop (epoll sleeps in whole ms) can be made up.
    After a 429 the client honours ``Retry-After`` (whole seconds) and halves its rate, so a single
    429 costs about a second of the run.
(b) client overhead: the time per request through ``Transport`` (limits, breaker, retry policy,
    metrics, logging check) minus the time through a bare ``httpx.AsyncClient``, first in-process
    (``httpx.MockTransport``, no network noise), then against the local server (target < 0.3 ms).
"""

from __future__ import annotations

import asyncio
import math
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench.figures import figure_line
from vtexbridge.clock import SystemClock
from vtexbridge.vtex.errors import VtexError
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.settings import RouteLimit, VtexSettings
from vtexbridge.vtex.transport import Call, Transport

RATE = 100.0
LIMITED = "/api/bench/limited"
FREE = "/api/bench/free/{id}"
SECONDS = 3.0
CONCURRENCY = 16
RATIO_TARGET = 0.95
OVERHEAD_TARGET_MS = 0.3


def serve(port: int) -> None:
    """The server side: a strict token bucket on LIMITED, nothing on FREE."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    lock = threading.Lock()
    state = {"rate": RATE, "burst": 1.0, "tokens": 1.0, "updated": time.monotonic(), "ok": 0, "throttled": 0}

    async def limited(request: Request) -> Response:
        with lock:
            now = time.monotonic()
            state["tokens"] = min(state["burst"], state["tokens"] + (now - state["updated"]) * state["rate"])
            state["updated"] = now
            if state["tokens"] >= 1.0 - 1e-9:
                state["tokens"] -= 1.0
                state["ok"] += 1
                return JSONResponse({"ok": True})
            state["throttled"] += 1
            retry_after = math.ceil((1.0 - state["tokens"]) / state["rate"])
        return JSONResponse(
            {"message": "Too Many Requests"}, status_code=429, headers={"Retry-After": str(retry_after)}
        )

    async def free(request: Request) -> Response:
        return JSONResponse({"id": request.path_params["id"]})

    async def reset(request: Request) -> Response:
        with lock:
            rate, burst = float(request.query_params["rate"]), float(request.query_params["burst"])
            state.update(rate=rate, burst=burst, tokens=burst, updated=time.monotonic(), ok=0, throttled=0)
        return JSONResponse({})

    async def stats(request: Request) -> Response:
        with lock:
            return JSONResponse({"ok": state["ok"], "throttled": state["throttled"]})

    app = Starlette(
        routes=[
            Route(LIMITED, limited),
            Route("/api/bench/free/{id}", free),
            Route("/_reset", reset, methods=["POST"]),
            Route("/_stats", stats),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, http="h11")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int) -> subprocess.Popen[bytes]:
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_transport", "--serve", str(port)], cwd=root)
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=0.5)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the benchmark server did not start")


def settings(base_url: str, limits: list[RouteLimit]) -> VtexSettings:
    return VtexSettings(
        account="bench", base_url=base_url, app_key="bench-app-key", app_token="bench-app-token",
        max_retries=0, limits=limits,
    )  # fmt: skip


async def capacity(base_url: str) -> float:
    """Requests per second the machine serves to bare httpx with the same callers: the ceiling here."""
    done = 0
    async with httpx.AsyncClient(base_url=base_url) as client:
        deadline = time.perf_counter() + 1.0

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                (await client.get("/api/bench/free/1")).raise_for_status()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return done / (time.perf_counter() - start)


async def rate_accuracy(base_url: str, burst: int) -> None:
    async with httpx.AsyncClient(base_url=base_url) as admin:
        await admin.post("/_reset", params={"rate": RATE, "burst": burst})
    limit = RouteLimit(pattern=LIMITED, rate_per_s=RATE, burst=burst)
    sent = refused = 0
    async with Transport(settings(base_url, [limit]), clock=SystemClock()) as transport:
        # open the pooled connections first: connection set-up would bunch the first requests together
        warm = [transport.request(Api.ORDERS, "GET", FREE, path={"id": i}) for i in range(CONCURRENCY)]
        await asyncio.gather(*warm)
        start = time.perf_counter()
        deadline = start + SECONDS

        async def worker() -> None:
            nonlocal sent, refused
            while time.perf_counter() < deadline:
                try:
                    await transport.request(Api.ORDERS, "GET", LIMITED)
                    sent += time.perf_counter() <= deadline  # only answers within the window count
                except VtexError:
                    refused += 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    async with httpx.AsyncClient(base_url=base_url) as admin:
        server = (await admin.get("/_stats")).json()
    achieved = sent / SECONDS
    ratio, throttled = achieved / RATE, server["throttled"]
    print(
        f"  burst {burst:>2}: {sent} answered in {SECONDS:.0f} s = {achieved:.1f} req/s for a budget of "
        f"{RATE:.0f} req/s (client saw {refused} refusals)"
    )
    print(
        "  "
        + figure_line(
            f"burst {burst:>2}",
            f"ratio {ratio:.3f}, {throttled} 429s from the server",
            f"ratio >= {RATIO_TARGET} and 0 429s",
            ratio >= RATIO_TARGET and throttled == 0,
        )
    )


async def per_request(send: Callable[[], Awaitable[object]], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await send()
    return (time.perf_counter() - start) / n


async def paired(
    a: Callable[[], Awaitable[object]], b: Callable[[], Awaitable[object]], n: int
) -> list[float]:
    """Per-request differences b - a, in ms, the two sends interleaved (order alternating) to cancel drift."""
    diffs: list[float] = []
    for i in range(n):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        t0 = time.perf_counter()
        await first()
        t1 = time.perf_counter()
        await second()
        t2 = time.perf_counter()
        ta, tb = (t1 - t0, t2 - t1) if first is a else (t2 - t1, t1 - t0)
        diffs.append((tb - ta) * 1000.0)
    return diffs


async def overhead(base_url: str | None, n: int) -> tuple[float, float, float]:
    """(bare ms, transport ms, median paired difference ms) per request."""
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={"id": 1}))
    url = (base_url or "http://bench.local") + "/api/bench/free/1"
    limit = RouteLimit(pattern="/api/bench/free/*", rate_per_s=1e9, burst=1_000_000)
    conf = settings(base_url or "http://bench.local", [limit])
    http_transport = mock if base_url is None else None
    async with (
        httpx.AsyncClient(transport=http_transport) as bare,
        Transport(conf, http_transport=http_transport, metrics=TransportMetrics()) as transport,
    ):
        headers = dict(transport.build_request(Call(Api.ORDERS, "GET", FREE, {"id": 1})).headers)

        async def bare_send() -> object:
            response = await bare.get(url, headers=headers)
            return response.raise_for_status()

        async def transport_send() -> object:
            return await transport.request(Api.ORDERS, "GET", FREE, path={"id": 1})

        await per_request(bare_send, 50)
        await per_request(transport_send, 50)
        bare_s = await per_request(bare_send, n // 4)
        transport_s = await per_request(transport_send, n // 4)
        return (
            bare_s * 1000.0,
            transport_s * 1000.0,
            statistics.median(await paired(bare_send, transport_send, n)),
        )


async def main() -> None:
    port = free_port()
    proc = start_server(port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        print(f"(a) rate-limit accuracy: {CONCURRENCY} concurrent callers, {SECONDS:.0f} s per run")
        ceiling = await capacity(base_url)
        print(f"  machine ceiling (bare httpx, same callers, unlimited route): {ceiling:.0f} req/s")
        for burst in (20, 5, 1):
            await rate_accuracy(base_url, burst)
        print("(b) client overhead per request, Transport minus bare httpx.AsyncClient")
        bare, full, diff = await overhead(None, n=4000)
        print(f"  in-process (MockTransport): bare {bare:.3f} ms, Transport {full:.3f} ms: ", end="")
        print(f"overhead {diff:.3f} ms (median of paired differences)")
        print("  (in-process: a breakdown of the figure below, no target of its own)")
        bare, full, diff = await overhead(base_url, n=600)
        print(f"  local uvicorn server:       bare {bare:.3f} ms, Transport {full:.3f} ms")
        print(
            "  "
            + figure_line(
                "overhead against the local server",
                f"{diff:.3f} ms (median of paired differences)",
                f"< {OVERHEAD_TARGET_MS} ms",
                diff < OVERHEAD_TARGET_MS,
            )
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        asyncio.run(main())
