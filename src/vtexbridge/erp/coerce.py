"""Field coercion shared by every ERP reader: raw value -> typed value, or a precise error.

A *converter* takes a value that is present — a stripped, non-empty ``str`` from a CSV cell, or a
typed value from JSON (``int``, ``Decimal``, ``bool``, ``list`` …) or from a database driver
(``int``, ``Decimal``, ``float``, ``date``, ``datetime`` …) — and returns the typed value, or raises
:class:`CoerceError` with a message that says what was wrong and what would be right. Emptiness
(``None``, ``""``, blanks) is handled once, by :func:`field_converter`, so that "required" and
"default" mean the same thing for every type and every reader.

The converters are plain functions on the hot path (a million rows per entity): the common case, a
well-formed string, takes one ``isinstance``-free class check and one conversion.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from vtexbridge.erp.numbers import NumberError, parse_decimal

__all__ = [
    "CoerceError",
    "Converter",
    "boolean",
    "country_code",
    "date_value",
    "datetime_value",
    "decimal",
    "decimal_at_least",
    "decimal_positive",
    "email",
    "enum_of",
    "field_converter",
    "gtin",
    "image_url",
    "integer",
    "integer_at_least",
    "text",
    "text_list",
    "text_max",
    "timespan",
]

T = TypeVar("T")
E = TypeVar("E", bound=Enum)
Converter = Callable[[Any], Any]

MISSING_MESSAGE = "required, but empty"


class CoerceError(ValueError):
    """A value could not be converted; ``field`` is set when the error concerns another field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _show(value: object) -> str:
    """The offending value as it should appear in a message: quoted, and cut when long."""
    s = repr(value)
    return s if len(s) <= 60 else s[:57] + "..."


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


# --- text ---------------------------------------------------------------------------------------


def text(value: Any) -> str:
    """Text. Whole numbers (a numeric code from JSON or SQL) become their decimal string."""
    if value.__class__ is str:
        return value
    if isinstance(value, str):
        return str(value).strip()
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise CoerceError(f"expected text, got {_kind(value)} {_show(value)}")
    if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral_value()):
        raise CoerceError(f"expected text, got the number {value}; quote it in the source")
    return str(int(value))


def text_max(limit: int) -> Converter:
    """Text of at most ``limit`` characters (VTEX's limit for the field it feeds)."""

    def convert(value: Any) -> str:
        if value.__class__ is str and len(value) <= limit:
            return value
        s = text(value)
        if len(s) > limit:
            raise CoerceError(f"is {len(s)} characters long; VTEX allows at most {limit}")
        return s

    return convert


def text_list(value: Any) -> tuple[str, ...]:
    """A list of texts: ``a;b;c`` in a CSV cell (blanks around items and empty items dropped), or a
    JSON array of texts."""
    if value.__class__ is str:
        return tuple(s for s in (p.strip() for p in value.split(";")) if s)
    if isinstance(value, list | tuple):
        out: list[str] = []
        for i, item in enumerate(value):
            if item is None:
                continue
            try:
                s = text(item).strip()
            except CoerceError as e:
                raise CoerceError(f"item {i + 1}: {e.message}") from None
            if s:
                out.append(s)
        return tuple(out)
    return (text(value),)


def email(value: Any) -> str:
    """An e-mail address (one ``@``, a dot in the domain, no blanks)."""
    s = value if value.__class__ is str else text(value)
    if not _EMAIL_RE.match(s):
        raise CoerceError(f"not an e-mail address: {_show(s)}")
    return s


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def country_code(value: Any) -> str:
    """An ISO 3166-1 alpha-3 country code, as VTEX stores it (``BRA``, ``USA``); upper-cased."""
    s = text(value)
    if len(s) != 3 or not s.isascii() or not s.isalpha():
        raise CoerceError(f"not an ISO 3166-1 alpha-3 country code: {_show(s)} (e.g. 'BRA', 'USA')")
    return s.upper()


_IMAGE_URL_RE = re.compile(r"https?://[^/\s]+/\S*\.(?:jpg|png|gif)", re.IGNORECASE)


def image_url(value: Any) -> str:
    """An image URL as VTEX accepts it: ``http://`` or ``https://`` and ending in .jpg, .png or .gif."""
    s = value if value.__class__ is str else text(value)
    if _IMAGE_URL_RE.fullmatch(s):
        return s
    low = s.lower()
    if not low.startswith(("http://", "https://")) or not low.split("://", 1)[1].split("/", 1)[0]:
        raise CoerceError(f"not an http(s) URL: {_show(s)}")
    if any(c.isspace() for c in s):
        raise CoerceError(f"a URL cannot contain blanks: {_show(s)}")
    raise CoerceError(f"VTEX only accepts image URLs ending in .jpg, .png or .gif: {_show(s)}")


def gtin(value: Any) -> str:
    """An EAN/GTIN code: 8, 12, 13 or 14 digits whose last digit is the GS1 check digit."""
    s = value if value.__class__ is str else text(value)
    if not s.isascii() or not s.isdigit():
        raise CoerceError(f"an EAN has digits only: {_show(s)}")
    if len(s) not in (8, 12, 13, 14):
        raise CoerceError(f"an EAN has 8, 12, 13 or 14 digits, not {len(s)}: {_show(s)}")
    expected = gtin_check_digit(s[:-1])
    if int(s[-1]) != expected:
        raise CoerceError(f"wrong check digit in {s}: the last digit should be {expected}, not {s[-1]}")
    return s


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit for ``body`` (all the digits but the last)."""
    digits = body.encode("ascii")
    odd, even = digits[::-2], digits[-2::-2]  # from the right: weights 3, 1, 3, 1 ...
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return (10 - total % 10) % 10


_TIMESPAN_RE = re.compile(r"^(?:(\d{1,4})\.)?(\d{1,2}):(\d{2}):(\d{2})$")


_TIMESPANS: dict[str, str] = {}


def timespan(value: Any) -> str:
    """A .NET-style time span as VTEX's logistics API takes it, normalised to ``D.HH:MM:SS``."""
    known = _TIMESPANS.get(value) if value.__class__ is str else None
    if known is not None:
        return known
    s = text(value)
    m = _TIMESPAN_RE.match(s)
    if m is None:
        raise CoerceError(f"not a time span: {_show(s)} (use D.HH:MM:SS, e.g. '3.00:00:00' for 3 days)")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        raise CoerceError(f"not a time span: {_show(s)} (hours 0-23, minutes and seconds 0-59)")
    normal = f"{days}.{hours:02d}:{minutes:02d}:{seconds:02d}"
    if len(_TIMESPANS) < 4096:  # a store uses a handful of lead times: remember them
        _TIMESPANS[s] = normal
    return normal


# --- numbers ------------------------------------------------------------------------------------


def integer(value: Any) -> int:
    """A whole number. ``"12"``, ``"12.0"``, ``12`` and ``Decimal("12")`` are accepted; ``"12.5"`` is not."""
    if value.__class__ is str:
        try:
            return int(value)
        except ValueError:
            return _integer_from_decimal(_decimal_from_str(value, "a whole number"), value)
    if value.__class__ is int:
        return value
    if isinstance(value, bool):
        raise CoerceError(f"expected a whole number, got {_kind(value)} {_show(value)}")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal | float):
        return _integer_from_decimal(Decimal(repr(value)) if isinstance(value, float) else value, value)
    raise CoerceError(f"expected a whole number, got {_kind(value)} {_show(value)}")


def _integer_from_decimal(d: Decimal, shown: object) -> int:
    if not d.is_finite() or d != d.to_integral_value():
        raise CoerceError(f"not a whole number: {_show(shown)}")
    return int(d)


def integer_at_least(minimum: int) -> Converter:
    """A whole number >= ``minimum``."""

    def convert(value: Any) -> int:
        n = integer(value)
        if n < minimum:
            raise CoerceError(f"must be at least {minimum}, got {n}")
        return n

    return convert


def _decimal_from_str(s: str, what: str = "a decimal number") -> Decimal:
    """``s`` read by the number parser shared with the actions files (``19,90`` and ``1.234,50`` too)."""
    try:
        return parse_decimal(s)
    except NumberError as e:
        message = e.message.removeprefix("not a number: ")
        raise CoerceError(f"not {what}: {message}" if message != e.message else message) from None


def decimal(value: Any) -> Decimal:
    """A decimal number with '.' as separator (``"129.90"``); exact, never a float."""
    if value.__class__ is str:
        return _decimal_from_str(value)
    if value.__class__ is Decimal:
        if not value.is_finite():
            raise CoerceError(f"not a decimal number: {value}")
        return value
    if isinstance(value, bool):
        raise CoerceError(f"expected a decimal number, got {_kind(value)} {_show(value)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _decimal_from_str(repr(value))
    raise CoerceError(f"expected a decimal number, got {_kind(value)} {_show(value)}")


def decimal_at_least(minimum: Decimal | int) -> Converter:
    """A decimal number >= ``minimum`` (prices, costs)."""
    low = Decimal(minimum)

    def convert(value: Any) -> Decimal:
        if value.__class__ is str:
            try:
                d = Decimal(value)
                if d.is_finite() and d >= low:
                    return d
            except InvalidOperation:
                pass
        d = decimal(value)
        if d < low:
            raise CoerceError(f"must be at least {low}, got {d}")
        return d

    return convert


def decimal_positive(value: Any) -> Decimal:
    """A decimal number > 0 (dimensions and weights: VTEX refuses 0)."""
    if value.__class__ is str:
        try:
            d = Decimal(value)
            if d.is_finite() and d > 0:
                return d
        except InvalidOperation:
            pass
    d = decimal(value)
    if d <= 0:
        raise CoerceError(f"must be greater than 0, got {d}")
    return d


# --- booleans, dates, enums ---------------------------------------------------------------------

_BOOLEANS = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "t": True,
    "f": False,
}


def boolean(value: Any) -> bool:
    """``true``/``false``, ``1``/``0``, ``yes``/``no`` (any case); JSON booleans; integers 0 and 1."""
    if value.__class__ is str:
        b = _BOOLEANS.get(value.lower())
        if b is None:
            raise CoerceError(f"not a boolean: {_show(value)} (use true/false, 1/0 or yes/no)")
        return b
    if value.__class__ is bool:
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    raise CoerceError(f"expected a boolean, got {_kind(value)} {_show(value)}")


def date_value(value: Any) -> date:
    """A calendar date, ``YYYY-MM-DD``."""
    if value.__class__ is str:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CoerceError(f"not a date: {_show(value)} (use YYYY-MM-DD)") from None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise CoerceError(f"expected a date, got {_kind(value)} {_show(value)}")


def datetime_value(value: Any) -> datetime:
    """A point in time, ISO 8601 / RFC 3339 (``2025-03-01T00:00:00Z``, ``2025-03-01T09:00:00-03:00``).

    Without a UTC offset the time is taken as UTC; a bare date means midnight UTC.
    """
    if value.__class__ is str:
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            raise CoerceError(
                f"not a date-time: {_show(value)} (use ISO 8601, e.g. '2025-03-01T00:00:00Z')"
            ) from None
    elif isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        raise CoerceError(f"expected a date-time, got {_kind(value)} {_show(value)}")
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def enum_of(enum_type: type[E]) -> Callable[[Any], E]:
    """A member of ``enum_type``, by value, ignoring case."""
    by_value = {str(m.value).lower(): m for m in enum_type}
    choices = ", ".join(str(m.value) for m in enum_type)

    def convert(value: Any) -> E:
        s = text(value)
        member = by_value.get(s.lower())
        if member is None:
            raise CoerceError(f"not one of {choices}: {_show(s)}")
        return member

    return convert


# --- emptiness, required and default -------------------------------------------------------------


def field_converter(convert: Converter, *, required: bool, default: Any = None) -> Converter:
    """Wrap a converter with the empty-value rule shared by every reader.

    Empty means ``None``, ``""`` or only blanks (strings are stripped before conversion). An empty
    required value raises ``CoerceError("required, but empty")``; an empty optional one gives
    ``default``.
    """
    if required:
        return _required_text() if convert is text else _required(convert)
    return _optional(convert, default)


def _required_text() -> Converter:
    """A required text (the commonest field): stripped, never empty."""

    def required_text(value: Any) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if value:
                return value
            raise CoerceError(MISSING_MESSAGE)
        if value is None:
            raise CoerceError(MISSING_MESSAGE)
        return text(value)

    return required_text


def _required(convert: Converter) -> Converter:
    def required_value(value: Any) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                raise CoerceError(MISSING_MESSAGE)
        elif value is None:
            raise CoerceError(MISSING_MESSAGE)
        return convert(value)

    return required_value


def _optional(convert: Converter, default: Any) -> Converter:
    def optional_value(value: Any) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return default
        elif value is None:
            return default
        return convert(value)

    return optional_value
