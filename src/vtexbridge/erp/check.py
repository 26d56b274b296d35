"""``vtexbridge erp check``: read an ERP folder as a sync would, say how each file is written and what
in it cannot be read. Reads only; writes nothing (no state, no VTEX, no report file).

For each entity's file: the dialect detected from its first bytes (:func:`vtexbridge.erp.dialect.detect`),
the dialect configured, the records read, the errors (root causes first) and, when the two dialects
differ, the ``[erp.files.<entity>]`` settings that would read the file as detected.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

from vtexbridge.erp.config import ErpSettings
from vtexbridge.erp.dialect import SAMPLE_BYTES, Detected, Dialect, detect
from vtexbridge.erp.errors import cause_rank
from vtexbridge.erp.readers.folder import FolderReader
from vtexbridge.erp.records import Entity
from vtexbridge.errors import RecordError

__all__ = ["FileCheck", "check_folder"]


@dataclass(slots=True)
class FileCheck:
    """What ``erp check`` found in one entity's file."""

    entity: Entity
    path: Path
    configured: Dialect
    detected: Detected | None  # None for JSON Lines (no dialect to detect)
    records: int = 0
    error_count: int = 0
    errors: list[RecordError] = field(default_factory=list)  # the first ones, root causes first

    def suggestion(self) -> dict[str, str]:
        """The settings for this file that differ between what is configured and what was detected."""
        if self.detected is None:
            return {}
        mine = self.configured.settings()
        found = self.detected.dialect.settings()
        if found.get("decimal_separator") == "auto":  # nothing in the sample decides it
            found.pop("decimal_separator")
        return {k: v for k, v in found.items() if mine.get(k) != v}


def _sample(path: Path) -> bytes:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data: bytes = fh.read(SAMPLE_BYTES)
        return data


def check_folder(settings: ErpSettings, *, base_dir: Path | None = None, keep: int = 5) -> list[FileCheck]:
    """Read every entity file of the folder ``settings`` name; keep the first ``keep`` errors of each.

    Raises:
        ConfigError: the folder does not exist, or an entity has two files.
    """
    assert settings.path is not None  # checked by ErpSettings for kind "folder"
    path = settings.path if base_dir is None or settings.path.is_absolute() else base_dir / settings.path
    dialects = {entity: settings.dialect(entity) for entity in settings.files}
    reader = FolderReader(path, dialect=settings.dialect(), files=dialects)
    out = []
    for entity in Entity:
        file = reader.file_of(entity)
        if file is None:
            continue
        detected = detect(_sample(file), entity.record_type) if ".csv" in file.name else None
        check = FileCheck(entity, file, reader.dialect_of(entity), detected)
        errors = []
        for item in reader.read(entity):
            if isinstance(item, RecordError):
                check.error_count += 1
                errors.append(item)
                errors = sorted(errors, key=lambda e: cause_rank(type(e).__name__))[:keep]
            else:
                check.records += 1
        check.errors = errors
        out.append(check)
    return out
