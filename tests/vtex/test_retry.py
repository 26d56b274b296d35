"""The pure retry policy: one decision per (call, failure, attempt)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vtexbridge.clock import FakeClock
from vtexbridge.vtex.errors import (
    BadRequest,
    CircuitOpen,
    Conflict,
    Forbidden,
    Locked,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unauthorized,
    Unavailable,
    VtexConnectError,
    VtexError,
    VtexTimeout,
    VtexTransportError,
)
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.retry import GiveUp, Retry, RetryPolicy
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call

GET = Call(Api.CATALOG, "GET", "/api/catalog/pvt/product/{productId}", {"productId": 1})
PUT = Call(Api.PRICING, "PUT", "/pricing/prices/{itemId}", {"itemId": 1})
POST = Call(Api.CATALOG, "POST", "/api/catalog/pvt/stockkeepingunit")
POST_READ = Call(
    Api.CATALOG, "POST", "/api/catalog_system/pub/sku/stockkeepingunitidsbyrefids", idempotent=True
)


def policy(rand: float = 0.5, max_retries: int = 5) -> RetryPolicy:
    return RetryPolicy(max_retries=max_retries, backoff_base_s=1.0, backoff_max_s=30.0, random=lambda: rand)


def status(cls: type[VtexError], code: int, retry_after: float | None = None) -> VtexError:
    err = cls("x", method="GET", route="/r", status=code)
    if retry_after is not None:
        err.retry_after = retry_after  # type: ignore[attr-defined]
    return err


def test_from_settings_reads_the_retry_settings_and_the_clock_randomness() -> None:
    settings = VtexSettings(max_retries=2, backoff_base_s=0.25, backoff_max_s=4.0)
    p = RetryPolicy.from_settings(settings, FakeClock(rand=0.2))
    assert (p.max_retries, p.backoff_base_s, p.backoff_max_s) == (2, 0.25, 4.0)
    assert p.backoff(3) == pytest.approx(0.2 * 1.0)


def test_full_jitter_stays_within_zero_and_the_capped_exponential() -> None:
    draws: Iterator[float] = iter([0.0, 0.999999] * 12)
    p = RetryPolicy(max_retries=9, backoff_base_s=0.5, backoff_max_s=10.0, random=lambda: next(draws))
    for attempt in range(1, 13):
        ceiling = min(10.0, 0.5 * 2 ** (attempt - 1))
        assert p.backoff(attempt) == 0.0
        assert ceiling * 0.999 < p.backoff(attempt) < ceiling


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (VtexConnectError("refused"), "connect"),
        (VtexTimeout("slow"), "timeout"),
        (VtexTransportError("reset"), "network"),
        (status(ServerError, 500), "server_error"),
        (status(Unavailable, 503), "unavailable"),
        (status(RateLimited, 429), "rate_limited"),
    ],
)
def test_transient_failures_of_a_get_back_off(outcome: VtexError, reason: str) -> None:
    assert policy().decide(GET, outcome, 2) == Retry(1.0, reason)  # 0.5 * 1.0 * 2**1


@pytest.mark.parametrize(
    "outcome",
    [
        status(BadRequest, 400),
        status(Unauthorized, 401),
        status(Forbidden, 403),
        status(NotFound, 404),
        status(Conflict, 409),
        CircuitOpen("open", reopens_in=3.0),
    ],
)
def test_final_failures_are_never_retried(outcome: VtexError) -> None:
    assert policy().decide(GET, outcome, 1) == GiveUp(outcome)


def test_server_hint_wins_for_429_and_5xx() -> None:
    assert policy().decide(GET, status(RateLimited, 429, retry_after=12.0), 1) == Retry(12.0, "rate_limited")
    assert policy().decide(GET, status(Unavailable, 503, retry_after=2.0), 1) == Retry(2.0, "unavailable")


def test_a_hint_longer_than_backoff_max_is_surfaced() -> None:
    err = status(RateLimited, 429, retry_after=60.5)
    assert policy().decide(GET, err, 1) == GiveUp(err)


@pytest.mark.parametrize(("rand", "delay"), [(0.0, 1.0), (0.5, 2.0), (0.999, 2.998)])
def test_locked_gets_a_short_wait_between_one_and_three_seconds(rand: float, delay: float) -> None:
    decision = policy(rand).decide(PUT, status(Locked, 423), 4)
    assert isinstance(decision, Retry) and decision.reason == "locked"
    assert decision.delay == pytest.approx(delay)


def test_max_retries_bounds_every_kind_of_retry() -> None:
    err = status(ServerError, 500)
    assert isinstance(policy(max_retries=2).decide(GET, err, 2), Retry)
    assert policy(max_retries=2).decide(GET, err, 3) == GiveUp(err)
    locked = status(Locked, 423)
    assert policy(max_retries=0).decide(PUT, locked, 1) == GiveUp(locked)
    hinted = status(RateLimited, 429, retry_after=1.0)
    assert policy(max_retries=1).decide(GET, hinted, 2) == GiveUp(hinted)


def test_sent_but_unanswered_write_becomes_outcome_unknown() -> None:
    timeout = VtexTimeout("timed out", method="POST", route="/api/catalog/pvt/stockkeepingunit")
    decision = policy().decide(POST, timeout, 1)
    assert isinstance(decision, GiveUp) and isinstance(decision.error, OutcomeUnknown)
    assert decision.error.route == "/api/catalog/pvt/stockkeepingunit"
    assert "looking the entity up" in decision.error.message


def test_write_that_timed_out_before_sending_is_retried() -> None:
    pool = VtexTimeout("no connection from the pool", request_sent=False)
    assert policy().decide(POST, pool, 1) == Retry(0.5, "timeout")
    assert policy().decide(POST, VtexConnectError("refused"), 1) == Retry(0.5, "connect")


@pytest.mark.parametrize("code", [500, 502, 504])
def test_write_answered_with_an_ambiguous_5xx_becomes_outcome_unknown(code: int) -> None:
    decision = policy().decide(POST, status(ServerError, code), 1)
    assert isinstance(decision, GiveUp) and isinstance(decision.error, OutcomeUnknown)
    assert decision.error.status == code


def test_write_answered_503_or_429_was_not_applied_and_is_retried() -> None:
    assert policy().decide(POST, status(Unavailable, 503), 1) == Retry(0.5, "unavailable")
    assert policy().decide(POST, status(RateLimited, 429, 3.0), 1) == Retry(3.0, "rate_limited")


def test_a_post_declared_idempotent_is_retried_like_a_get() -> None:
    assert policy().decide(POST_READ, VtexTimeout("slow"), 1) == Retry(0.5, "timeout")
    assert policy().decide(POST_READ, status(ServerError, 502), 1) == Retry(0.5, "server_error")


def test_outcome_unknown_is_never_retried() -> None:
    err = OutcomeUnknown("already unknown")
    assert policy().decide(PUT, err, 1) == GiveUp(err)
