"""Capacity search for a bench: raise the offered rate step by step until latency or errors break,
then hold the highest rate that passed for the full sustain period; the figure is the rate delivered
during a hold that passed, never the rate offered in a step that did not.

Pure bookkeeping (no processes, no I/O): the bench supplies ``run_step(rate, seconds) -> Step``.

A step passes when every order placed in it was delivered, its p99 latency (placement -> delivery,
an order not delivered counting as infinitely late) is under the bound, nothing failed (placement
refused, a delivery refused), and the driver really offered the rate (at least
:data:`OFFER_SHORTFALL` of it: a driver that cannot keep up has measured nothing above its own pace).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

OFFER_SHORTFALL = 0.95
"""A step whose driver placed less than this share of the offered rate is inconclusive (failed)."""


def nearest_rank(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0 < q <= 1) of ``sorted_values`` by the nearest-rank method; inf when empty."""
    if not sorted_values:
        return math.inf
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


@dataclass(frozen=True)
class Step:
    """One step: ``rate`` offered for ``seconds``; latencies in ms of the orders delivered."""

    kind: str  # "probe" or "hold"
    rate: float
    seconds: float
    placed: int
    placing_s: float
    latencies_ms: list[float]
    errors: int
    bound_ms: float
    cpu_s: float = math.nan  # CPU seconds the measured processes used for the step's orders
    idle_cpu_s: float = 0.0  # what they use idle over as long
    rig_cpu_s: float = math.nan  # CPU seconds of the rig (the bench's own servers) over as long

    @property
    def cpu_ms_per_order(self) -> float:
        """CPU milliseconds per order placed (the load-independent cost: a busy machine slows the
        rate, not this; ``cpu_s`` runs until every order of the step was delivered)."""
        return 1000 * self.cpu_s / self.placed if self.placed else math.nan

    @property
    def marginal_cpu_ms_per_order(self) -> float:
        """CPU milliseconds per order beyond what the processes use idle (polling, housekeeping) over
        the same time: what each further order costs, so 1000 / this bounds the rate one core allows."""
        return 1000 * (self.cpu_s - self.idle_cpu_s) / self.placed if self.placed else math.nan

    @property
    def missing(self) -> int:
        return self.placed - len(self.latencies_ms)

    @property
    def offered_per_s(self) -> float:
        """The rate the driver actually achieved."""
        return self.placed / self.placing_s if self.placing_s > 0 else 0.0

    def quantile_ms(self, q: float) -> float:
        """Latency quantile with every undelivered order counted as infinitely late."""
        return nearest_rank(sorted(self.latencies_ms) + [math.inf] * self.missing, q)

    @property
    def delivered_per_s(self) -> float:
        """Orders delivered within the latency bound per second of the step."""
        on_time = sum(1 for ms in self.latencies_ms if ms < self.bound_ms)
        return on_time / self.seconds if self.seconds > 0 else 0.0

    @property
    def reasons(self) -> list[str]:
        """Why the step failed (empty: it passed)."""
        out = []
        if self.offered_per_s < OFFER_SHORTFALL * self.rate:
            out.append(f"driver offered only {self.offered_per_s:.0f}/s")
        if self.errors:
            out.append(f"{self.errors} errors")
        if self.missing:
            out.append(f"{self.missing} not delivered")
        p99 = self.quantile_ms(0.99)
        if p99 >= self.bound_ms:
            out.append(f"p99 {p99:.0f} ms")
        return out

    @property
    def passed(self) -> bool:
        return self.placed > 0 and not self.reasons


@dataclass(frozen=True)
class Plan:
    """How the search steps: geometric ramp of short probes, then holds (stepping down on failure)."""

    start: float = 40.0
    factor: float = 1.5
    max_rate: float = 1000.0
    probe_s: float = 6.0
    refine: int = 2
    hold_s: float = 60.0
    holds: int = 3
    bound_ms: float = 1000.0

    def ramp(self) -> Iterable[float]:
        rate = self.start
        while rate <= self.max_rate + 1e-9:
            yield round(rate, 1)
            rate *= self.factor


@dataclass
class Result:
    steps: list[Step] = field(default_factory=list)

    @property
    def sustained(self) -> Step | None:
        """The hold that passed (the capacity figure), if any."""
        return next((s for s in reversed(self.steps) if s.kind == "hold" and s.passed), None)


def search(plan: Plan, run_step: Callable[[str, float, float], Step]) -> Result:
    """Ramp until a probe fails, bisect (geometrically) ``plan.refine`` times between the last rate
    that passed and the first that failed, then hold the best passing rate for ``plan.hold_s``; on a
    failed hold, step down (by the ramp's factor) up to ``plan.holds`` times in all.
    ``run_step(kind, rate, seconds)`` runs one step."""
    result = Result()
    best: float | None = None
    failed: float | None = None
    for rate in plan.ramp():
        step = run_step("probe", rate, plan.probe_s)
        result.steps.append(step)
        if not step.passed:
            failed = rate
            break
        best = rate
    for _ in range(plan.refine):
        if best is None or failed is None:
            break
        rate = round(math.sqrt(best * failed), 1)
        step = run_step("probe", rate, plan.probe_s)
        result.steps.append(step)
        best, failed = (rate, failed) if step.passed else (best, rate)
    rate = best if best is not None else round(plan.start / plan.factor, 1)
    for _ in range(plan.holds):
        step = run_step("hold", rate, plan.hold_s)
        result.steps.append(step)
        if step.passed:
            break
        rate = round(rate / plan.factor, 1)
    return result
