"""Reading what arrives from outside (HTTP bodies, path segments): bounded, or refused naming the field.

:func:`parse_json` is ``json.loads`` plus the checks a body must pass before any handler, parser or
database sees it (the standard library accepts every one of these, and each failed further down:
a ``RecursionError``, PostgreSQL refusing ``NaN`` or ``\\u0000`` in a JSON column, a lone surrogate
that cannot be encoded, a 25-digit integer that overflows a column):

- valid UTF-8, at most :data:`MAX_DEPTH` levels of arrays/objects;
- no ``NaN``/``Infinity`` (nor a number that overflows to it, such as ``1e999``), and every number
  within ±2^53 (I-JSON, RFC 7493: the range every JSON implementation reads exactly);
- no NUL or other C0 control character except tab/CR/LF, and no lone surrogate, in any string or key;
- strings at most :data:`MAX_STRING` characters.

A failure raises :class:`UntrustedInput` whose ``field`` is the JSON path (``items[0].quantity``).
:func:`check_id` is the rule for an identifier that ends up in a URL path or a database key.

Hand-written because no maintained library bounds depth and number range while parsing; the walk is
iterative, so a deep document cannot exhaust the stack.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_ID",
    "MAX_NUMBER",
    "MAX_STRING",
    "UntrustedInput",
    "check_id",
    "check_value",
    "parse_json",
    "printable",
]

MAX_DEPTH = 32
MAX_NUMBER = 2**53
MAX_STRING = 100_000
MAX_ID = 64
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:~+-]*$")


class UntrustedInput(ValueError):
    """Input refused: ``field`` (a JSON path, a header or a path parameter; ``""`` for the whole body)
    and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


def _refuse_constant(name: str) -> Any:
    raise UntrustedInput("", f"{name} is not a JSON number")


def parse_json(raw: bytes | str, *, parse_float: Any = float) -> Any:
    """``raw`` decoded and checked (see the module docstring).

    Raises:
        UntrustedInput: not UTF-8, not JSON, or a value out of bounds (``field`` names where).
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as e:
        raise UntrustedInput("", f"the body is not UTF-8 (byte {e.start})") from None
    if _too_deep(text):
        raise UntrustedInput("", f"the body nests arrays/objects deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=parse_float)
    except UntrustedInput:
        raise
    except (ValueError, RecursionError) as e:
        if "integer string conversion" in str(e):
            raise UntrustedInput("", "a number of the body has thousands of digits") from None
        raise UntrustedInput("", f"the body is not valid JSON ({_short(e)})") from None
    check_value(value)
    return value


def _short(e: Exception) -> str:
    text = str(e)
    return text if len(text) <= 120 else text[:117] + "..."


def _too_deep(text: str) -> bool:
    """Whether the document nests deeper than :data:`MAX_DEPTH` (brackets outside strings), checked
    before parsing so that the parser never recurses that far."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _check_text(text: str, where: str) -> None:
    if len(text) > MAX_STRING:
        raise UntrustedInput(where, f"longer than {MAX_STRING} characters")
    bad = _BAD_CHARS.search(text)
    if bad is not None:
        what = "a NUL character" if bad.group() == "\x00" else f"the character U+{ord(bad.group()):04X}"
        raise UntrustedInput(where, f"contains {what}")


def check_value(value: Any, where: str = "") -> None:
    """Check a decoded JSON value (iteratively); raise :class:`UntrustedInput` naming the field."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            _check_text(item, at)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_NUMBER:
                raise UntrustedInput(at, f"{_digits(item)} is out of range (at most ±2^53)")
        elif isinstance(item, float):
            if not math.isfinite(item) or abs(item) > MAX_NUMBER:
                raise UntrustedInput(at, "the number is out of range (at most ±2^53)")
        elif isinstance(item, dict):
            for key, sub in item.items():
                _check_text(str(key), _path(at, str(key)[:40]))
                stack.append((sub, _path(at, key)))
        elif isinstance(item, list):
            stack.extend((sub, _path(at, n)) for n, sub in enumerate(item))
        else:  # Decimal (parse_float=Decimal)
            number = float(item)
            if not math.isfinite(number) or abs(number) > MAX_NUMBER:
                raise UntrustedInput(at, "the number is out of range (at most ±2^53)")


def _digits(number: int) -> str:
    text = str(number)
    return text if len(text) <= 20 else f"a {len(text)}-digit number"


def printable(text: str) -> str:
    """``text`` without NUL and other control characters (tab/CR/LF kept) nor lone surrogates: for
    free text (a search) that is used rather than refused."""
    return _BAD_CHARS.sub("", text)


def check_id(value: Any, field: str, *, max_length: int = MAX_ID) -> str:
    """``value`` as an identifier: 1 to ``max_length`` characters, letters, digits and ``_ . : ~ + -``,
    starting with a letter or digit (so never ``.``, ``..``, empty, a path or a query).

    Raises:
        UntrustedInput: anything else, naming ``field``.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise UntrustedInput(field, "must be a string identifier")
    text = str(value)
    if not text:
        raise UntrustedInput(field, "is required")
    if len(text) > max_length:
        raise UntrustedInput(field, f"is longer than {max_length} characters")
    if not _ID.match(text):
        raise UntrustedInput(
            field, "may hold only letters, digits and _ . : ~ + - (starting with a letter or digit)"
        )
    return text
