"""ERP readers: the :class:`Reader` protocol, and :func:`open_reader` to build one from settings.

A reader reads; it never raises for bad data. ``read(entity)`` streams the entity's records in
source order and *yields* a :class:`~vtexbridge.errors.RecordError` for anything it cannot turn into
a record, then goes on with the next row. What the errors mean for a sync:

- an error whose ``record.key`` is set names one record that is unusable this time: keep VTEX's copy
  as it is (do not treat it as deleted) and hold back its dependents;
- an error for which :func:`~vtexbridge.erp.errors.makes_incomplete` is true (an unreadable file,
  line or query, a row without a readable key) means some records may be missing from the read:
  do not deactivate or delete anything of that entity on the grounds that it was not read;
- an entity absent from ``entities()`` is not managed by this source at all.

Readers keep nothing between rows (memory is flat whatever the size of the store) and do not check
references between entities or duplicate keys across rows: the planner indexes records anyway,
and does both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from vtexbridge.erp.config import ErpSettings
from vtexbridge.erp.records import Entity, Record
from vtexbridge.errors import RecordError

__all__ = ["Reader", "open_reader"]


@runtime_checkable
class Reader(Protocol):
    """A source of ERP records."""

    def entities(self) -> set[Entity]:
        """The entities this source provides."""
        ...

    def read(self, entity: Entity) -> Iterator[Record | RecordError]:
        """Stream ``entity``'s records, yielding errors in place of what cannot be read.

        Reading an entity not in :meth:`entities` yields nothing.
        """
        ...


def open_reader(settings: ErpSettings, *, base_dir: Path | None = None) -> Reader:
    """Build the reader ``settings`` describe.

    Args:
        settings: the ``[erp]`` section.
        base_dir: what a relative ``path`` is relative to (the config file's directory); default cwd.

    Raises:
        ConfigError: the folder does not exist, the URL is invalid, the plugin cannot be loaded.
    """
    if settings.kind == "folder":
        from vtexbridge.erp.readers.folder import FolderReader

        assert settings.path is not None  # checked by ErpSettings
        path = settings.path if base_dir is None or settings.path.is_absolute() else base_dir / settings.path
        dialects = {entity: settings.dialect(entity) for entity in settings.files}
        return FolderReader(path, dialect=settings.dialect(), files=dialects)
    if settings.kind == "sql":
        from vtexbridge.erp.readers.sql import SqlReader

        assert settings.url is not None
        return SqlReader(settings.url.get_secret_value(), settings.queries, batch_size=settings.batch_size)
    from vtexbridge.erp.readers.plugin import load_reader

    assert settings.plugin is not None
    return load_reader(settings.plugin, settings.options)
