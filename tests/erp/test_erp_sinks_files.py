"""Injective file names (#11 "orders that get stuck", item 5): distinct ids never share a file."""

from __future__ import annotations

import random

from vtexbridge.erp.sinks.files import MAX_COMPONENT, escape_component
from vtexbridge.erp.sinks.folder import file_name

_ALPHABET = "Aa0_-./\\:% ~\x00é中😀\ud800" + "".join(chr(c) for c in range(0x20, 0x7F))


def _random_ids(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    ids = {"".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 8))) for _ in range(n)}
    ids |= {"".join(rng.choice(_ALPHABET) for _ in range(rng.randint(100, 300))) for _ in range(n // 10)}
    return sorted(ids)


def test_escaping_is_injective_and_safe() -> None:
    seed = 20261207
    ids = _random_ids(seed, 20_000)
    escaped = {escape_component(i): i for i in ids}
    assert len(escaped) == len(ids), f"seed {seed}: two ids share an escaped name"
    for name in escaped:
        assert (
            "/" not in name and "\x00" not in name and not name.startswith(".") and len(name) <= MAX_COMPONENT
        )
        name.encode("utf-8")  # a valid file name on every file system that takes UTF-8
    assert len({file_name(i, "canceled") for i in ids}) == len(ids)


def test_long_ids_keep_a_readable_prefix_and_a_digest() -> None:
    long = "X" * 400
    escaped = escape_component(long)
    assert escaped.startswith("X" * 100) and "~" in escaped and len(escaped) <= MAX_COMPONENT
    assert escape_component(long + "Y") != escaped
    slashes = escape_component("/" * 200)
    assert slashes.count("~") == 1 and slashes.split("~")[0].endswith("%2F")  # never cut inside %XX
