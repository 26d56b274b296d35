"""The catalog's taxonomy calls: categories and brands (ids chosen by the sync), specification groups,
fields and values."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from vtexbridge.sync.calls_base import (
    _CHOSEN_ID_TRIES,
    _FIELD_DEFAULTS,
    CallContext,
    CallTable,
    Done,
    Resolve,
    _differs,
    _fields_of,
    _Found,
    _int,
    _or_none,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.steps import Action, Step
from vtexbridge.vtex.errors import Conflict, OutcomeUnknown
from vtexbridge.vtex.models.catalog import (
    BrandCreate,
    BrandUpdate,
    CategoryCreate,
    CategoryUpdate,
    SpecificationFieldCreate,
    SpecificationFieldUpdate,
    SpecificationGroupCreate,
    SpecificationGroupUpdate,
    SpecificationValueCreate,
    SpecificationValueUpdate,
)


async def create_category(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)

    async def create(chosen: int) -> int:
        created = await ctx.catalog.create_category(CategoryCreate(Id=chosen, **body), record=step.ref)
        return created.Id

    async def read(chosen: int) -> dict[str, Any] | None:
        found = await _or_none(ctx.catalog.get_category(chosen, record=step.ref))
        return None if found is None else found.model_dump()

    def ours(found: Mapping[str, Any]) -> bool:
        return bool(
            found["Name"] == body["Name"] and found.get("FatherCategoryId") == body["FatherCategoryId"]
        )

    async def update(chosen: int) -> None:
        await ctx.catalog.update_category(chosen, CategoryUpdate(**body), record=step.ref)

    return await _create_with_chosen_id(ctx, step, body, create, read, ours, update)


async def update_category(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    await ctx.catalog.update_category(_int(step.vtex_id), CategoryUpdate(**body), record=step.ref)
    return Done(step.vtex_id)


async def deactivate_category(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    current = (await ctx.catalog.get_category(_int(step.vtex_id), record=step.ref)).model_dump()
    if current.get("IsActive") is False:
        return Done(step.vtex_id, active=False)
    body = _fields_of(CategoryUpdate, current)
    body.update(IsActive=False, Score=current.get("Score") or 0)
    for name in ("Keywords", "Title", "Description"):
        body[name] = body.get(name) or ""
    body.setdefault("GlobalCategoryId", 0)
    await ctx.catalog.update_category(_int(step.vtex_id), CategoryUpdate(**body), record=step.ref)
    return Done(step.vtex_id, active=False)


async def create_brand(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)

    async def create(chosen: int) -> int:
        created = await ctx.catalog.create_brand(BrandCreate(Id=chosen, **body), record=step.ref)
        return created.Id

    async def read(chosen: int) -> dict[str, Any] | None:
        found = await _or_none(ctx.catalog.get_brand(chosen, record=step.ref))
        return None if found is None else found.model_dump()

    def ours(found: Mapping[str, Any]) -> bool:
        return bool(found["Name"] == body["Name"])

    async def update(chosen: int) -> None:
        await ctx.catalog.update_brand(chosen, BrandUpdate(Id=chosen, **body), record=step.ref)

    return await _create_with_chosen_id(ctx, step, body, create, read, ours, update)


async def update_brand(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    brand_id = _int(step.vtex_id)
    await ctx.catalog.update_brand(brand_id, BrandUpdate(Id=brand_id, **body), record=step.ref)
    return Done(step.vtex_id)


async def deactivate_brand(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    brand_id = _int(step.vtex_id)
    current = (await ctx.catalog.get_brand(brand_id, record=step.ref)).model_dump()
    if current.get("Active") is False:
        return Done(step.vtex_id, active=False)
    body = _fields_of(BrandUpdate, current)
    body.update(Id=brand_id, Active=False)
    await ctx.catalog.update_brand(brand_id, BrandUpdate(**body), record=step.ref)
    return Done(step.vtex_id, active=False)


async def _create_with_chosen_id(
    ctx: CallContext,
    step: Step,
    body: dict[str, Any],
    create: Callable[[int], Awaitable[int]],
    read: Callable[[int], Awaitable[dict[str, Any] | None]],
    ours: Callable[[Mapping[str, Any]], bool],
    update: Callable[[int], Awaitable[None]],
) -> Done:
    """Create under an id of our choosing; a lost or conflicting create is read back by that id."""
    chosen = step.reserved_id or ctx.ids.next_id(step.kind)
    check_first = step.resolve
    for _ in range(_CHOSEN_ID_TRIES):
        if check_first:
            found = await read(chosen)
            if found is not None:
                if ours(found):
                    if _differs(body, found):
                        await update(chosen)
                    return Done(str(chosen))
                chosen = ctx.ids.next_id(step.kind)  # taken by an entity that is not ours
                continue
        await ctx.mark(step, f"create:{chosen}")
        try:
            return Done(str(await create(chosen)))
        except (Conflict, OutcomeUnknown):
            check_first = True
    raise RuntimeError(f"no free id found for {step.kind.value} {step.key!r} in {_CHOSEN_ID_TRIES} tries")


async def create_group(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    category_id = body["CategoryId"]

    async def find() -> Any:
        groups = await ctx.catalog.list_specification_groups(category_id, record=step.ref)
        return next((g for g in groups if g.Name == body["Name"]), None)

    group = await ctx.create_by_lookup(
        step,
        find,
        lambda: ctx.catalog.create_specification_group(
            SpecificationGroupCreate(CategoryId=category_id, Name=body["Name"]), record=step.ref
        ),
    )
    position = body.get("Position")
    if position is not None and group.Position != position:
        update = SpecificationGroupUpdate(
            CategoryId=category_id, Id=group.Id, Name=body["Name"], Position=position
        )
        await ctx.catalog.update_specification_group(group.Id, update, record=step.ref)
    return Done(str(group.Id))


async def update_group(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    group_id = _int(step.vtex_id)
    position = body.get("Position")
    if position is None:
        position = (await ctx.catalog.get_specification_group(group_id, record=step.ref)).Position or 0
    update = SpecificationGroupUpdate(
        CategoryId=body["CategoryId"], Id=group_id, Name=body["Name"], Position=position
    )
    await ctx.catalog.update_specification_group(group_id, update, record=step.ref)
    return Done(step.vtex_id)


async def create_field(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)

    async def find() -> Any:
        fields = await ctx.catalog.list_category_specification_fields(body["CategoryId"], record=step.ref)
        hit = next((f for f in fields if f.Name == body["Name"]), None)
        return None if hit is None else _Found(hit.FieldId)

    found = await ctx.create_by_lookup(
        step,
        find,
        lambda: ctx.catalog.create_specification_field(SpecificationFieldCreate(**body), record=step.ref),
    )
    field_id = found.Id
    if isinstance(found, _Found):  # adopted: make it match
        await ctx.catalog.update_specification_field(
            field_id, SpecificationFieldUpdate(**body), record=step.ref
        )
    return Done(str(field_id))


async def update_field(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    await ctx.catalog.update_specification_field(
        _int(step.vtex_id), SpecificationFieldUpdate(**body), record=step.ref
    )
    return Done(step.vtex_id)


async def deactivate_field(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    """Gone from the ERP: switch VTEX's field off as it is (its PUT takes every attribute)."""
    field_id = _int(step.vtex_id)
    current = (await ctx.catalog.get_specification_field(field_id, record=step.ref)).model_dump()
    if current.get("IsActive") is False:
        return Done(step.vtex_id, active=False)
    body = _fields_of(SpecificationFieldUpdate, current)
    for name, default in _FIELD_DEFAULTS.items():
        body.setdefault(name, default)
    body["IsActive"] = False
    await ctx.catalog.update_specification_field(field_id, SpecificationFieldUpdate(**body), record=step.ref)
    return Done(step.vtex_id, active=False)


async def deactivate_value(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    value_id = _int(step.vtex_id)
    current = await ctx.catalog.get_specification_value(value_id, record=step.ref)
    if current.IsActive is False:
        return Done(step.vtex_id, active=False)
    if current.FieldId is None:
        raise ValueError(f"VTEX's specification value {value_id} has no FieldId")
    update = SpecificationValueUpdate(
        FieldId=current.FieldId,
        Name=current.Name,
        Text=current.Text,
        IsActive=False,
        Position=current.Position,
    )
    await ctx.catalog.update_specification_value(value_id, update, record=step.ref)
    return Done(step.vtex_id, active=False)


async def create_value(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)

    async def find() -> Any:
        values = await ctx.catalog.list_specification_values(body["FieldId"], record=step.ref)
        hit = next((v for v in values if v.Value == body["Name"]), None)
        return None if hit is None else _Found(hit.FieldValueId)

    found = await ctx.create_by_lookup(
        step,
        find,
        lambda: ctx.catalog.create_specification_value(SpecificationValueCreate(**body), record=step.ref),
    )
    value_id = found.Id if isinstance(found, _Found) else found.FieldValueId
    if isinstance(found, _Found):
        await ctx.catalog.update_specification_value(
            value_id, SpecificationValueUpdate(**body), record=step.ref
        )
    return Done(str(value_id))


async def update_value(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    await ctx.catalog.update_specification_value(
        _int(step.vtex_id), SpecificationValueUpdate(**body), record=step.ref
    )
    return Done(step.vtex_id)


CALLS: CallTable = {
    (Kind.CATEGORY, Action.CREATE): create_category,
    (Kind.CATEGORY, Action.UPDATE): update_category,
    (Kind.CATEGORY, Action.DEACTIVATE): deactivate_category,
    (Kind.BRAND, Action.CREATE): create_brand,
    (Kind.BRAND, Action.UPDATE): update_brand,
    (Kind.BRAND, Action.DEACTIVATE): deactivate_brand,
    (Kind.SPEC_GROUP, Action.CREATE): create_group,
    (Kind.SPEC_GROUP, Action.UPDATE): update_group,
    (Kind.SPEC_FIELD, Action.CREATE): create_field,
    (Kind.SPEC_FIELD, Action.UPDATE): update_field,
    (Kind.SPEC_FIELD, Action.DEACTIVATE): deactivate_field,
    (Kind.SPEC_VALUE, Action.CREATE): create_value,
    (Kind.SPEC_VALUE, Action.UPDATE): update_value,
    (Kind.SPEC_VALUE, Action.DEACTIVATE): deactivate_value,
}
