"""The folder reader: one file per entity, ``<entity>.csv`` or ``<entity>.jsonl`` (optionally ``.gz``).

CSV: UTF-8 (a BOM is tolerated), a header row naming the columns (any order, any case; columns
starting with ``_`` are ignored), one record per row, list values ``;``-separated. JSON Lines: one
JSON object per line, keys = column names, lists as arrays, numbers exact (parsed as ``Decimal``).
The format is documented column by column in ``docs/erp-format.md``.

Rows are numbered by the line of the file where they start (the header is line 1), the number an
editor shows. Reading streams: one line at a time, nothing kept between rows.

A line that cannot be parsed is reported and skipped: a CSV line with the wrong number of columns,
bytes that are not UTF-8, a JSON line that is not an object. A quote opened and never closed makes
the CSV parser swallow the following lines into one field; when that happens the record is reported
at the line where it started, and the lines it swallowed are read again, so one stray quote costs one
row, not the rest of the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from vtexbridge.erp.coerce import CoerceError
from vtexbridge.erp.errors import RowUnreadable, SourceUnreadable
from vtexbridge.erp.records import Entity, Record
from vtexbridge.erp.rows import RowBuilder, normalise_column
from vtexbridge.errors import ConfigError, RecordError, RecordRef

__all__ = ["FolderReader"]

log = logging.getLogger(__name__)

_SUFFIXES = (".csv", ".jsonl", ".csv.gz", ".jsonl.gz")
_BOM = "\ufeff"
_JSON = json.JSONDecoder(parse_float=Decimal)


class FolderReader:
    """Reads an ERP snapshot from a directory of CSV / JSON Lines files.

    Args:
        path: the directory.
        delimiter: the CSV field delimiter.

    Raises:
        ConfigError: ``path`` is not a directory, or an entity has more than one file
            (``skus.csv`` and ``skus.jsonl``).
    """

    def __init__(self, path: str | Path, *, delimiter: str = ",") -> None:
        self.path = Path(path)
        self.delimiter = delimiter
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
            reading = self._csv(entity, source, fh) if ".csv" in path.name else _jsonl(entity, source, fh)
            try:
                yield from reading
            except (OSError, EOFError) as e:
                yield SourceUnreadable(
                    f"the file could not be read to its end ({e}); the records after this point are missing",
                    record=_ref(entity, source),
                )

    # --- CSV --------------------------------------------------------------------------------------

    def _csv(self, entity: Entity, source: str, fh: Iterable[bytes]) -> Iterator[Record | RecordError]:
        lines = _Lines(fh)
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
            yield SourceUnreadable("the header row is not valid UTF-8", record=_ref(entity, source, 1))
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
                "no row of this file can be read",
                record=_ref(entity, source, header_row),
                field=builder.missing_required[0],
            )
            return
        yield from builder.unknown_column_errors(header_row)
        yield from self._csv_rows(lines, builder, len(columns))

    def _csv_rows(self, lines: _Lines, builder: RowBuilder, ncols: int) -> Iterator[Record | RecordError]:
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
                            yield error
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


class _Lines:
    """The lines of a file, decoded one by one, counted, and kept until their row is built.

    Undecodable lines are decoded with replacement characters and noted in ``bad_lines``, so that
    the row they belong to is reported instead of the whole file failing. Lines can be pushed back
    to be parsed again (after an unbalanced quote swallowed them).
    """

    __slots__ = ("_fh", "_pending", "bad_lines", "buf", "lineno")

    def __init__(self, fh: Iterable[bytes]) -> None:
        self._fh = iter(fh)
        self._pending: list[str] = []
        self.lineno = 0
        self.buf: list[str] = []
        self.bad_lines: set[int] = set()

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._pending:
            line = self._pending.pop()
        else:
            raw = next(self._fh)
            try:
                line = raw.decode()
            except UnicodeDecodeError:
                line = raw.decode(errors="replace")
                self.bad_lines.add(self.lineno + 1)
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
        if bad:
            self.bad_lines.difference_update(bad)
            self.buf.clear()
            return RowUnreadable(f"line {bad[0]} is not valid UTF-8; the row is skipped", record=ref)
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
        return RowUnreadable(f"{len(row)} columns where the header has {ncols}", record=ref)

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


# --- JSON Lines -----------------------------------------------------------------------------------


def _jsonl(entity: Entity, source: str, fh: Iterable[bytes]) -> Iterator[Record | RecordError]:
    builder = RowBuilder(entity.record_type, None, source=source)
    build = builder.build
    known = builder.known
    reported: set[str] = set()
    decode = _JSON.decode
    lineno = 0
    for raw in fh:
        lineno += 1
        try:
            line = raw.decode()
            if lineno == 1 and line.startswith(_BOM):
                line = line[1:]
            obj: Any = decode(line)
        except UnicodeDecodeError:
            yield RowUnreadable("the line is not valid UTF-8", record=_ref(entity, source, lineno))
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
