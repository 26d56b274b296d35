"""What every provider service shares: its clock, its metrics, and the ERP called within VTEX's budget."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import ClassVar, TypeVar

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.providers.common import erp_call
from vtexbridge.providers.metrics import ProviderMetrics

__all__ = ["ErpBackedProvider"]

T = TypeVar("T")


class ErpBackedProvider:
    """Base of the gift card, payment and antifraud services (``kind`` labels their ERP metrics)."""

    kind: ClassVar[str]

    def __init__(self, timeout_s: float, *, clock: Clock | None, metrics: ProviderMetrics | None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.metrics = metrics or ProviderMetrics()
        self.budget = timeout_s
        self._observe = self.metrics.erp_observer(self.kind)

    async def _erp(self, what: str, call: Awaitable[T]) -> T:
        """``call`` to the ERP, cut at the adapter's budget (an answer VTEX can still use)."""
        return await erp_call(what, call, self.budget, self._observe)
