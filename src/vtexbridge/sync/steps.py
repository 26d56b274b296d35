"""The plan's values: :class:`Step` (one VTEX write to make), :class:`Plan` and its counts.

A plan keeps only what has to be done. An unchanged entity is counted (``unchanged``), not kept, so
that a no-change plan of a million SKUs is a table of counts; an entity that cannot be sent is
counted ``blocked`` and its error kept. Steps refer to the steps they wait for (``deps``), not to
positions, so the planner can drop a step (a record found bad later) before numbering them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from vtexbridge.erp.records import Entity
from vtexbridge.errors import RecordRef, VtexbridgeError
from vtexbridge.sync.graph import KIND_ORDER, Kind
from vtexbridge.sync.mapping import Values

__all__ = ["WRITES", "Action", "Parent", "Plan", "PlanError", "Step"]


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    LINK = "link"
    UNLINK = "unlink"
    UNCHANGED = "unchanged"
    BLOCKED = "blocked"


WRITES = (Action.CREATE, Action.UPDATE, Action.ACTIVATE, Action.DEACTIVATE, Action.LINK, Action.UNLINK)
"""The actions that are steps (the others are only counted)."""


class Parent(NamedTuple):
    """A parent whose VTEX id a step's request needs: known now (``vtex_id``) or made by ``step``."""

    kind: str
    key: str
    vtex_id: str | None
    step: Step | None


@dataclass(slots=True, eq=False, repr=False)
class Step:
    """One thing to do in VTEX for one entity.

    Attributes:
        kind, key: the entity (``key`` as the state store keeps it).
        action: what to do.
        values: the payload (see :mod:`vtexbridge.sync.mapping`); None for a deactivation of a
            record that left the ERP (the executor reads VTEX's copy) and for removals.
        hash: the payload hash recorded when VTEX accepts the step (None: record no hash).
        vtex_id: the entity's VTEX id, when it already exists.
        parents: the parents whose VTEX ids the request needs.
        deps: the steps that must be done first.
        parent_key: recorded in the state store (a SKU's product, an image's SKU ...).
        active: the ``active`` flag recorded on success.
        live: for a SKU update, the ``IsActive`` to send (a SKU is only switched on by ``activate``).
        resolve: an earlier create's outcome is unknown: look the entity up before creating it.
        reserved_id: the id chosen for a create (brands and categories choose their id).
        ref: the ERP record, for errors.
        index: position in :attr:`Plan.steps`, set when the plan is final.
        ready: when the executor found it ready to run (a tick of the run).
        main: for a step that completes another step of the same record (a new or updated SKU's
            activation), that step. Such a step is not a record of its own: the record is counted
            once, with ``main``'s action, when its last step ends.
        follow: on a main step, the step that completes it.
    """

    kind: Kind
    key: str
    action: Action
    values: Values | None = None
    hash: bytes | None = None
    vtex_id: str | None = None
    parents: tuple[Parent, ...] = ()
    deps: list[Step] = field(default_factory=list)
    parent_key: str | None = None
    active: bool = True
    live: bool = True
    resolve: bool = False
    reserved_id: int | None = None
    ref: RecordRef | None = None
    index: int = -1
    dead: bool = False
    ready: int = 0
    main: Step | None = None
    follow: Step | None = None

    def parent(self, kind: str) -> Parent | None:
        """The first parent of ``kind``."""
        for p in self.parents:
            if p.kind == kind:
                return p
        return None

    def describe(self) -> str:
        return f"{self.action.value} {self.kind.value} {self.key}"

    def __repr__(self) -> str:
        # Short on purpose: the default repr would follow deps and parents through the whole plan
        # (asyncio formats the result of ``asyncio.run`` when it restores the SIGINT handler).
        return f"<Step #{self.index} {self.describe()}>"


@dataclass(frozen=True, slots=True)
class PlanError:
    """A record that will not be sent: its kind, its key in state (None if unknown), and why."""

    kind: Kind
    key: str | None
    error: VtexbridgeError


@dataclass(slots=True, repr=False)
class Plan:
    """What a sync will do: the steps in dependency order, counts per kind and action, the errors.

    Attributes:
        steps: every write to make, in dependency order (every step after the steps it waits
            for): kind by kind, a SKU's activation after the specifications, images and EANs it
            waits for (:func:`~vtexbridge.sync.plan_order.dependency_order`).
        counts: ``{kind: {action: n}}`` of *records*, including ``unchanged`` and ``blocked``: a
            record is counted once whatever number of steps it takes (a new SKU is a ``create``;
            its activation is a step, not another record), so that a run and the no-change run
            after it count the same records.
        errors: every record that will not be sent (reader errors, local validation, held back).
        kinds: the kinds this plan manages (all, or those of ``--only``).
        incomplete: entities whose read had unreadable rows: nothing of theirs was deactivated or
            removed on the grounds that it was not read.
        next_ids: the next id to choose, per kind that chooses its ids.
        cleared: keys whose recorded error is gone: valid and unchanged now, or no longer in a
            complete read of the ERP (the keys with a step keep theirs until VTEX answers).
        warnings: what does not stop a record (an unknown column).
    """

    steps: list[Step] = field(default_factory=list)
    counts: dict[Kind, dict[Action, int]] = field(default_factory=dict)
    errors: list[PlanError] = field(default_factory=list)
    kinds: tuple[Kind, ...] = ()
    incomplete: set[Entity] = field(default_factory=set)
    next_ids: dict[Kind, int] = field(default_factory=dict)
    cleared: dict[Kind, list[str]] = field(default_factory=dict)
    warnings: list[PlanError] = field(default_factory=list)

    def count(self, kind: Kind, action: Action) -> int:
        return self.counts.get(kind, {}).get(action, 0)

    @property
    def writes(self) -> int:
        """How many steps (each is one write, or a read and a write) the plan holds."""
        return len(self.steps)

    def totals(self) -> dict[Action, int]:
        out: dict[Action, int] = {}
        for per_kind in self.counts.values():
            for action, n in per_kind.items():
                out[action] = out.get(action, 0) + n
        return out

    def steps_of(self, key: str) -> list[Step]:
        """The steps of an entity key, or of any link hanging off it (``SKU-1`` finds ``SKU-1|...``)."""
        prefix = key + "|"
        return [s for s in self.steps if s.key == key or s.key.startswith(prefix)]

    def rows(self) -> Iterator[tuple[Kind, Mapping[Action, int]]]:
        """``(kind, counts)`` for every kind with something to count, in the plan's order."""
        for kind in KIND_ORDER:
            counts = self.counts.get(kind)
            if counts and any(counts.values()):
                yield kind, counts

    def __repr__(self) -> str:
        return f"<Plan {len(self.steps)} steps, {len(self.errors)} errors>"

    def to_json(self) -> dict[str, Any]:
        return {
            "kinds": [k.value for k in self.kinds],
            "counts": {
                kind.value: {a.value: n for a, n in counts.items() if n} for kind, counts in self.rows()
            },
            "writes": self.writes,
            "errors": len(self.errors),
            "incomplete": sorted(e.value for e in self.incomplete),
        }
