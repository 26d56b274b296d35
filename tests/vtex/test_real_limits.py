"""The client against the sandbox with VTEX's real limits, over real HTTP: it spends the burst VTEX
gives and then keeps to the rate, and VTEX answers no 429 (counted in the sandbox's request log)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.serving import Served, serve_in_thread
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.models.pricing import PriceUpdate
from vtexbridge.vtex.settings import VtexSettings

WRITES = 540
"""The 500 burst credits of pricing writes and about a second and a half at 33/s beyond them."""


@pytest.fixture
def sandbox() -> Iterator[Served]:
    served = serve_in_thread(create_app(SandboxOptions(limits="real")), name="sandbox")
    yield served
    served.server.should_exit = True
    served.thread.join(timeout=10)


def statuses(base: str) -> dict[int, int]:
    """Answers by status, from every entry of the sandbox's request log."""
    entries = httpx.get(f"{base}/_sandbox/requests", params={"since": 0}).json()["entries"]
    out: dict[int, int] = {}
    for entry in entries:
        out[entry["status"]] = out.get(entry["status"], 0) + 1
    return out


async def test_the_burst_and_then_the_rate_earn_no_429(sandbox: Served) -> None:
    settings = VtexSettings(base_url=sandbox.url, app_key=DEFAULT_APP_KEY, app_token=DEFAULT_APP_TOKEN)
    gate = asyncio.Semaphore(8)

    async def put(client: VtexClient, item: int) -> None:
        async with gate:
            await client.pricing.replace_price(item, PriceUpdate(costPrice=10.0, markup=20))

    async with VtexClient.from_settings(settings) as client:
        await asyncio.gather(*(put(client, i) for i in range(1, WRITES + 1)))
        bucket = client.transport.limiter.bucket("pricing-write")
    assert statuses(sandbox.url) == {200: WRITES}  # every write accepted at once: not one 429
    assert bucket is not None and not bucket.calibrating  # its burst came from VTEX's first answer
