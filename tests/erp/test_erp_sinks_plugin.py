"""Plugin sinks: loaded by entry point or module:attribute, sync or async, errors wrapped."""

from __future__ import annotations

from typing import Any

import pytest

from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkResult
from vtexbridge.erp.sinks.plugin import ENTRY_POINT_GROUP, load_sink
from vtexbridge.errors import ConfigError

DELIVERY = OrderDelivery("acme", "O-1", "ready-for-handling", {"orderId": "O-1"})
RECEIVED: list[tuple[str, Any]] = []


class SyncSink:
    def __init__(self, prefix: str = "ERP") -> None:
        self.prefix = prefix
        self.closed = False

    def deliver(self, delivery: OrderDelivery) -> str:
        RECEIVED.append((delivery.key, self.prefix))
        return f"{self.prefix}-{delivery.order_id}"

    def close(self) -> None:
        self.closed = True


class AsyncSink:
    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        return SinkResult("async-ref", written=False)


class FailingSink:
    def deliver(self, delivery: OrderDelivery) -> None:
        raise RuntimeError("ERP down")


class NotASink:
    pass


async def test_sync_plugin_by_module_attribute_with_options() -> None:
    sink = load_sink(f"{__name__}:SyncSink", {"prefix": "ACME"})
    assert sink.name == f"plugin:{__name__}:SyncSink"
    result = await sink.deliver(DELIVERY)
    assert result.erp_ref == "ACME-O-1" and result.written
    await sink.aclose()
    assert sink.plugin.closed


async def test_async_plugin_result_is_kept() -> None:
    result = await load_sink(f"{__name__}:AsyncSink").deliver(DELIVERY)
    assert result == SinkResult("async-ref", written=False)


async def test_plugin_errors_become_sink_errors() -> None:
    with pytest.raises(SinkError, match="ERP down"):
        await load_sink(f"{__name__}:FailingSink").deliver(DELIVERY)


def test_bad_plugins_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="no deliver"):
        load_sink(f"{__name__}:NotASink")
    with pytest.raises(ConfigError, match="cannot load"):
        load_sink("no_such_module_xyz:Sink")
    with pytest.raises(
        ConfigError, match=f"no ERP sink plugin named 'nope' in entry point group {ENTRY_POINT_GROUP}"
    ):
        load_sink("nope")
    with pytest.raises(ConfigError, match="failed to start"):
        load_sink(f"{__name__}:SyncSink", {"unknown": 1})
