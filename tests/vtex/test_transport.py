"""Transport behaviour against respx-mocked VTEX hosts, timed with the fake clock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
from prometheus_client import CollectorRegistry

from vtexbridge.clock import FakeClock
from vtexbridge.errors import RecordRef
from vtexbridge.vtex.errors import (
    BadRequest,
    CircuitOpen,
    Locked,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unauthorized,
    Unavailable,
    VtexTimeout,
)
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.limits import PUBLISHED_LIMITS, Limiter, LimitRule
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call, Transport

STORE = "https://acme.vtexcommercestable.com.br"
PRICING = "https://api.vtex.com/acme"
APP_KEY = "vtexappkey-acme-KEYKEY"
APP_TOKEN = "app-token-secret-0123456789"
PRODUCT = "/api/catalog/pvt/product/{productId}"
PRICE = "/pricing/prices/{itemId}"
SKU_CREATE = "/api/catalog/pvt/stockkeepingunit"
INVENTORY = "/api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}"


def make_settings(**overrides: Any) -> VtexSettings:
    values: dict[str, Any] = {
        "account": "acme",
        "app_key": APP_KEY,
        "app_token": APP_TOKEN,
        "max_retries": 3,
        "backoff_base_s": 1.0,
        "backoff_max_s": 30.0,
        "breaker_threshold": 3,
        "breaker_cooldown_s": 20.0,
    }
    values.update(overrides)
    return VtexSettings(**values)


@pytest.fixture
def vtex() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(rand=0.5)


@pytest.fixture
async def transport(clock: FakeClock) -> AsyncIterator[Transport]:
    async with Transport(make_settings(), clock=clock) as t:
        yield t


def get_product(product_id: int = 1) -> Call:
    return Call(Api.CATALOG, "GET", PRODUCT, {"productId": product_id})


async def test_app_key_and_token_and_json_headers_are_sent(
    vtex: respx.MockRouter, transport: Transport
) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/7").respond(200, json={"Id": 7})
    response = await transport.send(get_product(7))
    assert response.json() == {"Id": 7}
    sent = route.calls.last.request
    assert sent.headers["X-VTEX-API-AppKey"] == APP_KEY
    assert sent.headers["X-VTEX-API-AppToken"] == APP_TOKEN
    assert sent.headers["Accept"] == "application/json"
    assert "VtexIdclientAutCookie" not in sent.headers


async def test_user_token_is_sent_as_vtexidclientautcookie(vtex: respx.MockRouter, clock: FakeClock) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").respond(200, json={})
    settings = make_settings(app_key=None, app_token=None, user_token="user-jwt-token-abcdef")
    async with Transport(settings, clock=clock) as t:
        await t.send(get_product())
    sent = route.calls.last.request
    assert sent.headers["VtexIdclientAutCookie"] == "user-jwt-token-abcdef"
    assert "X-VTEX-API-AppKey" not in sent.headers


async def test_base_url_sends_store_host_header_but_not_for_account_path_apis(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    store = vtex.get("http://127.0.0.1:9000/api/catalog/pvt/product/1").respond(200, json={})
    price = vtex.get("http://127.0.0.1:9000/acme/pricing/prices/5").respond(200, json={})
    async with Transport(make_settings(base_url="http://127.0.0.1:9000"), clock=clock) as t:
        await t.send(get_product())
        await t.request(Api.PRICING, "GET", PRICE, path={"itemId": 5})
    assert store.calls.last.request.headers["Host"] == "acme.vtexcommercestable.com.br"
    assert price.calls.last.request.headers["Host"] == "127.0.0.1:9000"


async def test_path_values_are_quoted_and_none_params_dropped(
    vtex: respx.MockRouter, transport: Transport
) -> None:
    route = vtex.get(f"{STORE}/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/A%2FB").respond(200)
    await transport.request(
        Api.CATALOG,
        "GET",
        "/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/{refId}",
        path={"refId": "A/B"},
        params={"sc": None, "x": 1},
    )
    assert route.calls.last.request.url.params == httpx.QueryParams({"x": "1"})


async def test_connect_error_then_429_with_retry_after_then_200(
    vtex: respx.MockRouter, transport: Transport, clock: FakeClock
) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").mock(
        side_effect=[
            httpx.ConnectError("connection refused"),
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json={"Id": 1}),
        ]
    )
    response = await transport.send(get_product())
    assert response.status_code == 200
    assert route.call_count == 3
    # backoff of attempt 1 with full jitter (random 0.5 * base 1.0), then the server's hint exactly
    assert clock.sleeps == [0.5, 7.0]
    assert transport.sent == 3  # every attempt, whatever its answer (a run's own request count)


async def test_5xx_backoff_doubles_within_full_jitter_bounds(vtex: respx.MockRouter) -> None:
    clock = FakeClock(rand=0.75)
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").mock(
        side_effect=[httpx.Response(500), httpx.Response(502), httpx.Response(504), httpx.Response(200)]
    )
    async with Transport(make_settings(), clock=clock) as t:
        await t.send(get_product())
    assert route.call_count == 4
    assert clock.sleeps == [0.75 * 1.0, 0.75 * 2.0, 0.75 * 4.0]


async def test_backoff_is_capped_by_backoff_max(vtex: respx.MockRouter) -> None:
    clock = FakeClock(rand=0.5)
    vtex.get(f"{STORE}/api/catalog/pvt/product/1").mock(
        side_effect=[httpx.Response(500)] * 4 + [httpx.Response(200)]
    )
    async with Transport(make_settings(max_retries=4, backoff_max_s=3.0), clock=clock) as t:
        await t.send(get_product())
    assert clock.sleeps == [0.5, 1.0, 1.5, 1.5]


async def test_423_locked_gets_a_short_retry(
    vtex: respx.MockRouter, transport: Transport, clock: FakeClock
) -> None:
    route = vtex.put(f"{STORE}/api/logistics/pvt/inventory/skus/1/warehouses/wh1").mock(
        side_effect=[
            httpx.Response(423, text="Unable to acquire lock for key"),
            httpx.Response(200, json=True),
        ]
    )
    await transport.request(
        Api.LOGISTICS, "PUT", INVENTORY, path={"skuId": 1, "warehouseId": "wh1"}, json={"quantity": 3}
    )
    assert route.call_count == 2
    assert clock.sleeps == [2.0]  # 1 s + random 0.5 * 2 s: within [1, 3]


async def test_4xx_is_not_retried_and_error_carries_the_request_context(
    vtex: respx.MockRouter, transport: Transport, clock: FakeClock
) -> None:
    route = vtex.post(f"{STORE}{SKU_CREATE}").respond(
        400,
        json={"error": {"code": "SKU-7", "message": "RefId already exists"}},
        headers={"X-Request-Id": "req-42"},
    )
    ref = RecordRef("sku", key="SKU-1", source="skus.csv", row=3)
    with pytest.raises(BadRequest) as info:
        await transport.request(Api.CATALOG, "POST", SKU_CREATE, json={"RefId": "SKU-1"}, record=ref)
    err = info.value
    assert route.call_count == 1 and clock.sleeps == []
    assert (err.method, err.route, err.status) == ("POST", SKU_CREATE, 400)
    assert err.url == f"{STORE}{SKU_CREATE}"
    assert (err.vtex_code, err.vtex_message, err.request_id) == ("SKU-7", "RefId already exists", "req-42")
    assert err.record == ref
    assert str(err) == (
        f"skus.csv:3 (sku SKU-1): POST {SKU_CREATE} -> 400: Bad Request: [SKU-7] RefId already exists "
        "(request id req-42)"
    )


async def test_401_is_unauthorized_and_not_retried(vtex: respx.MockRouter, transport: Transport) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").respond(401)
    with pytest.raises(Unauthorized) as info:
        await transport.send(get_product())
    assert route.call_count == 1
    assert info.value.category == "config" and not info.value.retryable


async def test_post_read_timeout_is_outcome_unknown_and_sent_exactly_once(
    vtex: respx.MockRouter, transport: Transport, clock: FakeClock
) -> None:
    route = vtex.post(f"{STORE}{SKU_CREATE}").mock(side_effect=httpx.ReadTimeout("read timed out"))
    with pytest.raises(OutcomeUnknown) as info:
        await transport.request(Api.CATALOG, "POST", SKU_CREATE, json={"RefId": "SKU-1"})
    assert route.call_count == 1 and clock.sleeps == []
    assert "looking the entity up" in str(info.value)
    assert not info.value.retryable
    assert isinstance(info.value.__cause__, VtexTimeout)
    assert isinstance(info.value.__cause__.__cause__, httpx.ReadTimeout)


async def test_post_answered_502_is_outcome_unknown_not_resent(
    vtex: respx.MockRouter, transport: Transport
) -> None:
    route = vtex.post(f"{STORE}{SKU_CREATE}").respond(502)
    with pytest.raises(OutcomeUnknown) as info:
        await transport.request(Api.CATALOG, "POST", SKU_CREATE, json={})
    assert route.call_count == 1
    assert info.value.status == 502
    assert isinstance(info.value.__cause__, ServerError)


async def test_post_connect_error_is_retried_because_nothing_was_sent(
    vtex: respx.MockRouter, transport: Transport
) -> None:
    route = vtex.post(f"{STORE}{SKU_CREATE}").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={"Id": 9})]
    )
    response = await transport.request(Api.CATALOG, "POST", SKU_CREATE, json={})
    assert response.json() == {"Id": 9} and route.call_count == 2


async def test_idempotent_put_timeout_is_retried(vtex: respx.MockRouter, transport: Transport) -> None:
    route = vtex.put(f"{PRICING}/pricing/prices/1").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200)]
    )
    await transport.request(Api.PRICING, "PUT", PRICE, path={"itemId": 1}, json={"basePrice": 10})
    assert route.call_count == 2


async def test_gives_up_after_max_retries_with_the_attempt_count(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").respond(500)
    async with Transport(make_settings(max_retries=2), clock=clock) as t:
        with pytest.raises(ServerError) as info:
            await t.send(get_product())
    assert route.call_count == 3
    assert info.value.attempts == 3 and "(after 3 attempts)" in str(info.value)


async def test_retry_after_beyond_backoff_max_is_surfaced_not_slept(
    vtex: respx.MockRouter, transport: Transport, clock: FakeClock
) -> None:
    vtex.get(f"{STORE}/api/catalog/pvt/product/1").respond(429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as info:
        await transport.send(get_product())
    assert info.value.retry_after == 120.0 and clock.sleeps == []


async def test_breaker_opens_after_threshold_503s_and_fails_fast(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").respond(503)
    other = vtex.get(f"{STORE}/api/logistics/pvt/configuration/warehouses").respond(200, json=[])
    async with Transport(make_settings(max_retries=0), clock=clock) as t:
        for _ in range(3):
            with pytest.raises(Unavailable):
                await t.send(get_product())
        clock.advance(5.0)
        with pytest.raises(CircuitOpen) as info:
            await t.send(get_product())
        await t.request(Api.LOGISTICS, "GET", "/api/logistics/pvt/configuration/warehouses")
    assert route.call_count == 3
    assert info.value.reopens_in == pytest.approx(15.0)
    assert other.call_count == 1  # other API areas have breakers of their own


async def test_retries_stop_when_the_breaker_opens_instead_of_sleeping_the_cooldown(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").respond(503)
    async with Transport(make_settings(max_retries=6), clock=clock) as t:
        with pytest.raises(CircuitOpen) as info:
            await t.send(get_product())
    assert route.call_count == 3
    assert isinstance(info.value.__cause__, Unavailable)
    assert clock.sleeps == [0.5, 1.0]


async def test_half_open_probe_success_closes_the_breaker(vtex: respx.MockRouter, clock: FakeClock) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").mock(
        side_effect=[httpx.Response(503)] * 3 + [httpx.Response(200), httpx.Response(200)]
    )
    async with Transport(make_settings(max_retries=0), clock=clock) as t:
        for _ in range(3):
            with pytest.raises(Unavailable):
                await t.send(get_product())
        clock.advance(20.0)
        assert (await t.send(get_product())).status_code == 200
        assert (await t.send(get_product())).status_code == 200
    assert route.call_count == 5


async def test_half_open_probe_503_reopens_for_another_cooldown(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    route = vtex.get(f"{STORE}/api/catalog/pvt/product/1").respond(503)
    async with Transport(make_settings(max_retries=0), clock=clock) as t:
        for _ in range(3):
            with pytest.raises(Unavailable):
                await t.send(get_product())
        clock.advance(20.0)
        with pytest.raises(Unavailable):
            await t.send(get_product())
        with pytest.raises(CircuitOpen) as info:
            await t.send(get_product())
    assert route.call_count == 4 and info.value.reopens_in == pytest.approx(20.0)


def exact_limiter(clock: FakeClock, *rules: LimitRule) -> Limiter:
    return Limiter(rules or PUBLISHED_LIMITS, clock, jitter_s=0.0)


async def test_route_and_account_buckets_are_both_applied(vtex: respx.MockRouter, clock: FakeClock) -> None:
    rules = (
        LimitRule("account", 2.0, 1, "/api/catalog*", api=Api.CATALOG),
        LimitRule("endpoint", 0.5, 1, "/api/catalog*", api=Api.CATALOG, per_route=True),
    )
    vtex.get(url__regex=rf"{STORE}/api/catalog/pvt/product/\d+").respond(200, json={})
    vtex.get(f"{STORE}/api/catalog/pvt/brand/1").respond(200, json={})
    async with Transport(make_settings(), clock=clock, limiter=exact_limiter(clock, *rules)) as t:
        await t.send(get_product(1))  # t=0: both full
        await t.request(Api.CATALOG, "GET", "/api/catalog/pvt/brand/{id}", path={"id": 1})  # account: 0.5 s
        await t.send(get_product(2))  # account ok at 1.0; product endpoint bucket needs 2 s since t=0
    assert clock.sleeps == [0.5, 0.5, 1.0]


async def test_429_lowers_the_route_rate_and_blocks_it_until_retry_after(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    route = vtex.put(f"{PRICING}/pricing/prices/1").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200)]
    )
    limiter = exact_limiter(clock)
    async with Transport(make_settings(), clock=clock, limiter=limiter) as t:
        await t.request(Api.PRICING, "PUT", PRICE, path={"itemId": 1}, json={})
    bucket = limiter.bucket("pricing-write")
    assert bucket is not None
    assert route.call_count == 2 and clock.sleeps == [3.0]
    assert bucket.rate == pytest.approx(33.0 * 0.5 + 33.0 * 0.02)  # halved, then one success added back


async def test_ratelimit_remaining_zero_waits_for_one_credit(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    vtex.put(f"{PRICING}/pricing/prices/1").respond(
        200, headers={"Ratelimit-Limit": "500", "Ratelimit-Remaining": "0", "Ratelimit-Reset": "16"}
    )
    async with Transport(make_settings(), clock=clock, limiter=exact_limiter(clock)) as t:
        await t.request(Api.PRICING, "PUT", PRICE, path={"itemId": 1}, json={})
        await t.request(Api.PRICING, "PUT", PRICE, path={"itemId": 1}, json={})
    # Ratelimit-Reset is the time until VTEX's bucket is full, not until the next credit: 1/33 s
    assert clock.sleeps == [pytest.approx(1 / 33)]


async def test_pricing_takes_its_burst_from_vtexs_first_answer(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    vtex.put(f"{PRICING}/pricing/prices/1").respond(
        200, headers={"Ratelimit-Limit": "500", "Ratelimit-Remaining": "499", "Ratelimit-Reset": "1"}
    )
    limiter = Limiter(PUBLISHED_LIMITS, clock)  # the default jitter margin: ceil(33 * 0.25) = 9 credits
    async with Transport(make_settings(), clock=clock, limiter=limiter) as t:
        for _ in range(491):
            await t.request(Api.PRICING, "PUT", PRICE, path={"itemId": 1}, json={})
        assert clock.sleeps == []  # one probe, then VTEX's 499 credits less the margin of 9
        await t.request(Api.PRICING, "PUT", PRICE, path={"itemId": 1}, json={})
    assert clock.sleeps == [pytest.approx(1 / 33)]  # then exactly the rate, with no headroom


async def test_route_without_budget_learns_a_gate_from_429(vtex: respx.MockRouter, clock: FakeClock) -> None:
    route = vtex.get(f"{STORE}/api/orders/feed").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(200, json=[])]
    )
    async with Transport(make_settings(max_retries=0), clock=clock) as t:
        with pytest.raises(RateLimited):
            await t.request(Api.ORDERS, "GET", "/api/orders/feed", params={"maxlot": 10})
        await t.request(Api.ORDERS, "GET", "/api/orders/feed", params={"maxlot": 10})
    assert route.call_count == 2 and clock.sleeps == [4.0]


async def test_config_limits_override_the_published_budget(vtex: respx.MockRouter, clock: FakeClock) -> None:
    vtex.delete(f"{PRICING}/pricing/prices/1").respond(200)
    settings = make_settings(
        limits=[{"pattern": "/pricing/*", "methods": ["DELETE"], "rate_per_s": 2, "burst": 1}]
    )
    async with Transport(settings, clock=clock) as t:
        for _ in range(2):
            await t.request(Api.PRICING, "DELETE", PRICE, path={"itemId": 1})
    assert clock.sleeps == [
        pytest.approx(0.5 / 0.98)
    ]  # 2/s; a burst of 1 has no room for a margin: 2 % under


async def test_secrets_never_appear_in_errors_or_logs(
    vtex: respx.MockRouter, transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    vtex.get(f"{STORE}/api/catalog/pvt/product/1").respond(
        401, json={"Message": f"token {APP_TOKEN} of key {APP_KEY} refused"}
    )
    with caplog.at_level(logging.DEBUG, logger="vtexbridge.vtex"), pytest.raises(Unauthorized) as info:
        await transport.send(get_product())
    rendered = [str(info.value), repr(info.value), caplog.text]
    for text in rendered:
        assert APP_TOKEN not in text and APP_KEY not in text
    assert "token *** of key *** refused" in str(info.value)
    assert f"VTEX GET {PRODUCT} -> 401" in caplog.text


async def test_one_debug_line_per_attempt(
    vtex: respx.MockRouter, transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    vtex.get(f"{STORE}/api/catalog/pvt/product/1").mock(
        side_effect=[httpx.Response(500), httpx.Response(200)]
    )
    with caplog.at_level(logging.DEBUG, logger="vtexbridge.vtex.transport"):
        await transport.send(get_product())
    lines = [r for r in caplog.records if r.name == "vtexbridge.vtex.transport"]
    assert [(r.status, r.attempt) for r in lines] == [("500", 1), ("200", 2)]  # type: ignore[attr-defined]
    assert all(r.route == PRODUCT for r in lines)  # type: ignore[attr-defined]


async def test_metrics_count_requests_429s_retries_waits_and_breaker(
    vtex: respx.MockRouter, clock: FakeClock
) -> None:
    registry = CollectorRegistry()
    vtex.get(f"{STORE}/api/catalog/pvt/product/1").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200)]
    )
    vtex.get(f"{STORE}/api/logistics/pvt/configuration/warehouses").respond(503)
    settings = make_settings(breaker_threshold=1, max_retries=1)
    async with Transport(settings, clock=clock, metrics=TransportMetrics(registry)) as t:
        await t.send(get_product())
        for _ in range(2):
            with pytest.raises(CircuitOpen):
                await t.request(Api.LOGISTICS, "GET", "/api/logistics/pvt/configuration/warehouses")

    def value(name: str, **labels: str) -> float | None:
        result: float | None = registry.get_sample_value(name, labels)
        return result

    catalog = {"api": "catalog", "route": PRODUCT}
    assert value("vtexbridge_vtex_requests_total", **catalog, method="GET", status="429") == 1
    assert value("vtexbridge_vtex_requests_total", **catalog, method="GET", status="200") == 1
    assert value("vtexbridge_vtex_rate_limited_total", **catalog) == 1
    assert value("vtexbridge_vtex_retries_total", api="catalog", reason="rate_limited") == 1
    assert value("vtexbridge_vtex_request_duration_seconds_count", **catalog) == 2
    assert value("vtexbridge_vtex_breaker_state", api="logistics") == 2
    warehouses = {"api": "logistics", "route": "/api/logistics/pvt/configuration/warehouses", "method": "GET"}
    assert value("vtexbridge_vtex_requests_total", **warehouses, status="503") == 1
    assert value("vtexbridge_vtex_requests_total", **warehouses, status="circuit_open") == 1
    assert value("vtexbridge_vtex_limiter_wait_seconds_total", **catalog) is None


async def test_limiter_wait_is_measured(vtex: respx.MockRouter, clock: FakeClock) -> None:
    registry = CollectorRegistry()
    vtex.delete(f"{PRICING}/pricing/prices/1").respond(200)
    limiter = exact_limiter(clock, LimitRule("slow", 4.0, 1, "/pricing/*"))
    async with Transport(
        make_settings(), clock=clock, limiter=limiter, metrics=TransportMetrics(registry)
    ) as t:
        for _ in range(3):
            await t.request(Api.PRICING, "DELETE", PRICE, path={"itemId": 1})
    labels = {"api": "pricing", "route": PRICE}
    assert registry.get_sample_value("vtexbridge_vtex_limiter_wait_seconds_total", labels) == 0.5


async def test_locked_error_is_raised_after_retries(vtex: respx.MockRouter, clock: FakeClock) -> None:
    vtex.put(f"{STORE}/api/logistics/pvt/inventory/skus/1/warehouses/w").respond(423)
    async with Transport(make_settings(max_retries=1), clock=clock) as t:
        with pytest.raises(Locked):
            await t.request(Api.LOGISTICS, "PUT", INVENTORY, path={"skuId": 1, "warehouseId": "w"}, json={})
    assert clock.sleeps == [2.0]
