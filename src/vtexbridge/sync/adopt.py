"""Adoption: VTEX is the truth of what exists. Match before creating; record the matches; re-plan.

A plan made against the state store creates whatever the state does not know: with an empty state
(a new installation against a filled store, a lost database) or one that lost its latest
transactions (a restored backup), that would be a second copy of everything VTEX already holds.
:func:`adopt_before_sync` runs between planning and applying:

1. the plan's creates are matched with VTEX's entities by natural key
   (:class:`~vtexbridge.sync.adopt_match.Matcher`, reading VTEX once per run through
   :class:`~vtexbridge.sync.adopt_vtex.VtexHoldings`);
2. each match becomes a state row: VTEX's id, and the payload hash when VTEX's copy is what we
   would send (nothing to do) or no hash when it differs (the next plan updates it);
3. the ERP is planned again over the state *with* those rows: the matched-and-equal records are
   unchanged, the differing ones are updates, the rest are creates;
4. an ambiguous record (two VTEX entities with its natural key) and everything that depends on it
   are held back with an error naming both ids.

A live sync records the rows before applying (so the state after the sync equals what a fresh sync
would have recorded); ``vtexbridge adopt`` records them and stops there (``--dry-run``: nothing
recorded); the next sync sends only the differences. Adoption never deactivates unless asked: what VTEX holds
and the ERP lacks is counted (``left alone``) and not touched; ``vtexbridge adopt --deactivate-missing``
deactivates those products and SKUs (:mod:`vtexbridge.sync.adopt_missing`).

**Cost in a sync.** Categories, brands, warehouses, docks and Master Data are listed; children are
looked up only under a parent that exists in VTEX; SKUs are looked up by RefId 50 at a time, and a
product only when one of its SKUs was found, so a first sync into an empty store pays a handful of
reads and one per 50 SKUs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.erp.records import Entity
from vtexbridge.errors import DependencyBlocked
from vtexbridge.state.models import Accepted, IndexEntry
from vtexbridge.state.store import StateStore
from vtexbridge.state.tables import HASH_SIZE
from vtexbridge.sync.adopt_match import Match, Matcher, Matches, same_copy
from vtexbridge.sync.adopt_missing import MISSING_KINDS, missing_plan
from vtexbridge.sync.adopt_missing import counts as missing_counts
from vtexbridge.sync.adopt_vtex import VtexHoldings
from vtexbridge.sync.config import SyncConfig
from vtexbridge.sync.graph import KIND_ORDER, Kind
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.plan import Snapshot, StateView, make_plan
from vtexbridge.sync.stateview import StoreView
from vtexbridge.sync.steps import Action, Plan, PlanError, Step
from vtexbridge.sync.stop import FailFastRetry, Reach
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.transport import Transport

__all__ = [
    "Adoption",
    "KindTally",
    "OverlayView",
    "adopt_before_sync",
    "hold_back",
    "state_rows",
]

NO_HASH = bytes(HASH_SIZE)
"""The hash recorded for a match whose VTEX copy differs: never a payload's, so it is updated."""


@dataclass
class KindTally:
    """One kind's adoption: matched unchanged, matched and updated, created, left alone in VTEX."""

    unchanged: int = 0
    updated: int = 0
    created: int = 0
    left_alone: int | None = None
    ambiguous: int = 0
    deactivated: int | None = None
    """What VTEX holds, the ERP lacks and ``--deactivate-missing`` switches off (None: not asked)."""

    def to_json(self) -> dict[str, int | None]:
        return {
            "matched_unchanged": self.unchanged,
            "matched_updated": self.updated,
            "created": self.created,
            "left_alone": self.left_alone,
            "ambiguous": self.ambiguous,
            "deactivated": self.deactivated,
        }


@dataclass
class Adoption:
    """What an adoption found: per-kind tallies, the state rows it records, the reads it took."""

    tallies: dict[Kind, KindTally] = field(default_factory=dict)
    rows: list[Accepted] = field(default_factory=list)
    matches: Matches = field(default_factory=Matches)
    reads: int = 0
    plan: Plan | None = None
    """The plan after adoption (what the next sync does)."""
    seconds: float = 0.0
    missing: Plan | None = None
    """``--deactivate-missing``: the deactivations of what VTEX holds and the ERP lacks."""
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per phase: ``plan`` (the ERP against the state), ``reads`` (matching, VTEX's reads),
    ``replan`` (the ERP against the state and the matches)."""
    applied: dict[str, Any] | None = None
    """``--deactivate-missing`` live: what the executor did (``deactivated``, ``failed``, ``requests``)."""

    @property
    def errors(self) -> list[PlanError]:
        return self.matches.ambiguous

    def diffs(self, key: str | None = None) -> list[dict[str, Any]]:
        """Field by field, what the next sync changes in each matched entity that differs (of ``key``
        and its links when given, like ``sync --show``)."""
        out = []
        for kind in KIND_ORDER:
            for k, m in sorted(self.matches.of(kind).items()):
                if m.same or (key is not None and k != key and not k.startswith(key + "|")):
                    continue
                rows = [
                    {"field": name, "wanted": value, "current": m.current.get(name), "changed": True}
                    for name, value in m.wanted.items()
                    if _field_differs(value, m.current, name)
                ]
                out.append({"kind": kind.value, "key": k, "vtex_id": m.vtex_id, "fields": rows})
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "kinds": {k.value: t.to_json() for k, t in self.tallies.items()},
            "reads": self.reads,
            "seconds": round(self.seconds, 3),
            "phases": self.phases,
            "next_sync_writes": None if self.plan is None else self.plan.writes,
            "deactivation": self.applied,
            "errors": [
                {"kind": e.kind.value, "key": e.key, "message": e.error.user_message} for e in self.errors
            ],
        }


def _field_differs(value: Any, current: dict[str, Any], name: str) -> bool:
    return name in current and not same_copy({name: value}, current)


def state_rows(matches: Matches) -> list[Accepted]:
    """The state rows of the matches (no hash for a differing copy: the next plan updates it)."""
    rows = []
    for kind in KIND_ORDER:
        for step_key, m in matches.of(kind).items():
            rows.append(_row(kind, step_key, m))
    return rows


def _row(kind: Kind, key: str, m: Match) -> Accepted:
    digest = m.digest if m.same and m.digest is not None else NO_HASH
    return Accepted(kind.value, key, m.vtex_id, digest, m.parent_key, m.active)


class OverlayView:
    """The state view with the adoption's rows on top (a dry run records nothing)."""

    def __init__(self, base: StateView, rows: Iterable[Accepted]) -> None:
        self.base = base
        self.rows: dict[str, dict[str, IndexEntry]] = {}
        for r in rows:
            self.rows.setdefault(r.kind, {})[r.erp_key] = IndexEntry(r.vtex_id, r.payload_hash, r.active)

    def index(self, kind: str) -> dict[str, IndexEntry]:
        out = self.base.index(kind)
        out.update(self.rows.get(kind, {}))
        return out

    def in_flight(self) -> Mapping[tuple[str, str], str]:
        return {k: op for k, op in self.base.in_flight().items() if k[1] not in self.rows.get(k[0], {})}

    def error_keys(self) -> Mapping[str, set[str]]:
        return self.base.error_keys()

    def known_parents(self) -> Mapping[str, Mapping[str, str | None]]:
        return self.base.known_parents()


def hold_back(plan: Plan, errors: list[PlanError]) -> None:
    """Remove the steps of ``errors``' records and every step that waits for them; count them blocked."""
    if not errors:
        return
    bad = {(e.kind, e.key) for e in errors}
    dead = _with_dependents(plan.steps, [s for s in plan.steps if (s.kind, s.key) in bad])
    for step in plan.steps:
        if id(step) in dead and step.main is None:
            _block(plan, step, (step.kind, step.key) in bad)
    planned = {(s.kind, s.key) for s in plan.steps}
    for e in errors:
        if (e.kind, e.key) not in planned:
            _count(plan, e.kind, Action.BLOCKED, 1)
    plan.errors.extend(errors)
    live = [s for s in plan.steps if id(s) not in dead]
    for i, s in enumerate(live):
        s.index = i
        s.deps = [d for d in s.deps if id(d) not in dead]
    plan.steps = live


def _with_dependents(steps: list[Step], roots: list[Step]) -> set[int]:
    """``id()`` of ``roots`` and of every step that waits for one of them, transitively."""
    children: dict[int, list[Step]] = {}
    for s in steps:
        for d in s.deps:
            children.setdefault(id(d), []).append(s)
    dead: set[int] = set()
    queue = list(roots)
    while queue:
        step = queue.pop()
        if id(step) not in dead:
            dead.add(id(step))
            queue.extend(children.get(id(step), ()))
    return dead


def _block(plan: Plan, step: Step, ambiguous: bool) -> None:
    """Count ``step``'s record blocked; a dependent gets an error saying why."""
    _count(plan, step.kind, step.action, -1)
    _count(plan, step.kind, Action.BLOCKED, 1)
    if not ambiguous and step.ref is not None:
        error = DependencyBlocked("held back: a record it depends on is ambiguous in VTEX", record=step.ref)
        plan.errors.append(PlanError(step.kind, step.key, error))


def _count(plan: Plan, kind: Kind, action: Action, n: int) -> None:
    per = plan.counts.setdefault(kind, {})
    per[action] = per.get(action, 0) + n
    if not per[action]:
        del per[action]


async def adopt_before_sync(
    settings: SyncConfig,
    store: StateStore,
    reader: Snapshot,
    plan: Plan,
    *,
    mapper: Mapper,
    only: Iterable[Entity] | None = None,
    sources: Mapping[Entity, str] | None = None,
    record: bool = True,
    full: bool = False,
    deactivate_missing: bool = False,
    http_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
) -> tuple[Plan, Adoption]:
    """Match ``plan``'s creates with VTEX, plan again over the matches, and (``record``) write the
    matches to the state store, their in-flight marks cleared: the entities are VTEX's, found.

    ``full`` (``vtexbridge adopt``): look every product and SKU up, and count what VTEX holds that
    the ERP lacks; otherwise (a sync) products and SKUs are looked up only when VTEX holds SKUs the
    state does not know. ``deactivate_missing`` (with ``full``): also plan the deactivation of the
    products and SKUs VTEX holds and neither the ERP nor the state knows (``adoption.missing``; run
    by :func:`~vtexbridge.sync.adopt_run.run_adopt`, not here).
    """
    account = settings.vtex.account
    adoption = Adoption()
    if not full and not any(s.action in (Action.CREATE, Action.LINK) for s in plan.steps):
        return plan, adoption
    reach = Reach()  # an unreachable host stops the run at once, as the executor's calls do
    transport = Transport(
        settings.vtex,
        http_transport=http_transport,
        clock=clock,
        metrics=TransportMetrics(CollectorRegistry()),
        retry_policy=FailFastRetry.for_run(settings.vtex, clock or SystemClock(), reach),
    )
    client = VtexClient(transport)
    try:
        holdings = VtexHoldings(client, concurrency=settings.vtex.max_connections, reach=reach)
        reading = time.perf_counter()
        listing = asyncio.ensure_future(holdings.product_sku_ids()) if full else None
        try:
            matches = await Matcher(holdings, mapper, full=full).match(plan)
            if listing is not None:  # what VTEX holds that neither the ERP nor the state knows
                _left_of(matches, await listing, store, account)
        finally:
            if listing is not None:
                listing.cancel()
        adoption.phases["reads"] = round(time.perf_counter() - reading, 3)
        replanning = time.perf_counter()
        adoption.matches = matches
        adoption.rows = state_rows(matches)
        view = OverlayView(StoreView(store, account), adoption.rows)
        # planning is CPU work: off the event loop (a server's, when the dashboard starts a sync)
        replanned = await asyncio.to_thread(
            make_plan, reader, view, mapper=mapper, only=only, sources=sources
        )
        hold_back(replanned, matches.ambiguous)
        adoption.phases["replan"] = round(time.perf_counter() - replanning, 3)
        if deactivate_missing:
            adoption.missing = await _missing(holdings, matches, replanned, store, account)
        adoption.tallies = await asyncio.to_thread(_tallies, replanned, adoption, store, account)
        adoption.reads = transport.sent
    finally:
        await client.aclose()
    if record and adoption.rows:
        await asyncio.to_thread(_record, store, account, adoption.rows)
    return replanned, adoption


def _left_of(matches: Matches, listing: dict[int, list[int]], store: StateStore, account: str) -> None:
    """The products and SKUs VTEX lists that the state does not know (matched ones are taken out
    when counting)."""
    known = {e.vtex_id for e in store.entities.load_index(account, Kind.SKU.value).values()}
    matches.left[Kind.SKU] = {str(i) for skus in listing.values() for i in skus if str(i) not in known}
    known = {e.vtex_id for e in store.entities.load_index(account, Kind.PRODUCT.value).values()}
    matches.left[Kind.PRODUCT] = {str(i) for i in listing if str(i) not in known}


async def _missing(
    holdings: VtexHoldings, matches: Matches, plan: Plan, store: StateStore, account: str
) -> Plan:
    known: dict[Kind, set[str]] = {}
    keys: dict[Kind, set[str]] = {}
    for kind in MISSING_KINDS:
        index = await asyncio.to_thread(store.entities.load_index, account, kind.value)
        known[kind] = {e.vtex_id for e in index.values() if e.vtex_id}
        keys[kind] = set(index)
    return await missing_plan(holdings, matches, plan, known, keys)


def _record(store: StateStore, account: str, rows: list[Accepted]) -> None:
    store.entities.record_accepted(account, rows)
    keys: dict[str, list[str]] = {}
    for row in rows:
        keys.setdefault(row.kind, []).append(row.erp_key)
    for kind, erp_keys in keys.items():
        store.entities.clear_in_flight(account, kind, erp_keys)


def _tallies(plan: Plan, adoption: Adoption, store: StateStore, account: str) -> dict[Kind, KindTally]:
    matches = adoption.matches
    deactivate = {} if adoption.missing is None else missing_counts(adoption.missing)
    out: dict[Kind, KindTally] = {}
    for kind in KIND_ORDER:
        found = matches.of(kind)
        tally = KindTally(
            unchanged=sum(1 for m in found.values() if m.same),
            updated=sum(1 for m in found.values() if not m.same),
            created=plan.count(kind, Action.CREATE) + plan.count(kind, Action.LINK),
            ambiguous=sum(1 for e in matches.ambiguous if e.kind is kind),
        )
        left = matches.left.get(kind)
        if left is not None:
            ours = {m.vtex_id for m in found.values() if m.vtex_id}
            ours.update(
                e.vtex_id for e in store.entities.load_index(account, kind.value).values() if e.vtex_id
            )
            tally.deactivated = deactivate.get(kind, None if adoption.missing is None else 0)
            tally.left_alone = len(left - ours) - (tally.deactivated or 0)
        if any(tally.to_json().values()):
            out[kind] = tally
    return out
