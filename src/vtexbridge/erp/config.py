"""The ``[erp]`` section of the configuration: which source the ERP snapshot is read from.

Meant to be mounted as ``Settings.erp``; it validates on its own too::

    [erp]
    kind = "folder"                 # or "sql", "plugin"
    path = "examples/erp"           # folder: where <entity>.csv / <entity>.jsonl live
    csv_delimiter = ","

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

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from vtexbridge.erp.records import Entity

__all__ = ["ErpSettings"]


class ErpSettings(BaseModel):
    """Where and how to read the ERP snapshot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["folder", "sql", "plugin"] = "folder"
    path: Path | None = Field(
        default=None, description="folder: the directory holding <entity>.csv / <entity>.jsonl files."
    )
    csv_delimiter: str = Field(default=",", description="folder: the CSV field delimiter (one character).")
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

    @field_validator("csv_delimiter")
    @classmethod
    def _one_character(cls, v: str) -> str:
        if v == "\\t":
            v = "\t"
        if len(v) != 1 or v in '"\r\n':
            raise ValueError(f"{v!r} is not a usable CSV delimiter (one character, not a quote or newline)")
        return v

    @field_validator("queries")
    @classmethod
    def _queries_not_blank(cls, v: dict[Entity, str]) -> dict[Entity, str]:
        blank = sorted(e.value for e, q in v.items() if not q.strip())
        if blank:
            raise ValueError(f"empty query for {', '.join(blank)}")
        return v

    @model_validator(mode="after")
    def _kind_has_what_it_needs(self) -> ErpSettings:
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
