"""The provider protocols' objects for one ``vtexbridge serve`` process, built from the settings.

``ProvidersRuntime.build(settings, state=store, metrics=metrics)`` builds the configured protocols
over the state store's engine (the ledger) and their ERP adapters; :func:`attach` puts it on the app
(the route module finds it there, or builds it from the app's services on first use);
:meth:`ProvidersRuntime.run` finishes what a crash left pending and follows up the ERP's later
decisions (payments and analyses) until stopped; :meth:`ProvidersRuntime.aclose` closes the adapters.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.providers.adapters import build_adapter
from vtexbridge.providers.antifraud.ledger import FraudLedger
from vtexbridge.providers.antifraud.service import AntifraudProvider
from vtexbridge.providers.giftcard.ledger import GiftCardLedger
from vtexbridge.providers.giftcard.service import GiftCardProvider
from vtexbridge.providers.metrics import ProviderMetrics
from vtexbridge.providers.payment.callbacks import CallbackSender, Notifier
from vtexbridge.providers.payment.ledger import PaymentLedger
from vtexbridge.providers.payment.service import PaymentProvider
from vtexbridge.providers.settings import ProvidersConfig, ProvidersSettings
from vtexbridge.state import StateStore
from vtexbridge.vtex.metrics import TransportMetrics

__all__ = ["ProvidersRuntime", "attach", "attach_if_configured", "runtime_of"]

_log = logging.getLogger(__name__)


@dataclass
class ProvidersRuntime:
    giftcard: GiftCardProvider | None = None
    payment: PaymentProvider | None = None
    antifraud: AntifraudProvider | None = None
    metrics: ProviderMetrics = field(default_factory=ProviderMetrics)
    owned: list[Any] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        settings: ProvidersConfig,
        *,
        state: StateStore,
        providers: ProvidersSettings | None = None,
        registry: CollectorRegistry | None = None,
        adapters: dict[str, Any] | None = None,
        clock: Clock | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        transport_metrics: TransportMetrics | None = None,
    ) -> ProvidersRuntime:
        """Build what ``providers`` (default ``settings.providers``) configures; ``adapters`` (by
        protocol name) replace the ones the settings describe.

        Raises:
            ConfigError: an adapter plugin cannot be loaded.
        """
        cfg = providers or settings.providers
        clock = clock or SystemClock()
        base: Path | None = settings.config_path.parent if settings.config_path is not None else None
        runtime = cls(metrics=ProviderMetrics(registry))
        given = adapters or {}

        def adapter(name: str, section: Any) -> Any:
            if name in given:
                return given[name]
            built = build_adapter(section.adapter, name, base_dir=base, metrics=transport_metrics)  # type: ignore[arg-type]
            runtime.owned.append(built)
            return built

        if cfg.giftcard is not None:
            runtime.giftcard = GiftCardProvider(
                cfg.giftcard,
                adapter("giftcard", cfg.giftcard),
                GiftCardLedger(state.engine),
                clock=clock,
                metrics=runtime.metrics,
            )
        sandbox_host = [urlsplit(settings.vtex.base_url).hostname or ""] if settings.vtex.base_url else []
        if cfg.payment is not None or cfg.antifraud is not None:
            callbacks = CallbackSender(settings.vtex, transport=http_transport, metrics=transport_metrics)
            runtime.owned.append(callbacks)
        if cfg.antifraud is not None:
            runtime.antifraud = AntifraudProvider(
                cfg.antifraud,
                adapter("antifraud", cfg.antifraud),
                FraudLedger(state.engine),
                Notifier(callbacks, [*cfg.antifraud.hook_hosts, *sandbox_host]),
                clock=clock,
                metrics=runtime.metrics,
            )
        if cfg.payment is not None:
            runtime.payment = PaymentProvider(
                cfg.payment,
                adapter("payment", cfg.payment),
                PaymentLedger(state.engine),
                Notifier(callbacks, [*cfg.payment.callback_hosts, *sandbox_host]),
                clock=clock,
                metrics=runtime.metrics,
            )
        return runtime

    def poll_s(self) -> float:
        found = [p.settings.decision_poll_s for p in (self.payment, self.antifraud) if p is not None]
        return min(found, default=5.0)

    async def recover(self) -> int:
        """Finish every transaction a crash or an ERP timeout left pending."""
        done = 0
        if self.giftcard is not None:
            done += await self.giftcard.recover()
        if self.payment is not None:
            done += await self.payment.recover()
        return done

    async def follow_up(self) -> None:
        """One round: the ERP's later decisions reach VTEX (payment callbacks, antifraud hooks)."""
        if self.payment is not None:
            await self.payment.follow_up()
        if self.antifraud is not None:
            await self.antifraud.follow_up()

    async def run(self, stop: asyncio.Event) -> None:
        """Background work until ``stop``: recovery at start, then the follow-up of pending decisions."""
        try:
            await self.recover()
        except Exception as e:  # the ERP may be down at start: the retries VTEX sends finish the work
            _log.warning("provider recovery did not finish: %s", e)
        while not stop.is_set():
            try:
                await self.follow_up()
            except Exception as e:  # a failing round is logged; the next one tries again
                _log.warning("provider follow-up round failed: %s", e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_s())

    async def aclose(self) -> None:
        for part in reversed(self.owned):
            for method in ("aclose", "close"):
                fn = getattr(part, method, None)
                if callable(fn):
                    result = fn()
                    if inspect.isawaitable(result):
                        await result
                    break


def attach(app: FastAPI, runtime: ProvidersRuntime) -> None:
    app.state.providers = runtime


def attach_if_configured(
    app: FastAPI,
    settings: ProvidersConfig,
    state: StateStore,
    registry: CollectorRegistry | None,
    transport_metrics: TransportMetrics | None = None,
) -> ProvidersRuntime | None:
    """``serve``: build the runtime of the configured protocols over ``state`` and attach it (None when
    no protocol is configured)."""
    p = settings.providers
    if p.giftcard is None and p.payment is None and p.antifraud is None:
        return None
    runtime = ProvidersRuntime.build(
        settings, state=state, registry=registry, transport_metrics=transport_metrics
    )
    attach(app, runtime)
    return runtime


def runtime_of(app: Any) -> ProvidersRuntime:
    """The app's runtime, built from its services (settings, store, metrics) on first use."""
    runtime = getattr(app.state, "providers", None)
    if isinstance(runtime, ProvidersRuntime):
        return runtime
    services = app.state.services
    metrics = getattr(app.state, "metrics", None)
    runtime = ProvidersRuntime.build(
        services.settings,
        state=services.store,
        registry=getattr(metrics, "registry", None),
        transport_metrics=getattr(metrics, "transport", None),
    )
    app.state.providers = runtime
    return runtime
