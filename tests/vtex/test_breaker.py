"""The per-area circuit breaker, on the fake clock."""

from __future__ import annotations

from vtexbridge.clock import FakeClock
from vtexbridge.vtex.breaker import Admission, BreakerState, CircuitBreaker


def tripped(clock: FakeClock, changes: list[BreakerState] | None = None) -> CircuitBreaker:
    breaker = CircuitBreaker(3, 30.0, clock, on_change=changes.append if changes is not None else None)
    for _ in range(3):
        breaker.record(503, breaker.admit())
    return breaker


def test_opens_after_threshold_consecutive_503s() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(3, 30.0, clock)
    for _ in range(2):
        breaker.record(503, breaker.admit())
    assert breaker.state is BreakerState.CLOSED and breaker.admit() is Admission.PASS
    breaker.record(503, Admission.PASS)
    assert breaker.state is BreakerState.OPEN
    assert breaker.admit() is Admission.REFUSE
    assert breaker.reopens_in() == 30.0


def test_any_other_answer_resets_the_count_but_no_answer_does_not() -> None:
    breaker = CircuitBreaker(2, 30.0, FakeClock())
    breaker.record(503, Admission.PASS)
    breaker.record(500, Admission.PASS)
    breaker.record(503, Admission.PASS)
    assert breaker.state is BreakerState.CLOSED
    breaker.record(None, Admission.PASS)
    breaker.record(503, Admission.PASS)
    assert breaker.state is BreakerState.OPEN


def test_refuses_during_cooldown_and_counts_it_down() -> None:
    clock = FakeClock()
    breaker = tripped(clock)
    clock.advance(29.5)
    assert breaker.admit() is Admission.REFUSE
    assert breaker.reopens_in() == 0.5


def test_after_cooldown_one_probe_at_a_time_and_success_closes() -> None:
    clock = FakeClock()
    changes: list[BreakerState] = []
    breaker = tripped(clock, changes)
    clock.advance(30.0)
    probe = breaker.admit()
    assert probe is Admission.PROBE and breaker.state is BreakerState.HALF_OPEN
    assert breaker.admit() is Admission.REFUSE  # a second caller while the probe is out
    breaker.record(200, probe)
    assert breaker.state is BreakerState.CLOSED and breaker.admit() is Admission.PASS
    assert changes == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_failed_probe_reopens_for_a_full_cooldown() -> None:
    clock = FakeClock()
    breaker = tripped(clock)
    clock.advance(31.0)
    breaker.record(None, breaker.admit())
    assert breaker.state is BreakerState.OPEN and breaker.reopens_in() == 30.0
    clock.advance(30.0)
    breaker.record(503, breaker.admit())
    assert breaker.state is BreakerState.OPEN


def test_abandoned_probe_frees_the_slot() -> None:
    clock = FakeClock()
    breaker = tripped(clock)
    clock.advance(30.0)
    probe = breaker.admit()
    breaker.abandon(probe)
    assert breaker.admit() is Admission.PROBE
