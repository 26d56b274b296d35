"""The process's one state thread: state store calls from async code run there, in arrival order.

The state store is synchronous. Every flow and web route that calls it from the event loop goes
through :func:`state_call` (the order pipeline, the hook inbox, the actions outbox, ``/health``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["state_call"]

P = ParamSpec("P")
T = TypeVar("T")

_state_pool: ThreadPoolExecutor | None = None
_state_pool_lock = threading.Lock()


def _state_executor() -> ThreadPoolExecutor:
    global _state_pool
    with _state_pool_lock:
        if _state_pool is None:
            _state_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtexbridge-state")
        return _state_pool


async def state_call(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a state store call off the event loop, on the process's one state thread.

    One thread, first come first served: SQLite allows one writer at a time, and writers of one
    process competing for its lock wait in its busy handler's coarse sleeps (milliseconds each),
    which under load costs far more than queueing. Each call is one short transaction.
    """
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(_state_executor(), call)
