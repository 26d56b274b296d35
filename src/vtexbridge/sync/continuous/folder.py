"""The folder watch: delta files dropped into ``<erp folder>/incoming/`` become queued changes.

A delta file holds some rows of one entity in the folder's format: ``<entity>.csv`` or
``<entity>.jsonl``, optionally with a suffix after ``.``, ``-`` or ``_`` so that names stay unique
(``inventory-20261208-0101.csv``). A row with ``_deleted`` true (``true``, ``1``, ``yes``) deletes its
key. A file is checked whole: when every row is good its changes are queued (one transaction) and
the file moves to ``done/``; otherwise nothing of it is queued and it moves to ``rejected/`` with
``<name>.error.json`` beside it naming each bad row and field (as the actions folder does). Write a file
under a name starting with ``.`` or ending in ``.tmp``/``.part`` and rename it when complete.

The folder is watched with ``watchfiles`` (the operating system's notifications); files are taken only
by the process running the loop (the lease holder), which also takes what arrived while none ran.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from watchfiles import awatch

from vtexbridge.erp.records import Entity
from vtexbridge.erp.rows import normalise_column
from vtexbridge.state.changes import ChangeQueue
from vtexbridge.sync.continuous.delta import Batch, parse_batch
from vtexbridge.sync.continuous.intake import queue_batch

__all__ = ["FolderWatch", "entity_of_name"]

log = logging.getLogger(__name__)
_SUFFIXES = (".csv", ".jsonl")
_TRUE = frozenset({"true", "1", "yes"})
_JSON = json.JSONDecoder(parse_float=Decimal)


def entity_of_name(name: str) -> Entity | None:
    """The entity a delta file's name gives (the longest entity name it starts with), or None."""
    stem = next((name[: -len(s)] for s in _SUFFIXES if name.endswith(s)), None)
    if stem is None:
        return None
    for entity in sorted(Entity, key=lambda e: -len(e.value)):
        rest = stem[len(entity.value) :]
        if stem.startswith(entity.value) and (not rest or rest[0] in ".-_"):
            return entity
    return None


class FolderWatch:
    """Takes the delta files of ``root/incoming`` into ``queue`` (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        queue: ChangeQueue,
        account: str,
        *,
        active: Callable[[], bool] = lambda: True,
        wake: asyncio.Event | None = None,
        delimiter: str = ",",
        encoding: str = "utf-8",
        max_key_length: int = 255,
        weight_unit: str = "g",
    ) -> None:
        self.root = Path(root)
        self.incoming, self.done, self.rejected = (self.root / n for n in ("incoming", "done", "rejected"))
        self.queue = queue
        self.account = account
        self.active = active
        self.wake = wake
        self.delimiter = delimiter
        self.encoding = encoding
        self.max_key_length = max_key_length
        self.weight_unit = weight_unit

    async def run(self, stop: asyncio.Event, *, poll_s: float = 1.0) -> None:
        """Take files as they arrive (and every ``poll_s`` while this process holds the lease)."""
        for folder in (self.incoming, self.done, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)
        await self._scan()
        async for _changes in awatch(
            self.incoming,
            stop_event=stop,
            debounce=100,
            rust_timeout=int(poll_s * 1000),
            yield_on_timeout=True,
        ):
            await self._scan()

    async def _scan(self) -> None:
        if self.active():
            taken = await asyncio.to_thread(self.scan)
            if taken and self.wake is not None:
                self.wake.set()

    def scan(self) -> int:
        """Take every complete delta file of ``incoming/`` (in name order); returns how many."""
        names = sorted(p for p in self.incoming.iterdir() if p.is_file() and not _partial(p.name))
        return sum(1 for p in names if self.take(p))

    def take(self, path: Path) -> bool:
        """Queue one file's changes and move it to ``done/`` (or refuse it into ``rejected/``)."""
        entity = entity_of_name(path.name)
        content = path.read_bytes()
        if entity is None:
            known = ", ".join(e.value for e in Entity)
            return self._reject(path, [{"message": f"the name does not start with an entity ({known})"}])
        try:
            rows = self._rows(entity, path.name, content)
        except (ValueError, UnicodeDecodeError, csv.Error) as e:
            return self._reject(path, [{"entity": entity.value, "message": f"unreadable: {e}"}])
        batch = parse_batch(
            {entity.value: rows},
            source=f"incoming/{path.name}",
            max_key_length=self.max_key_length,
            weight_unit=self.weight_unit,
        )
        if batch.refused:
            return self._reject(path, [r.to_json() for r in batch.refused], batch)
        digest = hashlib.sha256(content).hexdigest()[:32]
        batch_id = f"folder:{path.name[:200]}:{digest}"
        queue_batch(self.queue, self.account, batch, source="folder", batch_id=batch_id)
        _move(path, self.done)
        log.info("delta file %s: %d changes queued", path.name, batch.accepted)
        return True

    def _rows(self, entity: Entity, name: str, content: bytes) -> list[dict[str, Any]]:
        text = content.decode(self.encoding)
        if text.startswith("\ufeff"):
            text = text[1:]
        if name.endswith(".jsonl"):
            objs = [_JSON.decode(line) for line in text.splitlines() if line.strip()]
            bad = next((i for i, o in enumerate(objs, 1) if not isinstance(o, dict)), None)
            if bad is not None:
                raise ValueError(f"line {bad} is not a JSON object")
            return [_deleted_flag(o) for o in objs]
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        header = [normalise_column(h) for h in next(reader, [])]
        out = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            obj = {h: cell for h, cell in zip(header, row, strict=False) if h and cell.strip() != ""}
            out.append(_deleted_flag(obj))
        return out

    def _reject(self, path: Path, problems: list[dict[str, Any]], batch: Batch | None = None) -> bool:
        target = _move(path, self.rejected)
        report = {"file": path.name, "queued": 0, "problems": problems}
        if batch is not None and batch.warnings:
            report["warnings"] = [w.to_json() for w in batch.warnings]
        (self.rejected / f"{target.name}.error.json").write_text(json.dumps(report, indent=2, default=str))
        log.warning("delta file %s rejected: see rejected/%s.error.json", path.name, target.name)
        return True


def _deleted_flag(obj: dict[str, Any]) -> dict[str, Any]:
    flag = obj.get("_deleted")
    if flag is not None and not isinstance(flag, bool):
        obj["_deleted"] = str(flag).strip().lower() in _TRUE
    return obj


def _partial(name: str) -> bool:
    return name.startswith(".") or name.endswith((".tmp", ".part"))


def _move(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder`` under a name not taken yet."""
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(str(path), target)
    return target
