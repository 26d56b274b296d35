"""The end of a plan: its steps in dependency order, and the warnings of incomplete reads.

Pure functions of the planner's results (:func:`~vtexbridge.sync.plan_finish.finish`).
"""

from __future__ import annotations

from collections.abc import Mapping

from vtexbridge.erp.errors import ReadIncomplete
from vtexbridge.erp.records import Entity
from vtexbridge.errors import RecordRef
from vtexbridge.sync.graph import ENTITIES_OF, KIND_ORDER, Kind, kind_of
from vtexbridge.sync.steps import Action, PlanError, Step

__all__ = ["dependency_order", "incomplete_warnings"]

_POSITION = {k: i for i, k in enumerate(KIND_ORDER)}
_ACTIVATION_POSITION = _POSITION[Kind.EAN]
"""A SKU's activation is listed after the last kind it waits for (specifications, images, EANs)."""


def dependency_order(steps: list[Step]) -> list[Step]:
    """``steps`` kind by kind (:data:`KIND_ORDER`; a SKU's activation after the EANs), every step
    after the steps it waits for: a step whose dependency would come later is moved after it."""

    def position(s: Step) -> tuple[int, int]:
        if s.action is Action.ACTIVATE:
            return (_ACTIVATION_POSITION, 1)
        return (_POSITION[s.kind], 0)

    ranked = sorted(steps, key=position)
    out: list[Step] = []
    placed: set[int] = set()
    for first in ranked:
        stack: list[tuple[Step, int]] = [(first, 0)]
        while stack:  # depth first: a step's live dependencies are placed before it
            step, i = stack.pop()
            if id(step) in placed:
                continue
            deps = step.deps
            while i < len(deps) and (deps[i].dead or id(deps[i]) in placed):
                i += 1
            if i < len(deps):
                stack.append((step, i + 1))
                stack.append((deps[i], 0))
                continue
            placed.add(id(step))
            out.append(step)
    return out


def incomplete_warnings(
    incomplete: set[Entity], kept_absent: Mapping[Kind, int], sources: Mapping[Entity, str]
) -> list[PlanError]:
    """A warning per entity whose read was incomplete, saying how many records absent from it were
    kept on (``kept_absent``: per kind, the deactivations and removals held back for it)."""
    out = []
    for entity in sorted(incomplete, key=list(Entity).index):
        kind = kind_of(entity)
        kept = sum(n for k, n in kept_absent.items() if entity in ENTITIES_OF[k])
        what = (
            f"{kept} record(s) of {kind.value} absent from it were NOT deactivated or removed"
            if kept
            else "nothing absent from it was deactivated or removed"
        )
        source = sources.get(entity, entity.value)
        message = (
            f"{source}: some rows could not be read at all, so the read of {entity.value} is "
            f"incomplete and {what} this run (they may be among the unreadable rows); fix the "
            "unreadable rows listed with the errors"
        )
        out.append(
            PlanError(kind, None, ReadIncomplete(message, record=RecordRef(entity.value, None, source)))
        )
    return out
