"""Path values of VTEX routes, checked where the area modules build them.

The transport percent-encodes every path value (``quote(value, safe="")``: ``/``, ``?``, ``#`` and
``%`` cannot leave their segment), but no encoding changes ``.`` or ``..``, which an HTTP client
resolves as "this route" and "the parent route": an order id ``..`` would turn
``/api/oms/pvt/orders/{orderId}/cancel`` into ``/api/oms/pvt/orders/cancel`` and spend our credentials
on a route nobody asked for. :func:`segments` refuses such values (and empty ones, and control
characters) before any request is built, so that each value stays exactly one path segment.
"""

from __future__ import annotations

import re
from typing import ClassVar

from vtexbridge.errors import Category, VtexbridgeError

__all__ = ["BadPathValue", "segments"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadPathValue(VtexbridgeError, ValueError):
    """A value that cannot be one path segment of a VTEX route (a bug or hostile input upstream)."""

    category: ClassVar[Category] = "record"


def segments(**values: str | int) -> dict[str, str | int]:
    """``values`` (route placeholder -> value), each checked to be exactly one path segment.

    Raises:
        BadPathValue: an empty value, ``.``, ``..``, or one with a control character.
    """
    for name, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool):
            continue
        text = str(value)
        if text in ("", ".", "..") or _CONTROL.search(text):
            raise BadPathValue(f"{name} {text!r} cannot be a path segment of a VTEX route")
    return values
