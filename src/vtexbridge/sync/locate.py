"""The rows of the records the planner found bad, looked up in their files after planning.

Records carry no row number (a million SKUs would carry a million ints for the few that are bad);
the reader's own errors name their row, but the planner's (an unknown brand, a duplicate key, a
missing mandatory specification, a record held back by its parent) know only the file and the key.
When a plan has such errors, :func:`add_rows` reads the files concerned once more, computing each
row's key the way the reader does, and gives every error the row where its record starts (the
line an editor shows, the header being line 1) — the first one, for a key given twice.

Only files are looked up (a reader with ``file_of``: the folder reader); a database or plugin source
has no row to name. The cost is one pass over each file that has an error, and nothing otherwise.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from vtexbridge.erp.records import Entity
from vtexbridge.erp.rows import RowBuilder, normalise_column
from vtexbridge.errors import RecordRef, VtexbridgeError
from vtexbridge.sync.steps import PlanError

__all__ = ["add_rows", "rows_of"]


def add_rows(reader: Any, errors: Iterable[PlanError]) -> int:
    """Set the row of every error whose record names a file of ``reader`` but no row.

    Returns:
        How many errors were given a row.
    """
    file_of = getattr(reader, "file_of", None)
    if file_of is None:
        return 0
    wanted: dict[Entity, list[VtexbridgeError]] = {}
    for e in errors:
        ref = e.error.record
        if ref is None or ref.row is not None or ref.key is None or ref.source is None:
            continue
        if ref.entity not in Entity._value2member_map_:
            continue
        wanted.setdefault(Entity(ref.entity), []).append(e.error)
    delimiter = getattr(reader, "delimiter", ",")
    dialect_of = getattr(reader, "dialect_of", None)  # each file's own dialect (h10, #17)
    n = 0
    for entity, errs in wanted.items():
        path = file_of(entity)
        if path is None:
            continue
        keys = {err.record.key for err in errs if err.record is not None and err.record.key is not None}
        dialect = dialect_of(entity) if dialect_of is not None else None
        try:
            if dialect is not None:
                rows = rows_of(
                    Path(path), entity, keys, delimiter=dialect.delimiter, encoding=dialect.encoding
                )
            else:
                rows = rows_of(Path(path), entity, keys, delimiter=delimiter)
        except (OSError, EOFError, UnicodeDecodeError, csv.Error, ValueError):
            continue  # the file changed or broke since it was read: the errors keep their file
        for err in errs:
            ref = err.record
            assert ref is not None
            row = rows.get(ref.key or "")
            if row is not None and ref.source == str(path):
                err.record = _with_row(ref, row)
                n += 1
    return n


def _with_row(ref: RecordRef, row: int) -> RecordRef:
    return dataclasses.replace(ref, row=row)


def rows_of(
    path: Path, entity: Entity, keys: set[str], *, delimiter: str = ",", encoding: str = "utf-8"
) -> dict[str, int]:
    """``key -> row`` (the first row giving it) for the ``keys`` found in the file of ``entity``."""
    out: dict[str, int] = {}
    if not keys:
        return out
    with _open(path, encoding) as fh:
        rows = (
            _csv_rows(fh, entity, str(path), delimiter)
            if ".csv" in path.name
            else _jsonl_rows(fh, entity, str(path))
        )
        for key, row in rows:
            if key in keys and key not in out:
                out[key] = row
                if len(out) == len(keys):
                    break
    return out


def _open(path: Path, encoding: str = "utf-8") -> io.TextIOBase:
    raw: Any = gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")  # noqa: SIM115
    encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


class _Counted:
    """Lines, counted and kept until their record is parsed; ``start`` is the line the record began
    on. Lines swallowed by a quote left open are pushed back and read again, as the reader does."""

    def __init__(self, fh: Iterable[str]) -> None:
        self.fh = iter(fh)
        self.lineno = 0
        self.buf: list[str] = []
        self.pending: list[str] = []

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> str:
        line = self.pending.pop() if self.pending else next(self.fh)
        self.lineno += 1
        self.buf.append(line)
        return line

    @property
    def start(self) -> int:
        return self.lineno - len(self.buf) + 1

    def reread_after_first(self) -> None:
        again = self.buf[1:]
        self.pending.extend(reversed(again))
        self.lineno -= len(again)


def _csv_rows(fh: Iterable[str], entity: Entity, source: str, delimiter: str) -> Iterator[tuple[str, int]]:
    lines = _Counted(fh)
    header = next(csv.reader(lines, delimiter=delimiter), None)
    if header is None:
        return
    columns = [normalise_column(c) for c in header]
    builder = RowBuilder(entity.record_type, columns, source=source, cells_are_text=True)
    while True:
        lines.buf = []
        try:
            row = next(csv.reader(lines, delimiter=delimiter), None)
        except csv.Error:
            row = []
        if row is None:
            return
        start = lines.start
        if len(row) != len(columns):
            if len(lines.buf) > 1:
                lines.reread_after_first()
            continue
        key = builder.key_of(row)
        if key is not None:
            yield key, start


def _jsonl_rows(fh: Iterable[str], entity: Entity, source: str) -> Iterator[tuple[str, int]]:
    builder = RowBuilder(entity.record_type, None, source=source)
    for lineno, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            key = builder.key_of(obj)
            if key is not None:
                yield key, lineno
