"""Plugin sinks: an ERP connector shipped as its own Python package, found by entry point.

A plugin package declares, in its ``pyproject.toml``::

    [project.entry-points."vtexbridge.erp_sinks"]
    acme = "acme_vtex.sink:AcmeSink"

The entry point names a *factory* (usually a class) called with ``[orders.sink.options]`` as keyword
arguments. The object it returns has ``deliver(delivery)`` — sync or ``async`` — taking an
:class:`~vtexbridge.erp.sinks.OrderDelivery` and returning once the ERP durably accepted it: the ERP
reference (``str``), ``None``, or a :class:`~vtexbridge.erp.sinks.SinkResult`. It must be idempotent
per (order id, status) (``delivery.key``) and raise :class:`~vtexbridge.erp.sinks.SinkError` (or any
exception: it is wrapped in one) when the ERP did not accept. An optional ``close()`` / ``aclose()``
is called at shutdown. ``plugin = "package.module:attribute"`` loads a factory without an entry point.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkResult
from vtexbridge.errors import ConfigError
from vtexbridge.plugins import available, build_plugin, call_plugin

__all__ = ["ENTRY_POINT_GROUP", "PluginSink", "available_sinks", "load_sink"]

ENTRY_POINT_GROUP = "vtexbridge.erp_sinks"


def available_sinks() -> list[str]:
    """The names of the installed sink plugins."""
    return available(ENTRY_POINT_GROUP)


class PluginSink:
    """Adapts a plugin object to the :class:`~vtexbridge.erp.sinks.Sink` protocol."""

    def __init__(self, plugin: Any, name: str) -> None:
        deliver = getattr(plugin, "deliver", None)
        if not callable(deliver):
            raise ConfigError(f"the ERP sink plugin {name!r} has no deliver(delivery) method")
        self.plugin = plugin
        self.name = f"plugin:{name}"
        self._deliver: Callable[[OrderDelivery], Any] = deliver

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        try:
            out = await call_plugin(self._deliver, delivery)
        except SinkError:
            raise
        except Exception as e:
            raise SinkError(
                f"{self.name} did not accept order {delivery.key}: {type(e).__name__}: {e}"
            ) from e
        if isinstance(out, SinkResult):
            return out
        return SinkResult(None if out is None else str(out))

    async def aclose(self) -> None:
        for method in ("aclose", "close"):
            fn = getattr(self.plugin, method, None)
            if callable(fn):
                result = fn()
                if inspect.isawaitable(result):
                    await result
                return


def load_sink(name: str, options: Mapping[str, Any] | None = None) -> PluginSink:
    """Build the plugin sink ``name`` (entry point or ``module:attribute``) with ``options``.

    Raises:
        ConfigError: the plugin cannot be found, loaded or built.
    """
    return PluginSink(build_plugin(ENTRY_POINT_GROUP, name, "ERP sink", options), name)
