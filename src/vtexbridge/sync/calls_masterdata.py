"""The Master Data calls: customer profiles (CL) and addresses (AD)."""

from __future__ import annotations

from vtexbridge.sync.calls_base import (
    CallsBase,
    Done,
    Resolve,
)
from vtexbridge.sync.steps import Step


class MasterDataCalls(CallsBase):
    """The Master Data calls: customer profiles (CL) and addresses (AD)."""

    async def put_customer(self, step: Step, resolve: Resolve) -> Done:
        # h7 (#12): an adopted document keeps VTEX's id (step.vtex_id)
        return await self._put_document(
            step, resolve, "CL", step.vtex_id or self.mapper.customer_id(step.key)
        )

    async def put_address(self, step: Step, resolve: Resolve) -> Done:
        return await self._put_document(step, resolve, "AD", step.vtex_id or self.mapper.address_id(step.key))

    async def _put_document(self, step: Step, resolve: Resolve, acronym: str, doc_id: str) -> Done:
        body = {k: v for k, v in self.body(step, resolve).items() if v is not None}
        await self.client.masterdata.replace_document(acronym, doc_id, body, record=step.ref)
        return Done(doc_id)
