from __future__ import annotations

from vtexbridge.clock import FakeClock, SystemClock


async def test_fake_clock_moves_only_when_slept_or_advanced() -> None:
    clock = FakeClock(start=100.0, rand=0.25)
    await clock.sleep(2.5)
    clock.advance(1.0)
    await clock.sleep(-3)
    assert clock.monotonic() == 103.5
    assert clock.sleeps == [2.5, 0.0]
    assert clock.random() == 0.25
    assert clock.now().timestamp() == 103.5


async def test_system_clock_is_seedable() -> None:
    a, b = SystemClock(seed=7), SystemClock(seed=7)
    assert [a.random() for _ in range(3)] == [b.random() for _ in range(3)]
    t0 = a.monotonic()
    await a.sleep(0)
    assert a.monotonic() >= t0
