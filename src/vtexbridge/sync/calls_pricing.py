"""The Pricing API calls: base and fixed prices of a SKU."""

from __future__ import annotations

from vtexbridge.sync.calls_base import (
    CallsBase,
    Done,
    Resolve,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Ref
from vtexbridge.sync.steps import Step
from vtexbridge.vtex.models.pricing import PriceUpdate


class PricingCalls(CallsBase):
    """The Pricing API calls: base and fixed prices of a SKU."""

    async def put_price(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        sku_id = resolve(Ref(Kind.SKU.value, step.key))
        await self.client.pricing.replace_price(sku_id, PriceUpdate(**body), record=step.ref)
        return Done()

    async def delete_price(self, step: Step, resolve: Resolve) -> Done:
        sku_id = resolve(Ref(Kind.SKU.value, step.key))
        await self.client.pricing.delete_price(sku_id, record=step.ref)
        return Done(forget=True)
