"""What an operator sees: read-only summaries of the state store (the dashboard and ``/metrics``).

Every function here reads through :class:`~vtexbridge.state.store.StateStore` methods (counts and
short lists; never a scan of a whole table) and returns frozen values that templates and the
metrics collector render. Nothing here writes, except :class:`ProgressPublisher`, which a running
sync uses to share its live progress with any dashboard reading the same store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vtexbridge.order_status import current_status
from vtexbridge.orders.settings import DEFAULT_STATUSES
from vtexbridge.state.models import Action, EntityError, OrderState, Run
from vtexbridge.state.store import StateStore

__all__ = [
    "PROGRESS_SCOPE",
    "KindCounts",
    "OrderRow",
    "PipelineOverview",
    "ProgressPublisher",
    "PublishingProgress",
    "RunView",
    "SyncProgress",
    "TimelineEntry",
    "journal_of",
    "order_stage",
    "order_timeline",
    "pipeline_overview",
    "publishing",
    "read_progress",
    "run_view",
]

PROGRESS_SCOPE = "sync:progress"
JOURNAL_SCOPE = "orders:journal:"
STUCK_AFTER_S = 300.0
WRITE_ACTIONS = ("create", "update", "activate", "deactivate", "link", "unlink")
PLAN_ACTIONS = (*WRITE_ACTIONS, "unchanged", "failed", "blocked")


def _now() -> datetime:
    return datetime.now(UTC)


def _age(moment: datetime | None, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment is not None else 0.0


# --- sync runs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindCounts:
    """One entity kind of a run: records per action/outcome."""

    kind: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class RunView:
    """A sync run as the dashboard shows it."""

    run: Run
    duration_s: float | None
    kinds: list[KindCounts]
    outcomes: list[str]
    records: int
    written: int

    @property
    def request_rate(self) -> float | None:
        """VTEX requests per second achieved (None while running or when instantaneous)."""
        if not self.duration_s or self.duration_s <= 0:
            return None
        return self.run.requests / self.duration_s

    @property
    def record_rate(self) -> float | None:
        if not self.duration_s or self.duration_s <= 0:
            return None
        return self.records / self.duration_s


def run_view(run: Run, now: datetime | None = None) -> RunView:
    """Duration, counts per kind and outcome, totals of a run."""
    end = run.finished_at or (now or _now())
    duration = max(0.0, (end - run.started_at).total_seconds())
    kinds: list[KindCounts] = []
    outcomes: dict[str, None] = {}
    for kind, per_kind in run.counts.items():
        if not isinstance(per_kind, Mapping):
            continue
        counts = {
            str(k): int(v) for k, v in per_kind.items() if isinstance(v, int) and not isinstance(v, bool)
        }
        for o in counts:
            outcomes.setdefault(o)
        kinds.append(KindCounts(str(kind), counts))
    ordered = [a for a in PLAN_ACTIONS if a in outcomes] + sorted(
        o for o in outcomes if o not in PLAN_ACTIONS
    )
    records = sum(k.total for k in kinds)
    written = sum(n for k in kinds for o, n in k.counts.items() if o in WRITE_ACTIONS)
    return RunView(run, duration, kinds, ordered, records, written)


# --- live progress --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """The live progress of a running sync, as last published."""

    run_id: int | None
    kinds: dict[str, dict[str, int]]
    updated_at: datetime | None
    finished: bool

    @property
    def done(self) -> int:
        return sum(v.get("done", 0) for v in self.kinds.values())

    @property
    def total(self) -> int:
        return sum(v.get("total", 0) for v in self.kinds.values())

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.finished else 0)


class ProgressPublisher:
    """Shares a running sync's progress through the state store (``kv`` scope ``sync:progress``).

    The sync calls :meth:`update` as steps complete (cheap: the store is written at most every
    ``interval_s``) and :meth:`finish` at the end. A dashboard in any process reads it with
    :func:`read_progress`. Thread-safe.
    """

    def __init__(
        self, store: StateStore, account: str, run_id: int | None = None, *, interval_s: float = 0.5
    ) -> None:
        self.store = store
        self.account = account
        self.run_id = run_id
        self.interval_s = interval_s
        self._kinds: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()
        self._last = 0.0

    def update(
        self, kind: str, *, done: int | None = None, total: int | None = None, advance: int = 0
    ) -> None:
        """Set ``kind``'s total or done count, or ``advance`` its done count; publishes now and then."""
        with self._lock:
            entry = self._kinds.setdefault(kind, {"done": 0, "total": 0})
            if total is not None:
                entry["total"] = total
            if done is not None:
                entry["done"] = done
            entry["done"] += advance
            due = time.monotonic() - self._last >= self.interval_s
        if due:
            self.publish()

    def publish(self, *, finished: bool = False) -> None:
        with self._lock:
            self._last = time.monotonic()
            value: dict[str, Any] = {
                "run_id": self.run_id,
                "kinds": {k: dict(v) for k, v in self._kinds.items()},
                "updated_at": _now().isoformat(),
                "finished": finished,
            }
        self.store.values.put(PROGRESS_SCOPE, self.account, value)

    def finish(self) -> None:
        self.publish(finished=True)


class PublishingProgress:
    """A sync :class:`~vtexbridge.sync.apply.Progress` that publishes to the store, and forwards to
    another progress (the CLI's bars) when given."""

    def __init__(self, publisher: ProgressPublisher, inner: Any = None) -> None:
        self.publisher = publisher
        self.inner = inner

    def start(self, totals: Mapping[Any, int]) -> None:
        for kind, n in totals.items():
            self.publisher.update(_kind_name(kind), total=n, done=0)
        self.publisher.publish()
        if self.inner is not None:
            self.inner.start(totals)

    def advance(self, kind: Any, n: int = 1) -> None:
        self.publisher.update(_kind_name(kind), advance=n)
        if self.inner is not None:
            self.inner.advance(kind, n)


def publishing(progress: Any, store: StateStore, account: str, run_id: int) -> PublishingProgress:
    """``progress`` (any sync progress, or None) also publishing to ``store`` under ``run_id``, so that
    a dashboard shows every running sync, whoever started it; a publishing one just gets the run id."""
    if isinstance(progress, PublishingProgress):
        progress.publisher.run_id = run_id
        return progress
    return PublishingProgress(ProgressPublisher(store, account, run_id), progress)


def _kind_name(kind: Any) -> str:
    return str(getattr(kind, "value", kind))


def read_progress(store: StateStore, account: str) -> SyncProgress | None:
    """The last published progress of ``account``'s sync, or None when none was ever published."""
    value = store.values.get(PROGRESS_SCOPE, account)
    if not isinstance(value, dict):
        return None
    kinds_raw = value.get("kinds")
    kinds: dict[str, dict[str, int]] = {}
    if isinstance(kinds_raw, dict):
        for k, v in kinds_raw.items():
            if isinstance(v, dict):
                kinds[str(k)] = {str(a): int(b) for a, b in v.items() if isinstance(b, int)}
    run_id = value.get("run_id")
    return SyncProgress(
        run_id if isinstance(run_id, int) else None,
        kinds,
        _parse(value.get("updated_at")),
        bool(value.get("finished")),
    )


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the order pipeline ---------------------------------------------------------------------------


def journal_of(store: StateStore, account: str, order_id: str) -> dict[str, Any]:
    """An order's journal (events seen, last errors, notes) as the orders flow keeps it."""
    value = store.values.get(JOURNAL_SCOPE + account, order_id)
    return value if isinstance(value, dict) else {"seen": [], "errors": [], "notes": []}


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order in a dashboard list: its state, age and what last happened to it."""

    state: OrderState
    age_s: float
    last_event: str | None
    last_error: str | None
    stage: str = ""
    current: str = ""  # VTEX's status as best known here (vtexbridge.order_status)


@dataclass(frozen=True, slots=True)
class PipelineOverview:
    by_status: dict[str, int]
    stages: dict[str, int]
    delivered_statuses: list[str]
    undelivered: int
    oldest_undelivered_s: float
    stuck: list[OrderRow]
    recent: list[OrderRow]
    actions_by_state: dict[str, int]
    oldest_pending_action_s: float
    rejected_actions: list[Action] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def _row(store: StateStore, account: str, state: OrderState, now: datetime) -> OrderRow:
    journal = journal_of(store, account, state.order_id)
    seen = journal.get("seen") or []
    errors = journal.get("errors") or []
    last_event = None
    if seen and isinstance(seen[-1], dict):
        s = seen[-1]
        last_event = (
            f"{s.get('source', '?')}: {s.get('status') or s.get('event') or '?'} ({s.get('outcome', '?')})"
        )
    last_error = None
    if errors and isinstance(errors[-1], dict):
        e = errors[-1]
        last_error = f"{e.get('step', '?')}: {e.get('message', '')}"
    age = _age(state.status_changed_at or state.first_seen_at, now)
    done = store.actions.list_for(account, order_id=state.order_id, states=["done"], limit=50)
    current = current_status(store, account, state, done).label
    return OrderRow(state, age, last_event, last_error, order_stage(store, account, state), current)


def order_stage(store: StateStore, account: str, state: OrderState) -> str:
    """Where the order is in *our* pipeline: what the ERP received and what VTEX accepted back."""
    done = {
        a.kind for a in store.actions.list_for(account, order_id=state.order_id, states=["done"], limit=50)
    }
    if "cancel" in done or state.last_status in ("canceled", "cancellation-requested"):
        return "canceled"
    if "invoice" in done:
        return "invoiced, tracking sent" if "tracking" in done else "invoiced"
    delivered = store.orders.list_deliveries(account, state.order_id)
    if state.handling_started_at is not None:
        return "in the ERP, handling"
    if delivered:
        return "in the ERP"
    return "waiting for the ERP"


def pipeline_overview(
    store: StateStore,
    account: str,
    *,
    statuses: Iterable[str] | None = None,
    stuck_after_s: float = STUCK_AFTER_S,
    recent: int = 0,
    now: datetime | None = None,
) -> PipelineOverview:
    """Orders by status, the undelivered ones (stuck past ``stuck_after_s``), actions by state.

    ``recent`` > 0 also lists that many recently updated orders with their last event (one journal
    read each); rejected and failed actions are listed only then as well.
    """
    now = now or _now()
    delivered = list(statuses) if statuses is not None else list(DEFAULT_STATUSES)
    undelivered, oldest = store.orders.list_undelivered(account, delivered, limit=20)
    oldest_s = _age(oldest[0].status_changed_at or oldest[0].updated_at, now) if oldest else 0.0
    stuck_states = [o for o in oldest if _age(o.status_changed_at or o.updated_at, now) >= stuck_after_s]
    actions = store.actions.count(account)
    pending = store.actions.list_for(account, states=["pending"], limit=1)
    oldest_action_s = _age(pending[0].created_at, now) if pending else 0.0
    rows: list[OrderRow] = []
    stuck: list[OrderRow] = []
    rejected: list[Action] = []
    if recent > 0:
        rows = [_row(store, account, o, now) for o in store.orders.list_recent(account, limit=recent)]
        stuck = [_row(store, account, o, now) for o in stuck_states]
        rejected = store.actions.list_for(account, states=["rejected", "failed"], limit=50)
    else:
        stuck = [
            OrderRow(o, _age(o.status_changed_at or o.updated_at, now), None, None) for o in stuck_states
        ]
    return PipelineOverview(
        by_status=store.orders.count_by_status(account),
        stages=store.orders.count_stages(account),
        delivered_statuses=delivered,
        undelivered=undelivered,
        oldest_undelivered_s=oldest_s,
        stuck=stuck,
        recent=rows,
        actions_by_state=actions,
        oldest_pending_action_s=oldest_action_s,
        rejected_actions=rejected,
    )


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime | None
    what: str
    detail: str = ""
    level: str = "info"  # info, ok, error


def order_timeline(store: StateStore, account: str, order_id: str) -> list[TimelineEntry]:
    """Everything known about one order, oldest first: events seen, ERP deliveries, start handling,
    actions and their answers, errors."""
    entries: list[TimelineEntry] = []
    state = store.orders.get(account, order_id)
    if state is not None:
        entries.append(TimelineEntry(state.first_seen_at, "first seen"))
        if state.handling_started_at is not None:
            entries.append(
                TimelineEntry(state.handling_started_at, "start handling accepted by VTEX", level="ok")
            )
    journal = journal_of(store, account, order_id)
    for s in journal.get("seen") or []:
        if isinstance(s, dict):
            what = f"event from {s.get('source', '?')}"
            detail = (
                f"announced {s.get('event') or '-'}, found {s.get('status') or '-'}: {s.get('outcome', '?')}"
            )
            if s.get("handling"):
                detail += f"; handling {s['handling']}"
            entries.append(TimelineEntry(_parse(s.get("at")), what, detail))
    for e in journal.get("errors") or []:
        if isinstance(e, dict):
            entries.append(
                TimelineEntry(
                    _parse(e.get("at")), f"error at {e.get('step', '?')}", str(e.get("message", "")), "error"
                )
            )
    for n in journal.get("notes") or []:
        if isinstance(n, dict):
            entries.append(TimelineEntry(_parse(n.get("at")), str(n.get("note", "")), ""))
    for d in store.orders.list_deliveries(account, order_id):
        entries.append(
            TimelineEntry(
                d.accepted_at, f"delivered to the ERP ({d.status})", f"{d.sink}: {d.erp_ref or ''}", "ok"
            )
        )
    for a in store.actions.list_for(account, order_id=order_id, limit=200):
        entries.append(TimelineEntry(a.created_at, f"{a.kind} queued", a.source_ref or ""))
        if a.done_at is not None:
            level = "ok" if a.state == "done" else "error"
            detail = a.vtex_message or ""
            if a.vtex_status:
                detail = f"HTTP {a.vtex_status} {detail}".strip()
            entries.append(TimelineEntry(a.done_at, f"{a.kind} {a.state}", detail, level))
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: e.at or floor)


def errors_by_kind(errors: Iterable[EntityError]) -> dict[str, list[EntityError]]:
    out: dict[str, list[EntityError]] = {}
    for e in errors:
        out.setdefault(e.kind, []).append(e)
    return out
