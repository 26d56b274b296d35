"""Rate-limit rules, buckets and the limiter, on the fake clock."""

from __future__ import annotations

import asyncio

import pytest

from vtexbridge.clock import FakeClock
from vtexbridge.vtex.bucket import TokenBucket
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.limits import PUBLISHED_LIMITS, Limiter, LimitRule, merge_rules
from vtexbridge.vtex.settings import RouteLimit, VtexSettings

SKU = "/api/catalog/pvt/stockkeepingunit/{skuId}"
PRICE = "/pricing/prices/{itemId}"


def names(limiter: Limiter, api: Api, method: str, route: str) -> list[str]:
    return [b.name for b in limiter.plan(api, method, route).buckets]


def test_published_limits_match_vtex_figures() -> None:
    limiter = Limiter(PUBLISHED_LIMITS, FakeClock())
    assert names(limiter, Api.CATALOG, "GET", SKU) == ["catalog-account", f"catalog-endpoint:{SKU}"]
    system = "/api/catalog_system/pvt/sku/stockkeepingunitids"
    assert names(limiter, Api.CATALOG, "GET", system) == ["catalog-account", f"catalog-endpoint:{system}"]
    assert names(limiter, Api.PRICING, "PUT", PRICE) == ["pricing-write"]
    assert names(limiter, Api.PRICING, "POST", "/pricing/prices/{itemId}/fixed/{priceTableId}") == [
        "pricing-write"
    ]
    assert names(limiter, Api.PRICING, "DELETE", PRICE) == ["pricing-delete"]
    assert names(limiter, Api.PRICING, "GET", PRICE) == []
    assert names(limiter, Api.ORDERS, "GET", "/api/oms/pvt/orders/{orderId}") == []
    rates = {r.name: (r.rate_per_s * 60, r.burst) for r in PUBLISHED_LIMITS}
    assert rates["catalog-account"][0] == 45_000 and rates["catalog-endpoint"][0] == 15_000
    assert rates["pricing-write"] == (33 * 60, 500) and rates["pricing-delete"] == (16 * 60, 300)


def test_catalog_account_bucket_is_shared_and_endpoint_buckets_are_not() -> None:
    limiter = Limiter(PUBLISHED_LIMITS, FakeClock())
    a = limiter.plan(Api.CATALOG, "GET", SKU).buckets
    b = limiter.plan(Api.CATALOG, "PUT", SKU).buckets
    c = limiter.plan(Api.CATALOG, "GET", "/api/catalog/pvt/product/{productId}").buckets
    assert a[0] is b[0] is c[0]
    assert a[1] is b[1] and a[1] is not c[1]


def test_plans_are_cached_per_api_method_and_route() -> None:
    limiter = Limiter(PUBLISHED_LIMITS, FakeClock())
    assert limiter.plan(Api.PRICING, "PUT", PRICE) is limiter.plan(Api.PRICING, "PUT", PRICE)


@pytest.mark.parametrize(
    ("pattern", "route", "matches"),
    [
        ("*", "/anything/{x}", True),
        ("/api/orders/*", "/api/orders/feed", True),
        ("/api/orders/*", "/api/oms/pvt/orders", False),
        ("/api/*/pvt/*", "/api/catalog/pvt/brand", True),
        ("/api/dataentities/{acronym}/search", "/api/dataentities/{acronym}/search", True),
        ("/api/dataentities/{acronym}/search", "/api/dataentities/{acronym}/scroll", False),
        ("/a.b", "/aXb", False),
    ],
)
def test_rule_patterns_use_star_as_the_only_wildcard(pattern: str, route: str, matches: bool) -> None:
    assert LimitRule("r", 1.0, 1, pattern).matches(Api.ORDERS, "GET", route) is matches


def test_rule_methods_and_api_restrict_matches() -> None:
    rule = LimitRule("r", 1.0, 1, "*", frozenset({"PUT"}), Api.PRICING)
    assert rule.matches(Api.PRICING, "PUT", PRICE)
    assert not rule.matches(Api.PRICING, "GET", PRICE)
    assert not rule.matches(Api.CATALOG, "PUT", PRICE)


def test_configured_limits_replace_same_identity_and_add_others() -> None:
    configured = [
        RouteLimit(pattern="/pricing/*", methods=["put", "post", "patch"], rate_per_s=10, burst=20),
        RouteLimit(pattern="/api/catalog*", per_route=True, rate_per_s=50, burst=5),
        RouteLimit(pattern="/api/oms/*", rate_per_s=3),
    ]
    rules = {r.name: r for r in merge_rules(PUBLISHED_LIMITS, configured)}
    assert (rules["pricing-write"].rate_per_s, rules["pricing-write"].burst) == (10, 20)
    assert rules["pricing-write"].api is Api.PRICING
    assert (rules["catalog-endpoint"].rate_per_s, rules["catalog-endpoint"].burst) == (50, 5)
    assert rules["catalog-account"].rate_per_s == 750
    assert rules["config:/api/oms/*"].rate_per_s == 3 and not rules["config:/api/oms/*"].per_route
    assert len(rules) == 5


def test_limiter_from_settings_applies_overrides() -> None:
    settings = VtexSettings(limits=[RouteLimit(pattern="/api/orders/feed", rate_per_s=0.2)])
    limiter = Limiter.from_settings(settings, FakeClock())
    assert names(limiter, Api.ORDERS, "GET", "/api/orders/feed") == ["config:/api/orders/feed"]


async def test_bucket_spends_its_burst_less_the_margin_at_once() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 4.0, 10, clock, margin=2)
    assert [await bucket.acquire() for _ in range(9)] == [0.0] * 8 + [0.25]
    clock.advance(10.0)
    assert [await bucket.acquire() for _ in range(9)] == [0.0] * 8 + [0.25]


async def test_a_probing_bucket_takes_its_burst_from_the_first_report() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 4.0, 10, clock, margin=2, probe=True)
    assert [await bucket.acquire() for _ in range(2)] == [0.0, 0.25]
    bucket.quota(clock.monotonic(), remaining=6, reset=1)  # VTEX's bucket was not full
    assert not bucket.calibrating and bucket.tokens == 4.0
    bucket.quota(clock.monotonic(), remaining=9, reset=1)
    assert bucket.tokens == 4.0  # later reports only cap


def test_the_limiter_gives_each_bucket_its_jitter_margin() -> None:
    limiter = Limiter(PUBLISHED_LIMITS, FakeClock(), jitter_s=0.25)
    [write] = limiter.plan(Api.PRICING, "PUT", PRICE).buckets
    assert (write.margin, write.capacity, write.calibrating, write.tokens) == (9.0, 491.0, True, 1.0)
    account, endpoint = limiter.plan(Api.CATALOG, "GET", SKU).buckets
    assert (account.margin, account.tokens) == (188.0, 750.0 - 188.0)
    assert (endpoint.margin, endpoint.tokens) == (63.0, 250.0 - 63.0)


async def test_bucket_spends_burst_then_waits_one_interval_per_token() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 4.0, 2, clock, tokens=2)
    waits = [await bucket.acquire() for _ in range(4)]
    assert waits == [0.0, 0.0, 0.25, 0.25]
    assert clock.sleeps == [0.25, 0.25]


async def test_bucket_refills_while_idle_up_to_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 1.0, 3, clock)
    for _ in range(3):
        await bucket.acquire()
    clock.advance(100.0)
    for _ in range(3):
        assert await bucket.acquire() == 0.0
    assert await bucket.acquire() == pytest.approx(1.0)


async def test_the_refill_is_exactly_the_configured_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 10.0, 1, clock)
    await bucket.acquire()
    assert await bucket.acquire() == pytest.approx(0.1)


async def test_waiters_are_served_in_arrival_order_with_one_sleeper_at_a_time() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 2.0, 1, clock)
    served: list[int] = []

    async def take(i: int) -> None:
        await bucket.acquire()
        served.append(i)

    await asyncio.gather(*(take(i) for i in range(5)))
    assert served == [0, 1, 2, 3, 4]
    assert clock.sleeps == [0.5] * 4  # head-of-line: fake time advanced exactly 2 s for 5 tokens at 2/s
    assert clock.monotonic() == pytest.approx(1_002.0)


async def test_newcomer_does_not_overtake_a_waiting_caller() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 1.0, 1, clock)
    await bucket.acquire()
    order: list[str] = []

    async def take(name: str) -> None:
        await bucket.acquire()
        order.append(name)

    first = asyncio.create_task(take("first"))
    await asyncio.sleep(0)
    clock.advance(1.0)  # a token is due, but "first" is already queued for it
    await take("second")
    await first
    assert order == ["first", "second"]


async def test_429_halves_rate_blocks_until_retry_after_and_success_recovers() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 10.0, 5, clock)
    bucket.throttled(clock.monotonic(), retry_after=3.0)
    assert bucket.rate == 5.0
    assert await bucket.acquire() == pytest.approx(3.0)  # the one request VTEX will accept then
    assert await bucket.acquire() == pytest.approx(0.2)  # the lowered rate: 5/s
    for _ in range(24):
        bucket.succeeded()
    assert bucket.rate == pytest.approx(9.8)
    bucket.succeeded()
    bucket.succeeded()
    assert bucket.rate == 10.0  # never above the configured rate


async def test_repeated_429s_stop_at_a_floor_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 10.0, 1, clock)
    for _ in range(20):
        bucket.throttled(clock.monotonic(), None)
    assert bucket.rate == pytest.approx(0.5)


async def test_ratelimit_remaining_caps_credits_less_the_margin() -> None:
    clock = FakeClock()
    bucket = TokenBucket("b", 10.0, 100, clock, tokens=100)
    bucket.quota(clock.monotonic(), remaining=2, reset=None)
    assert bucket.tokens == 2.0
    bucket.quota(clock.monotonic(), remaining=50, reset=None)
    assert bucket.tokens == 2.0  # never raised by the server's count
    bucket.quota(clock.monotonic(), remaining=0, reset=7)
    assert await bucket.acquire() == pytest.approx(0.1)  # one credit at the rate, not the full reset
    margined = TokenBucket("m", 10.0, 100, clock, margin=3)
    margined.quota(clock.monotonic(), remaining=1, reset=None)
    assert await margined.acquire() == pytest.approx(0.3)  # 1 - 3 credits: three intervals


def test_limiter_applies_429_to_the_route_bucket_only_and_headers_to_all() -> None:
    clock = FakeClock()
    limiter = Limiter(PUBLISHED_LIMITS, clock)
    plan = limiter.plan(Api.CATALOG, "GET", SKU)
    account, endpoint = plan.buckets
    limiter.observe(plan, 429, {}, 2.0)
    assert endpoint.rate == 125.0 and endpoint.blocked_until == clock.monotonic() + 2.0
    assert account.rate == 750.0 and account.blocked_until < clock.monotonic()
    clock.advance(1.0)
    limiter.observe(plan, 200, {"ratelimit-remaining": "3", "ratelimit-reset": "1"}, None)
    assert account.tokens == 3.0 - 188.0  # capped by the server's 3, less its jitter margin
    assert endpoint.tokens == 3.0 - 63.0 and endpoint.blocked_until > clock.monotonic()  # still blocked


async def test_limiter_learns_a_gate_for_an_unbudgeted_route_shared_by_its_methods() -> None:
    clock = FakeClock()
    limiter = Limiter(PUBLISHED_LIMITS, clock)
    get = limiter.plan(Api.ORDERS, "GET", "/api/orders/feed")
    post = limiter.plan(Api.ORDERS, "POST", "/api/orders/feed")
    limiter.observe(get, 429, {}, 5.0)
    assert [b.name for b in get.buckets] == ["learned:/api/orders/feed"]
    assert post.buckets == get.buckets
    assert await limiter.acquire(post) == pytest.approx(5.0)
    assert await limiter.acquire(post) == 0.0  # a gate blocks, it does not ration
    later = limiter.plan(Api.ORDERS, "DELETE", "/api/orders/feed")
    assert later.buckets == get.buckets


async def test_garbage_rate_limit_headers_are_ignored() -> None:
    clock = FakeClock()
    limiter = Limiter(PUBLISHED_LIMITS, clock, jitter_s=0.0)
    plan = limiter.plan(Api.PRICING, "PUT", PRICE)
    plan.buckets[0].calibrating = False
    clock.advance(60.0)
    for headers in ({"ratelimit-remaining": "soon", "ratelimit-reset": "1"}, {"ratelimit-remaining": "nan"}):
        limiter.observe(plan, 200, headers, None)
    limiter.observe(plan, 200, {"ratelimit-remaining": "-1"}, None)
    limiter.observe(plan, 200, {"ratelimit-remaining": "inf"}, None)
    assert await limiter.acquire(plan) == 0.0
    assert plan.buckets[0].tokens == 499.0  # the full burst, less this call


async def test_a_burst_too_small_for_the_margin_is_paced_under_the_rate() -> None:
    clock = FakeClock()
    limiter = Limiter([LimitRule("tiny", 10.0, 2, "/x")], clock, jitter_s=0.25)
    [bucket] = limiter.plan(Api.ORDERS, "GET", "/x").buckets
    assert bucket.capacity == 1.0  # the margin of 3 does not fit in 2 credits
    await limiter.acquire(limiter.plan(Api.ORDERS, "GET", "/x"))
    assert await limiter.acquire(limiter.plan(Api.ORDERS, "GET", "/x")) == pytest.approx(0.1 / 0.98)
