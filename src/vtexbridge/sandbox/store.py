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
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import ItemsView, Iterator, MutableMapping, ValuesView
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS doc (
  account TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (account, kind, key)
);
CREATE TABLE IF NOT EXISTS seq (account TEXT NOT NULL, kind TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY (account, kind));
"""


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
        self._rows[key] = value
        self._store._write(self.account, self.kind, key, value)

    def __delitem__(self, key: str) -> None:
        del self._rows[key]
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
        self._store._delete_kind(self.account, self.kind)


class Store:
    """All tables of all accounts; ``path=None`` keeps everything in memory."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else None
        self._tables: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._seq: dict[tuple[str, str], int] = {}
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
