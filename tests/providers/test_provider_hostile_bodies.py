"""Hostile bodies on the provider protocols' routes (issue #11, every serve route that reads a body):
a 4xx naming the field, never a 500, no internal detail."""

from __future__ import annotations

import pytest

from tests.providers.provider_support import Served_, headers

CASES = [
    (b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}", None),
    (b'{"client": {"email": NaN}}', None),
    (b'{"client": {"email": 1e999}}', "client.email"),
    (b'{"value": -1e300}', "value"),
    (b'{"value": 1234567890123456789012345}', "value"),
    (b'{"client": {"email": "a\\u0000b"}}', "client.email"),
    (b'{"client": {"email": "\\ud800"}}', "client.email"),
]


@pytest.mark.parametrize(
    ("raw", "field"), CASES, ids=["deep", "nan", "inf", "-1e300", "25-digits", "nul", "surrogate"]
)
async def test_hostile_bodies_get_a_4xx_naming_the_field(
    served: Served_, raw: bytes, field: str | None
) -> None:
    async with served.client() as c:
        for path in ["/providers/giftcard/giftcards/_search", "/providers/giftcard/giftcards"]:
            r = await c.post(path, content=raw, headers=headers(family="PROVIDER"))
            assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
            assert "traceback" not in r.text.lower() and "sqlite" not in r.text.lower()
            if field is not None:
                assert field in r.text, r.text[:200]
