"""Acceptance on PostgreSQL: the same pipeline with the state store on a fresh schema, two workers
sharing it (two feed consumers on one queue, two action runners on one outbox)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from orders_acceptance_support import CountingSink, accepted_per_order, until
from orders_kill_support import pg_schema

from vtexbridge.erp.sinks.folder import FolderSink
from vtexbridge.orders.service import OrdersService
from vtexbridge.state import StateStore
from vtexbridge.testing.orders import OrdersHarness

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_state(pg_url: str) -> Iterator[str]:
    yield from pg_schema(pg_url, "vborders")


async def test_two_workers_on_postgresql(tmp_path: Path, pg_state: str) -> None:
    erp = FolderSink(tmp_path / "erp" / "orders", fsync=False)  # one ERP, two workers handing to it
    sink, second_sink = CountingSink(erp), CountingSink(erp)
    async with OrdersHarness(tmp_path, sink=sink, state_url=pg_state) as h:
        second_store = StateStore(pg_state)
        second = OrdersService(
            h.settings, store=second_store, client=h.service.client, sink=second_sink, worker="second-worker"
        )
        stop = asyncio.Event()
        workers = [asyncio.create_task(h.service.run(stop)), asyncio.create_task(second.run(stop))]
        try:
            ids = await h.place(40)
            await until(lambda: len(sink.handed + second_sink.handed) == 40, what="40 orders on PostgreSQL")
            for oid in ids:
                h.drop_action(
                    f"inv-{oid}.json",
                    [
                        {
                            "type": "invoice",
                            "orderId": oid,
                            "invoiceNumber": f"NF-{oid}",
                            "issuanceDate": "2024-05-01",
                        },
                        {
                            "type": "tracking",
                            "orderId": oid,
                            "invoiceNumber": f"NF-{oid}",
                            "trackingNumber": "T",
                        },
                    ],
                )

            async def all_invoiced() -> bool:
                return set((await h.statuses()).values()) == {"invoiced"}

            await until(all_invoiced, what="every order invoiced")
            await until(
                lambda: all(a.state == "done" for a in h.state.actions.list_for("sandbox", limit=200)),
                what="every action done",
            )
        finally:
            stop.set()
            await asyncio.gather(*workers)
            second_store.close()
        handed = sink.handed + second_sink.handed
        assert len(handed) == 40 and set(handed.values()) == {1}  # each order handed to the ERP once
        assert sink.handed and second_sink.handed  # and both workers delivered some
        # handling started once per order, invoiced once (a repeat answered 409 is fine)
        once = Counter(dict.fromkeys(ids, 1))
        assert (
            await accepted_per_order(h.admin, "/api/oms/pvt/orders/{orderId}/start-handling", "POST") == once
        )
        assert await accepted_per_order(h.admin, "/api/oms/pvt/orders/{orderId}/invoice", "POST") == once
        claimed_by = Counter(a.claimed_by for a in h.state.actions.list_for("sandbox", limit=200))
        assert set(claimed_by) == {h.service.worker, "second-worker"}, claimed_by  # both ran actions
        assert h.state.engine.dialect.name == "postgresql"
