"""The retry policy: a pure decision from (call, failure, attempt) to "retry after d" or "give up".

The transport only executes the decision. The rules, in order:

- An outcome that cannot be repeated safely is surfaced, never re-sent: a non-idempotent call that
  reached VTEX and got no answer (read timeout, connection dropped), or a 500/502/504 answer to one
  (VTEX may have applied it before failing; a call may name more such statuses, as the payment calls
  do with every 5xx), becomes :class:`OutcomeUnknown`; the caller resolves it
  by lookup. Nothing was sent after a connect error, so that is retried for any method.
- 429 is retried after the server's ``Retry-After`` when present (the server hint wins); a hint longer
  than ``backoff_max_s`` is surfaced as the :class:`RateLimited` error instead of slept through, so that
  a job queue can snooze the work. Without a hint: exponential backoff.
- 423 Locked (an inventory lock held for a few ms) gets a short wait of 1 to 3 s.
- 408 Request Timeout and 425 Too Early (the server did not process the request) are retried like
  a 5xx.
- 5xx, timeouts and connection errors: exponential backoff with full jitter,
  ``random() * min(backoff_max_s, backoff_base_s * 2 ** (attempt - 1))``; a ``Retry-After`` on a 5xx
  is honoured like on a 429.
- Every other status (400, 401, 403, 404, 409 ...) and :class:`CircuitOpen` are final.
- At most ``max_retries`` retries: attempt ``max_retries + 1`` is the last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vtexbridge.backoff import backoff_delay
from vtexbridge.clock import Clock
from vtexbridge.vtex.errors import (
    Locked,
    NotProcessed,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unavailable,
    VtexConnectError,
    VtexError,
    VtexTimeout,
    VtexTransportError,
)
from vtexbridge.vtex.settings import VtexSettings


class Attempted(Protocol):
    """What the policy reads of a call (:class:`~vtexbridge.vtex.transport.Call` has it; this module
    does not import the transport, which imports it)."""

    @property
    def is_idempotent(self) -> bool: ...

    @property
    def unsafe_statuses(self) -> frozenset[int] | None: ...


UNSAFE_WRITE_STATUSES = frozenset({500, 502, 504})


@dataclass(frozen=True, slots=True)
class Retry:
    """Send the call again after ``delay`` seconds; ``reason`` labels the retries metric."""

    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop and raise ``error``."""

    error: VtexError


Decision = Retry | GiveUp


class RetryPolicy:
    """Decides whether and when a failed call is sent again."""

    def __init__(
        self,
        *,
        max_retries: int,
        backoff_base_s: float,
        backoff_max_s: float,
        random: Callable[[], float],
        locked_delay_s: tuple[float, float] = (1.0, 3.0),
    ) -> None:
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.locked_delay_s = locked_delay_s
        self._random = random

    @classmethod
    def from_settings(
        cls, settings: VtexSettings, clock: Clock, *, attempts: int | None = None
    ) -> RetryPolicy:
        """The policy of ``settings``; ``attempts`` replaces its number of tries (``max_retries + 1``)."""
        return cls(
            max_retries=settings.max_retries if attempts is None else max(0, attempts - 1),
            backoff_base_s=settings.backoff_base_s,
            backoff_max_s=settings.backoff_max_s,
            random=clock.random,
        )

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(attempt-1)))."""
        return backoff_delay(
            attempt, self.backoff_base_s, self.backoff_max_s, jitter=1.0, random=self._random
        )

    def decide(self, call: Attempted, outcome: VtexError, attempt: int) -> Decision:
        """What to do after attempt number ``attempt`` (1-based) of ``call`` failed with ``outcome``."""
        retry = self._classify(call, outcome, attempt)
        if isinstance(retry, GiveUp) or attempt > self.max_retries:
            return retry if isinstance(retry, GiveUp) else GiveUp(outcome)
        return retry

    def _classify(self, call: Attempted, outcome: VtexError, attempt: int) -> Decision:
        if isinstance(outcome, VtexTransportError):
            if isinstance(outcome, OutcomeUnknown):
                return GiveUp(outcome)
            if outcome.request_sent and not call.is_idempotent:
                return GiveUp(
                    OutcomeUnknown.from_error(outcome, f"no answer to a sent write ({outcome.message})")
                )
            if isinstance(outcome, VtexConnectError):
                reason = "connect"
            else:
                reason = "timeout" if isinstance(outcome, VtexTimeout) else "network"
            return Retry(self.backoff(attempt), reason)
        if isinstance(outcome, Locked):
            low, high = self.locked_delay_s
            return Retry(low + self._random() * (high - low), "locked")
        if isinstance(outcome, RateLimited | ServerError | NotProcessed):
            unsafe = UNSAFE_WRITE_STATUSES if call.unsafe_statuses is None else call.unsafe_statuses
            if isinstance(outcome, ServerError) and outcome.status in unsafe and not call.is_idempotent:
                return GiveUp(
                    OutcomeUnknown.from_error(outcome, f"VTEX answered {outcome.status} to a write")
                )
            reason = "rate_limited" if isinstance(outcome, RateLimited) else "server_error"
            if isinstance(outcome, Unavailable):
                reason = "unavailable"
            hint = outcome.retry_after
            if hint is None:
                return Retry(self.backoff(attempt), reason)
            if hint > self.backoff_max_s:
                return GiveUp(outcome)
            return Retry(hint, reason)
        return GiveUp(outcome)
