"""Load a plugin by entry point name or ``module:attribute``, build it, and call a plugin's method.

The one loader for every pluggable part that names a plugin in its settings: the ERP readers and
sinks, the payment handlers and the provider adapters. Every error is a :class:`ConfigError` that
names the kind of plugin (``what``), the name given, the entry point group and why.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from vtexbridge.errors import ConfigError

__all__ = ["available", "build_plugin", "call_plugin", "load_factory", "load_object"]


def available(group: str) -> list[str]:
    """The names of the installed plugins of entry point ``group``."""
    return sorted({ep.name for ep in entry_points(group=group)})


def load_object(group: str, spec: str, what: str) -> Any:
    """The object ``spec`` names: an entry point of ``group``, or ``package.module:attribute``.

    Raises:
        ConfigError: not found (the message lists the installed ones) or fails to load.
    """
    if ":" in spec:
        module_name, _, attribute = spec.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as e:
            raise ConfigError(f"cannot load the {what} {spec!r}: {type(e).__name__}: {e}") from e
        return obj
    found = [ep for ep in entry_points(group=group) if ep.name == spec]
    if not found:
        known = ", ".join(available(group)) or "none is installed"
        raise ConfigError(
            f"no {what} plugin named {spec!r} in entry point group {group} (available: {known}); "
            "install the plugin or give 'package.module:attribute'"
        )
    try:
        return found[0].load()
    except Exception as e:  # a broken plugin is a configuration problem
        raise ConfigError(
            f"the {what} plugin {spec!r} ({found[0].value}) failed to load: {type(e).__name__}: {e}"
        ) from e


def load_factory(group: str, spec: str, what: str) -> Callable[..., Any]:
    """Like :func:`load_object`, and the object must be callable (a class or a factory function).

    Raises:
        ConfigError: not found, fails to load, not callable.
    """
    obj = load_object(group, spec, what)
    if not callable(obj):
        raise ConfigError(f"the {what} {spec!r} is not callable")
    return obj  # type: ignore[no-any-return]


def build_plugin(group: str, spec: str, what: str, options: Mapping[str, Any] | None = None) -> Any:
    """Load the factory ``spec`` names and call it with ``options`` as keyword arguments.

    Raises:
        ConfigError: it cannot be found or loaded, or the factory raised (the message says which
            plugin and what it raised).
    """
    factory = load_factory(group, spec, what)
    try:
        return factory(**dict(options or {}))
    except ConfigError:
        raise
    except Exception as e:
        raise ConfigError(f"the {what} plugin {spec!r} failed to start: {type(e).__name__}: {e}") from e


async def call_plugin(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a plugin method: awaited when it is a coroutine function, else in a worker thread."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    result = await asyncio.to_thread(fn, *args)
    if inspect.isawaitable(result):
        return await result
    return result
