"""The folder reader: one file per entity, ``<entity>.csv`` or ``<entity>.jsonl`` (optionally ``.gz``).

CSV: UTF-8 (a BOM is tolerated) unless the file's dialect says otherwise (:mod:`vtexbridge.erp.dialect`:
delimiter, encoding, number format, per folder and per file), a header row naming the columns (any
order, any case; columns starting with ``_`` are ignored), one record per row, list values
``;``-separated. JSON Lines: one
JSON object per line, keys = column names, lists as arrays, numbers exact (parsed as ``Decimal``).
The format is documented column by column in ``docs/erp-format.md``.

Rows are numbered by the line of the file where they start (the header is line 1), the number an
editor shows. Reading streams: one line at a time, nothing kept between rows.

A line that cannot be parsed is reported and skipped: a CSV line with the wrong number of columns,
bytes that are not UTF-8, a JSON line that is not an object. A quote opened and never closed makes
the CSV parser swallow the following lines into one field; when that happens the record is reported
at the line where it started, and the lines it swallowed are read again, so one stray quote costs one
row, not the rest of the file.

When the dialect is probably wrong (a header read as one column holding ``;``, bytes that are not
UTF-8, a decimal comma splitting an unquoted number), the error says what was probably meant and
which setting reads it; the first few rows with the same problem are reported one by one, the rest
in one summary error per file (every one of them is still refused).
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import logging
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from vtexbridge.erp.coerce import CoerceError
from vtexbridge.erp.dialect import DEFAULT, Dialect, looks_like, numeric_columns
from vtexbridge.erp.errors import RowUnreadable, SourceUnreadable
from vtexbridge.erp.numbers import AUTO, NumberError, parse_decimal
from vtexbridge.erp.records import Entity, Record
from vtexbridge.erp.rows import RowBuilder, normalise_column
from vtexbridge.errors import ConfigError, RecordError, RecordInvalid, RecordRef

__all__ = ["FolderReader"]

log = logging.getLogger(__name__)

_SUFFIXES = (".csv", ".jsonl", ".csv.gz", ".jsonl.gz")
_BOM = "\ufeff"
_JSON = json.JSONDecoder(parse_float=Decimal)
_WHOLE = re.compile(r"-?\d[\d.]*")
_FRACTION = re.compile(r"\d{1,3}")
_PLAIN_COMMA = re.compile(r"-?\d{1,15}(?:,\d{1,15})?")
SHOWN_REPEATS = 3
"""Rows with the same dialect problem reported one by one per file; the rest are summarised."""


class FolderReader:
    """Reads an ERP snapshot from a directory of CSV / JSON Lines files.

    Args:
        path: the directory.
        delimiter: the CSV field delimiter (when ``dialect`` is not given).
        dialect: how the files are written (delimiter, encoding, number format).
        files: per entity, the dialect of a file written otherwise.

    Raises:
        ConfigError: ``path`` is not a directory, or an entity has more than one file
            (``skus.csv`` and ``skus.jsonl``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        delimiter: str = ",",
        dialect: Dialect | None = None,
        files: dict[Entity, Dialect] | None = None,
    ) -> None:
        self.path = Path(path)
        self.dialect = dialect if dialect is not None else Dialect(delimiter=delimiter)
        self.delimiter = self.dialect.delimiter
        self._dialects = dict(files or {})
        if not self.path.is_dir():
            raise ConfigError(f"ERP folder {str(self.path)!r} does not exist or is not a directory")
        self._files: dict[Entity, Path] = {}
        problems = []
        for entity in Entity:
            found = [self.path / f"{entity.value}{s}" for s in _SUFFIXES]
            found = [p for p in found if p.is_file()]
            if len(found) > 1:
                names = " and ".join(p.name for p in found)
                problems.append(f"{entity.value}: both {names}; keep one")
            elif found:
                self._files[entity] = found[0]
        if problems:
            raise ConfigError(f"ambiguous files in ERP folder {str(self.path)!r}", problems=problems)
        known = {p.name for p in self._files.values()}
        self.unknown_files = sorted(
            p
            for p in self.path.iterdir()
            if p.name.endswith(_SUFFIXES) and p.name not in known and not p.name.startswith((".", "_"))
        )
        for p in self.unknown_files:
            log.warning("ignoring %s: not a file name of the ERP format (see docs/erp-format.md)", p)

    def entities(self) -> set[Entity]:
        return set(self._files)

    def file_of(self, entity: Entity) -> Path | None:
        """The file read for ``entity``, if any."""
        return self._files.get(entity)

    def dialect_of(self, entity: Entity) -> Dialect:
        """How ``entity``'s file is read."""
        return self._dialects.get(Entity(entity), self.dialect)

    def read(self, entity: Entity) -> Iterator[Record | RecordError]:
        entity = Entity(entity)
        path = self._files.get(entity)
        if path is None:
            return
        source = str(path)
        try:
            fh: io.BufferedIOBase = gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")  # noqa: SIM115
        except OSError as e:
            yield SourceUnreadable(f"cannot open the file: {e.strerror or e}", record=_ref(entity, source))
            return
        with fh:
            dialect = self.dialect_of(entity)
            if ".csv" in path.name:
                reading = _CsvFile(entity, source, dialect).read(fh)
            else:
                reading = _jsonl(entity, source, fh, dialect.encoding)
            try:
                yield from reading
            except (OSError, EOFError) as e:
                yield SourceUnreadable(
                    f"the file could not be read to its end ({e}); the records after this point are missing",
                    record=_ref(entity, source),
                )


class _CsvFile:
    """One CSV file read with its dialect."""

    def __init__(self, entity: Entity, source: str, dialect: Dialect) -> None:
        self.entity = entity
        self.source = source
        self.dialect = dialect
        self.delimiter = dialect.delimiter
        self.repeats = _Repeats(entity, source)

    def read(self, fh: Iterable[bytes]) -> Iterator[Record | RecordError]:
        yield from self._csv(fh)
        yield from self.repeats.summaries()

    def _csv(self, fh: Iterable[bytes]) -> Iterator[Record | RecordError]:
        entity, source = self.entity, self.source
        lines = _Lines(fh, self.dialect)
        try:
            header = next(csv.reader(lines, delimiter=self.delimiter))
        except StopIteration:
            yield SourceUnreadable(
                "empty file: the first line must be the header row", record=_ref(entity, source, 1)
            )
            return
        except csv.Error as e:
            yield SourceUnreadable(f"the header row is not valid CSV: {e}", record=_ref(entity, source, 1))
            return
        if lines.bad_lines:
            message = lines.not_decodable(1, entity, "the header row cannot be read")
            yield SourceUnreadable(message, record=_ref(entity, source, 1))
            return
        header_row = lines.lineno - len(lines.buf) + 1
        lines.buf.clear()
        columns = [normalise_column(c) for c in header]
        twice = sorted({c for c in columns if c and columns.count(c) > 1})
        if twice:
            yield SourceUnreadable(
                f"column(s) {', '.join(map(repr, twice))} appear more than once in the header",
                record=_ref(entity, source, header_row),
            )
            return
        builder = RowBuilder(entity.record_type, columns, source=source, cells_are_text=True)
        if builder.missing_required:
            yield SourceUnreadable(
                f"required column(s) missing from the header: {', '.join(builder.missing_required)}; "
                f"no row of this file can be read{self._delimiter_hint(header)}",
                record=_ref(entity, source, header_row),
                field=builder.missing_required[0],
            )
            return
        yield from builder.unknown_column_errors(header_row)
        numbers = _Numbers(builder, self.dialect) if self.dialect.number != AUTO else None
        yield from self._csv_rows(lines, builder, len(columns), numbers)

    def _delimiter_hint(self, header: list[str]) -> str:
        meant = looks_like(header, self.delimiter)
        if meant is None:
            return ""
        return (
            f" (the header was read as one column: it looks {meant!r}-separated; set "
            f"csv_delimiter = {meant!r} in [erp], or in [erp.files.{self.entity.value}] for this file only)"
        )

    def _csv_rows(
        self, lines: _Lines, builder: RowBuilder, ncols: int, numbers: _Numbers | None
    ) -> Iterator[Record | RecordError]:
        build = builder.build
        buf = lines.buf
        while True:
            reader = csv.reader(lines, delimiter=self.delimiter)
            try:
                for row in reader:
                    if len(row) != ncols or lines.bad_lines:
                        if not row:
                            buf.clear()
                            continue
                        error = lines.malformed(row, ncols, builder)
                        if error is not None:
                            yield from self.repeats.keep(error, lines.kind)
                            continue
                    if numbers is not None and (bad := numbers.apply(row)):
                        start = lines.lineno - len(buf) + 1
                        buf.clear()
                        yield from numbers.errors(row, start, bad)
                        continue
                    try:
                        record = build(row)
                    except CoerceError:
                        start = lines.lineno - len(buf) + 1
                        buf.clear()
                        if any(cell.strip() for cell in row):
                            yield from builder.explain(row, start)
                        continue
                    buf.clear()
                    yield record
            except csv.Error as e:
                yield lines.unparsable(str(e), builder)
                continue
            return


class _Numbers:
    """The numeric cells of a row, read with the file's explicit number format into ``1234.50``."""

    def __init__(self, builder: RowBuilder, dialect: Dialect) -> None:
        self.builder = builder
        self.format = dialect.number
        wanted = numeric_columns(builder.record_type)
        self.cells = [(i, c) for i, c in enumerate(builder.columns or ()) if c in wanted]
        self.plain = _PLAIN_COMMA.fullmatch if self.format.decimal == "," else None

    def apply(self, row: list[str]) -> dict[str, str]:
        """Rewrite ``row``'s numeric cells in place; return the cells that could not be read."""
        bad = {}
        plain = self.plain
        for i, name in self.cells:
            cell = row[i].strip()
            if plain is not None and plain(cell):  # the common case, 19,90: no parsing twice
                row[i] = cell.replace(",", ".")
            elif cell:
                try:
                    row[i] = str(parse_decimal(cell, self.format))
                except NumberError as e:
                    bad[name] = e.message
        return bad

    def errors(self, row: list[str], start: int, bad: dict[str, str]) -> list[RecordError]:
        ref = self.builder.ref(row, start)
        others = [e for e in self.builder.explain(row, start) if e.field not in bad]
        mine: list[RecordError] = [RecordInvalid(m, record=ref, field=f) for f, m in bad.items()]
        return mine + others


class _Repeats:
    """Dialect problems of one file: the first few reported, the rest counted into one summary."""

    def __init__(self, entity: Entity, source: str) -> None:
        self.entity = entity
        self.source = source
        self.seen: dict[str, list[RecordError]] = {}
        self.lines: dict[str, list[int]] = {}

    def keep(self, error: RecordError, kind: str | None) -> list[RecordError]:
        if kind is None:
            return [error]
        shown = self.seen.setdefault(kind, [])
        if len(shown) < SHOWN_REPEATS:
            shown.append(error)
            return [error]
        row = error.record.row if error.record is not None else None
        self.lines.setdefault(kind, []).append(row or 0)
        return []

    def summaries(self) -> Iterator[RecordError]:
        for kind, rows in self.lines.items():
            listed = ", ".join(map(str, rows[:10])) + (", ..." if len(rows) > 10 else "")
            first = self.seen[kind][0]
            yield RowUnreadable(
                f"{len(rows)} more row(s) skipped for the same reason as line "
                f"{first.record.row if first.record else '?'} (lines {listed}): {_HINTS[kind]}",
                record=_ref(self.entity, self.source, rows[0]),
            )


_HINTS = {
    "encoding": "not valid in the file's encoding; see the first error for the setting that reads it",
    "decimal": "a decimal comma splitting an unquoted number; see the first error for the fix",
}


class _Lines:
    """The lines of a file, decoded one by one, counted, and kept until their row is built.

    Undecodable lines are decoded with replacement characters and noted in ``bad_lines``, so that
    the row they belong to is reported instead of the whole file failing. Lines can be pushed back
    to be parsed again (after an unbalanced quote swallowed them).
    """

    __slots__ = ("_fh", "_pending", "bad_lines", "buf", "delimiter", "encoding", "kind", "lineno")

    def __init__(self, fh: Iterable[bytes], dialect: Dialect = DEFAULT) -> None:
        self._fh = iter(fh)
        self._pending: list[str] = []
        self.lineno = 0
        self.buf: list[str] = []
        self.bad_lines: dict[int, bytes] = {}
        self.encoding = dialect.encoding
        self.delimiter = dialect.delimiter
        self.kind: str | None = None
        """The dialect problem behind the last error of :meth:`malformed`, if it was one."""

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._pending:
            line = self._pending.pop()
        else:
            raw = next(self._fh)
            try:
                line = raw.decode(self.encoding)
            except UnicodeDecodeError:
                line = raw.decode(self.encoding, errors="replace")
                self.bad_lines[self.lineno + 1] = raw
            if self.lineno == 0 and line.startswith(_BOM):
                line = line[1:]
        self.lineno += 1
        self.buf.append(line)
        return line

    def _take(self) -> tuple[int, int]:
        """Forget the current record's lines; return its first and last line numbers."""
        n = len(self.buf)
        start = self.lineno - n + 1
        return start, self.lineno

    def _reread_after_first(self) -> None:
        """Push the current record's lines but the first back, to be parsed again."""
        again = self.buf[1:]
        self._pending.extend(reversed(again))
        self.lineno -= len(again)
        self.buf.clear()

    def malformed(self, row: list[str], ncols: int, builder: RowBuilder) -> RecordError | None:
        """The error for a row with bytes that are not UTF-8 or the wrong number of columns."""
        start, end = self._take()
        ref = RecordRef(builder.entity.value, None, builder.source, start)
        bad = sorted(n for n in self.bad_lines if start <= n <= end)
        self.kind = None
        if bad:
            message = self.not_decodable(bad[0], builder.entity, "the row is skipped")
            for n in bad:
                del self.bad_lines[n]
            self.buf.clear()
            self.kind = "encoding"
            return RowUnreadable(message, record=ref)
        if len(row) == ncols:
            return None
        if end > start:
            self._reread_after_first()
            return RowUnreadable(
                f"{len(row)} columns where the header has {ncols}, over lines {start}-{end}: probably a "
                f'quote (") opened on line {start} and not closed; lines {start + 1}-{end} are read again',
                record=ref,
            )
        self.buf.clear()
        message = f"{len(row)} columns where the header has {ncols}"
        number = _split_decimal(row, ncols, builder) if self.delimiter == "," and len(row) > ncols else None
        if number is not None:
            self.kind = "decimal"
            message += (
                f": probably a number written with a decimal comma and not quoted ({number!r} read as two "
                f"columns); quote it (\"{number}\"), or write the file with ';' between columns and "
                "set csv_delimiter = ';'"
            )
        return RowUnreadable(message, record=ref)

    def not_decodable(self, lineno: int, entity: Entity, what: str) -> str:
        """``line N is not valid UTF-8; <what>`` and, when cp1252 reads it, the setting to use."""
        raw = self.bad_lines.get(lineno, b"")
        name = "UTF-8" if self.encoding == "utf-8" else self.encoding
        message = f"line {lineno} is not valid {name}; {what}"
        try:
            raw.decode(self.encoding)
        except UnicodeDecodeError as e:
            byte = raw[e.start : e.start + 1]
            message += f" (byte 0x{byte.hex()})"
            if self.encoding != "cp1252":
                meant = byte.decode("cp1252", errors="replace")
                if meant != "\ufffd":
                    message = (
                        f"{message[:-1]}, {meant!r} in cp1252: probably a Windows export; set "
                        f"encoding = 'cp1252' in [erp], or in [erp.files.{entity.value}] for this file only)"
                    )
        return message

    def unparsable(self, reason: str, builder: RowBuilder) -> RecordError:
        """The error for a record the CSV parser gave up on; the lines after its first are re-read."""
        start, end = self._take()
        ref = RecordRef(builder.entity.value, None, builder.source, start)
        if end > start:
            self._reread_after_first()
            return RowUnreadable(
                f'not valid CSV ({reason}) over lines {start}-{end}: probably a quote (") opened on '
                f"line {start} and not closed; lines {start + 1}-{end} are read again",
                record=ref,
            )
        self.buf.clear()
        return RowUnreadable(f"not valid CSV: {reason}", record=ref)


def _split_decimal(row: list[str], ncols: int, builder: RowBuilder) -> str | None:
    """The first number of ``row`` that a decimal comma split in two, when joining split numbers back
    in numeric columns gives a row that builds; else None. Tries at most ``_MAX_JOINS`` ways."""
    numeric = numeric_columns(builder.record_type)
    columns = builder.columns or []
    extra = len(row) - ncols
    cells = [c.strip() for c in row]
    candidates = [
        i for i in range(len(row) - 1) if _WHOLE.fullmatch(cells[i]) and _FRACTION.fullmatch(cells[i + 1])
    ]
    for joins in itertools.islice(itertools.combinations(candidates, extra), _MAX_JOINS):
        if any(b - a < 2 for a, b in itertools.pairwise(joins)):
            continue
        merged = list(row)
        for i in reversed(joins):
            merged[i : i + 2] = [f"{cells[i]},{cells[i + 1]}"]
        positions = [i - n for n, i in enumerate(joins)]
        if not all(p < len(columns) and columns[p] in numeric for p in positions):
            continue
        try:
            builder.build(merged)
        except CoerceError:
            continue
        return merged[positions[0]]
    return None


_MAX_JOINS = 64


# --- JSON Lines -----------------------------------------------------------------------------------


def _jsonl(
    entity: Entity, source: str, fh: Iterable[bytes], encoding: str = "utf-8"
) -> Iterator[Record | RecordError]:
    builder = RowBuilder(entity.record_type, None, source=source)
    build = builder.build
    known = builder.known
    reported: set[str] = set()
    decode = _JSON.decode
    lineno = 0
    for raw in fh:
        lineno += 1
        try:
            line = raw.decode(encoding)
            if lineno == 1 and line.startswith(_BOM):
                line = line[1:]
            obj: Any = decode(line)
        except UnicodeDecodeError:
            yield RowUnreadable(f"the line is not valid {encoding}", record=_ref(entity, source, lineno))
            continue
        except json.JSONDecodeError as e:
            if not raw.strip():
                continue
            yield RowUnreadable(
                f"not valid JSON: {e.msg} at character {e.pos + 1}", record=_ref(entity, source, lineno)
            )
            continue
        if obj.__class__ is not dict:
            yield RowUnreadable(
                f"expected a JSON object {{...}}, got {type(obj).__name__}",
                record=_ref(entity, source, lineno),
            )
            continue
        if not obj.keys() <= known:
            for name in obj:
                if name not in known and name not in reported and not name.startswith("_"):
                    reported.add(name)
                    yield builder.unknown_field_error(name, lineno)
        try:
            record = build(obj)
        except CoerceError:
            yield from builder.explain(obj, lineno)
            continue
        yield record


def _ref(entity: Entity, source: str, row: int | None = None) -> RecordRef:
    return RecordRef(entity.value, None, source, row)
