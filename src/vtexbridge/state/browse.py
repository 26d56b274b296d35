"""Read-only queries for the operator's pages and reports: paged, searchable lists of runs, orders
and entity errors, and what the order pipeline finished since a moment.

Kept beside the store's repositories (using their read transactions, ``store.db.read()``) rather
than in one: they serve the dashboard and the CLI's reports only, and never write. Every list is
bounded (``limit`` at most :data:`MAX_PAGE`) and ordered so that pages are stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from vtexbridge.state.models import Action, EntityError, OrderState, Run
from vtexbridge.state.store import StateStore
from vtexbridge.state.tables import action_outbox, entity_error, hook_inbox, order_state, sync_run

__all__ = [
    "MAX_PAGE",
    "MAX_SEARCH",
    "Page",
    "finished_actions_since",
    "inbox_since",
    "page_errors",
    "page_orders",
    "page_runs",
]

MAX_PAGE = 200
MAX_SEARCH = 100
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its rows, how many match in all, and where it starts."""

    rows: list[T]
    total: int
    offset: int
    limit: int

    @property
    def previous(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def next(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def _like(text: str) -> str:
    escaped = text[:MAX_SEARCH].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _contains(column: Any, text: str) -> Any:
    return sa.func.lower(column).like(_like(text), escape="\\")


def _page(
    store: StateStore, select: sa.Select[Any], where: list[Any], order: list[Any], offset: int, limit: int
) -> tuple[list[Any], int]:
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    stmt = select.where(*where)
    count = sa.select(sa.func.count()).select_from(stmt.subquery())
    with store.db.read() as conn:
        total = int(conn.execute(count).scalar_one())
        rows = list(conn.execute(stmt.order_by(*order).offset(offset).limit(limit)))
    return rows, total


def page_runs(
    store: StateStore,
    account: str,
    *,
    flow: str = "sync",
    search: str = "",
    offset: int = 0,
    limit: int = 25,
) -> Page[Run]:
    """Runs, newest first; ``search`` matches a status, a holder, a message, or a run id."""
    t = sync_run
    where: list[Any] = [t.c.account == account, t.c.flow == flow]
    text = search.strip()
    if text:
        matches = [_contains(t.c.status, text), _contains(t.c.holder, text), _contains(t.c.message, text)]
        if text.lstrip("#").isdigit():
            matches.append(t.c.id == int(text.lstrip("#")[:18]))
        where.append(sa.or_(*matches))
    rows, total = _page(store, sa.select(t), where, [t.c.id.desc()], offset, limit)
    return Page([Run(**r._mapping) for r in rows], total, max(0, offset), max(1, min(limit, MAX_PAGE)))


def page_orders(
    store: StateStore, account: str, *, search: str = "", offset: int = 0, limit: int = 25
) -> Page[OrderState]:
    """Orders known to the pipeline, most recently updated first; ``search`` matches the order id or
    the last status seen."""
    t = order_state
    where: list[Any] = [t.c.account == account]
    text = search.strip()
    if text:
        where.append(sa.or_(_contains(t.c.order_id, text), _contains(t.c.last_status, text)))
    order = [t.c.updated_at.desc(), t.c.order_id.desc()]
    rows, total = _page(store, sa.select(t), where, order, offset, limit)
    return Page([OrderState(**r._mapping) for r in rows], total, max(0, offset), max(1, min(limit, MAX_PAGE)))


def page_errors(
    store: StateStore,
    account: str,
    *,
    kind: str | None = None,
    run_id: int | None = None,
    search: str = "",
    offset: int = 0,
    limit: int = 25,
) -> Page[EntityError]:
    """Entities in error, most recent first; ``run_id``: those recorded by that run; ``search``
    matches the ERP key, field, message, VTEX's message or the source."""
    t = entity_error
    where: list[Any] = [t.c.account == account]
    if kind:
        where.append(t.c.kind == kind)
    if run_id is not None:
        where.append(t.c.run_id == run_id)
    text = search.strip()
    if text:
        columns = (t.c.erp_key, t.c.field, t.c.message, t.c.vtex_message, t.c.source)
        where.append(sa.or_(*(_contains(c, text) for c in columns)))
    order = [t.c.last_seen.desc(), t.c.kind, t.c.erp_key]
    rows, total = _page(store, sa.select(t), where, order, offset, limit)
    return Page(
        [EntityError(**r._mapping) for r in rows], total, max(0, offset), max(1, min(limit, MAX_PAGE))
    )


def finished_actions_since(store: StateStore, account: str, since: datetime) -> list[Action]:
    """Actions that reached a final state (done, rejected, failed, cancelled) at or after ``since``."""
    t = action_outbox
    stmt = sa.select(t).where(t.c.account == account, t.c.done_at >= since).order_by(t.c.id)
    with store.db.read() as conn:
        return [Action(**r._mapping) for r in conn.execute(stmt)]


def inbox_since(store: StateStore, account: str, since: datetime) -> tuple[int, int]:
    """Hook notifications processed at or after ``since``, and how many are still waiting."""
    t = hook_inbox
    done = sa.select(sa.func.count()).where(t.c.account == account, t.c.done_at >= since)
    waiting = sa.select(sa.func.count()).where(t.c.account == account, t.c.state != "done")
    with store.db.read() as conn:
        return int(conn.execute(done).scalar_one()), int(conn.execute(waiting).scalar_one())
