"""VTEX's published rate limits, enforced per account (vtex-api-notes §h).

- **Pricing** (``/pricing/...``): POST/PUT/PATCH share a token bucket (33 credits/s, 500 burst credits),
  DELETE has its own (16/s, 300); GET is not limited. Every pricing response carries
  ``Ratelimit-Limit`` (bucket size), ``Ratelimit-Remaining`` (credits left) and ``Ratelimit-Reset``
  (seconds until the bucket is full again); GET responses report the write bucket without spending.
  An empty bucket answers ``429`` with ``Retry-After`` (seconds until one credit is back).
- **Catalog** (``/api/catalog/...`` and ``/api/catalog_system/...``): 45,000 requests/min per account
  and 15,000/min per endpoint (method + route template), as token buckets of that size refilled
  continuously; over budget answers ``429`` with ``Retry-After``.

Time comes from the app's :class:`~vtexbridge.clock.Clock`, so tests drive refills with a fake clock.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from vtexbridge.sandbox.options import RateLimitSettings

PRICING_WRITE = frozenset({"POST", "PUT", "PATCH"})


@dataclass(slots=True)
class TokenBucket:
    """``capacity`` credits, refilled at ``rate`` per second up to ``capacity``."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def take(self, now: float) -> bool:
        self.refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def retry_after(self) -> int:
        """Whole seconds until one credit is available (at least 1)."""
        return max(1, math.ceil((1.0 - self.tokens) / self.rate)) if self.rate > 0 else 60

    def reset_after(self) -> int:
        """Whole seconds until the bucket is full."""
        return max(0, math.ceil((self.capacity - self.tokens) / self.rate)) if self.rate > 0 else 0


@dataclass(frozen=True, slots=True)
class LimitOutcome:
    """``allowed`` or not, the headers to add to the response, and ``Retry-After`` when refused."""

    allowed: bool
    headers: dict[str, str]
    scope: str = ""


ALLOWED = LimitOutcome(True, {})


class RateLimiter:
    """All buckets of one app; ``enabled=False`` lets everything through without headers."""

    def __init__(self, settings: RateLimitSettings, *, enabled: bool = True) -> None:
        self.settings = settings
        self.enabled = enabled
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _bucket(self, key: tuple[str, ...], capacity: float, rate: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(capacity, rate, capacity, now)
        return bucket

    def check(self, account: str, method: str, template: str, now: float) -> LimitOutcome:
        """Spend a credit for one request (if the route is limited) and say whether it may proceed."""
        if not self.enabled:
            return ALLOWED
        if template.startswith("/pricing/"):
            return self._pricing(account, method, now)
        if template.startswith(("/api/catalog/", "/api/catalog_system/")):
            return self._catalog(account, method, template, now)
        return ALLOWED

    def _pricing(self, account: str, method: str, now: float) -> LimitOutcome:
        s = self.settings
        if method == "DELETE":
            key, capacity, rate = (
                (account, "pricing", "delete"),
                s.pricing_delete_burst,
                s.pricing_delete_per_second,
            )
        else:
            key, capacity, rate = (
                (account, "pricing", "write"),
                s.pricing_write_burst,
                s.pricing_write_per_second,
            )
        with self._lock:
            bucket = self._bucket(key, capacity, rate, now)
            if method == "DELETE" or method in PRICING_WRITE:
                allowed = bucket.take(now)
            else:
                bucket.refill(now)
                allowed = True
            headers = {
                "Ratelimit-Limit": str(int(capacity)),
                "Ratelimit-Remaining": str(max(0, math.floor(bucket.tokens))),
                "Ratelimit-Reset": str(bucket.reset_after()),
            }
            if not allowed:
                headers["Retry-After"] = str(bucket.retry_after())
        return LimitOutcome(allowed, headers, "pricing")

    def _catalog(self, account: str, method: str, template: str, now: float) -> LimitOutcome:
        s = self.settings
        with self._lock:
            per_account = self._bucket(
                (account, "catalog"), s.catalog_account_per_minute, s.catalog_account_per_minute / 60.0, now
            )
            per_endpoint = self._bucket(
                (account, "catalog", method, template),
                s.catalog_endpoint_per_minute,
                s.catalog_endpoint_per_minute / 60.0,
                now,
            )
            per_account.refill(now)
            per_endpoint.refill(now)
            for bucket, scope in ((per_account, "catalog-account"), (per_endpoint, "catalog-endpoint")):
                if bucket.tokens < 1.0:
                    return LimitOutcome(False, {"Retry-After": str(bucket.retry_after())}, scope)
            per_account.tokens -= 1.0
            per_endpoint.tokens -= 1.0
        return ALLOWED
