"""ERP adapters of the provider protocols: the interface (:mod:`.base`), the built-in SQL/local and
HTTP adapters, and plugins found by entry point (see :func:`build_adapter`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

from vtexbridge.errors import ConfigError
from vtexbridge.plugins import build_plugin, call_plugin
from vtexbridge.providers.adapters.base import (
    CardQuery,
    CreditDecision,
    CreditOperation,
    CreditRequest,
    FraudCase,
    FraudDecision,
    GiftCard,
    Movement,
    MovementResult,
    NewCard,
)
from vtexbridge.providers.settings import AdapterSettings
from vtexbridge.vtex.metrics import TransportMetrics

__all__ = ["ENTRY_POINT_GROUPS", "PluginErp", "build_adapter"]

Protocol = Literal["giftcard", "payment", "antifraud"]
ENTRY_POINT_GROUPS: dict[str, str] = {
    "giftcard": "vtexbridge.giftcard_adapters",
    "payment": "vtexbridge.payment_adapters",
    "antifraud": "vtexbridge.antifraud_adapters",
}
_METHODS: dict[str, tuple[str, ...]] = {
    "giftcard": ("search_cards", "get_card", "create_card", "apply_movement"),
    "payment": ("authorize_credit", "credit_decision", "credit_operation"),
    "antifraud": ("analyse", "fraud_status", "stop_analysis"),
}


class PluginErp:
    """A plugin object behind the adapter interfaces: sync methods run in a worker thread."""

    def __init__(self, plugin: Any, name: str, protocol: str) -> None:
        missing = [m for m in _METHODS[protocol] if not callable(getattr(plugin, m, None))]
        if missing:
            raise ConfigError(f"the {protocol} adapter plugin {name!r} has no {', '.join(missing)} method")
        self.plugin = plugin
        self.name = f"plugin:{name}"

    async def _call(self, method: str, *args: Any) -> Any:
        return await call_plugin(getattr(self.plugin, method), *args)

    async def search_cards(self, query: CardQuery) -> list[GiftCard]:
        return cast(list[GiftCard], await self._call("search_cards", query))

    async def get_card(self, card_id: str) -> GiftCard | None:
        return cast(GiftCard | None, await self._call("get_card", card_id))

    async def create_card(self, new: NewCard) -> GiftCard:
        return cast(GiftCard, await self._call("create_card", new))

    async def apply_movement(self, movement: Movement) -> MovementResult:
        return cast(MovementResult, await self._call("apply_movement", movement))

    async def authorize_credit(self, request: CreditRequest) -> CreditDecision:
        return cast(CreditDecision, await self._call("authorize_credit", request))

    async def credit_decision(self, payment_id: str) -> CreditDecision | None:
        return cast(CreditDecision | None, await self._call("credit_decision", payment_id))

    async def credit_operation(self, operation: CreditOperation) -> bool:
        return bool(await self._call("credit_operation", operation))

    async def analyse(self, case: FraudCase) -> FraudDecision:
        return cast(FraudDecision, await self._call("analyse", case))

    async def fraud_status(self, tx_id: str) -> FraudDecision | None:
        return cast(FraudDecision | None, await self._call("fraud_status", tx_id))

    async def stop_analysis(self, tx_id: str) -> None:
        await self._call("stop_analysis", tx_id)

    async def aclose(self) -> None:
        for method in ("aclose", "close"):
            fn = getattr(self.plugin, method, None)
            if callable(fn):
                await call_plugin(fn)
                return


def build_adapter(
    settings: AdapterSettings,
    protocol: Protocol,
    *,
    base_dir: Path | None = None,
    metrics: TransportMetrics | None = None,
) -> Any:
    """The adapter ``settings`` describe, for ``protocol`` (an object with that protocol's methods).

    Raises:
        ConfigError: a plugin cannot be found, loaded or started.
    """
    if settings.kind == "local":
        from vtexbridge.providers.adapters.sql import SqlErp

        path = settings.path if settings.path.is_absolute() or base_dir is None else base_dir / settings.path
        return SqlErp.local(path)
    url = settings.url.get_secret_value() if settings.url is not None else ""
    if settings.kind == "sql":
        from vtexbridge.providers.adapters.sql import SqlErp

        return SqlErp(url)
    if settings.kind == "http":
        from vtexbridge.providers.adapters.http import HttpErp

        headers = {k: v.get_secret_value() for k, v in settings.headers.items()}
        return HttpErp(url, headers=headers, timeout_s=settings.timeout_s, metrics=metrics)
    spec = settings.plugin or ""
    plugin = build_plugin(ENTRY_POINT_GROUPS[protocol], spec, f"{protocol} adapter", settings.options)
    return PluginErp(plugin, spec, protocol)
