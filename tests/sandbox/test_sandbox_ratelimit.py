"""Rate limits: the Pricing token buckets with Ratelimit-* headers, the Catalog budgets, limits off."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from vtexbridge.clock import FakeClock
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, RateLimitSettings, SandboxOptions
from vtexbridge.sandbox.ratelimit import RateLimiter, TokenBucket

AUTH = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def _client(options: SandboxOptions, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(options, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://s.vtexcommercestable.com.br", headers=AUTH
    ) as client:
        yield client


@pytest.fixture
async def small(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    limits = RateLimitSettings(
        pricing_write_per_second=2,
        pricing_write_burst=3,
        pricing_delete_per_second=1,
        pricing_delete_burst=1,
        catalog_account_per_minute=5,
        catalog_endpoint_per_minute=3,
    )
    async for client in _client(SandboxOptions(rate_limits=limits), clock):
        yield client


def test_token_bucket_refills_and_reports() -> None:
    bucket = TokenBucket(capacity=500, rate=33, tokens=500, updated=0.0)
    for _ in range(500):
        assert bucket.take(0.0)
    assert not bucket.take(0.0)
    assert bucket.retry_after() == 1
    assert bucket.reset_after() == 16  # ceil(500 / 33)
    assert bucket.take(1 / 33 + 1e-9)


def test_default_figures_are_vtex_published_ones() -> None:
    limiter = RateLimiter(RateLimitSettings())
    outcome = limiter.check("a", "PUT", "/pricing/prices/{itemId}", 0.0)
    assert outcome.headers == {"Ratelimit-Limit": "500", "Ratelimit-Remaining": "499", "Ratelimit-Reset": "1"}
    delete = limiter.check("a", "DELETE", "/pricing/prices/{itemId}", 0.0)
    assert delete.headers["Ratelimit-Limit"] == "300"
    assert limiter.check("a", "GET", "/api/oms/pvt/orders/{orderId}", 0.0).headers == {}


async def test_pricing_bucket_headers_429_and_refill(small: httpx.AsyncClient, clock: FakeClock) -> None:
    remaining = []
    for i in range(3):
        r = await small.put(f"/pricing/prices/{i + 1}", json={"basePrice": 1, "costPrice": 1})
        assert r.status_code == 200
        assert r.headers["Ratelimit-Limit"] == "3"
        remaining.append(r.headers["Ratelimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    refused = await small.put("/pricing/prices/9", json={"basePrice": 1, "costPrice": 1})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["Ratelimit-Remaining"] == "0"
    assert refused.headers["Ratelimit-Reset"] == "2"
    got = await small.get("/pricing/prices/1")  # GET is not limited, but reports the bucket
    assert got.status_code == 200
    assert got.headers["Ratelimit-Remaining"] == "0"
    clock.advance(0.5)
    assert (await small.put("/pricing/prices/9", json={"basePrice": 1, "costPrice": 1})).status_code == 200
    # DELETE has its own bucket
    assert (await small.delete("/pricing/prices/9")).status_code == 200
    assert (await small.delete("/pricing/prices/8")).status_code == 429


async def test_catalog_per_endpoint_then_per_account(small: httpx.AsyncClient, clock: FakeClock) -> None:
    url = "/api/catalog_system/pvt/brand/list"
    statuses = [(await small.get(url)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = "/api/catalog/pvt/brand/1"
    statuses = [(await small.get(other)).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]  # account budget of 5 spent
    refused = await small.get(other)
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Ratelimit-Limit" not in refused.headers
    clock.advance(60)
    assert (await small.get(url)).status_code == 200
    # other accounts have their own budget
    assert (await small.get(url, headers={"Host": "b.vtexcommercestable.com.br"})).status_code == 200


async def test_limits_off(clock: FakeClock) -> None:
    limits = RateLimitSettings(pricing_write_burst=1, pricing_write_per_second=0.001)
    async for client in _client(SandboxOptions(limits="off", rate_limits=limits), clock):
        for i in range(5):
            r = await client.put(f"/pricing/prices/{i + 1}", json={"basePrice": 1, "costPrice": 1})
            assert r.status_code == 200
            assert "Ratelimit-Limit" not in r.headers
