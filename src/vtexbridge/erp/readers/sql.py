"""The SQL reader: one SELECT per entity, against any database SQLAlchemy can reach.

This is how ERPs are read in practice: the ERP team exposes views (or grants read access to
tables), and each query renames the ERP's columns to the format's column names with ``AS``::

    SELECT sku_code AS key, product_code AS product_key, description AS name,
           pkg_h_cm AS packaged_height, pkg_l_cm AS packaged_length,
           pkg_w_cm AS packaged_width, pkg_kg AS packaged_weight_kg
      FROM erp.v_ecommerce_skus

Column names are matched ignoring case (Oracle and DB2 upper-case them). Values arrive typed by the
driver (``Decimal``, ``date``, ``bool`` or 0/1 …) and go through the same converters as CSV cells, so
the same errors come out. Results are streamed (server-side cursors where the driver has them,
``batch_size`` rows per fetch). Rows are numbered by their ordinal in the result, from 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import TracebackType

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from vtexbridge.erp.coerce import CoerceError
from vtexbridge.erp.errors import SourceUnreadable
from vtexbridge.erp.records import Entity, Record
from vtexbridge.erp.rows import RowBuilder, normalise_column
from vtexbridge.errors import ConfigError, RecordError, RecordRef

__all__ = ["SqlReader"]


def _entities(queries: Mapping[Entity, str] | Mapping[str, str]) -> dict[Entity, str]:
    out: dict[Entity, str] = {}
    unknown = []
    for name, query in queries.items():
        try:
            out[Entity(name)] = query
        except ValueError:
            unknown.append(str(name))
    if unknown:
        raise ConfigError(
            f"unknown entity name(s) in the SQL queries: {', '.join(unknown)}",
            problems=[f"known: {', '.join(e.value for e in Entity)}"],
        )
    return out


class SqlReader:
    """Reads each entity with its own query.

    Args:
        url: a SQLAlchemy URL (``postgresql+psycopg://user@host/db``, ``mssql+pyodbc://…``,
            ``sqlite:///erp.db``); ignored when ``engine`` is given.
        queries: one SELECT per entity, keyed by entity (or its name).
        engine: an engine to use instead of creating one (it is not disposed by :meth:`close`).
        batch_size: rows fetched per round trip.

    Raises:
        ConfigError: an unknown entity name, an invalid URL, or a driver that is not installed.
    """

    def __init__(
        self,
        url: str | None,
        queries: Mapping[Entity, str] | Mapping[str, str],
        *,
        engine: Engine | None = None,
        batch_size: int = 1000,
    ) -> None:
        self.queries = _entities(queries)
        self.batch_size = batch_size
        self._owns_engine = engine is None
        if engine is None:
            if not url:
                raise ConfigError("the SQL reader needs a database URL")
            try:
                engine = create_engine(url)
            except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as e:
                raise ConfigError(f"cannot use the ERP database URL {_hide_password(url)}: {e}") from e
        self.engine = engine

    def entities(self) -> set[Entity]:
        return set(self.queries)

    def read(self, entity: Entity) -> Iterator[Record | RecordError]:
        entity = Entity(entity)
        query = self.queries.get(entity)
        if query is None:
            return
        source = f"sql:{entity.value}"
        rowno = 0
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=self.batch_size).execute(
                    text(query)
                )
                names = result.keys()
                columns = [normalise_column(c) for c in names]
                twice = sorted({c for c in columns if columns.count(c) > 1})
                if twice:
                    yield SourceUnreadable(
                        f"the query returns column(s) {', '.join(map(repr, twice))} more than once",
                        record=RecordRef(entity.value, None, source),
                    )
                    return
                builder = RowBuilder(entity.record_type, columns, source=source)
                if builder.missing_required:
                    yield SourceUnreadable(
                        f"the query lacks required column(s) {', '.join(builder.missing_required)} "
                        "(name them with AS); no row can be read",
                        record=RecordRef(entity.value, None, source),
                        field=builder.missing_required[0],
                    )
                    return
                yield from builder.unknown_column_errors(None)
                build = builder.build
                for row in result:
                    rowno += 1
                    try:
                        record = build(row)
                    except CoerceError:
                        yield from builder.explain(row, rowno)
                        continue
                    yield record
        except SQLAlchemyError as e:
            where = f" after row {rowno}; the rows after it are missing" if rowno else ""
            yield SourceUnreadable(
                f"the query failed{where}: {_first_line(e)}",
                record=RecordRef(entity.value, None, source, rowno + 1 if rowno else None),
            )

    def close(self) -> None:
        """Release the database connections (when the reader created the engine)."""
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> SqlReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _first_line(error: SQLAlchemyError) -> str:
    orig = getattr(error, "orig", None)
    message = str(orig) if orig is not None else str(error)
    return message.strip().splitlines()[0] if message.strip() else type(error).__name__


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(unparsable URL)"
