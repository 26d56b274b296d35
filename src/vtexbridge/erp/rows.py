"""Rows -> records: the one place where every reader turns raw values into typed records.

A :class:`RowBuilder` is made per source (file, query, plugin stream) for one record type and one
row layout: *positional* rows (a CSV line, a database row) with the column names of the header, or
*mapping* rows (a JSON object, a plugin's dict). It compiles a specialised function that builds a
record in one call per field — the fast path, taken by every good row. When that raises, the slow
path (:meth:`RowBuilder.explain`) converts field by field and returns one
:class:`~vtexbridge.errors.RecordInvalid` per bad field, each naming the source, row, key and field.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from vtexbridge.erp.coerce import MISSING_MESSAGE, CoerceError, field_converter, text
from vtexbridge.erp.errors import UnknownColumn
from vtexbridge.erp.records import KEY_SEPARATOR, Record, field_specs
from vtexbridge.errors import RecordError, RecordInvalid, RecordRef

__all__ = ["RowBuilder", "mapping_keys_unknown", "normalise_column"]


def normalise_column(name: str) -> str:
    """Header cells are matched without surrounding blanks and case: ``" SKU_Key"`` -> ``"sku_key"``."""
    return name.strip().lower()


class RowBuilder:
    """Builds records of ``record_type`` from rows of one layout, reporting bad fields precisely.

    Args:
        record_type: the record class to build.
        columns: the column names of positional rows (already normalised), or ``None`` for mapping
            rows (dicts keyed by field name).
        source: where the rows come from, for error refs (a file path, ``sql:skus`` …).
        cells_are_text: every cell of a positional row is a ``str`` (CSV); enables a faster path.

    Attributes:
        missing_required: required fields absent from ``columns`` (a positional source cannot give
            any valid record when this is not empty).
        unknown_columns: columns that are not fields (those starting with ``_`` are never reported).
    """

    def __init__(
        self,
        record_type: type[Record],
        columns: Sequence[str] | None,
        *,
        source: str,
        cells_are_text: bool = False,
    ) -> None:
        self.record_type = record_type
        self.cells_are_text = cells_are_text and columns is not None
        self.entity = record_type.entity
        self.source = source
        self.specs = field_specs(record_type)
        self.known = frozenset(s.name for s in self.specs)
        self._convs = [field_converter(s.conv, required=s.required, default=s.default) for s in self.specs]
        self.columns = None if columns is None else list(columns)
        if columns is None:
            self._index: dict[str, int] | None = None
            self.missing_required: list[str] = []
            self.unknown_columns: list[str] = []
        else:
            self._index = {}
            for i, name in enumerate(columns):
                self._index.setdefault(name, i)
            self.missing_required = [s.name for s in self.specs if s.required and s.name not in self._index]
            self.unknown_columns = [c for c in columns if c and c not in self.known and c[0] != "_"]
        self.build: Callable[[Any], Record] = self._compile()

    # --- the fast path --------------------------------------------------------------------------

    def _compile(self) -> Callable[[Any], Record]:
        """Generate ``build(row)``: the record made in one pass, without the dataclass ``__init__``.

        Each field is set through its slot descriptor (about half the cost of a frozen dataclass's
        ``__init__``), then ``__post_init__`` runs the cross-field rules. For text cells (CSV) the
        empty-value rule is inlined: ``row[i].strip()``, then the converter only when non-empty.
        """
        cls = self.record_type
        namespace: dict[str, Any] = {"cls": cls, "new": object.__new__, "missing": _raise_missing}
        lines = ["def build(row):", "    o = new(cls)"]
        if self._index is None:
            lines.append("    get = row.get")
        for i, (spec, conv) in enumerate(zip(self.specs, self._convs, strict=True)):
            namespace[f"s{i}"] = getattr(cls, spec.name).__set__
            namespace[f"c{i}"] = spec.conv
            namespace[f"f{i}"] = conv
            namespace[f"d{i}"] = spec.default
            if self._index is None:
                value = f"f{i}(get({spec.name!r}))"
            elif spec.name not in self._index:
                value = "missing(True)" if spec.required else f"d{i}"
            elif not self.cells_are_text:
                value = f"f{i}(row[{self._index[spec.name]}])"
            else:
                cell = f"row[{self._index[spec.name]}].strip()"
                empty = "missing(False)" if spec.required else f"d{i}"
                value = (
                    f"{cell} or {empty}" if spec.conv is text else f"c{i}(v) if (v := {cell}) else {empty}"
                )
            lines.append(f"    s{i}(o, {value})")
        if hasattr(cls, "__post_init__"):
            lines.append("    o.__post_init__()")
        lines.append("    return o")
        exec(compile("\n".join(lines) + "\n", f"<row builder {self.entity.value}>", "exec"), namespace)
        build: Callable[[Any], Record] = namespace["build"]
        return build

    # --- the slow path --------------------------------------------------------------------------

    def _raw(self, row: Any, name: str) -> Any:
        if self._index is None:
            return row.get(name)
        i = self._index.get(name)
        return None if i is None else row[i]

    def key_of(self, row: Any) -> str | None:
        """The record's key as far as it can be read from ``row``; None only when a key part is missing.

        A key part that is present but invalid (a 101-character product key, a bad EAN, an image
        URL that is not one) is taken as written: the error then names the record, so the record is
        held back by name, and the read stays complete (what is absent from the ERP is still
        deactivated).
        """
        parts = []
        for name in self.record_type.key_fields:
            i = next(j for j, s in enumerate(self.specs) if s.name == name)
            raw = self._raw(row, name)
            try:
                value = self._convs[i](raw)
            except CoerceError:
                value = _as_written(raw)
                if value is None:
                    return None
            if value is None:
                continue
            parts.append(value.isoformat() if isinstance(value, datetime) else str(value))
        return KEY_SEPARATOR.join(parts) if parts else None

    def ref(self, row: Any, rowno: int | None) -> RecordRef:
        return RecordRef(self.entity.value, self.key_of(row), self.source, rowno)

    def explain(self, row: Any, rowno: int | None) -> list[RecordError]:
        """Why ``row`` gives no record: one error per bad field (or the cross-field rule it breaks)."""
        ref = self.ref(row, rowno)
        values: list[Any] = []
        problems: list[RecordError] = []
        for spec, conv in zip(self.specs, self._convs, strict=True):
            raw = self._raw(row, spec.name)
            try:
                values.append(conv(raw))
            except CoerceError as e:
                message = e.message
                if message == MISSING_MESSAGE and self._index is None and spec.name not in row:
                    message = "required, but missing"
                problems.append(RecordInvalid(message, record=ref, field=spec.name))
        if problems:
            return problems
        try:
            self.record_type(*values)
        except CoerceError as e:
            return [RecordInvalid(e.message, record=ref, field=e.field)]
        return []

    # --- header-level reports -------------------------------------------------------------------

    def unknown_column_errors(self, header_row: int | None = 1) -> list[RecordError]:
        """One :class:`UnknownColumn` per column that is not a field, with a suggestion when close."""
        return [self.unknown_field_error(c, header_row) for c in self.unknown_columns]

    def unknown_field_error(self, name: str, row: int | None) -> RecordError:
        close = difflib.get_close_matches(name, sorted(self.known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(self.known))}"
        return UnknownColumn(
            f"unknown column, its values are ignored (prefix it with '_' to silence this){hint}",
            record=RecordRef(self.entity.value, None, self.source, row),
            field=name,
        )


def _as_written(raw: Any) -> str | None:
    """A cell as the ERP wrote it (blanks trimmed), or None when there is nothing to read."""
    if raw is None or isinstance(raw, dict | list | bool):
        return None
    text = str(raw).strip()
    return text or None


def _raise_missing(column: bool) -> Any:
    raise CoerceError("required column missing" if column else MISSING_MESSAGE)


def mapping_keys_unknown(row: Mapping[str, Any], known: frozenset[str]) -> list[str]:
    """The keys of a mapping row that are not fields (``_``-prefixed keys are allowed)."""
    return [k for k in row if k not in known and not k.startswith("_")]
