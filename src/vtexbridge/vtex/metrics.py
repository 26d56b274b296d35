"""Prometheus metrics of the VTEX client, on a registry the caller chooses.

The collectors are created when :class:`TransportMetrics` is instantiated, never at import, so a test
or a second client can have a registry of its own (``prometheus_client`` refuses two collectors of the
same name on one registry: create one ``TransportMetrics`` per registry and share it). Labelled
children are cached, so recording a request costs a couple of dictionary lookups.

Labels use route templates, never rendered paths, so their number stays bounded.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vtexbridge.vtex.breaker import BreakerState

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class TransportMetrics:
    """Requests, latency, 429s, retries, limiter waits and breaker state, per API area and route."""

    def __init__(self, registry: CollectorRegistry | None = None, *, namespace: str = "vtexbridge") -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        ns, sub, reg = namespace, "vtex", self.registry
        self.requests = Counter(
            "requests", "VTEX calls by outcome (HTTP status or error kind).",
            ["api", "route", "method", "status"], namespace=ns, subsystem=sub, registry=reg,
        )  # fmt: skip
        self.latency = Histogram(
            "request_duration_seconds", "Duration of one VTEX call (one attempt).", ["api", "route"],
            namespace=ns, subsystem=sub, registry=reg, buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self.throttled = Counter(
            "rate_limited", "429 answers from VTEX.", ["api", "route"],
            namespace=ns, subsystem=sub, registry=reg,
        )  # fmt: skip
        self.retries = Counter(
            "retries", "Calls sent again, by reason.", ["api", "reason"],
            namespace=ns, subsystem=sub, registry=reg,
        )  # fmt: skip
        self.limiter_wait = Counter(
            "limiter_wait_seconds", "Seconds spent waiting for a rate-limit token.", ["api", "route"],
            namespace=ns, subsystem=sub, registry=reg,
        )  # fmt: skip
        self.breaker = Gauge(
            "breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open.", ["api"],
            namespace=ns, subsystem=sub, registry=reg,
        )  # fmt: skip
        self._requests: dict[tuple[str, str, str, str], Counter] = {}
        self._latency: dict[tuple[str, str], Histogram] = {}

    def request(self, api: str, route: str, method: str, status: str, seconds: float) -> None:
        """One attempt ended with ``status`` (an HTTP status, or ``connect_error``/``timeout``/...)."""
        key = (api, route, method, status)
        counter = self._requests.get(key)
        if counter is None:
            counter = self._requests[key] = self.requests.labels(api, route, method, status)
        counter.inc()
        histogram = self._latency.get((api, route))
        if histogram is None:
            histogram = self._latency[(api, route)] = self.latency.labels(api, route)
        histogram.observe(seconds)
        if status == "429":
            self.throttled.labels(api, route).inc()

    def refused(self, api: str, route: str, method: str) -> None:
        """A call failed fast on an open circuit breaker (nothing was sent)."""
        self.requests.labels(api, route, method, "circuit_open").inc()

    def retry(self, api: str, reason: str) -> None:
        self.retries.labels(api, reason).inc()

    def waited(self, api: str, route: str, seconds: float) -> None:
        self.limiter_wait.labels(api, route).inc(seconds)

    def breaker_state(self, api: str, state: BreakerState) -> None:
        self.breaker.labels(api).set(int(state))
