"""Acceptance: 300 orders through the whole pipeline against the sandbox (in process).

Placed through ``POST /_sandbox/orders`` -> feed -> folder sink exactly once -> handled -> invoiced
and tracked from files dropped into the actions folder (JSON and CSV) -> the sandbox shows every
order ``invoiced``. (How fast is bench/bench_orders.py's business: the waits here are generous
bounds for a loaded machine, not a performance claim.)
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from orders_acceptance_support import CountingSink, until

from vtexbridge.testing.orders import OrdersHarness

N = 300  # 500 before #11's fault and kill runs joined the suite; the suite must stay short


async def test_300_orders_end_to_end(tmp_path: Path) -> None:
    sink = CountingSink(tmp_path / "erp" / "orders")
    async with OrdersHarness(tmp_path, sink=sink) as h:
        stop = asyncio.Event()
        worker = asyncio.create_task(h.service.run(stop))
        try:
            ids = await h.place(N)
            await until(lambda: len(h.order_files()) == N, within=90, what="every order file")

            async def all_handling() -> bool:
                return set((await h.statuses()).values()) == {"handling"}

            await until(all_handling, within=60, what="every order handling")

            # The ERP invoices and ships: half as one JSON file per order, half as CSV batches of 50.
            json_half, csv_half = ids[: N // 2], ids[N // 2 :]
            for oid in json_half:
                order = json.loads((h.orders_folder / f"{oid}.ready-for-handling.json").read_text())
                h.drop_action(
                    f"invoice-{oid}.json",
                    [
                        {
                            "type": "invoice",
                            "orderId": oid,
                            "invoiceNumber": f"NF-{oid}",
                            "issuanceDate": "2024-05-01",
                            "invoiceValue": order["totals"]["total"],
                            "items": [
                                {"id": i["skuId"], "price": i["sellingPrice"], "quantity": i["quantity"]}
                                for i in order["items"]
                            ],
                        },
                        {
                            "type": "tracking",
                            "orderId": oid,
                            "invoiceNumber": f"NF-{oid}",
                            "trackingNumber": f"TR-{oid}",
                            "courier": "Correios",
                        },
                    ],
                )
            header = "type,orderId,invoiceNumber,issuanceDate,trackingNumber,courier\n"
            for start in range(0, len(csv_half), 50):
                rows = []
                for oid in csv_half[start : start + 50]:
                    rows.append(f"invoice,{oid},NF-{oid},2024-05-01,,\n")  # no items: the whole order
                    rows.append(f"tracking,{oid},NF-{oid},,TR-{oid},Correios\n")
                h.drop_action(f"batch-{start:03d}.csv", header + "".join(rows))

            async def all_invoiced() -> bool:
                return set((await h.statuses()).values()) == {"invoiced"}

            await until(all_invoiced, within=90, what="every order invoiced")
            await until(
                lambda: all(a.state == "done" for a in h.state.actions.list_for("sandbox", limit=2 * N)),
                within=20,
                what="every action done",
            )
            await until(
                lambda: (
                    not [p for p in (h.actions_folder / "processing").iterdir() if not p.name.startswith(".")]
                ),
                within=10,
                what="the processing folder to empty",
            )
        finally:
            stop.set()
            await worker

        # exactly once into the ERP
        assert len(sink.handed) == N and sink.twice() == {}  # handed to the sink once per order
        assert sorted(p.name for p in h.order_files()) == sorted(
            f"{oid}.ready-for-handling.json" for oid in ids
        )
        assert all(len(h.state.orders.list_deliveries("sandbox", oid)) == 1 for oid in ids)
        # handled once, invoiced once, tracked
        assert await h.requests(route="/api/oms/pvt/orders/{orderId}/start-handling") == N
        assert await h.requests(route="/api/oms/pvt/orders/{orderId}/invoice", method="POST") == N
        assert (
            await h.requests(route="/api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}", method="PATCH")
            == N
        )
        for oid in ids[:: N // 10]:
            [package] = (await h.order(oid))["order"]["packageAttachment"]["packages"]
            assert package["invoiceNumber"] == f"NF-{oid}" and package["trackingNumber"] == f"TR-{oid}"
        # every action file archived as done, none rejected
        assert len(list((h.actions_folder / "done").iterdir())) == N // 2 + N // 2 // 50
        assert list((h.actions_folder / "rejected").iterdir()) == []
