"""The CLI's coroutine runner: uvloop where installed."""

from __future__ import annotations

import asyncio

import pytest

from vtexbridge import aio


async def _loop_kind() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_run_returns_the_coroutine_result_on_uvloop() -> None:
    pytest.importorskip("uvloop", reason="uvloop is not installed on this platform (Windows)")
    assert aio.run(_loop_kind()).startswith("uvloop")
