"""Event-loop plumbing shared by every layer.

:func:`run` runs the command-line's coroutines on uvloop where it is installed (Linux, macOS), else
asyncio: the sync and the order worker spend most of their CPU in the HTTP client's event-loop
plumbing (socket readiness, callbacks); uvloop runs that part in C.

:func:`in_thread` runs a blocking call (a file system call, a report) off the event loop. State
store calls go through :func:`vtexbridge.state.executor.state_call` instead (one state thread).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

__all__ = ["in_thread", "run"]

P = ParamSpec("P")
T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a uvloop event loop when uvloop is importable."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, or uvloop not installed
        return asyncio.run(main)
    return uvloop.run(main)


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call (a file system call, a report) off the event loop, in the default pool."""
    return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
