"""Prometheus metrics of the flows (sync and orders), next to the VTEX client's own, on one registry.

``Metrics(registry)`` holds every collector vtexbridge exposes on ``/metrics``:

- ``.transport`` — :class:`~vtexbridge.vtex.metrics.TransportMetrics`: VTEX calls per API, route
  template, method and status; latency; 429s; retries; limiter waits; breaker state. Pass it to the
  client (``Transport(..., metrics=metrics.transport)``).
- ``.sync`` — :class:`SyncMetrics`: records by kind and outcome, runs by status and duration.
- ``.orders`` — :class:`OrderMetrics`: events by source and outcome, deliveries, actions, and the
  pipeline lag (VTEX status change -> ERP acceptance; action queued -> VTEX's answer).

Collectors are created with the object, never at import (a test or a second app gets a registry of
its own). Every recording method is cheap and safe to call from any thread.

:class:`StateCollector` adds figures read from the state store at scrape time — entities and errors
per kind, orders per status, undelivered orders and the age of the oldest, actions per state and the
age of the oldest pending one — so that ``/metrics`` is right even for work done by *another*
process sharing the store (``vtexbridge sync`` from cron, several workers on PostgreSQL).

:func:`log_record_errors` writes the one warning line per record error that the logs promise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from vtexbridge.overview import pipeline_overview
from vtexbridge.vtex.metrics import TransportMetrics

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from vtexbridge.state.models import ErrorRow, Run
    from vtexbridge.state.store import StateStore

__all__ = [
    "LAG_BUCKETS",
    "RUN_BUCKETS",
    "Metrics",
    "OrderMetrics",
    "StateCollector",
    "SyncMetrics",
    "log_record_errors",
]

NAMESPACE = "vtexbridge"
RUN_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 12 * 3600.0)
LAG_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86_400.0)
FINISHED = frozenset({"succeeded", "partial", "failed", "aborted"})


RECORD_LOG = logging.getLogger("vtexbridge.records")


def log_record_errors(
    errors: Iterable[ErrorRow], *, run_id: int | None = None, logger: logging.Logger = RECORD_LOG
) -> int:
    """One warning line per record error, with the fields an operator filters on.

    Call it where the errors are recorded (``StateStore.entities.record_errors``): the sync for
    reader, plan and VTEX errors. A JSON line (``log.format = "json"``, or any non-terminal) reads::

        {"level": "warning", "logger": "vtexbridge.records", "msg": "record error: sku P0004-02:
         skus.csv:14 (skus P0004-02) field 'packaged_weight_kg': not a decimal number ...",
         "kind": "sku", "erp_key": "P0004-02", "field": "packaged_weight_kg", "source": "skus.csv:14",
         "category": "record", "run_id": 7}

    Returns:
        The number of lines written.
    """
    n = 0
    if not logger.isEnabledFor(logging.WARNING):
        return 0
    for e in errors:
        vtex = f" (VTEX {e.vtex_status}: {e.vtex_message})" if e.vtex_status and e.vtex_message else ""
        logger.warning(
            "record error: %s %s: %s%s",
            e.kind,
            e.erp_key,
            e.message,
            vtex,
            extra={
                "kind": e.kind,
                "erp_key": e.erp_key,
                "field": e.field,
                "source": e.source,
                "category": e.category,
                "vtex_status": e.vtex_status,
                "vtex_code": e.vtex_code,
                "run_id": run_id,
            },
        )
        n += 1
    return n


class SyncMetrics:
    """Sync records by kind and outcome, and runs.

    Call from the sync: :meth:`records` as results are committed (``outcome`` is the plan action or
    the failure: ``create``, ``update``, ``unchanged``, ``deactivate``, ``failed``, ``invalid``,
    ``blocked`` ...), and :meth:`observe_run` when a run finishes. The ``/metrics`` route also calls
    :meth:`observe_runs` with the store's recent runs, so runs of other processes are counted; a run
    is counted once per process whichever way it arrives.
    """

    def __init__(self, registry: CollectorRegistry, *, namespace: str = NAMESPACE) -> None:
        ns, reg = namespace, registry
        self.records_total = Counter(
            "records", "ERP records handled by the sync, by entity kind and outcome.",
            ["kind", "outcome"], namespace=ns, subsystem="sync", registry=reg,
        )  # fmt: skip
        self.runs_total = Counter(
            "runs", "Finished sync runs by status.", ["status"], namespace=ns, subsystem="sync", registry=reg,
        )  # fmt: skip
        self.run_duration = Histogram(
            "run_duration_seconds", "Duration of finished sync runs.",
            namespace=ns, subsystem="sync", registry=reg, buckets=RUN_BUCKETS,
        )  # fmt: skip
        self.last_finished = Gauge(
            "last_run_finished_timestamp_seconds", "When the last sync run finished, by status.",
            ["status"], namespace=ns, subsystem="sync", registry=reg,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._seen_runs: set[int] = set()
        self._watermark: int | None = None

    def records(self, kind: str, outcome: str, n: int = 1) -> None:
        """``n`` records of ``kind`` ended with ``outcome`` (not needed when :meth:`observe_run` is used)."""
        if n > 0:
            self.records_total.labels(kind, outcome).inc(n)

    def observe_run(self, run: Run, *, count_records: bool = True) -> bool:
        """Count a finished run (its status, duration and, with ``count_records``, its counts).

        Returns:
            False when the run is not finished or was counted already.
        """
        if run.status not in FINISHED or run.finished_at is None:
            return False
        with self._lock:
            if run.id in self._seen_runs:
                return False
            self._seen_runs.add(run.id)
        self.runs_total.labels(run.status).inc()
        self.run_duration.observe(max(0.0, (run.finished_at - run.started_at).total_seconds()))
        self.last_finished.labels(run.status).set(run.finished_at.timestamp())
        if count_records:
            for kind, outcome, n in iter_counts(run.counts):
                self.records(kind, outcome, n)
        return True

    def observe_runs(self, runs: list[Run]) -> int:
        """Count the finished sync runs among ``runs`` that started after this process first looked.

        The first call only sets the watermark (history before the process started is not counted:
        a counter starts at zero with its process, as Prometheus expects).
        """
        sync_runs = [r for r in runs if r.flow == "sync"]
        with self._lock:
            if self._watermark is None:
                # Runs still open at the first look are counted when they finish.
                done = [r.id for r in sync_runs if r.status in FINISHED]
                self._watermark = max(done, default=0)
                self._seen_runs.update(done)
                return 0
            watermark = self._watermark
        counted = 0
        for run in sorted(sync_runs, key=lambda r: r.id):
            if run.id > watermark and self.observe_run(run):
                counted += 1
        return counted


def iter_counts(counts: Mapping[str, Any]) -> Iterator[tuple[str, str, int]]:
    """``(kind, outcome, n)`` from a run's ``counts`` (``{kind: {outcome: n}}``), skipping non-numbers."""
    for kind, per_kind in counts.items():
        if not isinstance(per_kind, Mapping):
            continue
        for outcome, n in per_kind.items():
            if isinstance(n, int) and not isinstance(n, bool) and n > 0:
                yield str(kind), str(outcome), n


class OrderMetrics:
    """The order pipeline: events, deliveries to the ERP, actions back to VTEX, and their lag.

    Call from the orders flow:

    - :meth:`event` once per processed event (``source`` feed/hook/replay, ``outcome`` delivered,
      already-delivered, ignored, not-found, error);
    - :meth:`delivered` when the ERP sink accepted an order in a status (``changed_at`` is VTEX's
      status change time): the lag is what an operator means by "how late is the ERP";
    - :meth:`action_finished` when an action reached a final state (``queued_at`` is when the ERP's
      action was queued).
    """

    def __init__(self, registry: CollectorRegistry, *, namespace: str = NAMESPACE) -> None:
        ns, reg = namespace, registry
        self.events_total = Counter(
            "events", "Order events processed, by source and outcome.", ["source", "outcome"],
            namespace=ns, subsystem="orders", registry=reg,
        )  # fmt: skip
        self.deliveries_total = Counter(
            "deliveries", "Orders accepted by the ERP sink, by status.", ["status"],
            namespace=ns, subsystem="orders", registry=reg,
        )  # fmt: skip
        self.actions_total = Counter(
            "actions", "Actions that reached a final state, by kind and state.", ["kind", "state"],
            namespace=ns, subsystem="orders", registry=reg,
        )  # fmt: skip
        self.lag = Histogram(
            "pipeline_lag_seconds",
            "Order pipeline lag: VTEX status change to ERP acceptance (stage=delivery); action queued "
            "to VTEX's answer (stage=action).",
            ["stage"], namespace=ns, subsystem="orders", registry=reg, buckets=LAG_BUCKETS,
        )  # fmt: skip

    def event(self, source: str, outcome: str) -> None:
        self.events_total.labels(source, outcome).inc()

    def delivered(self, status: str, changed_at: datetime | None, now: datetime) -> None:
        self.deliveries_total.labels(status).inc()
        if changed_at is not None:
            self.lag.labels("delivery").observe(max(0.0, (now - changed_at).total_seconds()))

    def action_finished(self, kind: str, state: str, queued_at: datetime | None, now: datetime) -> None:
        self.actions_total.labels(kind, state).inc()
        if queued_at is not None:
            self.lag.labels("action").observe(max(0.0, (now - queued_at).total_seconds()))


class Metrics:
    """Every collector of one process, on one registry (``/metrics`` renders ``registry``)."""

    def __init__(self, registry: CollectorRegistry | None = None, *, namespace: str = NAMESPACE) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.transport = TransportMetrics(self.registry, namespace=namespace)
        self.sync = SyncMetrics(self.registry, namespace=namespace)
        self.orders = OrderMetrics(self.registry, namespace=namespace)
        self.namespace = namespace
        self._state: StateCollector | None = None

    def watch_state(self, store: StateStore, account: str, *, statuses: list[str] | None = None) -> None:
        """Add the scrape-time figures of ``store`` for ``account`` (once; later calls are ignored)."""
        if self._state is None:
            self._state = StateCollector(store, account, statuses=statuses, namespace=self.namespace)
            self.registry.register(self._state)

    def render(self) -> bytes:
        """The text exposition of every collector (blocking: it reads the state store).

        Sync runs that finished since the last scrape (in any process sharing the store) are counted
        first, so that they appear in this very scrape.
        """
        if self._state is not None:
            self.sync.observe_runs(
                self._state.store.runs.list_recent(self._state.account, flow="sync", limit=50)
            )
        return generate_latest(self.registry)


class StateCollector(Collector):
    """Gauges computed from the state store at each scrape."""

    def __init__(
        self,
        store: StateStore,
        account: str,
        *,
        statuses: list[str] | None = None,
        namespace: str = NAMESPACE,
    ) -> None:
        self.store = store
        self.account = account
        self.statuses = statuses
        self.ns = namespace

    def describe(self) -> list[Metric]:
        return []  # nothing known before a scrape: keeps registration free of database calls

    def collect(self) -> Iterator[Metric]:
        store, account, ns = self.store, self.account, self.ns
        entities = GaugeMetricFamily(f"{ns}_entities", "Entities VTEX accepted, by kind.", labels=["kind"])
        for kind, n in sorted(store.entities.count(account).items()):
            entities.add_metric([kind], n)
        yield entities
        errors = GaugeMetricFamily(
            f"{ns}_entity_errors", "Entities currently in error, by kind.", labels=["kind"]
        )
        for kind, n in sorted(store.entities.count_errors(account).items()):
            errors.add_metric([kind], n)
        yield errors
        overview = pipeline_overview(store, account, statuses=self.statuses)
        orders = GaugeMetricFamily(
            f"{ns}_orders", "Orders known to the pipeline, by last status.", labels=["status"]
        )
        for status, n in sorted(overview.by_status.items()):
            orders.add_metric([status], n)
        yield orders
        yield GaugeMetricFamily(
            f"{ns}_orders_undelivered",
            "Orders in a delivered status that the ERP has not accepted yet.",
            value=overview.undelivered,
        )
        yield GaugeMetricFamily(
            f"{ns}_orders_oldest_undelivered_seconds",
            "Age of the oldest undelivered order's status change (the current pipeline lag).",
            value=overview.oldest_undelivered_s,
        )
        actions = GaugeMetricFamily(f"{ns}_actions", "Actions in the outbox, by state.", labels=["state"])
        for state, n in sorted(overview.actions_by_state.items()):
            actions.add_metric([state], n)
        yield actions
        yield GaugeMetricFamily(
            f"{ns}_actions_oldest_pending_seconds",
            "Age of the oldest pending action (0 when none).",
            value=overview.oldest_pending_action_s,
        )
