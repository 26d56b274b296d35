"""File names and temporary files of the sinks that write one file per record (the folder sink, the
affiliate's catalog folder), and of the actions folder's bookkeeping.

**Names are injective**: :func:`escape_component` percent-encodes (UTF-8) every character outside
``[A-Za-z0-9_-]`` — ``.`` and ``%`` included — so ``COLL/1``, ``COLL_1``, ``COLL:1`` and ``COLL 1``
become ``COLL%2F1``, ``COLL_1``, ``COLL%3A1`` and ``COLL%201``: distinct ids never share a file, a
name never starts with ``.`` (hidden) and never contains a path separator. A component whose escaped
form is longer than :data:`MAX_COMPONENT` keeps its first characters and adds ``~`` and a SHA-256
digest of the whole id (``~`` never appears in an escaped name, so it cannot collide with a short
one). VTEX's order ids (``1300000000042-01``) and SKU ids are unchanged by the escaping.

**Temporary files** are written next to their target as ``.<name>.<pid>.<random>.tmp`` and then
linked or renamed into place. :func:`clean_temp_files` (called when a sink starts) removes the ones
a killed process left behind: those whose process is gone from this host, and any older than an
hour. (Hand-written because the escaping must be injective and the temp-file scheme is ours;
``urllib.parse.quote`` leaves ``.`` and ``~`` as they are.)
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import uuid
from pathlib import Path

__all__ = ["MAX_COMPONENT", "clean_temp_files", "escape_component", "temp_path"]

MAX_COMPONENT = 150
"""The longest escaped component kept whole (file names stay under 255 bytes with their suffixes)."""
STALE_TEMP_S = 3600.0
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_TEMP = re.compile(r"^\..+\.(?P<pid>\d+)\.[0-9a-f]{12}\.tmp$")
_log = logging.getLogger(__name__)


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode("utf-8", "surrogatepass"))


def escape_component(text: str) -> str:
    """``text`` as one injective, safe file name component (see the module docstring)."""
    if not text:
        return "%"  # the empty id: "%" alone is never the escape of anything else
    escaped = _UNSAFE.sub(_percent, text)
    if len(escaped) <= MAX_COMPONENT:
        return escaped
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    head = escaped[: MAX_COMPONENT - 33]
    cut = head.find("%", len(head) - 2)  # never end inside a %XX escape
    return f"{head if cut == -1 else head[:cut]}~{digest}"


def temp_path(target: Path) -> Path:
    """A fresh temporary name beside ``target`` that :func:`clean_temp_files` recognises."""
    return target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OverflowError:
        return False
    return True


def clean_temp_files(folder: Path) -> int:
    """Remove the temporary files of dead writers in ``folder``; returns how many were removed."""
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            stale = now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_S
            if stale or not _alive(int(match["pid"])):
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue  # its writer finished meanwhile
    if removed:
        _log.info("removed %d temporary file(s) left by a stopped process in %s", removed, folder)
    return removed
