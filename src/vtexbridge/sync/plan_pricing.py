"""The planner's pass over prices: a SKU's base price with its fixed prices (one PUT replaces them all)."""

from __future__ import annotations

from vtexbridge.erp.records import (
    Entity,
    FixedPrice,
    Price,
)
from vtexbridge.errors import DependencyBlocked, RecordError, RecordInvalid
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.plan_context import (
    _SEEN,
    PlanContext,
    _held_back,
)
from vtexbridge.sync.steps import Action, PlanError
from vtexbridge.sync.validate import checker, state_key


def prices(ctx: PlanContext) -> None:
    kind, entity = Kind.PRICE, Entity.PRICES
    fixed, fixed_bad = _fixed_prices(ctx)
    index = ctx.state.index(kind.value)
    check = checker(entity)
    # not _fresh: a price skipped here takes its SKU's fixed prices with it
    for r in ctx.records(entity, kind, Price):
        key = r.key
        entry = ctx.first_sight(index, kind, entity, key, "sku_key")
        if entry is _SEEN or key in ctx.bad[kind] or ctx.problems(kind, entity, r, check):
            fixed.pop(key, None)
            continue
        parents = ctx.parents_or_block(kind, entity, key, ((Kind.SKU, r.sku_key, "sku_key"),))
        if parents is None:
            fixed.pop(key, None)
            continue
        bad_fixed = fixed_bad.get(key)
        if bad_fixed is not None:
            fixed.pop(key, None)
            ctx.block(
                kind, key,
                DependencyBlocked(
                    f"held back: a fixed price of this SKU has an error ({bad_fixed.user_message}); "
                    "the PUT replaces every fixed price, so it would remove that one",
                    record=ctx.ref(entity, key), field="fixed_prices",
                ),
            )  # fmt: skip
            continue
        values = ctx.mapped(kind, entity, key, ctx.mapper.price, r, fixed.pop(key, []))
        if values is None:
            continue
        ctx.diff(kind, key, entry, values, parents, entity, key, parent_key=r.sku_key)
    for sku_key, rows in fixed.items():
        cause = ctx.bad[kind].get(sku_key)
        for row in rows:
            ref = ctx.ref(Entity.FIXED_PRICES, row.key)
            if cause is not None:  # its price row is bad: held back with it
                ctx.block(kind, state_key(row.key), _held_back(kind, sku_key, cause, ref, "sku_key"))
                continue
            parent = ctx.parent(Kind.SKU, sku_key, ref, "sku_key", kind)
            if isinstance(parent, RecordError):
                ctx.block(kind, state_key(row.key), parent)
                continue
            ctx.invalid(
                kind, Entity.FIXED_PRICES, row.key, "sku_key",
                f"SKU {sku_key!r} has fixed prices but no row in prices: VTEX needs a base price first",
            )  # fmt: skip
    ctx.unlink_missing(kind, index, need_id=False)


def _fixed_prices(ctx: PlanContext) -> tuple[dict[str, list[FixedPrice]], dict[str, RecordError]]:
    """Fixed prices grouped by SKU, and the first error of each SKU whose fixed prices are bad
    (that SKU's price is held back: the PUT would drop the bad row's fixed price)."""
    entity = Entity.FIXED_PRICES
    groups: dict[str, list[FixedPrice]] = {}
    bad: dict[str, RecordError] = {}
    seen: set[str] = set()
    check = checker(entity)
    if entity not in ctx.provided:
        return groups, bad
    for item in ctx.snapshot.read(entity):
        if isinstance(item, RecordError):
            owner = ctx.reader_error(entity, Kind.PRICE, item)
            if owner is not None:
                bad.setdefault(owner, item)
            continue
        assert isinstance(item, FixedPrice)
        problems = check(item)
        if item.key in seen:
            problems = (
                (
                    "min_quantity",
                    "duplicate fixed price: same SKU, trade policy, minimum quantity and start",
                ),
            )
        seen.add(item.key)
        if problems:
            error = RecordInvalid(problems[0][1], record=ctx.ref(entity, item.key), field=problems[0][0])
            bad.setdefault(item.sku_key, error)
            ctx.count(Kind.PRICE, Action.BLOCKED)
            ctx.plan.errors.append(PlanError(Kind.PRICE, state_key(item.key), error))
            continue
        groups.setdefault(item.sku_key, []).append(item)
    return groups, bad
