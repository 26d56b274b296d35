"""The ``[erp]`` section of the configuration: which source the ERP snapshot is read from.

Meant to be mounted as ``Settings.erp``; it validates on its own too::

    [erp]
    kind = "folder"                 # or "sql", "plugin"
    path = "examples/erp"           # folder: where <entity>.csv / <entity>.jsonl live
    csv_delimiter = ";"             # folder: how the files are written (defaults: ",", utf-8, auto)
    encoding = "cp1252"
    decimal_separator = ","
    thousands_separator = "."
    [erp.files.prices]              # one entity's file written otherwise
    csv_delimiter = ","
    decimal_separator = "."

    [erp]
    kind = "sql"
    url = "postgresql+psycopg://erp_reader@db/erp"   # better: VTEXBRIDGE_ERP__URL, it holds a password
    [erp.queries]
    skus = "SELECT sku_code AS key, product_code AS product_key, ... FROM v_skus"

    [erp]
    kind = "plugin"
    plugin = "acme"                 # an entry point in the group vtexbridge.erp_readers
    [erp.options]                   # passed to the plugin's factory as keyword arguments
    api_url = "https://erp.example.com"
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from vtexbridge.erp.dialect import Dialect, usable_encoding
from vtexbridge.erp.numbers import DecimalSeparator, NumberFormat, ThousandsSeparator
from vtexbridge.erp.records import Entity
from vtexbridge.settings_base import Section

__all__ = ["ErpSettings", "FileDialect"]


def _delimiter(v: str | None) -> str | None:
    if v is None:
        return v
    if v == "\\t":
        v = "\t"
    if len(v) != 1 or v in '"\r\n':
        raise ValueError(f"{v!r} is not a usable CSV delimiter (one character, not a quote or newline)")
    return v


def _encoding(v: str | None) -> str | None:
    return None if v is None else usable_encoding(v)


class FileDialect(Section):
    """How one entity's file is written, where it differs from the folder's settings."""

    csv_delimiter: str | None = Field(default=None, description="The CSV field delimiter.")
    encoding: str | None = Field(default=None, description="The text encoding.")
    decimal_separator: DecimalSeparator | None = Field(default=None, description="'.', ',' or 'auto'.")
    thousands_separator: ThousandsSeparator | None = Field(default=None, description="'', '.', ',' or ' '.")

    _check_delimiter = field_validator("csv_delimiter")(_delimiter)
    _check_encoding = field_validator("encoding")(_encoding)


class ErpSettings(Section):
    """Where and how to read the ERP snapshot."""

    kind: Literal["folder", "sql", "plugin"] = "folder"
    path: Path | None = Field(
        default=None, description="folder: the directory holding <entity>.csv / <entity>.jsonl files."
    )
    csv_delimiter: str = Field(default=",", description="folder: the CSV field delimiter (one character).")
    encoding: str = Field(
        default="utf-8",
        description="folder: the files' text encoding (e.g. 'cp1252', 'latin-1' for Windows exports).",
    )
    decimal_separator: DecimalSeparator = Field(
        default="auto",
        description="folder: '.', ',' or 'auto' (19.90, 19,90, 1.234,50 and 1,234.50 read; 1,234 refused).",
    )
    thousands_separator: ThousandsSeparator = Field(
        default="",
        description="folder: with an explicit decimal_separator, the thousands separator ('' = none).",
    )
    files: dict[Entity, FileDialect] = Field(
        default_factory=dict,
        description="folder: per entity's file, the settings above where that file differs "
        "([erp.files.prices] csv_delimiter = ',').",
    )
    url: SecretStr | None = Field(
        default=None, description="sql: a SQLAlchemy URL; set it in the environment when it has a password."
    )
    queries: dict[Entity, str] = Field(
        default_factory=dict,
        description="sql: one SELECT per entity; its column names are the format's column names.",
    )
    batch_size: int = Field(default=1000, ge=1, description="sql: rows fetched per round trip.")
    plugin: str | None = Field(
        default=None,
        description="plugin: an entry point name in group vtexbridge.erp_readers, or 'module:attribute'.",
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="plugin: keyword arguments for the plugin's factory."
    )

    _check_delimiter = field_validator("csv_delimiter")(_delimiter)
    _check_encoding = field_validator("encoding")(_encoding)

    def dialect(self, entity: Entity | None = None) -> Dialect:
        """How ``entity``'s file is written (the folder's settings when ``entity`` is None)."""
        own = self.files.get(entity) if entity is not None else None
        decimal = (own and own.decimal_separator) or self.decimal_separator
        thousands = self.thousands_separator
        if own is not None and own.thousands_separator is not None:
            thousands = own.thousands_separator
        if decimal == "auto" and thousands:
            where = f"[erp.files.{entity.value}]" if entity is not None else "[erp]"
            raise ValueError(
                f"{where}: thousands_separator {thousands!r} needs an explicit decimal_separator "
                "('.' or ','); 'auto' reads the thousands separator from each value"
            )
        return Dialect(
            delimiter=(own and own.csv_delimiter) or self.csv_delimiter,
            encoding=(own and own.encoding) or self.encoding,
            number=NumberFormat(decimal, thousands),
        )

    @field_validator("queries")
    @classmethod
    def _queries_not_blank(cls, v: dict[Entity, str]) -> dict[Entity, str]:
        blank = sorted(e.value for e, q in v.items() if not q.strip())
        if blank:
            raise ValueError(f"empty query for {', '.join(blank)}")
        return v

    @model_validator(mode="after")
    def _kind_has_what_it_needs(self) -> ErpSettings:
        for entity in (None, *self.files):
            self.dialect(entity)  # refuses one separator for both, and thousands without a decimal
        if self.kind == "folder" and self.path is None:
            raise ValueError("kind 'folder' needs path (the directory of the CSV/JSONL files)")
        if self.kind == "sql":
            if self.url is None:
                raise ValueError("kind 'sql' needs url (a SQLAlchemy URL, e.g. VTEXBRIDGE_ERP__URL)")
            if not self.queries:
                raise ValueError("kind 'sql' needs at least one query in [erp.queries]")
        if self.kind == "plugin" and not self.plugin:
            raise ValueError("kind 'plugin' needs plugin (an entry point name in vtexbridge.erp_readers)")
        return self
