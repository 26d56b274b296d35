"""The executor's area gate: a bounded number of steps at a time, free slots to the lowest rank first."""

from __future__ import annotations

import asyncio

from vtexbridge.sync.apply import _Gate


async def test_free_slots_go_to_the_lowest_rank_first() -> None:
    gate = _Gate(1)
    await gate.acquire(5)
    order: list[int] = []

    async def wait(rank: int) -> None:
        await gate.acquire(rank)
        order.append(rank)
        gate.release()

    waiters = [asyncio.create_task(wait(r)) for r in (10, 3, 7, 3)]
    await asyncio.sleep(0)
    gate.release()
    await asyncio.gather(*waiters)
    assert order == [3, 3, 7, 10]
    assert gate.free == 1


async def test_a_cancelled_waiter_does_not_keep_a_slot() -> None:
    gate = _Gate(1)
    await gate.acquire(0)
    waiter = asyncio.create_task(gate.acquire(1))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0)
    gate.release()
    assert gate.free == 1
    await asyncio.wait_for(gate.acquire(2), 1)
