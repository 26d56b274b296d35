"""The folder sink: one JSON file per order and status, created atomically.

``<path>/<orderId>.<status>.json`` holds the ``vtexbridge.order/1`` document (docs/orders.md); the
id is escaped injectively (``COLL/1`` -> ``COLL%2F1``, :mod:`.files`), so distinct orders never share
a file. A file is written to a hidden temporary name in the same folder
(``.<name>.<pid>.<random>.tmp``; those of a killed process are removed when the sink starts), flushed
and fsynced, then **linked** to its final name, which fails if that name exists, so two writers
can never replace each other's file and an ERP never sees a half-written one; the folder itself is
fsynced after the link, so the acceptance survives a power cut. ERP watchers should ignore names
starting with ``.``.

Idempotency: if ``<orderId>.<status>.json`` already exists the delivery was accepted before (by an
earlier run that crashed before recording it): nothing is written. When its content differs (the
order changed between the two reads) the existing file is kept — the ERP may already have read
it — and a warning says so. ``vtexbridge orders replay`` (``delivery.replay``) overwrites the file
on purpose.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkResult, render_json
from vtexbridge.erp.sinks.files import clean_temp_files, escape_component, temp_path

__all__ = ["FolderSink", "file_name"]

_log = logging.getLogger(__name__)


def file_name(order_id: str, status: str) -> str:
    """``1300000000042-01.ready-for-handling.json``: each part escaped injectively (characters
    outside ``[A-Za-z0-9_-]`` percent-encoded, see :mod:`.files`), so distinct orders never share
    a file."""
    return f"{escape_component(order_id)}.{escape_component(status)}.json"


class FolderSink:
    """Writes each delivery as ``<path>/<orderId>.<status>.json``.

    Args:
        path: the folder (created if missing).
        fsync: flush file and folder to disk before accepting (turn off only for tests on tmpfs).
    """

    name = "folder"

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            clean_temp_files(self.path)  # left by a process killed while writing
        except OSError as e:
            raise SinkError(f"cannot create the order folder {self.path}: {e}") from e

    def file_for(self, order_id: str, status: str) -> Path:
        return self.path / file_name(order_id, status)

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        return await asyncio.to_thread(self.write, delivery)

    async def aclose(self) -> None:
        return None

    def write(self, delivery: OrderDelivery) -> SinkResult:
        """The synchronous write (what :meth:`deliver` runs in a thread)."""
        data = render_json(delivery.document)
        target = self.file_for(delivery.order_id, delivery.status)
        if not delivery.replay and target.exists():
            return self._existing(target, data, delivery)
        tmp = temp_path(target)
        try:
            with tmp.open("xb") as fh:
                fh.write(data)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            if delivery.replay:
                os.replace(tmp, target)
            else:
                try:
                    os.link(tmp, target)
                except FileExistsError:
                    return self._existing(target, data, delivery)
                except OSError:
                    # A filesystem without hard links: fall back to an atomic rename.
                    if target.exists():
                        return self._existing(target, data, delivery)
                    os.replace(tmp, target)
            if self.fsync:
                self._sync_folder()
        except OSError as e:
            raise SinkError(f"cannot write {target}: {e}") from e
        finally:
            tmp.unlink(missing_ok=True)
        return SinkResult(str(target), written=True)

    def _existing(self, target: Path, data: bytes, delivery: OrderDelivery) -> SinkResult:
        try:
            same = target.read_bytes() == data
        except OSError:
            same = False
        if not same:
            _log.warning(
                "order %s in status %s: %s already exists with other content; kept as delivered "
                "(use `vtexbridge orders replay` to write it again)",
                delivery.order_id,
                delivery.status,
                target,
            )
        return SinkResult(str(target), written=False)

    def _sync_folder(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
