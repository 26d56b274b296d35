"""The VTEX requests of each step, used only by :mod:`vtexbridge.sync.apply`.

One function per (kind, action), one module per API area, dispatched by :data:`TABLE`.
Creates are made safe to repeat:

- **brands and categories** get an id chosen by the sync (VTEX requires it for brands), reserved in
  the in-flight mark (``create:<id>``) before sending; an unknown outcome, or a 409 "already exists",
  is resolved by reading that id back: ours (same name and parent) -> adopted, someone else's -> the
  next free id;
- **products and SKUs** get VTEX's ids; an unknown outcome, a 409, or a create left in flight by a
  killed run is resolved by looking the ``RefId`` (the ERP key) up before creating again;
- **specification groups, fields, values, SKU files and SKU specifications** are looked up by their
  natural key (name in the category/group/field, URL of the file, field of the SKU);
- product specifications are *set*: read the product's values of the field, delete the ones not
  wanted, add the missing ones — repeating it changes nothing;
- everything else is an idempotent PUT or upsert (prices, stock, warehouses, docks, Master Data
  documents under ids derived from the ERP key, EANs, trade-policy links).

An adopted entity is updated only when VTEX's copy differs from the payload.
"""

from __future__ import annotations

from typing import Any

from vtexbridge.sync import (
    calls_logistics,
    calls_masterdata,
    calls_pricing,
    calls_products,
    calls_taxonomy,
)
from vtexbridge.sync.calls_base import (
    CallContext,
    CallTable,
    Done,
    Flights,
    IdAllocator,
    Resolve,
    _or_none,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Mapper, Ref
from vtexbridge.sync.steps import Step
from vtexbridge.vtex.client import VtexClient

__all__ = ["TABLE", "CallContext", "Calls", "Done", "Flights", "IdAllocator", "Resolve", "read_current"]

TABLE: CallTable = {
    **calls_taxonomy.CALLS,
    **calls_products.CALLS,
    **calls_pricing.CALLS,
    **calls_logistics.CALLS,
    **calls_masterdata.CALLS,
}
"""The request of every ``(kind, action)``: each API area's table (see the ``calls_*`` modules)."""


class Calls:
    """The calls of one run: their shared :class:`CallContext`, dispatched by :data:`TABLE`."""

    def __init__(self, client: VtexClient, mapper: Mapper, flights: Flights, ids: IdAllocator) -> None:
        self.ctx = CallContext(client, mapper, flights, ids)

    def tick(self) -> int:
        """A moment of the run (the executor ticks when a step becomes ready)."""
        return self.ctx.tick()

    async def run(self, step: Step, resolve: Resolve) -> Done:
        """Make the requests of ``step``."""
        call = TABLE.get((step.kind, step.action))
        if call is None:
            raise NotImplementedError(f"no request for {step.action.value} {step.kind.value}")
        return await call(self.ctx, step, resolve)


async def read_current(calls: Calls, step: Step, resolve: Resolve) -> dict[str, Any] | None:
    """VTEX's copy of a step's entity (for ``--show``'s field diff), or None when there is none to read."""
    c = calls.ctx.client
    kind, vtex_id = step.kind, step.vtex_id
    if kind is Kind.CATEGORY and vtex_id:
        return (await c.catalog.get_category(int(vtex_id))).model_dump()
    if kind is Kind.BRAND and vtex_id:
        return (await c.catalog.get_brand(int(vtex_id))).model_dump()
    if kind is Kind.PRODUCT and vtex_id:
        return (await c.catalog.get_product(int(vtex_id))).model_dump()
    if kind is Kind.SKU and vtex_id:
        return (await c.skus.get_sku(int(vtex_id))).model_dump()
    if kind is Kind.PRICE:
        price = await c.pricing.get_price(resolve(Ref(Kind.SKU.value, step.key)))
        return None if price is None else price.model_dump(by_alias=True)
    if kind is Kind.INVENTORY:
        sku, warehouse = step.key.split("|", 1)
        balance = await c.logistics.get_inventory(resolve(Ref(Kind.SKU.value, sku)))
        line = next((b for b in balance.balance if b.warehouseId == warehouse), None)
        if line is None:
            return None
        return {
            "quantity": line.totalQuantity,
            "unlimitedQuantity": line.hasUnlimitedQuantity,
            "leadTime": line.leadTime,
        }
    if kind in (Kind.CUSTOMER, Kind.ADDRESS):
        acronym = "CL" if kind is Kind.CUSTOMER else "AD"
        doc_id = (
            calls.ctx.mapper.customer_id(step.key)
            if kind is Kind.CUSTOMER
            else calls.ctx.mapper.address_id(step.key)
        )
        return await _or_none(c.masterdata.get_document(acronym, doc_id))
    return None
