"""Plugin readers: an ERP connector shipped as its own Python package, found by entry point.

A plugin package declares, in its ``pyproject.toml``::

    [project.entry-points."vtexbridge.erp_readers"]
    acme = "acme_vtex.reader:AcmeReader"

The entry point names a *factory* — usually the reader class — called with the ``[erp.options]``
table as keyword arguments. What it returns must have the two methods of
:class:`~vtexbridge.erp.readers.Reader`: ``entities()`` (a set of :class:`Entity` or of their names)
and ``read(entity)``, which yields, per row, any of

- a record of the entity's type (``vtexbridge.erp.Sku`` …), used as is;
- a mapping of column name to value (``{"key": "SKU-1", "product_key": "P-1", …}``), converted and
  checked exactly like a CSV row or a JSON line — the simplest way to write a plugin;
- a :class:`~vtexbridge.errors.RecordError`, passed on.

The wrapper returned by :func:`load_reader` numbers the rows, checks the types, and turns an
exception raised by the plugin into a :class:`SourceUnreadable` for that entity (reading of the
other entities goes on). For development, ``plugin = "package.module:attribute"`` loads a factory
without installing an entry point.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vtexbridge.erp.coerce import CoerceError
from vtexbridge.erp.errors import SourceUnreadable
from vtexbridge.erp.readers import Reader
from vtexbridge.erp.records import Entity, Record
from vtexbridge.erp.rows import RowBuilder, mapping_keys_unknown
from vtexbridge.errors import ConfigError, RecordError, RecordInvalid, RecordRef
from vtexbridge.plugins import available, build_plugin

__all__ = ["ENTRY_POINT_GROUP", "PluginReader", "available_plugins", "load_reader"]

ENTRY_POINT_GROUP = "vtexbridge.erp_readers"


def available_plugins() -> list[str]:
    """The names of the installed ERP reader plugins."""
    return available(ENTRY_POINT_GROUP)


def load_reader(name: str, options: Mapping[str, Any] | None = None) -> PluginReader:
    """Find the plugin ``name``, build its reader with ``options``, and wrap it.

    Raises:
        ConfigError: no such plugin (the message lists the installed ones), it fails to load or
            to start, or what it returns is not a reader.
    """
    inner = build_plugin(ENTRY_POINT_GROUP, name, "ERP reader", options)
    if not isinstance(inner, Reader):
        raise ConfigError(
            f"the ERP reader plugin {name!r} returned a value of type {type(inner).__name__}, "
            "which lacks entities() and read(entity)"
        )
    return PluginReader(name, inner)


class PluginReader:
    """A plugin's reader, with its output checked and numbered like any other source."""

    def __init__(self, name: str, inner: Reader) -> None:
        self.name = name
        self.inner = inner
        self.source = f"plugin:{name}"

    def entities(self) -> set[Entity]:
        out = set()
        for e in self.inner.entities():
            try:
                out.add(Entity(e))
            except ValueError:
                raise ConfigError(
                    f"the ERP reader plugin {self.name!r} provides an unknown entity {e!r}",
                    problems=[f"known: {', '.join(x.value for x in Entity)}"],
                ) from None
        return out

    def read(self, entity: Entity) -> Iterator[Record | RecordError]:
        entity = Entity(entity)
        expected = entity.record_type
        builder: RowBuilder | None = None
        reported: set[str] = set()
        rowno = 0
        try:
            items = iter(self.inner.read(entity))
        except Exception as e:
            yield self._raised(entity, e, rowno)
            return
        while True:
            try:
                item: Any = next(items)
            except StopIteration:
                return
            except Exception as e:
                yield self._raised(entity, e, rowno)
                return
            rowno += 1
            if item.__class__ is expected:
                yield item
            elif isinstance(item, Mapping):
                if builder is None:
                    builder = RowBuilder(expected, None, source=self.source)
                yield from _from_mapping(builder, item, rowno, reported)
            elif isinstance(item, RecordError):
                if item.record is None:
                    item.record = RecordRef(entity.value, None, self.source, rowno)
                yield item
            else:
                yield RecordInvalid(
                    f"the plugin yielded a value of type {type(item).__name__}; "
                    f"expected a {expected.__name__}, a mapping of its columns, or a RecordError",
                    record=RecordRef(entity.value, None, self.source, rowno),
                )

    def _raised(self, entity: Entity, error: Exception, rowno: int) -> RecordError:
        after = f" after row {rowno}" if rowno else ""
        return SourceUnreadable(
            f"the plugin raised {type(error).__name__}: {error}{after}; the rest of this entity is missing",
            record=RecordRef(entity.value, None, self.source, rowno + 1),
        )


def _from_mapping(
    builder: RowBuilder, item: Mapping[str, Any], rowno: int, reported: set[str]
) -> Iterator[Record | RecordError]:
    """A record built from a plugin's mapping of columns (or its errors); an unknown column is
    reported once per entity (``reported``)."""
    for name in mapping_keys_unknown(item, builder.known):
        if name not in reported:
            reported.add(name)
            yield builder.unknown_field_error(name, rowno)
    try:
        yield builder.build(item)
    except CoerceError:
        yield from builder.explain(item, rowno)
