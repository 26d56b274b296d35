"""Where the ERP's actions come from: a folder of JSON/CSV files, and a SQL outbox table.

**Folder** (``orders.actions.folder``)::

    erp/actions/            the ERP drops *.json / *.csv here (write under a name starting with "."
                            or ending in ".tmp", then rename; files younger than min_age_s are left alone)
    erp/actions/processing/ a file whose actions are queued and not all finished yet
    erp/actions/done/       every action of the file was accepted by VTEX
    erp/actions/rejected/   the file could not be read, or VTEX refused (or we gave up on) one of its
                            actions; <file>.error.json beside it says which, with VTEX's message

A file is parsed whole: if any of its actions is invalid, the file goes to ``rejected/`` at once
with every problem listed (file, row, field) and none of its actions is queued. Otherwise all are
queued (:func:`~vtexbridge.orders.actions.enqueue`; dedup keys make a re-read harmless), a manifest
``processing/.<file>.actions.json`` records their ids, and the file moves to ``processing/``. Each scan
then settles ``processing/``: a file whose actions are all finished moves to ``done/`` or, if one was
rejected or failed, to ``rejected/`` with its ``.error.json``. Nothing is ever deleted. Within one
scan files are taken oldest first, and a file's invoices are queued before its tracking updates.

**SQL outbox** (``orders.actions.sql_url`` + ``sql_table``): the ERP inserts rows ``(payload)`` —
``payload`` is one action as JSON text, in the same format as a JSON file — and leaves ``status``
NULL. Each scan queues new rows (``status`` becomes ``queued``, ``action_id`` is set; an invalid row
becomes ``invalid`` with the problems in ``message``) and writes the outcome of finished actions back
(``done``, ``rejected`` or ``failed``, with VTEX's message). The table is created when absent.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from vtexbridge.erp.sinks.files import clean_temp_files, temp_path
from vtexbridge.errors import RecordInvalid, RecordRef, VtexbridgeError
from vtexbridge.orders.action_format import MAX_DEPTH, ActionRequest, Problems, depth_problem, parse_action
from vtexbridge.orders.actions import enqueue
from vtexbridge.state import Action, ActionKind, ActionState, StateStore

__all__ = ["FolderSource", "ScanReport", "SqlOutboxSource", "read_action_file"]

_log = logging.getLogger(__name__)
_SUFFIXES = (".json", ".csv")
_KIND_ORDER = {ActionKind.CHANGE: 0, ActionKind.INVOICE: 1, ActionKind.TRACKING: 2, ActionKind.CANCEL: 3}
MAX_FILE_BYTES = 32 * 1024 * 1024
"""The largest actions file read (an embedded invoice XML is at most 2 MB per invoice)."""
_FAILED = (ActionState.REJECTED.value, ActionState.FAILED.value, ActionState.CANCELLED.value)

# CSV columns: one row per invoice item or tracking event; rows of one action share the key columns.
_INVOICE_COLUMNS = (
    "invoiceNumber",
    "invoiceType",
    "issuanceDate",
    "invoiceValue",
    "invoiceValueCents",
    "invoiceKey",
    "invoiceUrl",
    "courier",
    "trackingNumber",
    "trackingUrl",
    "dispatchedDate",
)
_ITEM_COLUMNS = {
    "skuId": "id",
    "price": "price",
    "priceCents": "priceCents",
    "quantity": "quantity",
    "description": "description",
}
_TRACKING_COLUMNS = (
    "invoiceNumber",
    "trackingNumber",
    "trackingUrl",
    "courier",
    "dispatchedDate",
    "isDelivered",
    "deliveredDate",
)
_EVENT_COLUMNS = {
    "eventCity": "city",
    "eventState": "state",
    "eventDescription": "description",
    "eventDate": "date",
}


@dataclass(slots=True)
class ScanReport:
    """What one scan did."""

    files_taken: int = 0
    files_rejected: int = 0
    files_done: int = 0
    actions_queued: int = 0
    actions_existing: int = 0
    problems: list[str] = field(default_factory=list)


def _problem(source: str, row: int | None, message: str, field: str | None = None) -> RecordInvalid:
    return RecordInvalid(message, record=RecordRef("action", None, source, row), field=field)


def _load_json(name: str, row: int | None, text: str) -> Any:
    """JSON with decimals kept exact; every way it can fail (bad syntax, a 5,000-digit integer,
    nesting deeper than the parser's recursion limit, or than ``MAX_DEPTH``) is a problem."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as e:
        raise Problems([_problem(name, row, f"is not valid JSON: {str(e)[:200]}")]) from None
    except RecursionError:
        raise Problems([_problem(name, row, f"is nested deeper than {MAX_DEPTH} levels")]) from None
    if (too_deep := depth_problem(data, MAX_DEPTH + 1)) is not None:  # + 1: {"actions": [...]}
        raise Problems([_problem(name, row, too_deep)])
    return data


def _read_json(name: str, text: str) -> list[ActionRequest]:
    data = _load_json(name, None, text)
    if isinstance(data, Mapping) and isinstance(data.get("actions"), list):
        data = data["actions"]
    items: list[tuple[int | None, Any]] = list(enumerate(data)) if isinstance(data, list) else [(None, data)]
    requests, problems = [], []
    for index, raw in items:
        try:
            requests.append(parse_action(raw, source=name, row=index))
        except Problems as e:
            problems.extend(e.problems)
    if problems:
        raise Problems(problems)
    return requests


def _csv_dialect(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _group_csv(name: str, rows: Iterable[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, Any]]]:
    """Rows -> actions: invoice items and tracking events of one action are spread over rows."""
    actions: dict[tuple[str, ...], tuple[int, dict[str, Any]]] = {}
    order: list[tuple[str, ...]] = []
    problems: list[RecordInvalid] = []
    for line, row in rows:
        kind = (row.get("type") or "").strip()
        order_id = (row.get("orderId") or "").strip()
        if kind == ActionKind.INVOICE.value:
            key: tuple[str, ...] = (kind, order_id, (row.get("invoiceNumber") or "").strip())
            head = {c: row.get(c) for c in _INVOICE_COLUMNS}
            sub = {dst: row.get(src) for src, dst in _ITEM_COLUMNS.items()}
            list_name = "items"
            has_sub = bool((row.get("skuId") or "").strip())
        elif kind == ActionKind.TRACKING.value:
            key = (
                kind,
                order_id,
                (row.get("invoiceNumber") or "").strip(),
                (row.get("trackingNumber") or "").strip(),
            )
            head = {c: row.get(c) for c in _TRACKING_COLUMNS}
            sub = {dst: row.get(src) for src, dst in _EVENT_COLUMNS.items()}
            list_name = "events"
            has_sub = any((row.get(c) or "").strip() for c in _EVENT_COLUMNS)
        elif kind == ActionKind.CANCEL.value:
            key = (kind, order_id, str(line))
            head, sub, list_name, has_sub = {"reason": row.get("reason")}, {}, "", False
        elif kind == ActionKind.CHANGE.value:
            problems.append(
                _problem(name, line, "order changes are nested: send them as a JSON file", "type")
            )
            continue
        else:
            problems.append(
                _problem(name, line, f"must be invoice, tracking or cancel, got {kind!r}", "type")
            )
            continue
        head = {k: v for k, v in head.items() if v not in (None, "")}
        if key not in actions:
            actions[key] = (line, {"type": kind, "orderId": order_id, **head})
            order.append(key)
        else:
            first_line, action = actions[key]
            for column, value in head.items():
                if action.get(column) not in (None, value):
                    problems.append(
                        _problem(
                            name,
                            line,
                            f"differs from row {first_line} of the same {kind} "
                            f"({action[column]!r} vs {value!r})",
                            column,
                        )
                    )
        if has_sub:
            actions[key][1].setdefault(list_name, []).append(
                {k: v for k, v in sub.items() if v not in (None, "")}
            )
    if problems:
        raise Problems(problems)
    return [actions[k] for k in order]


def _read_csv(name: str, text: str) -> list[ActionRequest]:
    reader = csv.DictReader(io.StringIO(text), delimiter=_csv_dialect(text))
    try:
        columns = set(reader.fieldnames or [])
        missing = {"type", "orderId"} - columns
        if missing:
            raise Problems(
                [_problem(name, 1, f"the header lacks the column(s) {', '.join(sorted(missing))}")]
            )
        rows = [
            (n + 2, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)})
            for n, row in enumerate(reader)
        ]
    except csv.Error as e:  # a field over the csv module's size limit, a NUL byte ...
        raise Problems([_problem(name, reader.line_num or None, f"is not valid CSV: {e}")]) from None
    requests, problems = [], []
    for line, raw in _group_csv(name, rows):
        try:
            requests.append(parse_action(raw, source=name, row=line))
        except Problems as e:
            problems.extend(e.problems)
    if problems:
        raise Problems(problems)
    return requests


def read_action_file(path: Path) -> list[ActionRequest]:
    """The actions of one ``.json`` or ``.csv`` file, invoices before tracking updates.

    Raises:
        Problems: every problem of the file (none of its actions should be queued).
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise Problems([_problem(path.name, None, f"is larger than {MAX_FILE_BYTES} bytes ({size})")])
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise Problems([_problem(path.name, None, "is gone")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise Problems([_problem(path.name, None, f"cannot be read: {e}")]) from None
    requests = _read_json(path.name, text) if path.suffix.lower() == ".json" else _read_csv(path.name, text)
    if not requests:
        raise Problems([_problem(path.name, None, "contains no action")])
    return sorted(requests, key=lambda r: _KIND_ORDER[r.kind])  # stable: file order within a kind


def _unexpected(source: str, error: Exception, row: int | None = None) -> Problems:
    """An error no check foresaw, as the problem of the one file or row that caused it."""
    _log.error("actions from %s%s refused: %s", source, f" row {row}" if row else "", error, exc_info=error)
    message = f"could not be read: {type(error).__name__}: {str(error)[:200]}"
    return Problems([_problem(source, row, message)])


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    if not target.exists():
        return target
    stem, dot, suffix = name.partition(".")
    return folder / f"{stem}.{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}{dot}{suffix}"


def _write_json(path: Path, data: Any) -> None:
    tmp = temp_path(path)
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _action_error(action: Action | None, action_id: int, row: Any) -> dict[str, Any]:
    if action is None:
        return {"actionId": action_id, "row": row, "state": "missing", "message": "the action is gone"}
    return {
        "actionId": action.id,
        "row": row,
        "kind": action.kind,
        "orderId": action.order_id,
        "state": action.state,
        "vtexStatus": action.vtex_status,
        "vtexMessage": action.vtex_message,
    }


class FolderSource:
    """The actions folder; see the module docstring. Synchronous: run :meth:`scan` in a thread."""

    def __init__(self, root: Path, *, store: StateStore, account: str, min_age_s: float = 0.5) -> None:
        self.root = Path(root)
        self.store = store
        self.account = account
        self.min_age_s = min_age_s
        self.processing = self.root / "processing"
        self.done = self.root / "done"
        self.rejected = self.root / "rejected"
        for folder in (self.root, self.processing, self.done, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)
        for folder in (self.processing, self.rejected):  # our own temporary files, of a killed process
            clean_temp_files(folder)

    def candidates(self) -> list[Path]:
        """Files ready to be taken, oldest first."""
        now = time.time()
        found = []
        for entry in os.scandir(self.root):
            name = entry.name
            if not entry.is_file() or name.startswith(".") or name.endswith(".tmp"):
                continue
            if not name.lower().endswith(_SUFFIXES):
                continue
            mtime = entry.stat().st_mtime
            if now - mtime < self.min_age_s:
                continue
            found.append((mtime, name))
        return [self.root / name for _, name in sorted(found)]

    def scan(self) -> ScanReport:
        """Take new files, then settle the files in ``processing/``."""
        report = ScanReport()
        for path in self.candidates():
            self._take(path, report)
        self.settle(report)
        return report

    def _take(self, path: Path, report: ScanReport) -> None:
        try:
            requests = read_action_file(path)
            queued = enqueue(self.store, self.account, requests)
        except VtexbridgeError as e:  # the state store is away: the file stays for the next scan
            _log.warning("actions file %s not taken now: %s", path.name, e.user_message)
            report.problems.append(f"{path.name}: {e.user_message}")
            return
        except Exception as e:
            # Problems found while reading, or anything this file provoked: it alone is refused.
            problems = e if isinstance(e, Problems) else _unexpected(path.name, e)
            try:
                self._reject(path, {"file": path.name, "stage": "read", "errors": problems.as_json()})
            except FileNotFoundError:
                return  # another worker took it meanwhile
            report.files_rejected += 1
            report.problems.extend(p.user_message for p in problems.problems)
            return
        manifest = {
            "file": path.name,
            "queuedAt": datetime.now(UTC).isoformat(),
            "actions": [
                {"id": q.id, "row": q.request.source_ref, "kind": q.request.kind.value} for q in queued
            ],
        }
        target = _free_name(self.processing, path.name)
        manifest_path = self.processing / f".{target.name}.actions.json"
        _write_json(manifest_path, manifest)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            manifest_path.unlink(missing_ok=True)  # another worker took it meanwhile (same actions)
            return
        report.files_taken += 1
        report.actions_queued += sum(1 for q in queued if q.new)
        report.actions_existing += sum(1 for q in queued if not q.new)

    def _reject(self, path: Path, error: dict[str, Any]) -> Path:
        target = _free_name(self.rejected, path.name)
        error_path = self.rejected / f"{target.name}.error.json"
        _write_json(error_path, error)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            error_path.unlink(missing_ok=True)
            raise
        _log.warning("actions file %s rejected: see %s.error.json", path.name, target)
        return target

    def settle(self, report: ScanReport | None = None) -> None:
        """Move files whose actions have all finished to ``done/`` or ``rejected/``."""
        for manifest_path in sorted(self.processing.glob(".*.actions.json")):
            name = manifest_path.name[1 : -len(".actions.json")]
            file_path = self.processing / name
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                _log.warning("cannot read %s: %s", manifest_path, e)
                continue
            entries = manifest.get("actions") or []
            actions = [(e, self.store.actions.get(int(e["id"]))) for e in entries]
            if any(a is not None and not ActionState(a.state).terminal for _, a in actions):
                continue
            failed = [
                _action_error(a, int(e["id"]), e.get("row"))
                for e, a in actions
                if a is None or a.state in _FAILED
            ]
            if not file_path.exists():
                manifest_path.unlink(missing_ok=True)
                continue
            try:
                if failed:
                    error = {"file": manifest.get("file", name), "stage": "vtex", "errors": failed}
                    self._reject(file_path, error)
                else:
                    os.replace(file_path, _free_name(self.done, name))
                    if report is not None:
                        report.files_done += 1
            except FileNotFoundError:
                pass  # another worker settled it meanwhile
            manifest_path.unlink(missing_ok=True)


class SqlOutboxSource:
    """The ERP's SQL outbox table; see the module docstring. Synchronous: run :meth:`scan` in a thread."""

    def __init__(self, url: str, *, table: str, store: StateStore, account: str, batch: int = 500) -> None:
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        schema, _, name = table.rpartition(".")
        md = sa.MetaData()
        self.table = sa.Table(
            name,
            md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("status", sa.String(16), index=True),
            sa.Column("message", sa.Text),
            sa.Column("action_id", sa.BigInteger),
            sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
            sa.Column("updated_at", sa.DateTime(timezone=True)),
            schema=schema or None,
        )
        self.metadata = md
        self.store = store
        self.account = account
        self.batch = batch
        self._created = False

    def close(self) -> None:
        self.engine.dispose()

    def scan(self) -> ScanReport:
        report = ScanReport()
        try:
            if not self._created:
                self.metadata.create_all(self.engine, checkfirst=True)
                self._created = True
            self._take(report)
            self._settle()
        except SQLAlchemyError as e:
            report.problems.append(f"SQL outbox {self.table.fullname}: {e}")
            _log.warning("reading the SQL outbox %s failed: %s", self.table.fullname, e)
        return report

    def _take(self, report: ScanReport) -> None:
        t = self.table
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.payload).where(t.c.status.is_(None)).order_by(t.c.id).limit(self.batch)
            ).all()
            now = datetime.now(UTC)
            source = f"sql:{t.fullname}"
            for row_id, text in rows:
                values: dict[str, Any]
                try:
                    if not isinstance(text, str) or len(text) > MAX_FILE_BYTES:
                        message = (
                            f"payload must be one action as JSON text (at most {MAX_FILE_BYTES} characters)"
                        )
                        raise Problems([_problem(source, row_id, message)])
                    raw = _load_json(source, row_id, text)
                    request = parse_action(raw, source=source, row=row_id)
                    [queued] = enqueue(self.store, self.account, [request])
                except VtexbridgeError:
                    raise  # the state store is away: this row and the rest stay new for the next scan
                except Exception as e:  # the one row is invalid; the rest flows
                    problems = e if isinstance(e, Problems) else _unexpected(source, e, row_id)
                    values = {"status": "invalid", "message": str(problems)[:4000], "updated_at": now}
                    report.problems.extend(p.user_message for p in problems.problems)
                else:
                    values = {"status": "queued", "action_id": queued.id, "updated_at": now}
                    report.actions_queued += int(queued.new)
                    report.actions_existing += int(not queued.new)
                conn.execute(sa.update(t).where(t.c.id == row_id).values(values))

    def _settle(self) -> None:
        t = self.table
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.action_id).where(t.c.status == "queued").limit(self.batch)
            ).all()
            now = datetime.now(UTC)
            for row_id, action_id in rows:
                action = self.store.actions.get(int(action_id)) if action_id is not None else None
                if action is None or not ActionState(action.state).terminal:
                    continue
                conn.execute(
                    sa.update(t)
                    .where(t.c.id == row_id)
                    .values(status=action.state, message=action.vtex_message, updated_at=now)
                )
