"""The VTEX requests of each step, used only by :mod:`vtexbridge.sync.apply`.

One method per (kind, action). Creates are made safe to repeat:

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

from collections.abc import Awaitable, Callable
from typing import Any

from vtexbridge.sync.calls_base import Done, Flights, IdAllocator, Resolve, _or_none
from vtexbridge.sync.calls_logistics import LogisticsCalls
from vtexbridge.sync.calls_masterdata import MasterDataCalls
from vtexbridge.sync.calls_pricing import PricingCalls
from vtexbridge.sync.calls_products import ProductCalls
from vtexbridge.sync.calls_taxonomy import TaxonomyCalls
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Mapper, Ref
from vtexbridge.sync.steps import Action, Step
from vtexbridge.vtex.client import VtexClient

__all__ = ["Calls", "Done", "Flights", "IdAllocator", "Resolve", "read_current"]


class Calls(TaxonomyCalls, ProductCalls, PricingCalls, LogisticsCalls, MasterDataCalls):
    """The requests of every (kind, action), by API area (see the ``calls_*`` modules)."""

    def __init__(self, client: VtexClient, mapper: Mapper, flights: Flights, ids: IdAllocator) -> None:
        super().__init__(client, mapper, flights, ids)
        self._table: dict[tuple[Kind, Action], Callable[[Step, Resolve], Awaitable[Done]]] = {
            (Kind.CATEGORY, Action.CREATE): self.create_category,
            (Kind.CATEGORY, Action.UPDATE): self.update_category,
            (Kind.CATEGORY, Action.DEACTIVATE): self.deactivate_category,
            (Kind.BRAND, Action.CREATE): self.create_brand,
            (Kind.BRAND, Action.UPDATE): self.update_brand,
            (Kind.BRAND, Action.DEACTIVATE): self.deactivate_brand,
            (Kind.SPEC_GROUP, Action.CREATE): self.create_group,
            (Kind.SPEC_GROUP, Action.UPDATE): self.update_group,
            (Kind.SPEC_FIELD, Action.CREATE): self.create_field,
            (Kind.SPEC_FIELD, Action.UPDATE): self.update_field,
            (Kind.SPEC_FIELD, Action.DEACTIVATE): self.deactivate_field,
            (Kind.SPEC_VALUE, Action.CREATE): self.create_value,
            (Kind.SPEC_VALUE, Action.UPDATE): self.update_value,
            (Kind.SPEC_VALUE, Action.DEACTIVATE): self.deactivate_value,
            (Kind.PRODUCT, Action.CREATE): self.create_product,
            (Kind.PRODUCT, Action.UPDATE): self.update_product,
            (Kind.PRODUCT, Action.DEACTIVATE): self.deactivate_product,
            (Kind.PRODUCT_SPEC, Action.LINK): self.set_product_spec,
            (Kind.PRODUCT_SPEC, Action.UPDATE): self.set_product_spec,
            (Kind.PRODUCT_SPEC, Action.UNLINK): self.set_product_spec,
            (Kind.TRADE_POLICY, Action.LINK): self.link_trade_policy,
            (Kind.TRADE_POLICY, Action.UNLINK): self.unlink_trade_policy,
            (Kind.SKU, Action.CREATE): self.create_sku,
            (Kind.SKU, Action.UPDATE): self.update_sku,
            (Kind.SKU, Action.ACTIVATE): self.activate_sku,
            (Kind.SKU, Action.DEACTIVATE): self.deactivate_sku,
            (Kind.SKU_SPEC, Action.LINK): self.link_sku_spec,
            (Kind.SKU_SPEC, Action.UPDATE): self.update_sku_spec,
            (Kind.SKU_SPEC, Action.UNLINK): self.unlink_sku_spec,
            (Kind.IMAGE, Action.LINK): self.link_image,
            (Kind.IMAGE, Action.UPDATE): self.update_image,
            (Kind.IMAGE, Action.UNLINK): self.unlink_image,
            (Kind.EAN, Action.LINK): self.link_ean,
            (Kind.EAN, Action.UNLINK): self.unlink_ean,
            (Kind.PRICE, Action.CREATE): self.put_price,
            (Kind.PRICE, Action.UPDATE): self.put_price,
            (Kind.PRICE, Action.UNLINK): self.delete_price,
            (Kind.DOCK, Action.CREATE): self.put_dock,
            (Kind.DOCK, Action.UPDATE): self.put_dock,
            (Kind.WAREHOUSE, Action.CREATE): self.put_warehouse,
            (Kind.WAREHOUSE, Action.UPDATE): self.put_warehouse,
            (Kind.WAREHOUSE, Action.DEACTIVATE): self.deactivate_warehouse,
            (Kind.DOCK, Action.DEACTIVATE): self.deactivate_dock,
            (Kind.INVENTORY, Action.CREATE): self.put_inventory,
            (Kind.INVENTORY, Action.UPDATE): self.put_inventory,
            (Kind.INVENTORY, Action.DEACTIVATE): self.zero_inventory,
            (Kind.CUSTOMER, Action.CREATE): self.put_customer,
            (Kind.CUSTOMER, Action.UPDATE): self.put_customer,
            (Kind.ADDRESS, Action.CREATE): self.put_address,
            (Kind.ADDRESS, Action.UPDATE): self.put_address,
        }

    async def run(self, step: Step, resolve: Resolve) -> Done:
        """Make the requests of ``step``."""
        call = self._table.get((step.kind, step.action))
        if call is None:
            raise NotImplementedError(f"no request for {step.action.value} {step.kind.value}")
        return await call(step, resolve)


async def read_current(calls: Calls, step: Step, resolve: Resolve) -> dict[str, Any] | None:
    """VTEX's copy of a step's entity (for ``--show``'s field diff), or None when there is none to read."""
    c = calls.client
    kind, vtex_id = step.kind, step.vtex_id
    if kind is Kind.CATEGORY and vtex_id:
        return (await c.catalog.get_category(int(vtex_id))).model_dump()
    if kind is Kind.BRAND and vtex_id:
        return (await c.catalog.get_brand(int(vtex_id))).model_dump()
    if kind is Kind.PRODUCT and vtex_id:
        return (await c.catalog.get_product(int(vtex_id))).model_dump()
    if kind is Kind.SKU and vtex_id:
        return (await c.catalog.get_sku(int(vtex_id))).model_dump()
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
            calls.mapper.customer_id(step.key) if kind is Kind.CUSTOMER else calls.mapper.address_id(step.key)
        )
        return await _or_none(c.masterdata.get_document(acronym, doc_id))
    return None
