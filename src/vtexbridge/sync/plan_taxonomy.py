"""The planner's passes over the catalog's taxonomy: categories and brands (ids chosen by the sync),
specification groups, fields and values; and the specification rules the product and SKU passes
check (a row fits its field, a category's required fields)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtexbridge.erp.records import (
    Brand,
    Category,
    Entity,
    SpecFieldType,
    SpecificationField,
    SpecificationGroup,
    SpecificationValue,
)
from vtexbridge.errors import RecordInvalid
from vtexbridge.state.models import IndexEntry
from vtexbridge.sync.graph import Kind, topological_order
from vtexbridge.sync.plan_context import (
    PlanContext,
    Refs,
    _reserved,
)
from vtexbridge.sync.steps import Action, PlanError
from vtexbridge.sync.validate import checker


def categories(ctx: PlanContext) -> None:
    kind, entity = Kind.CATEGORY, Entity.CATEGORIES
    index = ctx.state.index(kind.value)
    next_id = _next_id(ctx, kind, index)
    records: dict[str, Any] = {}
    dup: set[str] = set()
    check = checker(entity)
    for r in ctx.records(entity, kind, Category):
        if r.key in records or r.key in dup:
            dup.add(r.key)
            records.pop(r.key, None)
            continue
        records[r.key] = r
    for key in sorted(dup):
        _duplicate_first(ctx, kind, entity, key, "key")
    order, cyclic = topological_order(
        records, lambda k: records[k].parent_key if records[k].parent_key in records else None
    )
    for key in sorted(cyclic):
        index.pop(key, None)
        ctx.invalid(kind, entity, key, "parent_key", "the category tree has a cycle through this category")
    km = ctx.mapper[kind]
    for key in order:
        r = records[key]
        entry = index.pop(key, None)
        if key in ctx.bad[kind] or ctx.problems(kind, entity, r, check):
            continue
        parents: Refs | None = ()
        if r.parent_key:
            parents = ctx.parents_or_block(kind, entity, key, ((kind, r.parent_key, "parent_key"),))
        if parents is None:
            continue
        values = ctx.mapped(kind, entity, key, km.values, r)
        if values is None:
            continue
        ctx.category_parent[key] = r.parent_key
        step = ctx.diff(kind, key, entry, values, parents, entity, key, active=r.is_active)
        if step is not None and step.action is Action.CREATE and step.reserved_id is None:
            step.reserved_id, next_id = next_id, next_id + 1
    ctx.plan.next_ids[kind] = next_id
    for key in dup:
        index.pop(key, None)
    ctx.deactivate_missing(kind, index)


def brands(ctx: PlanContext) -> None:
    kind, entity = Kind.BRAND, Entity.BRANDS
    index = ctx.state.index(kind.value)
    next_id = _next_id(ctx, kind, index)
    check = checker(entity)
    km = ctx.mapper[kind]
    for r, key, entry in ctx.fresh(entity, kind, Brand, index, "key", check):
        values = ctx.mapped(kind, entity, key, km.values, r)
        if values is None:
            continue
        step = ctx.diff(kind, key, entry, values, (), entity, key, active=r.is_active)
        if step is not None and step.action is Action.CREATE and step.reserved_id is None:
            step.reserved_id, next_id = next_id, next_id + 1
    ctx.plan.next_ids[kind] = next_id
    ctx.deactivate_missing(kind, index)


def _next_id(ctx: PlanContext, kind: Kind, index: Mapping[str, IndexEntry]) -> int:
    """One more than any id this account's state knows of (recorded, or reserved in flight)."""
    top = ctx.mapper.settings.first_id - 1
    for entry in index.values():
        if entry.vtex_id is not None and entry.vtex_id.isdigit():
            top = max(top, int(entry.vtex_id))
    for (k, _key), op in ctx.in_flight.items():
        reserved = _reserved(op)
        if k == kind.value and reserved is not None:
            top = max(top, reserved)
    return top + 1


def _duplicate_first(ctx: PlanContext, kind: Kind, entity: Entity, key: str, field: str) -> None:
    message = (
        f"duplicate key: more than one row has {field} {key!r}; "
        "VTEX identifies the record by it, so every row with it is held back"
    )
    ctx.invalid(kind, entity, key, field, message)


def spec_groups(ctx: PlanContext) -> None:
    kind, entity = Kind.SPEC_GROUP, Entity.SPECIFICATION_GROUPS
    index = ctx.state.index(kind.value)
    check = checker(entity)
    km = ctx.mapper[kind]
    for r, key, entry in ctx.fresh(entity, kind, SpecificationGroup, index, "key", check):
        parents = ctx.parents_or_block(kind, entity, key, ((Kind.CATEGORY, r.category_key, "category_key"),))
        values = None if parents is None else ctx.mapped(kind, entity, key, km.values, r)
        if parents is None or values is None:
            continue
        ctx.group_category[key] = r.category_key
        ctx.diff(kind, key, entry, values, parents, entity, key, parent_key=r.category_key)


def spec_fields(ctx: PlanContext) -> None:
    kind, entity = Kind.SPEC_FIELD, Entity.SPECIFICATION_FIELDS
    index = ctx.state.index(kind.value)
    check = checker(entity)
    required: dict[str, tuple[set[str], set[str]]] = {}
    for r, key, entry in ctx.fresh(entity, kind, SpecificationField, index, "key", check):
        category = ctx.group_category.get(r.group_key)
        refs: list[tuple[Kind, str, str]] = [(Kind.SPEC_GROUP, r.group_key, "group_key")]
        if category is not None:
            refs.append((Kind.CATEGORY, category, "group_key"))
        parents = ctx.parents_or_block(kind, entity, key, refs)
        if parents is None:
            continue
        if category is None:  # the group is not managed this run: its category is unknown
            ctx.invalid(kind, entity, key, "group_key", f"the group {r.group_key!r} is not being synced")
            continue
        ctx.field_info[key] = r
        if r.is_required and r.is_active:
            sku_fields, product_fields = required.setdefault(category, (set(), set()))
            (sku_fields if r.is_sku else product_fields).add(key)
        values = ctx.mapped(kind, entity, key, ctx.mapper.spec_field, r, category)
        if values is None:
            continue
        ctx.diff(kind, key, entry, values, parents, entity, key, parent_key=r.group_key)
    ctx.required = {c: (frozenset(s), frozenset(p)) for c, (s, p) in required.items()}
    ctx.deactivate_missing(kind, index)  # VTEX keeps a field's history: switch it off


def spec_values(ctx: PlanContext) -> None:
    kind, entity = Kind.SPEC_VALUE, Entity.SPECIFICATION_VALUES
    index = ctx.state.index(kind.value)
    check = checker(entity)
    km = ctx.mapper[kind]
    for r, key, entry in ctx.fresh(entity, kind, SpecificationValue, index, "key", check):
        parents = ctx.parents_or_block(kind, entity, key, ((Kind.SPEC_FIELD, r.field_key, "field_key"),))
        if parents is None:
            continue
        info = ctx.field_info.get(r.field_key)
        if info is not None and not SpecFieldType(info.field_type).has_values:
            ctx.invalid(
                kind, entity, key, "field_key",
                f"the field {r.field_key!r} is of type {info.field_type}: it takes free text, not values",
            )  # fmt: skip
            continue
        values = ctx.mapped(kind, entity, key, km.values, r)
        if values is None:
            continue
        ctx.value_field[key] = r.field_key
        ctx.diff(kind, key, entry, values, parents, entity, key, parent_key=r.field_key)
    ctx.deactivate_missing(kind, index)


def spec_link_problem(
    ctx: PlanContext, field_key: str, value_keys: tuple[str, ...], text: str | None, *, sku: bool
) -> tuple[str, str] | None:
    """Why a product/SKU specification row does not fit its field, or None."""
    info = ctx.field_info.get(field_key)
    if info is None:
        return None  # the field is not managed this run (taken from the state as it is)
    if info.is_sku != sku:
        where = "sku_specifications" if info.is_sku else "product_specifications"
        return (
            "field_key",
            f"{field_key!r} is a {'SKU' if info.is_sku else 'product'} field: give it in {where}",
        )
    has_values = SpecFieldType(info.field_type).has_values
    if has_values and not value_keys:
        return "value_keys", f"the field {field_key!r} ({info.field_type}) takes predefined values"
    if not has_values and text is None:
        return "value_text", f"the field {field_key!r} ({info.field_type}) takes free text"
    if len(value_keys) > 1 and info.field_type is not SpecFieldType.CHECKBOX:
        return "value_keys", f"the field {field_key!r} ({info.field_type}) takes one value"
    for v in value_keys:
        owner = ctx.value_field.get(v)
        if owner is not None and owner != field_key:
            return "value_keys" if not sku else "value_key", f"the value {v!r} belongs to field {owner!r}"
    return None


def required_of(ctx: PlanContext, category: str) -> tuple[frozenset[str], frozenset[str]]:
    """The required (SKU fields, product fields) of a category: its own and its ancestors'."""
    sku: set[str] = set()
    product: set[str] = set()
    node: str | None = category
    seen: set[str] = set()
    while node is not None and node not in seen:
        seen.add(node)
        s, p = ctx.required.get(node, (frozenset(), frozenset()))
        sku |= s
        product |= p
        node = ctx.category_parent.get(node)
    return frozenset(sku), frozenset(product)


def missing_required(
    ctx: PlanContext, kind: Kind, entity: Entity, key: str, fields: set[str], where: str
) -> None:
    names = ", ".join(sorted(fields))
    error = RecordInvalid(
        f"required specification(s) {names} not given in {where}: VTEX will not activate it",
        record=ctx.ref(entity, key),
        field=sorted(fields)[0],
    )
    if key not in ctx.bad[kind]:
        ctx.bad[kind][key] = error
        if key in ctx.step_of[kind]:
            ctx.drop(kind, key)
        else:
            ctx.known[kind].pop(key, None)
            ctx.unchanged[kind] -= 1
            ctx.count(kind, Action.BLOCKED)
            ctx.retro.add((kind.value, key))
    ctx.plan.errors.append(PlanError(kind, key, error))
