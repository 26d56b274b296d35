"""The planner's last step: hold back what depends on a record found bad after its dependents
were planned, number the steps, total the counts, and list the recorded errors that are gone."""

from __future__ import annotations

from vtexbridge.errors import DependencyBlocked
from vtexbridge.sync.graph import ENTITIES_OF, Kind
from vtexbridge.sync.plan_context import (
    _LABEL,
    PlanContext,
)
from vtexbridge.sync.plan_order import dependency_order, incomplete_warnings
from vtexbridge.sync.steps import WRITES, Action, PlanError, Step


def finish(ctx: PlanContext) -> None:
    """Hold back what depends on a record found bad after its dependents were planned; number
    the steps (every step after the steps it waits for)."""
    steps = ctx.plan.steps
    _hold_back_dependents(ctx, steps)
    live = dependency_order([s for s in steps if not s.dead])
    for i, step in enumerate(live):
        step.index = i
        step.deps = [d for d in step.deps if not d.dead]
    ctx.plan.steps = live
    for kind, n in ctx.unchanged.items():
        if n:
            ctx.count(kind, Action.UNCHANGED, n)
    _clear_stale_errors(ctx)
    _warn_incomplete(ctx)
    for kind in list(ctx.plan.counts):
        ctx.plan.counts[kind] = {a: n for a, n in ctx.plan.counts[kind].items() if n}


def _hold_back_dependents(ctx: PlanContext, steps: list[Step]) -> None:
    """Kill every step whose parent was found bad after it was planned (``ctx.retro``), and every
    step that waits, transitively, for a dead one."""
    dependents: dict[int, list[Step]] = {}
    for step in steps:
        for dep in step.deps:
            dependents.setdefault(id(dep), []).append(step)
    queue = [s for s in steps if s.dead]
    retro = ctx.retro
    if retro:
        for step in steps:
            if step.dead:
                continue
            for p in step.parents:
                if (p.kind, p.key) in retro:
                    _kill(ctx, step, p.kind, p.key)
                    queue.append(step)
                    break
    while queue:
        parent = queue.pop()
        for child in dependents.get(id(parent), ()):
            if not child.dead:
                _kill(ctx, child, parent.kind.value, parent.key)
                queue.append(child)


def _warn_incomplete(ctx: PlanContext) -> None:
    """A warning per entity whose read was incomplete: what it kept from being deactivated."""
    ctx.plan.warnings.extend(incomplete_warnings(ctx.plan.incomplete, ctx.kept_absent, ctx.sources))


def _clear_stale_errors(ctx: PlanContext) -> None:
    """The recorded errors that are gone (:attr:`Plan.cleared`): row errors of earlier runs (recorded
    again if the row is still bad), the keys found valid and unchanged, and — when the kind was
    read completely — every key with neither an error nor a step in this plan (fixed, or gone
    from the ERP). A key with a step keeps its error until VTEX answers."""
    keep: dict[Kind, set[str]] = {}
    for e in ctx.plan.errors:
        if e.key is not None:
            keep.setdefault(e.kind, set()).add(e.key)
    for step in ctx.plan.steps:
        keep.setdefault(step.kind, set()).add(step.key)
    for kind in ctx.plan.kinds:
        recorded = ctx.error_keys_of.get(kind)
        if not recorded:
            continue
        kept = keep.get(kind, set())
        cleared = set(ctx.plan.cleared.get(kind, ())) - kept
        if not any(e in ctx.plan.incomplete for e in ENTITIES_OF[kind]):
            cleared.update(recorded - kept)
        cleared.update(k for k in recorded if k.startswith("@"))
        if cleared:
            ctx.plan.cleared[kind] = sorted(cleared)


def _kill(ctx: PlanContext, step: Step, parent_kind: str, parent_key: str) -> None:
    step.dead = True
    main = step.main
    if main is not None:
        if main.dead:
            return  # its record is held back with its main step, and counted there
        ctx.count(main.kind, main.action, -1)  # the record is held back, not done
    else:
        ctx.count(step.kind, step.action, -1)
    if step.action in WRITES and step.ref is not None:
        error = DependencyBlocked(
            f"held back: its {_LABEL.get(Kind(parent_kind), parent_kind)} {parent_key!r} has an error",
            record=step.ref,
        )
        ctx.count(step.kind, Action.BLOCKED)
        ctx.plan.errors.append(PlanError(step.kind, step.key, error))
