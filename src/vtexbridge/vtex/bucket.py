"""One adaptive token bucket, driven by an injected clock.

Waiting is head-of-line: callers queue on an ``asyncio.Lock`` (first come, first served) and only the
caller at the head sleeps, for exactly the time until its token is due, then re-checks (the rate may
have been lowered or the bucket blocked meanwhile). There is no polling, and with a fake clock the
recorded sleeps are exactly the waits that real time would see. A caller finding the bucket idle with
a token ready takes it without touching the lock.
"""

from __future__ import annotations

import asyncio
import math

from vtexbridge.clock import Clock

_EPSILON = 1e-9


class TokenBucket:
    """Up to ``burst`` credits refilled at ``rate`` per second; adaptive (AIMD) below the configured rate.

    The bucket spends the burst it is given, less ``margin`` credits: requests sent at our bucket's
    pace reach VTEX with jitter (a request delayed on the way, then one sent right after it arriving
    on time), and over any window VTEX can see up to ``rate * jitter`` more requests than we sent in a
    window of the same length. Leaving that many credits in VTEX's bucket (and refilling at exactly
    the rate) absorbs it, so spending the burst never earns a 429. A burst too small to leave the
    margin in (a configured budget of one or two credits) is paced ``headroom`` under the rate
    instead, so that VTEX's bucket gains on ours.

    How many credits VTEX's bucket holds when we start is not known: other integrations of the
    account, or an earlier run, may have spent them. Where VTEX reports its credits on every answer
    (``Ratelimit-Remaining``, the pricing routes), ``probe`` starts the bucket with one credit and takes
    its burst from the first answer; elsewhere the bucket starts full and a 429 corrects it.
    """

    decrease: float = 0.5
    increase: float = 0.02
    floor: float = 0.05

    def __init__(
        self,
        name: str,
        rate: float,
        burst: int,
        clock: Clock,
        *,
        margin: float = 0.0,
        probe: bool = False,
        tokens: float | None = None,
        headroom: float = 0.0,
    ) -> None:
        self.name = name
        self.configured_rate = rate
        self.rate = rate
        self.burst = float(burst)
        self.margin = max(0.0, min(margin, self.burst - 1.0))
        self.capacity = self.burst - self.margin
        """The credits spent at once: the burst less the margin."""
        self.calibrating = probe
        """True until VTEX's first report of its credits (``probe`` buckets only)."""
        start = 1.0 if probe else self.capacity
        self.tokens = min(self.capacity, tokens if tokens is not None else start)
        self.blocked_until = -math.inf
        self._clock = clock
        self._factor = 1.0 - headroom
        self._updated = clock.monotonic()
        self._waiting = 0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        state = f"rate={self.rate:g}/s, burst={self.burst:g}, tokens={self.tokens:.2f}"
        return f"TokenBucket({self.name!r}, {state})"

    def _refill(self, now: float) -> None:
        if now > self._updated:
            if math.isinf(self.rate):
                self.tokens = self.capacity
            else:
                self.tokens = min(
                    self.capacity, self.tokens + (now - self._updated) * self.rate * self._factor
                )
            self._updated = now

    def _wait_for(self, now: float) -> float:
        """Seconds until a token can be taken at ``now``; 0.0 means take it now."""
        if now < self.blocked_until:
            return self.blocked_until - now
        self._refill(now)
        if self.tokens >= 1.0 - _EPSILON:
            return 0.0
        return (1.0 - self.tokens) / (self.rate * self._factor)

    async def acquire(self) -> float:
        """Take one token, waiting in line if needed; return the seconds waited."""
        clock = self._clock
        start = clock.monotonic()
        if not self._waiting and self._wait_for(start) == 0.0:
            self.tokens -= 1.0
            return 0.0
        self._waiting += 1
        try:
            async with self._lock:
                while (wait := self._wait_for(clock.monotonic())) > 0.0:
                    await clock.sleep(wait)
                self.tokens -= 1.0
        finally:
            self._waiting -= 1
        return clock.monotonic() - start

    def throttled(self, now: float, retry_after: float | None) -> None:
        """VTEX answered 429: halve the rate and drop the credits.

        With ``retry_after``, the bucket is blocked until then and holds exactly the one credit for the
        request that VTEX said it would accept then; credits accrue again only after that.
        """
        self._refill(now)
        self.calibrating = False
        if not math.isinf(self.rate):
            self.rate = max(self.configured_rate * self.floor, self.rate * self.decrease)
        self.tokens = min(self.tokens, 0.0)
        if retry_after is not None:
            self.blocked_until = max(self.blocked_until, now + retry_after)
            self.tokens = 1.0
            self._updated = max(self._updated, self.blocked_until)

    def succeeded(self) -> None:
        """A call went through: recover the rate additively towards the configured one."""
        if self.rate < self.configured_rate:
            self.rate = min(self.configured_rate, self.rate + self.configured_rate * self.increase)

    def quota(self, now: float, remaining: float, reset: float | None) -> None:
        """VTEX reported ``remaining`` credits (and ``reset`` seconds until they are full again).

        Our credits are capped at VTEX's less the margin (they may go below zero: the wait then covers
        the deficit at the rate); the first report of a probing bucket sets them, burst included.
        """
        self._refill(now)
        if math.isinf(self.rate):  # a learned gate: it has no rate to wait by, only VTEX's reset
            if remaining < 1.0:
                self.blocked_until = max(self.blocked_until, now + (reset if reset is not None else 1.0))
            return
        credits = math.floor(remaining) - self.margin
        if self.calibrating:
            self.calibrating = False
            self.tokens = min(self.capacity, credits)
        else:
            self.tokens = min(self.tokens, credits)
