"""A sink plugin for the crash tests (loaded by ``vtexbridge orders run`` in a subprocess, through
``orders.sink.plugin = "orders_kill_sink:KillableSink"``): a folder sink that logs every delivery
handed to it and accepted, and can block forever right after its n-th acceptance, so the test can
SIGKILL the process between the ERP's acceptance and the state store's record / the feed commit.

Each log line (fsynced before ``deliver`` returns) is ``<key> <wrote|existing> <pid> <t0> <t1>``:
the delivery's key, whether the folder had it already, the process, and when the hand-off started
and was accepted (``time.time()``), so that a test can tell a redelivery after a kill from a
duplicate, and concurrent hand-offs of two workers apart.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from vtexbridge.erp.sinks import OrderDelivery, SinkResult
from vtexbridge.erp.sinks.folder import FolderSink


class KillableSink:
    def __init__(self, path: str, log: str, block_at: int = 0, marker: str = "") -> None:
        self.folder = FolderSink(Path(path), fsync=True)
        self.log = Path(log)
        self.block_at = block_at
        self.marker = Path(marker) if marker else None
        self.count = 0
        self.lock = threading.Lock()

    def deliver(self, delivery: OrderDelivery) -> SinkResult:
        started = time.time()
        result = self.folder.write(delivery)
        with self.lock:
            with self.log.open("a") as fh:
                what = "wrote" if result.written else "existing"
                fh.write(f"{delivery.key} {what} {os.getpid()} {started:.6f} {time.time():.6f}\n")
                fh.flush()
                os.fsync(fh.fileno())
            self.count += 1
            block = self.block_at and self.count == self.block_at
        if block and self.marker is not None:
            self.marker.write_text(delivery.key)
            time.sleep(3600)  # the test kills the process here
        return result
