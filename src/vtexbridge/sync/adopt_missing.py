"""``vtexbridge adopt --deactivate-missing``: switch off the products and SKUs VTEX holds and the ERP lacks.

Adoption never touches what the ERP does not have unless asked. Asked, the products and SKUs that
VTEX lists (``GetProductAndSkuIds``), that no ERP record matched and that the state store does not
know (what it knows, the sync deactivates when it leaves the ERP) are read one by one; each one
still active becomes a ``deactivate`` step that the normal executor runs within the rate limits
(it reads VTEX's copy again and sends it back with ``IsActive: false``). Nothing is deleted.

A kind is only considered when the plan manages it (``--only``) and its ERP read was complete (an
unreadable row could be the record of a product that looks missing); a VTEX entity whose RefId is
the key of an ERP record that could not be planned is kept. The state key of a deactivated entity
is its RefId (``vtex:<id>`` without one): should the ERP bring that RefId later, the sync updates
and reactivates the same entity.
"""

from __future__ import annotations

import asyncio
from typing import Any

from vtexbridge.sync.adopt_match import Matches
from vtexbridge.sync.adopt_vtex import VtexHoldings
from vtexbridge.sync.graph import ENTITIES_OF, Kind
from vtexbridge.sync.steps import Action, Plan, Step

__all__ = ["MISSING_KINDS", "counts", "missing_plan", "state_key"]

MISSING_KINDS = (Kind.PRODUCT, Kind.SKU)
"""The kinds ``--deactivate-missing`` switches off."""


def state_key(entity: dict[str, Any], vtex_id: int) -> str:
    """The state key of a VTEX entity the ERP lacks: its RefId, or ``vtex:<id>`` without one."""
    ref = str(entity.get("RefId") or "").strip()
    return ref or f"vtex:{vtex_id}"


def _considered(plan: Plan, kind: Kind) -> bool:
    return kind in plan.kinds and not any(e in plan.incomplete for e in ENTITIES_OF[kind])


def _still_active(kind: Kind, entity: dict[str, Any]) -> bool:
    """Whether the executor's deactivation of ``entity`` would write (its own no-op test)."""
    if kind is Kind.SKU:
        return entity.get("IsActive") is not False or entity.get("ActivateIfPossible") is not False
    return entity.get("IsActive") is not False


async def missing_plan(
    holdings: VtexHoldings,
    matches: Matches,
    plan: Plan,
    known: dict[Kind, set[str]],
    state_keys: dict[Kind, set[str]],
) -> Plan:
    """The deactivations of the products and SKUs VTEX holds and neither the ERP nor the state knows.

    Args:
        holdings: VTEX's entities (``left`` of ``matches`` lists the unmatched ids).
        matches: what the adoption matched (their VTEX ids are the ERP's).
        plan: the plan after adoption (its kinds, its complete reads, its unplannable records).
        known: per kind, the VTEX ids the state store records.
        state_keys: per kind, the keys the state store records (a RefId already used there is not
            taken again: ``vtex:<id>`` instead).
    """
    out = Plan(kinds=MISSING_KINDS)
    for kind in MISSING_KINDS:
        if not _considered(plan, kind):
            continue
        ours = {m.vtex_id for m in matches.of(kind).values()} | known.get(kind, set())
        ids = sorted(int(i) for i in matches.left.get(kind, set()) - ours if i.isdigit())
        errored = {e.key for e in plan.errors if e.kind is kind}
        read = holdings.product if kind is Kind.PRODUCT else holdings.sku
        copies = await asyncio.gather(*(read(i) for i in ids))
        taken = state_keys.get(kind, set())
        for vtex_id, entity in zip(ids, copies, strict=True):
            if entity is None or not _still_active(kind, entity):
                continue
            key = state_key(entity, vtex_id)
            if key in errored:
                continue  # the ERP has it, unreadable: not missing
            if key in taken:
                key = f"vtex:{vtex_id}"
            out.steps.append(_step(kind, key, vtex_id))
    for i, step in enumerate(out.steps):
        step.index = i
        per = out.counts.setdefault(step.kind, {})
        per[Action.DEACTIVATE] = per.get(Action.DEACTIVATE, 0) + 1
    return out


def _step(kind: Kind, key: str, vtex_id: int) -> Step:
    return Step(kind, key, Action.DEACTIVATE, vtex_id=str(vtex_id), active=False, live=False)


def counts(plan: Plan) -> dict[Kind, int]:
    """Deactivations per kind of a :func:`missing_plan`."""
    return {kind: plan.count(kind, Action.DEACTIVATE) for kind in MISSING_KINDS}
