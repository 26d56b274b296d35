"""bench/capacity.py: the capacity search reports a rate that held, never one that was only offered."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def cap() -> ModuleType:
    """bench/capacity.py (the bench package, at the repository root)."""
    return importlib.import_module("bench.capacity")


def step(cap: ModuleType, rate: float, seconds: float = 10.0, **kw: Any) -> Any:
    """A step whose every order arrived after ``latency_ms`` unless told otherwise."""
    placed = kw.pop("placed", int(rate * seconds))
    latencies = kw.pop("latencies_ms", [200.0] * placed)
    return cap.Step(
        kind=kw.pop("kind", "probe"),
        rate=rate,
        seconds=seconds,
        placed=placed,
        placing_s=kw.pop("placing_s", seconds),
        latencies_ms=latencies,
        errors=kw.pop("errors", 0),
        bound_ms=1000.0,
        **kw,
    )


def machine(cap: ModuleType, capacity: float, *, hold_breaks_above: float | None = None) -> Any:
    """A fake system: every step at or below ``capacity`` passes; above it p99 is 3 s."""
    calls: list[tuple[str, float, float]] = []

    def run(kind: str, rate: float, seconds: float) -> Any:
        calls.append((kind, rate, seconds))
        limit = hold_breaks_above if kind == "hold" and hold_breaks_above is not None else capacity
        n = int(rate * seconds)
        latency = 200.0 if rate <= limit else 3000.0
        return step(cap, rate, seconds, kind=kind, latencies_ms=[latency] * n)

    run.calls = calls  # type: ignore[attr-defined]
    return run


def test_ramp_bisects_and_holds_the_best_rate_that_passed(cap: ModuleType) -> None:
    plan = cap.Plan(start=40, factor=1.5, max_rate=1000, probe_s=5, refine=2, hold_s=60, holds=3)
    run = machine(cap, capacity=100)
    result = cap.search(plan, run)
    probes = [r for k, r, _ in run.calls if k == "probe"]
    assert probes == [40, 60, 90, 135, 110.2, 99.6]  # ramp until 135 fails, then two bisections
    hold = result.sustained
    assert hold is not None and hold.kind == "hold" and hold.rate == 99.6 and hold.seconds == 60
    assert hold.delivered_per_s == pytest.approx(99.6, rel=0.01)


def test_a_failed_hold_steps_down_and_never_reports_the_failed_rate(cap: ModuleType) -> None:
    plan = cap.Plan(start=40, factor=1.5, max_rate=1000, probe_s=5, refine=0, hold_s=60, holds=3)
    run = machine(cap, capacity=100, hold_breaks_above=50)  # short probes pass up to 100, holds only to 50
    result = cap.search(plan, run)
    holds = [(r, s.passed) for s in result.steps if s.kind == "hold" for r in [s.rate]]
    assert holds == [(90, False), (60, False), (40, True)]
    assert result.sustained.rate == 40


def test_nothing_sustained_when_every_hold_fails(cap: ModuleType) -> None:
    plan = cap.Plan(start=40, factor=2, max_rate=100, probe_s=5, refine=0, hold_s=10, holds=2)
    result = cap.search(plan, machine(cap, capacity=5))
    assert result.sustained is None
    assert [s.rate for s in result.steps] == [40, 20, 10]  # probe 40 fails; holds at 20, then 10


def test_undelivered_orders_count_as_infinitely_late(cap: ModuleType) -> None:
    # 98 on time and 2 never delivered: p99 is infinite although every delivered order was fast
    s = step(cap, 10, placed=100, latencies_ms=[100.0] * 98)
    assert math.isinf(s.quantile_ms(0.99))
    assert s.missing == 2 and not s.passed
    assert "2 not delivered" in s.reasons


def test_p99_at_the_bound_fails(cap: ModuleType) -> None:
    s = step(cap, 10, placed=100, latencies_ms=[100.0] * 98 + [1000.0, 1000.0])
    assert s.quantile_ms(0.99) == 1000.0 and not s.passed
    assert step(cap, 10, placed=100, latencies_ms=[100.0] * 99 + [5000.0]).passed  # one in 100 may be late


def test_a_driver_that_fell_behind_or_errors_fail_the_step(cap: ModuleType) -> None:
    assert not step(cap, 100, placing_s=11.0).passed  # offered 1000 in 11 s: 91/s < 95% of 100/s
    assert step(cap, 100, placing_s=10.4).passed  # 96/s
    errored = step(cap, 100, errors=1)
    assert not errored.passed and errored.reasons == ["1 errors"]


def test_delivered_rate_counts_only_orders_within_the_bound(cap: ModuleType) -> None:
    s = step(cap, 10, placed=100, latencies_ms=[100.0] * 50 + [1500.0] * 50)
    assert s.delivered_per_s == 5.0


def test_nearest_rank(cap: ModuleType) -> None:
    assert cap.nearest_rank([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert cap.nearest_rank([1.0, 2.0, 3.0, 4.0], 0.99) == 4.0
    assert math.isinf(cap.nearest_rank([], 0.5))
