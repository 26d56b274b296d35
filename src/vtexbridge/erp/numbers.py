"""The one number parser for text written by an ERP: ERP files (every reader) and action files.

Brazilian ERPs write ``19,90`` and ``1.234,50``; others ``19.90`` and ``1,234.50``. A
:class:`NumberFormat` says which separators a source uses; the default, ``decimal="auto"``, reads
every form that has only one meaning:

- ``19.90``, ``1234.5``, ``1.234`` (a lone dot is the decimal separator, as it always was);
- ``19,90``, ``0,46`` (a lone comma not followed by exactly three digits is a decimal comma);
- ``1.234,50`` and ``1,234.50`` (both separators: the last one is the decimal separator, the other
  groups thousands, in groups of three);
- ``1.234.567`` and ``1,234,567`` (the same separator twice: thousands).

``1,234`` is refused in ``auto``: it is 1.234 with a decimal comma and 1234 with a thousands comma,
and only the source's setting (``decimal_separator``) can say which. With an explicit format every
value is read by that format alone, and a value that does not fit it is refused with the setting that
would read it.

Hand-written because the standard library's locale-aware parsing (``locale.atof``) depends on the
process's global locale (not per file, not thread-safe) and does not validate digit grouping, and
Babel's ``parse_decimal`` needs a locale per source and its CLDR data for what is two separators;
neither explains what a refused value probably meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

__all__ = ["AUTO", "DecimalSeparator", "NumberError", "NumberFormat", "ThousandsSeparator", "parse_decimal"]

DecimalSeparator = Literal["auto", ".", ","]
ThousandsSeparator = Literal["", ".", ",", " "]

MAX_LENGTH = 64
"""Longer number texts are refused before any parsing (no value the formats carry needs more)."""

_GROUPED = re.compile(r"\d{1,3}(?:X\d{3})+")


class NumberError(ValueError):
    """A text that is not a number in the format given; ``message`` says what it probably meant."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How a source writes numbers: its decimal separator and its thousands separator ("" = none).

    ``thousands`` is ignored when ``decimal`` is ``"auto"`` (it is then read from the value).
    """

    decimal: DecimalSeparator = "auto"
    thousands: ThousandsSeparator = ""

    def __post_init__(self) -> None:
        if self.decimal != "auto" and self.thousands == self.decimal:
            raise ValueError(f"the decimal and thousands separators are both {self.decimal!r}")


AUTO = NumberFormat()


def _show(text: str) -> str:
    s = repr(text)
    return s if len(s) <= 40 else s[:37] + "..."


def _guess(t: str) -> tuple[str, str]:
    """``(decimal, thousands)`` for ``t`` in the ``auto`` format, or NumberError when ambiguous."""
    commas, dots = t.count(","), t.count(".")
    if commas and dots:
        return (",", ".") if t.rfind(",") > t.rfind(".") else (".", ",")
    if commas > 1:
        return ".", ","
    if dots > 1:
        return ",", "."
    if commas == 1:
        after = t[t.index(",") + 1 :]
        if len(after) == 3 and after.isdigit():
            raise NumberError(
                f"{_show(t)} is ambiguous: 1.234 with a decimal comma, or 1234 with a thousands comma; "
                "set decimal_separator for this source ('.' or ',')"
            )
        return ",", ""
    return ".", ""


def _ungroup(t: str, decimal: str, thousands: str) -> str:
    """``t`` without its thousands separators, which must group the whole part by threes."""
    whole, sep, fraction = t.partition(decimal)
    sign = whole[:1] if whole[:1] in "+-" else ""
    digits = whole[len(sign) :]
    if thousands not in digits:
        return t
    if thousands in fraction or not _GROUPED.fullmatch(digits.replace(thousands, "X")):
        raise NumberError(
            f"not a number: {_show(t)}: the thousands separator {thousands!r} must group the digits by three "
            f"before the decimal separator {decimal!r} (e.g. 1{thousands}234{decimal}50)"
        )
    return sign + digits.replace(thousands, "") + sep + fraction


def _hint(t: str, decimal: str) -> str:
    other = "," if decimal == "." else "."
    if other in t:
        return (
            f" (the decimal separator is {decimal!r} here: set decimal_separator = {other!r}, "
            f"or thousands_separator = {other!r} if it groups thousands)"
        )
    return ""


def parse_decimal(text: str, fmt: NumberFormat = AUTO) -> Decimal:
    """``text`` as an exact decimal, read with ``fmt``; blanks around it are ignored.

    Raises:
        NumberError: not a number in that format; the message names the setting that would read it.
    """
    t = text.strip()
    if len(t) > MAX_LENGTH:
        raise NumberError(f"not a number: {_show(t)} is longer than {MAX_LENGTH} characters")
    decimal, thousands = _guess(t) if fmt.decimal == "auto" else (fmt.decimal, fmt.thousands)
    body = _ungroup(t, decimal, thousands) if thousands else t
    if decimal == ",":
        body = body.replace(",", ".") if "." not in body and body.count(",") == 1 else body.replace(".", ",")
    try:
        d = Decimal(body)
    except InvalidOperation:
        raise NumberError(f"not a number: {_show(t)}{_hint(t, decimal)}") from None
    if not d.is_finite():
        raise NumberError(f"not a number: {_show(t)}")
    return d
