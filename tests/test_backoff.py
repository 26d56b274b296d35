"""The one backoff formula."""

from __future__ import annotations

import math

import pytest

from vtexbridge.backoff import backoff_delay


def test_doubles_from_the_base_up_to_the_cap() -> None:
    assert [backoff_delay(n, 0.5, 3.0) for n in range(0, 6)] == [0.5, 0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff_delay(4, 2.0) == 16.0
    assert backoff_delay(10_000, 1.0) == 2.0**62
    assert backoff_delay(10_000, 1.0, 600.0) == 600.0
    assert not math.isinf(backoff_delay(10_000, 1.0))


def test_jitter_is_the_random_fraction_of_the_wait() -> None:
    assert backoff_delay(3, 1.0, jitter=1.0, random=lambda: 0.25) == 1.0
    assert backoff_delay(3, 1.0, jitter=1.0, random=lambda: 0.0) == 0.0
    assert backoff_delay(3, 1.0, jitter=0.5, random=lambda: 0.0) == 2.0
    assert backoff_delay(3, 1.0, jitter=0.5, random=lambda: 0.5) == 3.0
    with pytest.raises(ValueError, match="random source"):
        backoff_delay(1, 1.0, jitter=1.0)
