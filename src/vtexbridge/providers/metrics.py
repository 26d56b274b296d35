"""Metrics of the provider protocols, on the process's registry (``/metrics``).

- ``vtexbridge_providers_transactions_total{protocol, operation, outcome}``: every answered
  transaction or decision (gift card debit/credit authorized/declined, payment approved/denied/
  undefined, antifraud approved/denied/received ...);
- ``vtexbridge_providers_pending_decisions{protocol}``: payments and analyses waiting for the ERP's
  later decision (set by the runtime's follow-up loop);
- ``vtexbridge_providers_erp_seconds{protocol}``: how long the ERP took to answer.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ProviderMetrics"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ProviderMetrics:
    def __init__(self, registry: CollectorRegistry | None = None, *, namespace: str = "vtexbridge") -> None:
        reg = registry if registry is not None else CollectorRegistry()
        self.transactions_total = Counter(
            "transactions", "Provider protocol transactions answered, by outcome.",
            ["protocol", "operation", "outcome"], namespace=namespace, subsystem="providers", registry=reg,
        )  # fmt: skip
        self.pending = Gauge(
            "pending_decisions", "Payments and analyses waiting for the ERP's decision.", ["protocol"],
            namespace=namespace, subsystem="providers", registry=reg,
        )  # fmt: skip
        self.erp_seconds = Histogram(
            "erp_seconds", "Time the ERP adapter took to answer.", ["protocol"],
            namespace=namespace, subsystem="providers", registry=reg, buckets=_BUCKETS,
        )  # fmt: skip

    def transaction(self, protocol: str, operation: str, outcome: str) -> None:
        self.transactions_total.labels(protocol, operation, outcome).inc()

    def erp_observer(self, protocol: str) -> Callable[[float], None]:
        """What :func:`~vtexbridge.providers.common.erp_call` reports each ERP call's duration to."""
        return self.erp_seconds.labels(protocol).observe

    def set_pending(self, protocol: str, n: int) -> None:
        self.pending.labels(protocol).set(n)
