"""The Master Data calls: customer profiles (CL) and addresses (AD)."""

from __future__ import annotations

from vtexbridge.sync.calls_base import (
    CallContext,
    CallTable,
    Done,
    Resolve,
)
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.steps import Action, Step


async def put_customer(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    # h7 (#12): an adopted document keeps VTEX's id (step.vtex_id)
    return await _put_document(ctx, step, resolve, "CL", step.vtex_id or ctx.mapper.customer_id(step.key))


async def put_address(ctx: CallContext, step: Step, resolve: Resolve) -> Done:
    return await _put_document(ctx, step, resolve, "AD", step.vtex_id or ctx.mapper.address_id(step.key))


async def _put_document(ctx: CallContext, step: Step, resolve: Resolve, acronym: str, doc_id: str) -> Done:
    body = {k: v for k, v in ctx.body(step, resolve).items() if v is not None}
    await ctx.client.masterdata.replace_document(acronym, doc_id, body, record=step.ref)
    return Done(doc_id)


CALLS: CallTable = {
    (Kind.CUSTOMER, Action.CREATE): put_customer,
    (Kind.CUSTOMER, Action.UPDATE): put_customer,
    (Kind.ADDRESS, Action.CREATE): put_address,
    (Kind.ADDRESS, Action.UPDATE): put_address,
}
