"""The marketplace-side catalog: where the affiliate keeps the VTEX seller's SKUs, prices and stock.

A :class:`CatalogSink` receives one entry per SKU (the seller's catalog data joined with the price
and availability of the seller's simulation), and the affiliate's orders as they change (placed,
authorised, invoiced, tracked, canceled). It is the only code that writes to the marketplace's side.

:class:`FolderCatalogSink` writes ``<path>/skus/<skuId>.json`` and ``<path>/orders/<marketplaceOrderId>.json``
atomically (temporary file, fsync, rename): a reader never sees half a file. Ids are escaped
injectively (``M/1`` -> ``M%2F1.json``, see :mod:`vtexbridge.erp.sinks.files`), and temporary files
a killed process left are removed when the sink starts. Writing an entry equal
to the one on disk writes nothing (``put_sku`` returns False), so replaying notifications is free.
A removed SKU's file is kept with ``"isActive": false, "removed": true`` (the marketplace must take
the offer down, not forget it silently).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from vtexbridge.erp.sinks.files import clean_temp_files, escape_component, temp_path

__all__ = ["CatalogSink", "FolderCatalogSink", "render"]


def render(entry: Mapping[str, Any]) -> bytes:
    """Deterministic JSON (sorted keys) of an entry, so equal entries give equal bytes."""
    return (json.dumps(entry, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


@runtime_checkable
class CatalogSink(Protocol):
    """Where the marketplace side of the catalog and of the orders is kept."""

    async def put_sku(self, entry: Mapping[str, Any]) -> bool:
        """Store the entry of ``entry["skuId"]``; False when it was already stored as is."""
        ...

    async def remove_sku(self, sku_id: str, *, reason: str) -> bool:
        """Mark the SKU as no longer sold; False when it already was (or never was known)."""
        ...

    async def get_sku(self, sku_id: str) -> dict[str, Any] | None: ...

    async def put_order(self, order: Mapping[str, Any]) -> bool:
        """Store the affiliate's view of an order (``order["marketplaceOrderId"]``)."""
        ...

    async def aclose(self) -> None: ...


class FolderCatalogSink:
    """One JSON file per SKU and per order under ``path``."""

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        for folder in (self.path / "skus", self.path / "orders"):
            folder.mkdir(parents=True, exist_ok=True)
            clean_temp_files(folder)  # left by a process killed while writing

    def sku_file(self, sku_id: str) -> Path:
        return self.path / "skus" / f"{escape_component(sku_id)}.json"

    def order_file(self, marketplace_order_id: str) -> Path:
        return self.path / "orders" / f"{escape_component(marketplace_order_id)}.json"

    async def put_sku(self, entry: Mapping[str, Any]) -> bool:
        return await asyncio.to_thread(self._write, self.sku_file(str(entry["skuId"])), render(entry))

    async def remove_sku(self, sku_id: str, *, reason: str) -> bool:
        current = await self.get_sku(sku_id)
        if current is None or current.get("removed"):
            return False
        entry = {**current, "isActive": False, "available": False, "removed": True, "removedReason": reason}
        return await self.put_sku(entry)

    async def get_sku(self, sku_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._read, self.sku_file(sku_id))

    async def put_order(self, order: Mapping[str, Any]) -> bool:
        target = self.order_file(str(order["marketplaceOrderId"]))
        return await asyncio.to_thread(self._write, target, render(order))

    async def aclose(self) -> None:
        return None

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        return data if isinstance(data, dict) else None

    def _write(self, target: Path, data: bytes) -> bool:
        try:
            if target.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
        tmp = temp_path(target)
        try:
            with tmp.open("xb") as fh:
                fh.write(data)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return True
