"""A circuit breaker per VTEX API area, fed by 503s.

VTEX answers 503 when its own circuit breaker trips or a service is overloaded. After ``threshold``
consecutive 503s from one API area the breaker opens: calls to that area fail fast with
:class:`~vtexbridge.vtex.errors.CircuitOpen` for ``cooldown_s`` seconds instead of adding load. Then
one probe call is let through (half-open): any answer other than 503 closes the breaker, a 503 or no
answer at all opens it for another cooldown. Any non-503 answer resets the count; a call that got no
answer (connect error, timeout) neither counts nor resets it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from vtexbridge.clock import Clock


class BreakerState(IntEnum):
    """Exported as the breaker-state gauge: 0 closed, 1 half-open, 2 open."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class Admission(IntEnum):
    """What :meth:`CircuitBreaker.admit` decided for one call."""

    PASS = 0
    PROBE = 1
    REFUSE = 2


class CircuitBreaker:
    """The breaker of one API area."""

    def __init__(
        self,
        threshold: int,
        cooldown_s: float,
        clock: Clock,
        *,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.state = BreakerState.CLOSED
        self.failures = 0
        self._clock = clock
        self._opened_at = 0.0
        self._probing = False
        self._on_change = on_change

    def _set(self, state: BreakerState) -> None:
        if state is not self.state:
            self.state = state
            if self._on_change is not None:
                self._on_change(state)

    def reopens_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0.0 when not open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_s - self._clock.monotonic())

    def admit(self) -> Admission:
        """Whether a call may go now; a PROBE must be reported with ``record`` or ``abandon``."""
        if self.state is BreakerState.CLOSED:
            return Admission.PASS
        if self.state is BreakerState.OPEN:
            if self.reopens_in() > 0.0:
                return Admission.REFUSE
            self._set(BreakerState.HALF_OPEN)
        if self._probing:
            return Admission.REFUSE
        self._probing = True
        return Admission.PROBE

    def record(self, status: int | None, admission: Admission) -> None:
        """Report the outcome of an admitted call: its status, or None when no answer arrived."""
        if admission is Admission.PROBE:
            self._probing = False
            if status is None or status == 503:
                self._open()
            else:
                self.failures = 0
                self._set(BreakerState.CLOSED)
            return
        if status == 503:
            self.failures += 1
            if self.failures >= self.threshold and self.state is BreakerState.CLOSED:
                self._open()
        elif status is not None:
            self.failures = 0

    def abandon(self, admission: Admission) -> None:
        """An admitted call ended without an outcome (cancelled): free the probe slot."""
        if admission is Admission.PROBE:
            self._probing = False

    def _open(self) -> None:
        self._opened_at = self._clock.monotonic()
        self._set(BreakerState.OPEN)
