"""The dashboard's lists: runs, orders and entities in error, paged and searchable; a run's errors.

Like :mod:`vtexbridge.web.panels`, each function reads the state store synchronously (the route runs
it off the event loop) and returns a mapping for its template. Query strings are bounded: a page
starts at ``offset`` (0 to :data:`MAX_OFFSET`), a search is at most
:data:`~vtexbridge.state.browse.MAX_SEARCH` characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vtexbridge.order_status import current_status
from vtexbridge.overview import journal_of, order_stage, run_view
from vtexbridge.state.browse import MAX_SEARCH, page_errors, page_orders, page_runs
from vtexbridge.state.models import EntityError, OrderState
from vtexbridge.untrusted import printable
from vtexbridge.web.panels import PanelSource, short_source

__all__ = [
    "ListQuery",
    "errors_list",
    "orders_list",
    "run_errors",
    "runs_list",
]

PAGE = 25
MAX_OFFSET = 10_000_000


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What a list page was asked for: a search, where the page starts, an entity kind."""

    search: str = ""
    offset: int = 0
    kind: str | None = None

    @property
    def cleared(self) -> ListQuery:
        """The same list without the search."""
        return ListQuery("", 0, self.kind)

    @classmethod
    def of(cls, params: Mapping[str, str]) -> ListQuery:
        raw = params.get("offset", "0")
        offset = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 9 else 0
        kind = (params.get("kind") or "")[:64] or None
        search = printable(params.get("q") or "")[:MAX_SEARCH].strip()  # no NUL: PostgreSQL refuses it
        return cls(search, min(offset, MAX_OFFSET), kind)


def _error_rows(errors: list[EntityError], erp_root: Path | None) -> list[dict[str, Any]]:
    return [{"e": e, "source": short_source(e.source, erp_root)} for e in errors]


def runs_list(src: PanelSource, query: ListQuery) -> dict[str, Any]:
    page = page_runs(src.store, src.account, search=query.search, offset=query.offset, limit=PAGE)
    now = datetime.now(UTC)
    return {"runs": [run_view(r, now) for r in page.rows], "page": page, "query": query}


def errors_list(src: PanelSource, query: ListQuery, erp_root: Path | None) -> dict[str, Any]:
    page = page_errors(
        src.store, src.account, kind=query.kind, search=query.search, offset=query.offset, limit=PAGE
    )
    counts = src.store.entities.count_errors(src.account)
    return {
        "rows": _error_rows(page.rows, erp_root),
        "error_counts": counts,
        "error_total": sum(counts.values()),
        "kind": query.kind,
        "page": page,
        "query": query,
    }


def run_errors(src: PanelSource, run_id: int, erp_root: Path | None) -> dict[str, Any]:
    """The entities still in error that ``run_id`` recorded (the first page)."""
    page = page_errors(src.store, src.account, run_id=run_id, limit=PAGE * 4)
    return {"rows": _error_rows(page.rows, erp_root), "page": page}


def _order_row(src: PanelSource, state: OrderState) -> dict[str, Any]:
    done = src.store.actions.list_for(src.account, order_id=state.order_id, states=["done"], limit=50)
    journal = journal_of(src.store, src.account, state.order_id)
    errors = [e for e in journal.get("errors") or [] if isinstance(e, dict)]
    deliveries = src.store.orders.list_deliveries(src.account, state.order_id)
    return {
        "state": state,
        "current": current_status(src.store, src.account, state, done),
        "stage": order_stage(src.store, src.account, state),
        "delivered": max((d.accepted_at for d in deliveries), default=None),
        "last_error": f"{errors[-1].get('step', '?')}: {errors[-1].get('message', '')}" if errors else None,
    }


def orders_list(src: PanelSource, query: ListQuery) -> dict[str, Any]:
    page = page_orders(src.store, src.account, search=query.search, offset=query.offset, limit=PAGE)
    return {"orders": [_order_row(src, s) for s in page.rows], "page": page, "query": query}
