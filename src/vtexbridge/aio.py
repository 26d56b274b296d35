"""Running the command-line's coroutines: on uvloop where it is installed (Linux, macOS), else asyncio.

The sync and the order worker spend most of their CPU in the HTTP client's event-loop plumbing
(socket readiness, callbacks); uvloop runs that part in C.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run"]

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a uvloop event loop when uvloop is importable."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, or uvloop not installed
        return asyncio.run(main)
    return uvloop.run(main)
