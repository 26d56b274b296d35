"""Rate budgets of one account shared by several processes, in Redis (``vtex.shared_limits_url``).

VTEX counts an account's budget whoever spends it: two ``serve`` processes, or a ``sync`` from cron
next to them, each keeping its own buckets would together send twice the rate. With
``vtex.shared_limits_url = "redis://..."`` every budget bucket (not the learned 429 gates) also takes
its credits from a token bucket kept in Redis under ``vtexbridge:budget:{account}:{bucket}``: the same
rate and the same burst (less the jitter margin) as the local bucket, refilled by Redis's own clock,
so that every process sees one budget.

The local bucket stays the fast path: it still adapts to 429s, ``Retry-After`` and
``Ratelimit-Remaining`` without a round trip, and a process takes shared credits by *leases* of a
few at a time (about 20 ms of the rate: one for pricing's 33/s, a handful for the catalog's
hundreds), so that Redis is asked once per lease, not once per request. A lease not spent within
:data:`LEASE_TTL_S` is dropped: credits held back would reach VTEX later, closer together than the
budget allows. When Redis is unreachable the process logs it and keeps to its local buckets (VTEX's
429s, if any, are then handled as usual) until Redis answers again.

The bucket is one Lua script (atomic in Redis); Redis's ``TIME`` is the clock, so the processes'
clocks need not agree. Hand-written: no maintained asyncio library offers a token bucket with a
variable-size take and a "seconds until one credit" answer (limits' Redis storage counts fixed
windows or sliding windows, not a token bucket with a burst).
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from vtexbridge.clock import Clock
from vtexbridge.errors import ConfigError
from vtexbridge.vtex.bucket import TokenBucket

__all__ = ["LEASE_TTL_S", "RedisBudgets", "SharedBudgets", "shared_budgets"]

LEASE_TTL_S = 0.1
LEASE_S = 0.02
RETRY_REDIS_S = 5.0
_log = logging.getLogger(__name__)

# KEYS[1] the bucket; ARGV rate, burst, wanted credits. Returns {granted, seconds until one credit}.
TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1])
local at = tonumber(saved[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local granted = math.max(0, math.min(want, math.floor(tokens)))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
local wait = 0
if granted < 1 then
  wait = (1 - tokens) / rate
end
return {granted, tostring(wait)}
"""


class SharedBudgets(Protocol):
    """Where the processes of one account take their credits."""

    async def take(self, bucket: TokenBucket, want: int) -> tuple[int, float] | None:
        """``(credits granted, seconds until one credit)``; None when the store cannot be reached."""
        ...

    async def aclose(self) -> None: ...


@dataclass(slots=True)
class _Lease:
    credits: int = 0
    until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RedisBudgets:
    """The budgets of ``account`` in the Redis at ``url`` (``redis://``, ``rediss://`` or ``unix://``)."""

    def __init__(self, url: str, account: str) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:  # pragma: no cover - the extra is missing
            raise ConfigError(
                "vtex.shared_limits_url needs the redis package: pip install 'vtexbridge[redis]'"
            ) from None
        self.account = account
        self._redis: Any = aioredis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._script: Any = self._redis.register_script(TAKE)

    def key(self, bucket: TokenBucket) -> str:
        return f"vtexbridge:budget:{self.account}:{bucket.name}"

    async def take(self, bucket: TokenBucket, want: int) -> tuple[int, float] | None:
        import redis.exceptions

        try:
            granted, wait = await self._script(
                keys=[self.key(bucket)], args=[bucket.configured_rate, bucket.capacity, want]
            )
        except (redis.exceptions.RedisError, OSError) as e:
            _log.warning("shared rate budgets: Redis cannot be reached (%s); local budgets only", e)
            return None
        return int(granted), float(wait)

    async def aclose(self) -> None:
        await self._redis.aclose()


class SharedLimits:
    """The shared side of a :class:`~vtexbridge.vtex.limits.Limiter`: leases per bucket."""

    def __init__(self, budgets: SharedBudgets, clock: Clock) -> None:
        self.budgets = budgets
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._down_until = -math.inf

    async def acquire(self, bucket: TokenBucket) -> float:
        """Take one shared credit for ``bucket``, waiting for it; return the seconds waited."""
        clock = self._clock
        lease = self._leases.get(bucket.name)
        if lease is None:
            lease = self._leases[bucket.name] = _Lease()
        start = clock.monotonic()
        async with lease.lock:
            while True:
                now = clock.monotonic()
                if lease.credits > 0 and now <= lease.until:
                    lease.credits -= 1
                    return clock.monotonic() - start
                if now < self._down_until:
                    return clock.monotonic() - start
                want = max(1, math.floor(bucket.configured_rate * LEASE_S))
                answer = await self.budgets.take(bucket, want)
                if answer is None:
                    self._down_until = clock.monotonic() + RETRY_REDIS_S
                    return clock.monotonic() - start
                granted, wait = answer
                if granted > 0:
                    lease.credits, lease.until = granted - 1, clock.monotonic() + LEASE_TTL_S
                    return clock.monotonic() - start
                await clock.sleep(wait)

    async def aclose(self) -> None:
        await self.budgets.aclose()


def shared_budgets(url: str, account: str) -> SharedBudgets:
    """The budgets store of ``url``.

    Raises:
        ConfigError: the URL names no store vtexbridge can share budgets in.
    """
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBudgets(url, account)
    scheme = url.split("://", 1)[0] if "://" in url else url[:20]
    raise ConfigError(f"vtex.shared_limits_url: {scheme!r} is not a Redis URL (redis://, rediss://, unix://)")
