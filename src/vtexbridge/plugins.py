"""Load a plugin factory by entry point name or ``module:attribute``, and call a plugin's method.

One loader for every pluggable part that names a factory in its settings. (The ERP readers, sinks
and payment handlers each carry an equivalent private copy that predates this module; they can move
onto it without changing behaviour.)
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from vtexbridge.errors import ConfigError

__all__ = ["available", "call_plugin", "load_factory"]


def available(group: str) -> list[str]:
    """The names of the installed plugins of entry point ``group``."""
    return sorted({ep.name for ep in entry_points(group=group)})


def load_factory(group: str, spec: str, what: str) -> Callable[..., Any]:
    """The callable ``spec`` names: an entry point of ``group``, or ``package.module:attribute``.

    Raises:
        ConfigError: not found (the message lists the installed ones), fails to load, not callable.
    """
    if ":" in spec:
        module_name, _, attribute = spec.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as e:
            raise ConfigError(f"cannot load the {what} {spec!r}: {type(e).__name__}: {e}") from e
    else:
        found = [ep for ep in entry_points(group=group) if ep.name == spec]
        if not found:
            known = ", ".join(available(group)) or "none installed"
            raise ConfigError(f"no {what} plugin named {spec!r} in entry point group {group} ({known})")
        try:
            obj = found[0].load()
        except Exception as e:
            raise ConfigError(f"the {what} plugin {spec!r} failed to load: {type(e).__name__}: {e}") from e
    if not callable(obj):
        raise ConfigError(f"the {what} {spec!r} is not callable")
    return obj  # type: ignore[no-any-return]


async def call_plugin(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a plugin method: awaited when it is a coroutine function, else in a worker thread."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    result = await asyncio.to_thread(fn, *args)
    if inspect.isawaitable(result):
        return await result
    return result
