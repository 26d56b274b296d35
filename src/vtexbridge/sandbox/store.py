"""The sandbox's store: named tables of JSON documents per account, in memory or persisted to SQLite.

A table is a ``MutableMapping[str, dict]`` (key -> document). Reads come from memory; with a state
file every write goes through to SQLite as well, so a restarted sandbox has the same store. Documents
are stored as given; callers must not mutate a document in place without writing it back
(``table[key] = doc``), or the change would not be persisted.

Table kinds used across areas (the shape is VTEX's own response shape for that entity):
``category``, ``brand``, ``product``, ``sku``, ``price`` (key = SKU id), ``warehouse``,
``inventory`` (key = ``"{skuId}:{warehouseId}"``), ``order``, ``document:{ENTITY}`` (Master Data), ...

Shapes of the catalog, pricing and logistics kinds (keys are ids as strings unless noted; the full
lists are in the docstrings of ``routes/catalog.py``, ``routes/pricing.py``, ``routes/logistics.py``):

- ``sku``: the ``GET /api/catalog/pvt/stockkeepingunit/{skuId}`` body (``Id``, ``ProductId``,
  ``IsActive``, ``Name``, ``RefId``, ``Packaged*``, ``MeasurementUnit``, ``UnitMultiplier`` ...);
  ``product``: the ``GET /api/catalog/pvt/product/{productId}`` body (``Id``, ``Name``, ``CategoryId``,
  ``BrandId``, ``RefId``, ``IsActive`` ...); ``salespolicy`` (key ``"{productId}:{tradePolicyId}"``):
  ``{ProductId, StoreId}``; ``skufile``: ``{Id, ArchiveId, SkuId, Name, IsMain, Text, Label, Url,
  FileLocation, Position}``; ``skuean`` (key = SKU id): ``{SkuId, Eans: [..]}``.
- ``price`` (key = SKU id): ``{itemId, listPrice, costPrice, markup, basePrice, fixedPrices[]}``,
  decimal currency; ``fixedPrices[]``: ``{tradePolicyId, value, listPrice, minQuantity, dateRange?}``.
- ``warehouse``: ``{id, name, warehouseDocks[{dockId, name, time, cost, ...}], pickupPointIds,
  priority, isActive}``; ``dock``: ``{id, name, priority, salesChannels[], ..., isActive}``.
- ``inventory`` (key ``"{skuId}:{warehouseId}"``): ``{skuId, warehouseId, quantity,
  unlimitedQuantity, leadTime, dateUtcOnBalanceSystem, reservedQuantity}``; orders reserve stock by
  raising ``reservedQuantity`` (available = quantity - reservedQuantity unless unlimited).

Secondary indexes: an :class:`Index` names a kind and the values a document is filed under
(``Index("sku", "RefId", by("RefId"))``); ``table.find(index, value)`` answers the documents filed
under ``value`` in the table's own order, exactly what ``[d for d in table.values() if value in
index.key(d)]`` would, without the scan. An index is built on its first use (from memory, so also
after loading a state file) and then kept up to date by every write, delete, ``clear`` and
``Store.reset``; ``table.sorted_int_keys()`` is kept the same way. A document mutated in place and
written back is re-filed correctly (the index remembers where each key was filed).
"""

from __future__ import annotations

import bisect
import json
import sqlite3
import threading
from collections.abc import (
    Callable,
    Hashable,
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    ValuesView,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Doc = dict[str, Any]
KeyFunction = Callable[[Mapping[str, Any]], Iterable[Hashable]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS doc (
  account TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (account, kind, key)
);
CREATE TABLE IF NOT EXISTS seq (account TEXT NOT NULL, kind TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY (account, kind));
"""


@dataclass(frozen=True, slots=True, eq=False)
class Index:
    """A secondary index of the ``kind`` tables: ``key(doc)`` gives the values ``doc`` is filed under.

    Compared and hashed by identity: define each index once, at module level.
    """

    kind: str
    name: str
    key: KeyFunction


def by(*fields: str) -> KeyFunction:
    """File a document under the value of ``field`` (one field) or the tuple of ``fields`` (several).

    A missing field counts as ``None``, like ``doc.get(field)``.
    """
    if len(fields) == 1:
        (name,) = fields
        return lambda doc: (doc.get(name),)
    return lambda doc: (tuple(doc.get(name) for name in fields),)


def each(field: str) -> KeyFunction:
    """File a document under every item of its list ``field`` (e.g. a SKU's EANs)."""
    return lambda doc: doc.get(field) or ()


class _Indexes:
    """The indexes of one table (one account and kind): table order, filed values, sorted int keys."""

    __slots__ = ("buckets", "filed", "next_ordinal", "ordinal", "sorted_ids")

    def __init__(self, rows: Mapping[str, Doc]) -> None:
        self.ordinal: dict[str, int] = {key: n for n, key in enumerate(rows)}
        self.next_ordinal = len(self.ordinal)
        self.buckets: dict[Index, dict[Hashable, dict[str, None]]] = {}
        self.filed: dict[Index, dict[str, tuple[Hashable, ...]]] = {}
        self.sorted_ids: list[int] | None = None

    def build(self, index: Index, rows: Mapping[str, Doc]) -> dict[Hashable, dict[str, None]]:
        buckets: dict[Hashable, dict[str, None]] = {}
        filed: dict[str, tuple[Hashable, ...]] = {}
        self.buckets[index] = buckets
        self.filed[index] = filed
        for key, doc in rows.items():
            self._file(index, buckets, filed, key, doc)
        return buckets

    @staticmethod
    def _file(
        index: Index,
        buckets: dict[Hashable, dict[str, None]],
        filed: dict[str, tuple[Hashable, ...]],
        key: str,
        doc: Mapping[str, Any],
    ) -> None:
        values = []
        for value in index.key(doc):
            try:
                buckets.setdefault(value, {})[key] = None
            except TypeError:  # unhashable: never equal to a value looked up
                continue
            values.append(value)
        if values:
            filed[key] = tuple(values)

    @staticmethod
    def _unfile(
        buckets: dict[Hashable, dict[str, None]], filed: dict[str, tuple[Hashable, ...]], key: str
    ) -> None:
        for value in filed.pop(key, ()):
            bucket = buckets.get(value)
            if bucket is not None:
                bucket.pop(key, None)
                if not bucket:
                    del buckets[value]

    def put(self, key: str, doc: Mapping[str, Any], new: bool) -> None:
        if new:
            self.ordinal[key] = self.next_ordinal
            self.next_ordinal += 1
            if self.sorted_ids is not None:
                try:
                    bisect.insort(self.sorted_ids, int(key))
                except ValueError:
                    self.sorted_ids = None  # rebuilt (and failing like a scan would) on next use
        for index, buckets in self.buckets.items():
            filed = self.filed[index]
            self._unfile(buckets, filed, key)
            self._file(index, buckets, filed, key, doc)

    def remove(self, key: str) -> None:
        self.ordinal.pop(key, None)
        if self.sorted_ids is not None:
            try:
                number = int(key)
            except ValueError:
                self.sorted_ids = None
            else:
                at = bisect.bisect_left(self.sorted_ids, number)
                if at < len(self.sorted_ids) and self.sorted_ids[at] == number:
                    del self.sorted_ids[at]
        for index, buckets in self.buckets.items():
            self._unfile(buckets, self.filed[index], key)

    def in_table_order(self, keys: Iterable[str]) -> list[str]:
        ordinal = self.ordinal
        return sorted(keys, key=ordinal.__getitem__)


class Table(MutableMapping[str, dict[str, Any]]):
    """One kind of document of one account."""

    def __init__(self, store: Store, account: str, kind: str, rows: dict[str, dict[str, Any]]) -> None:
        self._store = store
        self.account = account
        self.kind = kind
        self._rows = rows

    def __getitem__(self, key: str) -> dict[str, Any]:
        return self._rows[key]

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        rows = self._rows
        new = key not in rows
        rows[key] = value
        indexes = self._store._indexes.get((self.account, self.kind))
        if indexes is not None:
            indexes.put(key, value, new)
        self._store._write(self.account, self.kind, key, value)

    def __delitem__(self, key: str) -> None:
        del self._rows[key]
        indexes = self._store._indexes.get((self.account, self.kind))
        if indexes is not None:
            indexes.remove(key)
        self._store._delete(self.account, self.kind, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    # Fast paths: the dict's own views (the Mapping mixins would call __getitem__ per key).
    def values(self) -> ValuesView[dict[str, Any]]:
        return self._rows.values()

    def items(self) -> ItemsView[str, dict[str, Any]]:
        return self._rows.items()

    def clear(self) -> None:
        self._rows.clear()
        self._store._indexes.pop((self.account, self.kind), None)
        self._store._delete_kind(self.account, self.kind)

    # Secondary indexes (see the module docstring).
    def _table_indexes(self) -> _Indexes:
        store = self._store
        indexes = store._indexes.get((self.account, self.kind))
        if indexes is None:
            with store._lock:
                indexes = store._indexes.setdefault((self.account, self.kind), _Indexes(self._rows))
        return indexes

    def _indexes(self, index: Index) -> tuple[_Indexes, dict[Hashable, dict[str, None]]]:
        if index.kind != self.kind:
            raise ValueError(f"index {index.kind}.{index.name} used on the {self.kind} table")
        indexes = self._table_indexes()
        buckets = indexes.buckets.get(index)
        if buckets is None:
            with self._store._lock:
                buckets = indexes.buckets.get(index)
                if buckets is None:
                    buckets = indexes.build(index, self._rows)
        return indexes, buckets

    def find_keys(self, index: Index, value: Hashable) -> list[str]:
        """Keys of the documents filed under ``value``, in table order."""
        indexes, buckets = self._indexes(index)
        bucket = buckets.get(value)
        if not bucket:
            return []
        return list(bucket) if len(bucket) == 1 else indexes.in_table_order(bucket)

    def find(self, index: Index, value: Hashable) -> list[dict[str, Any]]:
        """The documents filed under ``value``, in table order (``[d for d in values() if ...]``)."""
        rows = self._rows
        return [rows[key] for key in self.find_keys(index, value)]

    def find_any(self, index: Index, values: Iterable[Hashable]) -> list[dict[str, Any]]:
        """The documents filed under any of ``values``, each once, in table order."""
        indexes, buckets = self._indexes(index)
        keys: dict[str, None] = {}
        for value in values:
            keys.update(buckets.get(value) or {})
        rows = self._rows
        return [rows[key] for key in indexes.in_table_order(keys)]

    def first(self, index: Index, value: Hashable) -> dict[str, Any] | None:
        """The first document (in table order) filed under ``value``, or ``None``."""
        indexes, buckets = self._indexes(index)
        bucket = buckets.get(value)
        if not bucket:
            return None
        key = next(iter(bucket)) if len(bucket) == 1 else min(bucket, key=indexes.ordinal.__getitem__)
        return self._rows[key]

    def count(self, index: Index, value: Hashable) -> int:
        """How many documents are filed under ``value``."""
        return len(self._indexes(index)[1].get(value) or ())

    def sorted_int_keys(self) -> list[int]:
        """The keys as integers, ascending (``sorted(int(k) for k in table)``); do not modify the list."""
        indexes = self._table_indexes()
        if indexes.sorted_ids is None:
            indexes.sorted_ids = sorted(int(k) for k in self._rows)
        return indexes.sorted_ids


class Store:
    """All tables of all accounts; ``path=None`` keeps everything in memory."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else None
        self._tables: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._seq: dict[tuple[str, str], int] = {}
        self._indexes: dict[tuple[str, str], _Indexes] = {}
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        if self.path is not None:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            for account, kind, key, body in self._db.execute("SELECT account, kind, key, body FROM doc"):
                self._tables.setdefault((account, kind), {})[key] = json.loads(body)
            for account, kind, value in self._db.execute("SELECT account, kind, value FROM seq"):
                self._seq[(account, kind)] = value

    def table(self, account: str, kind: str) -> Table:
        with self._lock:
            rows = self._tables.setdefault((account, kind), {})
        return Table(self, account, kind, rows)

    def kinds(self, account: str) -> list[str]:
        return sorted(k for (a, k), rows in self._tables.items() if a == account and rows)

    def accounts(self) -> list[str]:
        return sorted({a for (a, _k), rows in self._tables.items() if rows})

    def next_id(self, account: str, kind: str, start: int = 1) -> int:
        """A fresh integer id for ``kind`` (monotonic, persisted)."""
        with self._lock:
            value = max(self._seq.get((account, kind), start - 1) + 1, start)
            self._seq[(account, kind)] = value
            if self._db is not None:
                self._db.execute(
                    "INSERT INTO seq(account, kind, value) VALUES (?, ?, ?) "
                    "ON CONFLICT(account, kind) DO UPDATE SET value = excluded.value",
                    (account, kind, value),
                )
            return value

    def bump_id(self, account: str, kind: str, used: int) -> None:
        """Record that ``used`` was taken by a caller-chosen id, so ``next_id`` never returns it."""
        with self._lock:
            if used > self._seq.get((account, kind), 0):
                self._seq[(account, kind)] = used
                if self._db is not None:
                    self._db.execute(
                        "INSERT INTO seq(account, kind, value) VALUES (?, ?, ?) "
                        "ON CONFLICT(account, kind) DO UPDATE SET value = excluded.value",
                        (account, kind, used),
                    )

    def reset(self, account: str | None = None) -> None:
        """Forget everything (of one account, or of all)."""
        with self._lock:
            for key in [k for k in self._tables if account is None or k[0] == account]:
                self._tables[key].clear()
                self._indexes.pop(key, None)
            for key in [k for k in self._seq if account is None or k[0] == account]:
                del self._seq[key]
            if self._db is not None:
                if account is None:
                    self._db.execute("DELETE FROM doc")
                    self._db.execute("DELETE FROM seq")
                else:
                    self._db.execute("DELETE FROM doc WHERE account = ?", (account,))
                    self._db.execute("DELETE FROM seq WHERE account = ?", (account,))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _write(self, account: str, kind: str, key: str, value: dict[str, Any]) -> None:
        if self._db is not None:
            with self._lock:
                self._db.execute(
                    "INSERT INTO doc(account, kind, key, body) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(account, kind, key) DO UPDATE SET body = excluded.body",
                    (account, kind, key, json.dumps(value, separators=(",", ":"))),
                )

    def _delete(self, account: str, kind: str, key: str) -> None:
        if self._db is not None:
            with self._lock:
                self._db.execute("DELETE FROM doc WHERE account=? AND kind=? AND key=?", (account, kind, key))

    def _delete_kind(self, account: str, kind: str) -> None:
        if self._db is not None:
            with self._lock:
                self._db.execute("DELETE FROM doc WHERE account=? AND kind=?", (account, kind))
