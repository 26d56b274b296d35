"""The planner's passes over Master Data: customer profiles (CL) and their addresses (AD)."""

from __future__ import annotations

from vtexbridge.erp.records import (
    Address,
    Customer,
    Entity,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.plan_context import (
    PlanContext,
)
from vtexbridge.sync.validate import checker


def customers(ctx: PlanContext) -> None:
    kind, entity = Kind.CUSTOMER, Entity.CUSTOMERS
    index = ctx.state.index(kind.value)
    check = checker(entity)
    km = ctx.mapper[kind]
    for r, key, entry in ctx.fresh(entity, kind, Customer, index, "key", check):
        values = ctx.mapped(kind, entity, key, km.values, r)
        if values is None:
            continue
        step = ctx.diff(kind, key, entry, values, (), entity, key)
        # h7 (#12): an adopted profile keeps the id VTEX gave it; ours is derived from the key
        doc_id = entry.vtex_id if entry is not None and entry.vtex_id else ctx.mapper.customer_id(key)
        ctx.known[kind][key] = doc_id
        if step is not None:
            step.vtex_id = doc_id


def addresses(ctx: PlanContext) -> None:
    kind, entity = Kind.ADDRESS, Entity.ADDRESSES
    index = ctx.state.index(kind.value)
    check = checker(entity)
    km = ctx.mapper[kind]
    for r, key, entry in ctx.fresh(entity, kind, Address, index, "key", check):
        parents = ctx.parents_or_block(kind, entity, key, ((Kind.CUSTOMER, r.customer_key, "customer_key"),))
        values = None if parents is None else ctx.mapped(kind, entity, key, km.values, r)
        if parents is None or values is None:
            continue
        step = ctx.diff(kind, key, entry, values, parents, entity, key, parent_key=r.customer_key)
        if step is not None:  # h7 (#12): an adopted address keeps VTEX's id
            step.vtex_id = (
                entry.vtex_id if entry is not None and entry.vtex_id else ctx.mapper.address_id(key)
            )
