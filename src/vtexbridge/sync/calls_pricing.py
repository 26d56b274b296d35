"""The Pricing API calls: base and fixed prices of a SKU."""

from __future__ import annotations

from vtexbridge.sync.calls_base import (
    CallContext,
    CallTable,
    Done,
    Resolve,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Ref
from vtexbridge.sync.steps import Action, Step
from vtexbridge.vtex.models.pricing import PriceUpdate


async def put_price(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    body = ctx.body(step, resolve)
    sku_id = resolve(Ref(Kind.SKU.value, step.key))
    await ctx.client.pricing.replace_price(sku_id, PriceUpdate(**body), record=step.ref)
    return Done()


async def delete_price(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    sku_id = resolve(Ref(Kind.SKU.value, step.key))
    await ctx.client.pricing.delete_price(sku_id, record=step.ref)
    return Done(forget=True)


CALLS: CallTable = {
    (Kind.PRICE, Action.CREATE): put_price,
    (Kind.PRICE, Action.UPDATE): put_price,
    (Kind.PRICE, Action.UNLINK): delete_price,
}
