"""Rate budgets shared across processes through Redis: two processes of one account against the
sandbox enforcing VTEX's pricing rate earn no 429 and together keep to the limit; without Redis each
process keeps to its own budgets.

The sandbox and the clients keep VTEX's 33 writes/s but a burst of 50 credits instead of 500: with
500 the run would be spent mostly in the burst, at the speed of the machine's CPU, not of the limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from pydantic import SecretStr

from vtexbridge.clock import FakeClock, SystemClock
from vtexbridge.errors import ConfigError
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, RateLimitSettings, SandboxOptions
from vtexbridge.serving import Served, serve_in_thread
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.limits import Limiter, LimitRule
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.shared import RedisBudgets, SharedLimits

RATE, BURST, MARGIN = 33.0, 50, 9
"""VTEX's pricing write rate, a burst of 50 credits; the client leaves ceil(33 * 0.25) unspent."""
PER_PROCESS = 100
"""Two processes: 200 writes, about five seconds at 33/s beyond the burst."""

WRITER = """
import asyncio, json, sys, time
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.models.pricing import PriceUpdate

async def main(settings, first, count, start_at):
    gate = asyncio.Semaphore(4)
    async with VtexClient.from_settings(settings) as client:
        async def put(item):
            async with gate:
                await client.pricing.replace_price(item, PriceUpdate(costPrice=10.0, markup=20))
        await asyncio.sleep(max(0.0, start_at - time.time()))  # both processes start together
        await asyncio.gather(*(put(i) for i in range(first, first + count)))

settings = VtexSettings.model_validate(json.loads(sys.argv[1]))
asyncio.run(main(settings, int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
"""


@pytest.fixture
def account() -> str:
    return f"shared{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sandbox(account: str) -> Iterator[Served]:
    limits = RateLimitSettings(pricing_write_burst=BURST)
    options = SandboxOptions(limits="real", account=account, rate_limits=limits)
    served = serve_in_thread(create_app(options), name="sandbox")
    yield served
    served.server.should_exit = True
    served.thread.join(timeout=10)


def run_writers(sandbox: Served, account: str, redis_url: str | None) -> None:
    settings = {
        "account": account,
        "base_url": sandbox.url,
        "app_key": DEFAULT_APP_KEY,
        "app_token": DEFAULT_APP_TOKEN,
        "shared_limits_url": redis_url,
        "limits": [
            {"pattern": "/pricing/*", "methods": ["POST", "PUT", "PATCH"], "rate_per_s": RATE, "burst": BURST}
        ],
        "max_retries": 0,  # a 429 would fail the writer: the log below counts them anyway
    }
    start_at = str(time.time() + 4.0)  # past both processes' imports, even on a loaded machine
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                json.dumps(settings),
                str(1 + i * PER_PROCESS),
                str(PER_PROCESS),
                start_at,
            ],
            stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    for proc in procs:
        proc.wait(timeout=120)


def pricing_writes(base: str) -> tuple[dict[int, int], list[datetime]]:
    """Answers by status and the arrival times of the pricing writes, from the sandbox's request log."""
    entries = httpx.get(f"{base}/_sandbox/requests", params={"since": 0}).json()["entries"]
    statuses: dict[int, int] = {}
    times = []
    for e in entries:
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
        if e["method"] == "PUT" and e["route"].startswith("/pricing/"):
            times.append(datetime.fromisoformat(e["time"]))
    return statuses, sorted(times)


def test_two_processes_share_the_account_budget(sandbox: Served, account: str, redis_url: str) -> None:
    import redis

    try:
        run_writers(sandbox, account, redis_url)
    finally:
        keys = redis.Redis.from_url(redis_url)
        keys.delete(*(keys.keys(f"vtexbridge:budget:{account}:*") or ["-"]))
        keys.close()
    statuses, times = pricing_writes(sandbox.url)
    assert statuses == {200: 2 * PER_PROCESS}  # zero 429s
    span = (times[-1] - times[0]).total_seconds()
    combined = (len(times) - (BURST - MARGIN)) / span  # beyond the burst spent at once
    logging.getLogger(__name__).info("combined rate %.2f/s over %.2f s", combined, span)
    assert combined == pytest.approx(RATE, rel=0.05), f"{combined:.2f}/s over {span:.2f} s"


def within_budget(times: list[float], rate: float, burst: int) -> bool:
    """Whether no window of the sorted ``times`` holds more takes than ``burst + rate * window`` (+1
    for the edges of the window)."""
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            if j - i + 1 > burst + rate * (times[j] - start) + 1:
                return False
    return True


@pytest.mark.parametrize("shared", [True, False])
async def test_two_limiters_share_a_budget_vtex_does_not_report(
    redis_url: str, account: str, shared: bool
) -> None:
    """Pricing reports its credits on every answer, which keeps even unshared processes in check
    (above); a budget without such reports (the catalog's) needs the shared one."""
    rule = LimitRule("unreported", 40.0, 20, "/api/catalog/*", api=Api.CATALOG)
    clock = SystemClock()
    budgets = [RedisBudgets(redis_url, account) for _ in range(2)]
    limiters = [
        Limiter([rule], clock, jitter_s=0.0, shared=SharedLimits(b, clock) if shared else None)
        for b in budgets
    ]
    taken: list[float] = []

    async def take(limiter: Limiter) -> None:
        plan = limiter.plan(Api.CATALOG, "GET", "/api/catalog/x")
        for _ in range(30):
            await limiter.acquire(plan)
            taken.append(clock.monotonic())

    try:
        await asyncio.gather(*(take(limiter) for limiter in limiters))
    finally:
        for b in budgets:
            await b._redis.delete(b.key(limiters[0].plan(Api.CATALOG, "GET", "/api/catalog/x").buckets[0]))
            await b.aclose()
    assert within_budget(sorted(taken), 40.0, 20) is shared


async def test_an_unreachable_redis_leaves_the_local_budgets(caplog: pytest.LogCaptureFixture) -> None:
    settings = VtexSettings(shared_limits_url=SecretStr("redis://127.0.0.1:1/0"))
    clock = FakeClock()
    limiter = Limiter.from_settings(settings, clock)
    plan = limiter.plan(Api.CATALOG, "GET", "/api/catalog/x")
    with caplog.at_level(logging.WARNING):
        assert await limiter.acquire(plan) == 0.0
        assert await limiter.acquire(plan) == 0.0  # not asked again for a while
    await limiter.aclose()
    assert caplog.text.count("Redis cannot be reached") == 1


def test_only_redis_urls_are_taken() -> None:
    settings = VtexSettings(shared_limits_url=SecretStr("postgresql://u:pw@db/x"))
    with pytest.raises(ConfigError, match="'postgresql' is not a Redis URL") as info:
        Limiter.from_settings(settings, FakeClock())
    assert "pw" not in str(info.value)
