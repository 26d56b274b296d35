"""The continuous sync's figures on ``/metrics`` (and the dashboard's panel).

- ``vtexbridge_changes_queue_depth`` / ``vtexbridge_changes_oldest_pending_seconds`` /
  ``vtexbridge_changes_failed``: read from the state store at each scrape (whichever process runs the
  loop), so a standby process shows them too;
- ``vtexbridge_changes_applied_total{outcome}``: changes settled by this process's loop (``done``,
  ``failed``, ``retried``); changes applied per minute is its rate;
- ``vtexbridge_changes_latency_seconds``: from the change's arrival in the queue to VTEX's acceptance.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from vtexbridge.state.changes import ChangeQueue

__all__ = ["LATENCY_BUCKETS", "ChangeMetrics", "QueueCollector"]

NAMESPACE = "vtexbridge"
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class ChangeMetrics:
    """The loop's counters and latency histogram, on ``registry``."""

    def __init__(self, registry: CollectorRegistry, *, namespace: str = NAMESPACE) -> None:
        self.applied = Counter(
            "applied", "ERP changes settled by the continuous loop, by outcome.", ["outcome"],
            namespace=namespace, subsystem="changes", registry=registry,
        )  # fmt: skip
        self.latency = Histogram(
            "latency_seconds", "From a change's arrival in the intake queue to VTEX's acceptance.",
            namespace=namespace, subsystem="changes", registry=registry, buckets=LATENCY_BUCKETS,
        )  # fmt: skip

    def settled(self, outcome: str, n: int) -> None:
        if n:
            self.applied.labels(outcome).inc(n)

    def accepted(self, received: list[datetime], now: datetime) -> None:
        for at in received:
            self.latency.observe(max(0.0, (now - at).total_seconds()))


class QueueCollector(Collector):
    """The intake queue's depth, oldest pending change and failed changes, read at each scrape."""

    def __init__(self, queue: ChangeQueue, account: str, *, namespace: str = NAMESPACE) -> None:
        self.queue = queue
        self.account = account
        self.ns = namespace

    def describe(self) -> list[Metric]:
        return []  # nothing known before a scrape: registration makes no database call

    def collect(self) -> Iterator[Metric]:
        stats = self.queue.stats(self.account)
        now = self.queue.db.now()
        age = (now - stats.oldest).total_seconds() if stats.oldest is not None else 0.0
        ns = self.ns
        yield GaugeMetricFamily(
            f"{ns}_changes_queue_depth", "ERP changes queued and not yet accepted by VTEX.", value=stats.depth
        )
        yield GaugeMetricFamily(
            f"{ns}_changes_oldest_pending_seconds",
            "Age of the oldest queued change (0 when none).",
            value=max(0.0, age),
        )
        yield GaugeMetricFamily(
            f"{ns}_changes_failed",
            "ERP changes VTEX refused (kept in the queue as failed).",
            value=stats.failed,
        )


def register(registry: CollectorRegistry, queue: ChangeQueue, account: str) -> ChangeMetrics:
    """The loop's metrics on ``registry``, once per registry (later calls return the first)."""
    known: ChangeMetrics | None = getattr(registry, "_vtexbridge_changes", None)
    if known is not None:
        return known
    metrics = ChangeMetrics(registry)
    registry.register(QueueCollector(queue, account))
    registry._vtexbridge_changes = metrics  # type: ignore[attr-defined]
    return metrics
