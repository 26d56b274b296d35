"""The planner's passes over SKUs and what hangs off them: SKUs (with their activation), SKU
specifications, images, EANs. A SKU's activation waits for the writes to its children."""

from __future__ import annotations

from vtexbridge.erp.records import (
    KEY_SEPARATOR,
    Ean,
    Entity,
    Sku,
    SkuImage,
    SkuSpecification,
)
from vtexbridge.errors import RecordRef
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Values
from vtexbridge.sync.plan_context import (
    _LINK_HASH,
    PlanContext,
    _deps,
)
from vtexbridge.sync.plan_taxonomy import missing_required, required_of, spec_link_problem
from vtexbridge.sync.steps import Action, Parent, Step
from vtexbridge.sync.validate import checker


def skus(ctx: PlanContext) -> None:
    kind, entity = Kind.SKU, Entity.SKUS
    index = ctx.state.index(kind.value)
    check = checker(entity, weight_unit=ctx.weight_unit)
    km = ctx.mapper[kind]
    product_steps = ctx.step_of[Kind.PRODUCT]
    for r, key, entry in ctx.fresh(entity, kind, Sku, index, "key", check):
        parents = ctx.parents_or_block(kind, entity, key, ((Kind.PRODUCT, r.product_key, "product_key"),))
        if parents is None:
            continue
        if ctx.required:
            _expect_sku_specs(ctx, key, r.product_key)
        values = ctx.mapped(kind, entity, key, km.values, r)
        if values is None:
            continue
        digest = km.hash(values)
        want = r.is_active
        if (
            entry is not None
            and entry.vtex_id is not None
            and entry.payload_hash == digest
            and entry.active == want
        ):
            ctx.known[kind][key] = entry.vtex_id
            ctx.count_unchanged(kind, key)
            continue
        built = ctx.build(parents)
        ref = ctx.ref(entity, key)
        product_step = product_steps.get(r.product_key)
        if entry is None or entry.vtex_id is None:
            op = ctx.in_flight.get((kind.value, key))
            step = Step(
                kind, key, Action.CREATE, values, digest, None, built, _deps(built),
                r.product_key, False, False, op is not None, ref=ref,
            )  # fmt: skip
            ctx.keep(step)
            ctx.known[kind][key] = None
            if want:
                _activation(ctx, step, values, digest, built, product_step, ref)
            continue
        ctx.known[kind][key] = entry.vtex_id
        if entry.payload_hash != digest:
            live = want and entry.active
            step = Step(
                kind, key, Action.UPDATE, values, digest, entry.vtex_id, built, _deps(built),
                r.product_key, live, live, ref=ref,
            )  # fmt: skip
            ctx.keep(step)
            if want and not entry.active:
                _activation(ctx, step, values, digest, built, product_step, ref)
        elif want:
            _activation(ctx, None, values, digest, built, product_step, ref, vtex_id=entry.vtex_id)
        else:
            step = Step(
                kind, key, Action.DEACTIVATE, values, digest, entry.vtex_id, built, _deps(built),
                r.product_key, False, False, ref=ref,
            )  # fmt: skip
            ctx.keep(step)
    ctx.deactivate_missing(kind, index)


def _expect_sku_specs(ctx: PlanContext, sku_key: str, product_key: str) -> None:
    """Note the required SKU fields of the product's category: the SKU must give each one."""
    category = ctx.product_category.get(product_key)
    if category is not None:
        sku_fields, _product_fields = required_of(ctx, category)
        if sku_fields:
            ctx.pending_sku_specs[sku_key] = set(sku_fields)


def _activation(
    ctx: PlanContext,
    after: Step | None,
    values: Values,
    digest: bytes,
    parents: tuple[Parent, ...],
    product_step: Step | None,
    ref: RecordRef,
    *,
    vtex_id: str | None = None,
) -> None:
    key = ref.key or ""
    deps = [s for s in (after, product_step) if s is not None]
    step = Step(
        Kind.SKU, key, Action.ACTIVATE, values, digest, vtex_id, parents, deps,
        parents[0].key, True, True, ref=ref,
    )  # fmt: skip
    if after is not None:
        step.parents = (*parents, Parent(Kind.SKU.value, key, None, after))
        step.main, after.follow = after, step
    ctx.emit(step)
    ctx.activation[key] = step
    if after is None:
        ctx.step_of[Kind.SKU][key] = step


def sku_specs(ctx: PlanContext) -> None:
    kind, entity = Kind.SKU_SPEC, Entity.SKU_SPECIFICATIONS
    index = ctx.state.index(kind.value)
    pending = ctx.pending_sku_specs
    for r, key, entry in ctx.fresh(entity, kind, SkuSpecification, index, "field_key"):
        problem = spec_link_problem(ctx, r.field_key, (r.value_key,), None, sku=True)
        if problem is not None:
            ctx.invalid(kind, entity, key, problem[0], problem[1])
            continue
        parents = ctx.parents_or_block(
            kind, entity, key, (
                (Kind.SKU, r.sku_key, "sku_key"),
                (Kind.SPEC_FIELD, r.field_key, "field_key"),
                (Kind.SPEC_VALUE, r.value_key, "value_key"),
            ),
        )  # fmt: skip
        if parents is None:
            continue
        waiting = pending.get(r.sku_key)
        if waiting:
            waiting.discard(r.field_key)
        values = ctx.mapped(kind, entity, key, ctx.mapper.sku_spec, r)
        if values is None:
            continue
        step = ctx.diff(
            kind,
            key,
            entry,
            values,
            parents,
            entity,
            key,
            parent_key=r.sku_key,
            create=Action.LINK,
        )
        ctx.sku_child(step, r.sku_key)
    for sku, fields in pending.items():
        if fields:
            missing_required(ctx, Kind.SKU, Entity.SKUS, sku, fields, "sku_specifications")
    for key, entry in ctx.missing(index):
        sku_id = ctx.owner_present(Kind.SKU, key)
        if sku_id is None or entry.vtex_id is None or not ctx.can_remove(kind, key):
            continue
        sku_key = key.split(KEY_SEPARATOR, 1)[0]
        parent = Parent(Kind.SKU.value, sku_key, sku_id, None)
        ctx.remove(kind, key, Action.UNLINK, (parent,), vtex_id=entry.vtex_id, parent_key=sku_key)


def images(ctx: PlanContext) -> None:
    kind, entity = Kind.IMAGE, Entity.SKU_IMAGES
    index = ctx.state.index(kind.value)
    check = checker(entity)
    km = ctx.mapper[kind]
    for r, key, entry in ctx.fresh(entity, kind, SkuImage, index, "url", check, state_keyed=True):
        parents = ctx.parents_or_block(kind, entity, key, ((Kind.SKU, r.sku_key, "sku_key"),), raw_key=r.key)
        values = None if parents is None else ctx.mapped(kind, entity, r.key, km.values, r)
        if parents is None or values is None:
            continue
        step = ctx.diff(
            kind,
            key,
            entry,
            values,
            parents,
            entity,
            r.key,
            parent_key=r.sku_key,
            create=Action.LINK,
        )
        ctx.sku_child(step, r.sku_key)
    ctx.unlink_missing(kind, index, need_id=True)


def eans(ctx: PlanContext) -> None:
    kind, entity = Kind.EAN, Entity.EANS
    index = ctx.state.index(kind.value)
    owners: dict[str, str] = {}
    digest = _LINK_HASH[kind]
    for r, key, entry in ctx.fresh(entity, kind, Ean, index, "ean"):
        first = owners.setdefault(r.ean, r.sku_key)
        if first != r.sku_key:
            ctx.invalid(
                kind, entity, key, "ean",
                f"the EAN {r.ean} is also given to SKU {first!r}; VTEX allows an EAN on one SKU only",
            )  # fmt: skip
            continue
        parents = ctx.parents_or_block(kind, entity, key, ((Kind.SKU, r.sku_key, "sku_key"),))
        if parents is None:
            continue
        if entry is None:
            built = ctx.build(parents)
            ref = ctx.ref(entity, key)
            step = Step(kind, key, Action.LINK, (), digest, None, built, _deps(built), r.sku_key, ref=ref)
            ctx.sku_child(ctx.keep(step), r.sku_key)
        else:
            ctx.count_unchanged(kind, key)
    ctx.unlink_missing(kind, index, need_id=False)
