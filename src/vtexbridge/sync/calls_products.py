"""The catalog's product calls: products, their specifications and trade policies, SKUs, their
specifications, images and EANs."""

from __future__ import annotations

import asyncio
from typing import Any

from vtexbridge.sync.calls_base import (
    CallContext,
    CallTable,
    Done,
    Resolve,
    _differs,
    _fields_of,
    _gone_is_fine,
    _int,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Ref
from vtexbridge.sync.steps import Action, Step
from vtexbridge.vtex.errors import Conflict, NotFound, OutcomeUnknown
from vtexbridge.vtex.models.catalog import (
    ProductCreate,
    ProductSpecificationCreate,
    ProductUpdate,
    SkuCreate,
    SkuFileCreate,
    SkuFileUpdate,
    SkuSpecificationCreate,
    SkuSpecificationUpdate,
    SkuUpdate,
)


async def create_product(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)

    async def adopt() -> Done | None:
        found = await ctx.catalog.get_product_by_ref_id(step.key, record=step.ref)
        if found is None:
            return None
        if _differs(body, found.model_dump()):
            await ctx.catalog.update_product(found.Id, ProductUpdate(**body), record=step.ref)
        return Done(str(found.Id))

    if step.resolve and (done := await adopt()) is not None:
        return done
    await ctx.mark(step)
    try:
        created = await ctx.catalog.create_product(ProductCreate(**body), record=step.ref)
    except (Conflict, OutcomeUnknown):
        if (done := await adopt()) is not None:
            return done
        created = await ctx.catalog.create_product(ProductCreate(**body), record=step.ref)
    return Done(str(created.Id))


async def update_product(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    await ctx.catalog.update_product(_int(step.vtex_id), ProductUpdate(**body), record=step.ref)
    return Done(step.vtex_id)


async def deactivate_product(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    product_id = _int(step.vtex_id)
    current = (await ctx.catalog.get_product(product_id, record=step.ref)).model_dump()
    if current.get("IsActive") is False:
        return Done(step.vtex_id, active=False)
    body = _fields_of(ProductUpdate, current)
    body["IsActive"] = False
    await ctx.catalog.update_product(product_id, ProductUpdate(**body), record=step.ref)
    return Done(step.vtex_id, active=False)


async def link_trade_policy(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    product, policy = step.key.split("|", 1)
    product_id = resolve(Ref(Kind.PRODUCT.value, product))
    await ctx.catalog.add_product_trade_policy(product_id, int(policy), record=step.ref)
    return Done()


async def unlink_trade_policy(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    product, policy = step.key.split("|", 1)
    product_id = resolve(Ref(Kind.PRODUCT.value, product))
    await ctx.catalog.remove_product_trade_policy(product_id, int(policy), record=step.ref)
    return Done(forget=True)


async def set_product_spec(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    """Make the product's values of one field exactly the wanted ones."""
    product, field = step.key.split("|", 1)
    product_id = resolve(Ref(Kind.PRODUCT.value, product))
    field_id = resolve(Ref(Kind.SPEC_FIELD.value, field))
    wanted: list[int] = []
    text: str | None = None
    if step.action is not Action.UNLINK:
        body = ctx.body(step, resolve)
        wanted = [int(v) for v in body["FieldValueIds"]]
        text = body["Text"]
    fresh = step.action is Action.LINK and not step.resolve
    current = [] if fresh else await ctx.catalog.list_product_specifications(product_id, record=step.ref)
    kept: set[int | str] = set()
    for spec in current:
        if spec.FieldId != field_id:
            continue
        keep = (spec.FieldValueId in wanted) if wanted else (text is not None and (spec.Text or "") == text)
        if keep and (spec.FieldValueId or spec.Text or "") not in kept:
            kept.add(spec.FieldValueId or spec.Text or "")
        else:
            await ctx.catalog.delete_product_specification(product_id, spec.Id, record=step.ref)
    creates: list[ProductSpecificationCreate] = [
        ProductSpecificationCreate(FieldId=field_id, FieldValueId=v) for v in wanted if v not in kept
    ]
    if text is not None and not wanted and text not in kept:
        creates.append(ProductSpecificationCreate(FieldId=field_id, Text=text))
    if creates:
        await ctx.mark(step)
    for create in creates:
        try:
            await ctx.catalog.create_product_specification(product_id, create, record=step.ref)
        except OutcomeUnknown:
            specs = await ctx.catalog.list_product_specifications(product_id, record=step.ref)
            if not any(
                s.FieldId == field_id
                and (s.FieldValueId == create.FieldValueId or (s.Text or "") == create.Text)
                for s in specs
            ):
                await ctx.catalog.create_product_specification(product_id, create, record=step.ref)
    return Done(forget=step.action is Action.UNLINK)


async def create_sku(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)

    async def adopt() -> Done | None:
        found = await ctx.skus.get_sku_by_ref_id(step.key, record=step.ref)
        if found is None:
            return None
        active = bool(found.IsActive)
        if _differs(body, found.model_dump()):
            await ctx.skus.update_sku(found.Id, SkuUpdate(**body, IsActive=active), record=step.ref)
        return Done(str(found.Id), active=active)

    if step.resolve and (done := await adopt()) is not None:
        return done
    await ctx.mark(step)
    try:
        created = await ctx.skus.create_sku(SkuCreate(**body, IsActive=False), record=step.ref)
    except (Conflict, OutcomeUnknown):
        if (done := await adopt()) is not None:
            return done
        created = await ctx.skus.create_sku(SkuCreate(**body, IsActive=False), record=step.ref)
    return Done(str(created.Id), active=bool(created.IsActive))


async def update_sku(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    sku = await ctx.skus.update_sku(
        _int(step.vtex_id), SkuUpdate(**body, IsActive=step.live), record=step.ref
    )
    return Done(step.vtex_id, active=bool(sku.IsActive))


async def activate_sku(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    """Switch a SKU on, unless VTEX already did (``ActivateIfPossible``): read, then write if needed.

    The read is of the product's SKUs (one request serves the siblings activated after it), taken
    after this step became ready, i.e. after every write it waited for.
    """
    sku_id = _int(step.vtex_id) if step.vtex_id else resolve(Ref(Kind.SKU.value, step.key))
    active = await _sku_active(ctx, step, sku_id, resolve)
    if active:
        return Done(str(sku_id), active=True)
    body = ctx.body(step, resolve)
    await ctx.skus.update_sku(sku_id, SkuUpdate(**body, IsActive=True), record=step.ref)
    return Done(str(sku_id), active=True)


async def _sku_active(ctx: CallContext, step: Step, sku_id: int, resolve: Resolve) -> bool:
    """Whether VTEX has the SKU active: read with its product's SKUs, after ``step`` was ready."""
    product_key = step.parent_key
    product_id = resolve(Ref(Kind.PRODUCT.value, product_key)) if product_key else None
    if product_id is None:
        return bool((await ctx.skus.get_sku(sku_id, record=step.ref)).IsActive)
    lock = ctx.product_locks.setdefault(product_id, asyncio.Lock())
    async with lock:
        seen = ctx.product_skus.get(product_id)
        if seen is None or seen[0] <= step.ready:
            moment = ctx.tick()
            skus = await ctx.skus.list_skus_of_product(product_id, record=step.ref)
            seen = (moment, {s.Id: s.IsActive for s in skus})
            ctx.product_skus[product_id] = seen
    active = seen[1].get(sku_id)
    if active is None:
        return bool((await ctx.skus.get_sku(sku_id, record=step.ref)).IsActive)
    return active


async def deactivate_sku(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    sku_id = _int(step.vtex_id)
    if step.values is not None:
        body = ctx.body(step, resolve)
    else:  # gone from the ERP: switch VTEX's copy off as it is
        current = (await ctx.skus.get_sku(sku_id, record=step.ref)).model_dump()
        if current.get("IsActive") is False and current.get("ActivateIfPossible") is False:
            return Done(step.vtex_id, active=False)
        body = _fields_of(SkuUpdate, current)
        body.pop("IsActive", None)
        body["ActivateIfPossible"] = False
        if isinstance(body.get("PackagedWeightKg"), float):
            body["PackagedWeightKg"] = round(body["PackagedWeightKg"])
    await ctx.skus.update_sku(sku_id, SkuUpdate(**body, IsActive=False), record=step.ref)
    return Done(step.vtex_id, active=False)


async def link_sku_spec(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))

    async def find() -> Any:
        specs = await ctx.skus.list_sku_specifications(sku_id, record=step.ref)
        return next((s for s in specs if s.FieldId == body["FieldId"]), None)

    spec = await ctx.create_by_lookup(
        step,
        find,
        lambda: ctx.skus.create_sku_specification(
            sku_id,
            SkuSpecificationCreate(FieldId=body["FieldId"], FieldValueId=body["FieldValueId"]),
            record=step.ref,
        ),
    )
    if spec.FieldValueId != body["FieldValueId"]:
        update = SkuSpecificationUpdate(
            Id=spec.Id, SkuId=sku_id, FieldId=body["FieldId"], FieldValueId=body["FieldValueId"]
        )
        await ctx.skus.update_sku_specification(sku_id, update, record=step.ref)
    return Done(str(spec.Id))


async def update_sku_spec(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))
    update = SkuSpecificationUpdate(
        Id=_int(step.vtex_id), SkuId=sku_id, FieldId=body["FieldId"], FieldValueId=body["FieldValueId"]
    )
    try:
        await ctx.skus.update_sku_specification(sku_id, update, record=step.ref)
    except NotFound:  # removed in VTEX meanwhile: add it again
        step.resolve = True
        return await link_sku_spec(ctx, step, resolve)
    return Done(step.vtex_id)


async def unlink_sku_spec(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))
    await _gone_is_fine(ctx.skus.delete_sku_specification(sku_id, _int(step.vtex_id), record=step.ref))
    return Done(forget=True)


async def link_image(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))

    async def find() -> Any:
        files = await ctx.skus.list_sku_files(sku_id, record=step.ref)
        return next((f for f in files if f.Url == body["Url"]), None)

    file = await ctx.create_by_lookup(
        step, find, lambda: ctx.skus.create_sku_file(sku_id, SkuFileCreate(**body), record=step.ref)
    )
    if step.resolve and _differs(body, file.model_dump()):
        await ctx.skus.update_sku_file(sku_id, file.Id, SkuFileUpdate(**body), record=step.ref)
    return Done(str(file.Id))


async def update_image(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))
    await ctx.skus.update_sku_file(sku_id, _int(step.vtex_id), SkuFileUpdate(**body), record=step.ref)
    return Done(step.vtex_id)


async def unlink_image(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))
    await _gone_is_fine(ctx.skus.delete_sku_file(sku_id, _int(step.vtex_id), record=step.ref))
    return Done(forget=True)


async def link_ean(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    sku, ean = step.key.split("|", 1)
    await ctx.skus.add_sku_ean(resolve(Ref(Kind.SKU.value, sku)), ean, record=step.ref)
    return Done()


async def unlink_ean(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    sku, ean = step.key.split("|", 1)
    await _gone_is_fine(ctx.skus.delete_sku_ean(resolve(Ref(Kind.SKU.value, sku)), ean, record=step.ref))
    return Done(forget=True)


CALLS: CallTable = {
    (Kind.PRODUCT, Action.CREATE): create_product,
    (Kind.PRODUCT, Action.UPDATE): update_product,
    (Kind.PRODUCT, Action.DEACTIVATE): deactivate_product,
    (Kind.PRODUCT_SPEC, Action.LINK): set_product_spec,
    (Kind.PRODUCT_SPEC, Action.UPDATE): set_product_spec,
    (Kind.PRODUCT_SPEC, Action.UNLINK): set_product_spec,
    (Kind.TRADE_POLICY, Action.LINK): link_trade_policy,
    (Kind.TRADE_POLICY, Action.UNLINK): unlink_trade_policy,
    (Kind.SKU, Action.CREATE): create_sku,
    (Kind.SKU, Action.UPDATE): update_sku,
    (Kind.SKU, Action.ACTIVATE): activate_sku,
    (Kind.SKU, Action.DEACTIVATE): deactivate_sku,
    (Kind.SKU_SPEC, Action.LINK): link_sku_spec,
    (Kind.SKU_SPEC, Action.UPDATE): update_sku_spec,
    (Kind.SKU_SPEC, Action.UNLINK): unlink_sku_spec,
    (Kind.IMAGE, Action.LINK): link_image,
    (Kind.IMAGE, Action.UPDATE): update_image,
    (Kind.IMAGE, Action.UNLINK): unlink_image,
    (Kind.EAN, Action.LINK): link_ean,
    (Kind.EAN, Action.UNLINK): unlink_ean,
}
