"""How an ERP writes its files: delimiter, encoding and number format, per folder and per file.

A :class:`Dialect` is what the folder reader needs to read one file. :func:`detect` guesses a
file's dialect from its first bytes, for ``vtexbridge erp check`` and for the hints of the reader's
errors ("the header looks ';'-separated: set csv_delimiter = ';'").

The delimiter is guessed by the standard library's :class:`csv.Sniffer`, restricted to the
delimiters ERPs use. The encoding and the number format are guessed here, by hand, because the
standard library has nothing for them and the usual detectors (chardet, charset-normalizer) answer a
wider question with a confidence score: an ERP export is UTF-8 or a Windows code page, and
``cp1252`` decodes every byte but five, so "valid UTF-8 or not" is the whole test. The number
format is read from the cells of the file's numeric columns (:mod:`vtexbridge.erp.numbers`).
"""

from __future__ import annotations

import codecs
import csv
import re
import typing
from dataclasses import dataclass, field
from decimal import Decimal

from vtexbridge.erp.numbers import AUTO, NumberFormat
from vtexbridge.erp.records import Record, field_specs

__all__ = [
    "DEFAULT",
    "DELIMITERS",
    "Detected",
    "Dialect",
    "detect",
    "looks_like",
    "numeric_columns",
    "usable_encoding",
]

DELIMITERS = ",;\t|"
"""The delimiters detection considers (what ERP exports use)."""

SAMPLE_BYTES = 64 * 1024
"""How much of a file detection reads."""

_BR_NUMBER = re.compile(r"^-?\d{1,3}(?:\.\d{3})*,\d+$|^-?\d+,\d{1,2}$")
_DOT_NUMBER = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^-?\d+\.\d+$")


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one file is written: CSV delimiter, text encoding, number format."""

    delimiter: str = ","
    encoding: str = "utf-8"
    number: NumberFormat = AUTO

    def settings(self) -> dict[str, str]:
        """The ``[erp]`` keys that describe this dialect (for messages and ``erp check``)."""
        out = {"csv_delimiter": self.delimiter, "encoding": self.encoding}
        out["decimal_separator"] = self.number.decimal
        if self.number.decimal != "auto":
            out["thousands_separator"] = self.number.thousands
        return out


DEFAULT = Dialect()


def usable_encoding(name: str) -> str:
    """The canonical name of a text encoding Python knows (``latin1`` -> ``iso8859-1``).

    Raises:
        ValueError: unknown, or not a text encoding (``base64``).
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown text encoding {name!r} (e.g. 'utf-8', 'cp1252', 'latin-1')") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{name!r} is not a text encoding")
    return info.name


def numeric_columns(record_type: type[Record]) -> frozenset[str]:
    """The fields of ``record_type`` that hold numbers (read with the file's number format)."""
    known = _NUMERIC.get(record_type.__name__)
    if known is not None:
        return known
    hints = typing.get_type_hints(record_type)
    out = set()
    for spec in field_specs(record_type):
        args = typing.get_args(hints.get(spec.name)) or (hints.get(spec.name),)
        if any(a in (int, Decimal) for a in args):
            out.add(spec.name)
    _NUMERIC[record_type.__name__] = frozenset(out)
    return _NUMERIC[record_type.__name__]


_NUMERIC: dict[str, frozenset[str]] = {}


@dataclass(slots=True)
class Detected:
    """What detection found in a file's first bytes; ``notes`` says how sure each part is."""

    dialect: Dialect
    header: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _encoding_of(sample: bytes, notes: list[str]) -> tuple[str, str]:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", sample[3:].decode("utf-8", errors="replace")
    cut = sample
    for _ in range(4):  # the sample may end inside a multi-byte character
        try:
            return "utf-8", cut.decode("utf-8")
        except UnicodeDecodeError as e:
            if e.start < len(cut) - 3:
                break
            cut = cut[:-1]
    notes.append("bytes that are not UTF-8: read as cp1252 (Windows Latin-1), what Brazilian ERPs write")
    return "cp1252", sample.decode("cp1252", errors="replace")


def _delimiter_of(text: str, notes: list[str]) -> str:
    lines = text.splitlines()[:50]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            notes.append(f"delimiter guessed from the header alone ({best!r})")
            return best
        notes.append("one column only: delimiter not detected, ',' assumed")
        return ","


def _number_of(rows: list[list[str]], columns: list[int]) -> NumberFormat:
    comma = dot = 0
    for row in rows:
        for i in columns:
            cell = row[i].strip() if i < len(row) else ""
            if _BR_NUMBER.match(cell):
                comma += 1
            elif _DOT_NUMBER.match(cell):
                dot += 1
    if comma > dot:
        return NumberFormat(decimal=",", thousands=".")
    if dot and any("," in row[i] for row in rows for i in columns if i < len(row)):
        return NumberFormat(decimal=".", thousands=",")
    return AUTO


def detect(sample: bytes, record_type: type[Record] | None = None) -> Detected:
    """The dialect of a CSV file whose first bytes are ``sample``.

    With ``record_type``, the number format is read from the numeric columns' cells; without it,
    it stays ``auto``.
    """
    notes: list[str] = []
    encoding, text = _encoding_of(sample, notes)
    delimiter = _delimiter_of(text, notes)
    lines = text.splitlines()
    if len(sample) >= SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last line of a sample may be cut
    rows = list(csv.reader(lines, delimiter=delimiter))
    header = [c.strip().lower() for c in rows[0]] if rows else []
    number = AUTO
    if record_type is not None and header:
        wanted = numeric_columns(record_type)
        number = _number_of(rows[1:], [i for i, c in enumerate(header) if c in wanted])
    return Detected(Dialect(delimiter, encoding, number), header, notes)


def looks_like(header: list[str], delimiter: str) -> str | None:
    """The delimiter a header read as one cell is probably written with, or None (for hints)."""
    if len(header) != 1:
        return None
    counts = {d: header[0].count(d) for d in DELIMITERS if d != delimiter}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None
