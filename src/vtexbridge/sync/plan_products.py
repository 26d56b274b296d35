"""The planner's passes over products: products (with their trade-policy links) and product
specifications."""

from __future__ import annotations

from typing import Any

from vtexbridge.erp.records import (
    KEY_SEPARATOR,
    Entity,
    Product,
    ProductSpecification,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.plan_context import (
    _LINK_HASH,
    _SEEN,
    PlanContext,
    _deps,
    _held_back,
)
from vtexbridge.sync.plan_taxonomy import missing_required, required_of, spec_link_problem
from vtexbridge.sync.steps import Action, Parent, Step
from vtexbridge.sync.validate import canonical_trade_policy, checker, state_key


def products(ctx: PlanContext) -> None:
    kind, entity = Kind.PRODUCT, Entity.PRODUCTS
    index = ctx.state.index(kind.value)
    links = ctx.state.index(Kind.TRADE_POLICY.value) if Kind.TRADE_POLICY in ctx.managed else None
    check = checker(entity, weight_unit=ctx.weight_unit)
    km = ctx.mapper[kind]

    def hold_links(r: Product) -> None:
        if links is not None:
            _hold_trade_policies(ctx, r, links)

    for r, key, entry in ctx.fresh(entity, kind, Product, index, "key", check, skipped=hold_links):
        parents = ctx.parents_or_block(
            kind,
            entity,
            key,
            ((Kind.CATEGORY, r.category_key, "category_key"), (Kind.BRAND, r.brand_key, "brand_key")),
        )
        if parents is None:
            hold_links(r)
            continue
        if ctx.required:
            ctx.product_category[key] = r.category_key
            _sku_fields, product_fields = required_of(ctx, r.category_key)
            if product_fields:
                ctx.pending_product_specs[key] = set(product_fields)
        values = ctx.mapped(kind, entity, key, km.values, r)
        if values is None:
            hold_links(r)
            continue
        step = ctx.diff(kind, key, entry, values, parents, entity, key, active=r.is_active)
        if links is not None:
            _trade_policies(ctx, r, links, step)
    ctx.deactivate_missing(kind, index)
    if links is not None:
        for lkey, _entry in ctx.missing(links):
            product_id = ctx.owner_present(kind, lkey)
            if product_id is None or not ctx.can_remove(Kind.TRADE_POLICY, lkey):
                continue
            product_key = lkey.split(KEY_SEPARATOR, 1)[0]
            parent = Parent(kind.value, product_key, product_id, None)
            ctx.remove(Kind.TRADE_POLICY, lkey, Action.UNLINK, (parent,), parent_key=product_key)


def _hold_trade_policies(ctx: PlanContext, r: Product, links: dict[str, Any]) -> None:
    """The trade-policy links of a product held back: each reported, like every other dependent.

    A link already seen (the first row of a duplicated key planned it) is not reported twice: its
    step is held back, and reported, when the plan ends.
    """
    cause = ctx.bad[Kind.PRODUCT].get(state_key(r.key))
    if cause is None:
        return
    ref = ctx.ref(Entity.PRODUCTS, r.key)
    for policy in r.trade_policies:
        lkey = f"{r.key}{KEY_SEPARATOR}{canonical_trade_policy(policy)}"
        if links.get(lkey) is _SEEN:
            continue
        links[lkey] = _SEEN
        ctx.block(Kind.TRADE_POLICY, lkey, _held_back(Kind.PRODUCT, r.key, cause, ref, "trade_policies"))


def _trade_policies(ctx: PlanContext, r: Product, links: dict[str, Any], product_step: Step | None) -> None:
    digest = _LINK_HASH[Kind.TRADE_POLICY]
    for policy in r.trade_policies:
        lkey = f"{r.key}{KEY_SEPARATOR}{canonical_trade_policy(policy)}"
        entry = links.get(lkey)
        links[lkey] = _SEEN
        if entry is None:
            parents = ctx.build(((Kind.PRODUCT, r.key, "trade_policies"),))
            step = Step(
                Kind.TRADE_POLICY, lkey, Action.LINK, (), digest, None, parents, _deps(parents),
                r.key, ref=ctx.ref(Entity.PRODUCTS, r.key),
            )  # fmt: skip
            ctx.emit(step)
        elif entry is not _SEEN:
            ctx.count_unchanged(Kind.TRADE_POLICY, lkey)


def product_specs(ctx: PlanContext) -> None:
    kind, entity = Kind.PRODUCT_SPEC, Entity.PRODUCT_SPECIFICATIONS
    index = ctx.state.index(kind.value)
    pending = ctx.pending_product_specs
    check = checker(entity)
    for r, key, entry in ctx.fresh(entity, kind, ProductSpecification, index, "field_key", check):
        problem = spec_link_problem(ctx, r.field_key, r.value_keys, r.value_text, sku=False)
        if problem is not None:
            ctx.invalid(kind, entity, key, problem[0], problem[1])
            continue
        refs = [(Kind.PRODUCT, r.product_key, "product_key"), (Kind.SPEC_FIELD, r.field_key, "field_key")]
        refs += [(Kind.SPEC_VALUE, v, "value_keys") for v in r.value_keys]
        parents = ctx.parents_or_block(kind, entity, key, refs)
        if parents is None:
            continue
        waiting = pending.get(r.product_key)
        if waiting:
            waiting.discard(r.field_key)
        values = ctx.mapped(kind, entity, key, ctx.mapper.product_spec, r)
        if values is None:
            continue
        ctx.diff(
            kind, key, entry, values, parents, entity, key,
            parent_key=r.product_key, create=Action.LINK,
        )  # fmt: skip
    for product, fields in pending.items():
        if fields:
            missing_required(ctx, Kind.PRODUCT, Entity.PRODUCTS, product, fields, "product_specifications")
    for key, _entry in ctx.missing(index):
        product_id = ctx.owner_present(Kind.PRODUCT, key)
        field_key = key.split(KEY_SEPARATOR, 1)[1]
        field_id = ctx.known[Kind.SPEC_FIELD].get(field_key)
        if product_id is None or field_id is None or not ctx.can_remove(kind, key):
            continue
        product_key = key.split(KEY_SEPARATOR, 1)[0]
        removal = (
            Parent(Kind.PRODUCT.value, product_key, product_id, None),
            Parent(Kind.SPEC_FIELD.value, field_key, field_id, None),
        )
        ctx.remove(kind, key, Action.UNLINK, removal, parent_key=product_key)
