"""Time, sleeping and randomness behind one seam, so that tests can assert *when* things happen."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...
    def monotonic(self) -> float: ...
    async def sleep(self, seconds: float) -> None: ...
    def random(self) -> float: ...


class SystemClock:
    """The real clock."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def random(self) -> float:
        return self._rng.random()


class FakeClock:
    """A clock that only moves when slept on or advanced; records every sleep."""

    def __init__(self, start: float = 1_000.0, *, rand: float = 0.5) -> None:
        self._t = start
        self._rand = rand
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._t, UTC)

    def monotonic(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        self._t += seconds

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        self._t += seconds
        await asyncio.sleep(0)

    def random(self) -> float:
        return self._rand
