"""The dashboard's panels: what each page shows, gathered from the state store in one call.

Each function is synchronous (the store is) and is run off the event loop by the route; each
returns a plain mapping for its template. The figures themselves come from
:mod:`vtexbridge.overview`, which ``/metrics`` shares, so that the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vtexbridge.order_status import current_status
from vtexbridge.overview import (
    RunView,
    order_timeline,
    pipeline_overview,
    read_progress,
    run_view,
)
from vtexbridge.providers.overview import providers_overview
from vtexbridge.state.models import RunStatus
from vtexbridge.state.store import StateStore

__all__ = [
    "PanelSource",
    "errors_panel",
    "home",
    "order_page",
    "pipeline_panel",
    "progress_panel",
    "providers_panel",
    "run_changes",
    "run_page",
    "runs_panel",
    "short_source",
    "summary_panel",
]

RUNS_SHOWN = 10
ERRORS_SHOWN = 25
RECENT_ORDERS = 15
PROGRESS_FRESH_S = 30.0


@dataclass(frozen=True, slots=True)
class PanelSource:
    """Where the panels read from."""

    store: StateStore
    account: str
    statuses: list[str]
    stuck_after_s: float = 300.0
    erp_root: Path | None = None  # error sources are shown relative to it


def short_source(source: str | None, erp_root: Path | None) -> str:
    """An error's source (``/srv/erp/in/skus.csv:14``) relative to the ERP folder (``skus.csv:14``);
    another absolute path keeps its last two parts (``…/in/skus.csv:14``)."""
    if not source:
        return ""
    if erp_root is not None:
        root = str(erp_root).rstrip("/") + "/"
        if source.startswith(root):
            return source[len(root) :]
    if source.startswith("/"):
        parts = source.split("/")
        return "…/" + "/".join(parts[-2:]) if len(parts) > 3 else source
    return source


CHANGE_WORDS = (
    ("create", "new"),
    ("update", "updated"),
    ("activate", "activated"),
    ("deactivate", "deactivated"),
    ("link", "linked"),
    ("unlink", "unlinked"),
    ("failed", "failed"),
    ("blocked", "held back"),
)


def run_changes(view: RunView) -> list[dict[str, Any]]:
    """Per entity kind, what the run changed (``sku``: ``150 new, 2 failed``); kinds where nothing
    changed are left out."""
    out = []
    for k in view.kinds:
        said = [f"{k.counts[o]} {word}" for o, word in CHANGE_WORDS if k.counts.get(o)]
        if said:
            title = ", ".join(f"{o} {n}" for o, n in k.counts.items())
            bad = bool(k.counts.get("failed") or k.counts.get("blocked"))
            out.append({"kind": k.kind, "text": ", ".join(said), "title": title, "bad": bad})
    return out


def runs_panel(src: PanelSource, *, limit: int = RUNS_SHOWN) -> dict[str, Any]:
    now = datetime.now(UTC)
    runs = [run_view(r, now) for r in src.store.runs.list_recent(src.account, flow="sync", limit=limit)]
    return {"runs": runs, "last": runs[0] if runs else None}


def progress_panel(src: PanelSource) -> dict[str, Any]:
    """The running sync's live progress; ``running`` is false when no sync runs now."""
    progress = read_progress(src.store, src.account)
    running = src.store.runs.list_recent(src.account, flow="sync", limit=1)
    run = running[0] if running and running[0].status == RunStatus.RUNNING.value else None
    if progress is not None and run is not None and progress.run_id not in (None, run.id):
        progress = None  # published by an earlier run
    fresh = progress is not None and progress.updated_at is not None
    if fresh and progress is not None and progress.updated_at is not None:
        fresh = (datetime.now(UTC) - progress.updated_at).total_seconds() < PROGRESS_FRESH_S
    return {
        "running": run is not None,
        "run": run_view(run) if run is not None else None,
        "progress": progress if (run is not None or (fresh and progress and not progress.finished)) else None,
    }


def errors_panel(src: PanelSource, *, kind: str | None = None, limit: int = ERRORS_SHOWN) -> dict[str, Any]:
    counts = src.store.entities.count_errors(src.account)
    errors = src.store.entities.list_errors(src.account, kind, limit=limit)
    rows = [{"e": e, "source": short_source(e.source, src.erp_root)} for e in errors]
    return {"rows": rows, "error_counts": counts, "error_total": sum(counts.values()), "kind": kind}


def pipeline_panel(src: PanelSource) -> dict[str, Any]:
    overview = pipeline_overview(
        src.store, src.account, statuses=src.statuses, stuck_after_s=src.stuck_after_s, recent=RECENT_ORDERS
    )
    return {"pipeline": overview}


def providers_panel(src: PanelSource) -> dict[str, Any]:
    """The provider protocols (#14): transactions by outcome, decisions the ERP still owes."""
    return {"providers": providers_overview(src.store.engine)}


def summary_panel(src: PanelSource) -> dict[str, Any]:
    """The cards: the catalog VTEX accepted, errors, orders, actions."""
    entities = src.store.entities.count(src.account)
    counts = src.store.entities.count_errors(src.account)
    overview = pipeline_overview(
        src.store, src.account, statuses=src.statuses, stuck_after_s=src.stuck_after_s
    )
    return {
        "entities": dict(sorted(entities.items())),
        "entity_total": sum(entities.values()),
        "error_total": sum(counts.values()),
        "pipeline": overview,
        "changes": src.store.changes.overview(src.account),  # #13: the continuous sync's intake
    }


def home(src: PanelSource) -> dict[str, Any]:
    return {
        **summary_panel(src),
        **runs_panel(src),
        **progress_panel(src),
        **errors_panel(src),
        **pipeline_panel(src),
        **providers_panel(src),
    }


def run_page(src: PanelSource, run_id: int) -> dict[str, Any] | None:
    run = src.store.runs.get(run_id)
    if run is None or run.account != src.account:
        return None
    return {"view": run_view(run)}


def order_page(src: PanelSource, order_id: str) -> dict[str, Any] | None:
    state = src.store.orders.get(src.account, order_id)
    timeline = order_timeline(src.store, src.account, order_id)
    if state is None and not timeline:
        return None
    actions = src.store.actions.list_for(src.account, order_id=order_id, limit=200)
    deliveries = src.store.orders.list_deliveries(src.account, order_id)
    done = [a for a in actions if a.state == "done"]
    return {
        "current": current_status(src.store, src.account, state, done),
        "order_id": order_id,
        "state": state,
        "timeline": timeline,
        "actions": actions,
        "deliveries": deliveries,
    }
