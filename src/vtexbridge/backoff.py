"""The one backoff formula: how long to wait before retry number ``attempt``.

``base_s * 2 ** (attempt - 1)``, capped at ``max_s``, of which a fraction ``jitter`` is random:

- ``jitter=0`` — the exact doubling (hook inbox, provider callbacks);
- ``jitter=0.5`` — "equal jitter", uniform in [ceiling/2, ceiling) (the order action outbox);
- ``jitter=1`` — "full jitter", uniform in [0, ceiling) (the VTEX client's retry policy).

The randomness comes from the caller (``clock.random``) so that tests can pin it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["backoff_delay"]

_MAX_DOUBLINGS = 62
"""Past this many doublings every sane cap has long been reached; it keeps the power finite."""


def backoff_delay(
    attempt: int,
    base_s: float,
    max_s: float = math.inf,
    *,
    jitter: float = 0.0,
    random: Callable[[], float] | None = None,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based; below 1 counts as 1).

    Args:
        attempt: how many attempts have failed so far.
        base_s: the wait after the first failure; it doubles with each further one.
        max_s: the ceiling of the doubling.
        jitter: the fraction of the wait drawn at random, from 0 (none) to 1 (full jitter).
        random: a uniform draw in [0, 1); required when ``jitter`` is not 0.
    """
    ceiling = min(max_s, base_s * 2.0 ** min(max(attempt - 1, 0), _MAX_DOUBLINGS))
    if not jitter:
        return ceiling
    if random is None:
        raise ValueError("backoff_delay with jitter needs a random source")
    return ceiling * (1.0 - jitter + jitter * random())
