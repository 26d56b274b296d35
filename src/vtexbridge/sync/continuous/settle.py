"""What becomes of each queued change once its cycle's plan was applied.

A unit is *done* when the plan and the executor found nothing wrong with it (sent and accepted, or
unchanged); every change it replaced (coalesced) is done with it. VTEX refusing it
(:class:`~vtexbridge.errors.RecordRejected`) marks it *failed* at once; anything else (a parent not
known yet, a transient failure the client gave up on, a dependency held back) puts it back for a later
try, until ``max_attempts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from vtexbridge.erp.records import KEY_SEPARATOR
from vtexbridge.errors import RecordRejected, VtexbridgeError
from vtexbridge.state.store import StateStore
from vtexbridge.sync.apply import ApplyResult, error_row
from vtexbridge.sync.continuous.plan import Delta
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.steps import Plan, PlanError

__all__ = ["Settlement", "record_plan_errors", "settle"]


@dataclass
class Settlement:
    """Queue ids by outcome (with the error message of each group given back or failed)."""

    done: list[int] = field(default_factory=list)
    received: list[datetime] = field(default_factory=list)
    """Arrival of every change done (the latency histogram's observations)."""
    retry: dict[str, list[int]] = field(default_factory=dict)
    failed: dict[str, list[int]] = field(default_factory=dict)


def settle(delta: Delta, plan: Plan, result: ApplyResult | None, max_attempts: int) -> Settlement:
    """Sort the delta's changes into done, to retry and failed (see the module docstring)."""
    problems: dict[tuple[str, str], tuple[VtexbridgeError, bool]] = {}
    for e in plan.errors:
        unit = _unit_of(e, delta)
        if unit is not None:
            problems.setdefault(unit, (e.error, False))
    for e in result.errors if result is not None else ():
        unit = _unit_of(e, delta)
        if unit is not None:
            permanent = isinstance(e.error, RecordRejected)
            if permanent or unit not in problems:
                problems[unit] = (e.error, permanent)
    out = Settlement()
    by_id = {c.id: c for c in (*delta.latest.values(), *delta.replaced)}
    for unit, change in delta.latest.items():
        ids = delta.ids_of(unit)
        problem = problems.get(unit)
        if problem is None:
            out.done.extend(ids)
            out.received.extend(by_id[i].received_at for i in ids)
            continue
        error, permanent = problem
        target = out.failed if permanent or change.attempts >= max_attempts else out.retry
        target.setdefault(error.user_message[:2000], []).extend(ids)
    return out


def _unit_of(e: PlanError, delta: Delta) -> tuple[str, str] | None:
    """The unit an error is about: its own (kind, key), or a product's for one of its links."""
    if e.key is None:
        return None
    unit = (e.kind.value, e.key)
    if unit in delta.latest:
        return unit
    if e.kind is Kind.TRADE_POLICY:
        owner = (Kind.PRODUCT.value, e.key.split(KEY_SEPARATOR, 1)[0])
        return owner if owner in delta.latest else None
    return None


def record_plan_errors(store: StateStore, account: str, plan: Plan) -> None:
    """The plan's errors recorded (the dashboard's entities in error), the ones it cleared removed."""
    for kind, keys in plan.cleared.items():
        store.entities.clear_errors(account, kind.value, keys)
    rows = [error_row(e.kind, e.key, e.error) for e in plan.errors]
    if rows:
        store.entities.record_errors(account, rows, run_id=None)
