"""Actions of marketplace seller orders (model A) go to the marketplace, not the OMS, over real HTTP.

The sandbox plays VTEX twice: the OMS of our account (a normal order) and a VTEX marketplace that
placed an order on us as its external seller (``VB-<marketplaceOrderId>``). The ERP drops invoice,
tracking and cancellation files for both in the actions folder; the seller order's reach the
marketplace's services endpoint (and never the OMS invoice route), the normal order's reach the OMS,
and the marketplace's refusals are kept like VTEX's.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mkp_acceptance_support import ROOT, Admin

from vtexbridge.cli.serve import marketplace_runtime
from vtexbridge.config import Settings
from vtexbridge.marketplace.runtime import MarketplaceRuntime, attach
from vtexbridge.orders.service import OrdersService
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.serving import Served, serve_in_thread
from vtexbridge.state import Action
from vtexbridge.testing.orders import add_sellable_sku, harness_settings
from vtexbridge.web.app import create_app

pytestmark = pytest.mark.slow
SELLER = "erpseller"
KEY, TOKEN = "vtexappkey-sandbox-TOWARDS-SELLER", "marketplace-to-seller-token"
OMS_INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"


@dataclass
class World:
    admin: Admin
    settings: Settings
    service: OrdersService
    runtime: MarketplaceRuntime
    sandbox: Served

    def drop(self, name: str, content: dict[str, Any]) -> None:
        folder = self.settings.orders.actions.folder
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp"
        tmp.write_text(json.dumps(content), encoding="utf-8")
        tmp.replace(folder / name)

    def action(self, dedup_key: str) -> Action:
        found = self.service.store.actions.find("sandbox", dedup_key)
        assert found is not None, dedup_key
        return found

    def actions_of(self, order_id: str) -> list[Action]:
        return self.service.store.actions.list_for("sandbox", order_id=order_id, limit=50)

    async def marketplace_order(self, **body: Any) -> dict[str, Any]:
        placed: dict[str, Any] = await self.admin.call(
            "POST",
            "/_sandbox/marketplace/orders",
            {"sellerId": SELLER, "items": [{"id": "P0001-01", "quantity": 2}], **body},
            expect=201,
        )
        assert placed["sellerOrderId"].startswith("VB-")
        return placed


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    sandbox_store = Store()
    add_sellable_sku(sandbox_store, 100)
    sandbox = serve_in_thread(create_sandbox(SandboxOptions(limits="off"), store=sandbox_store))
    erp = tmp_path / "erp-snapshot"
    shutil.copytree(ROOT / "examples" / "erp", erp, ignore=shutil.ignore_patterns("*.py", "*.md"))
    settings = harness_settings(
        tmp_path,
        base_url=sandbox.url,
        erp={"kind": "folder", "path": str(erp)},
        marketplace={"seller": {"seller_id": SELLER, "app_key": KEY, "app_token": TOKEN}},
    )
    service = OrdersService(settings)
    runtime = marketplace_runtime(settings, service)  # what `serve` builds, routing included
    assert runtime is not None and runtime.seller is not None
    await runtime.ready()
    app = create_app(settings, state=service.store, client=service.client, wakeups=service.wakeups)
    attach(app, runtime)
    ours = serve_in_thread(app)
    admin = Admin(sandbox.url)
    await admin.call(
        "POST",
        "/_sandbox/marketplace/sellers",
        {
            "sellerId": SELLER,
            "fulfillmentEndpoint": ours.url + "/marketplace/seller",
            "appKey": KEY,
            "appToken": TOKEN,
        },
        expect=201,
    )
    await service.consumer.ensure_config()
    yield World(admin, settings, service, runtime, sandbox)
    ours.stop()
    await runtime.aclose()
    await service.aclose()
    sandbox.stop()
    sandbox_store.close()


async def test_invoice_and_tracking_of_a_seller_order_reach_the_marketplace(world: World) -> None:
    placed = await world.marketplace_order()
    seller_order, mkp_id = placed["sellerOrderId"], placed["marketplaceOrderId"]
    oms: str = (
        await world.admin.call(
            "POST", "/_sandbox/orders", {"items": [{"skuId": "100", "quantity": 1}]}, expect=201
        )
    )["orderId"]
    await world.service.run(once=True)  # the OMS order reaches the ERP (and is handling)

    invoice = {"type": "invoice", "issuanceDate": "2026-05-02"}
    world.drop("mkp-invoice.json", {**invoice, "orderId": seller_order, "invoiceNumber": "NF-MKP-1"})
    world.drop("oms-invoice.json", {**invoice, "orderId": oms, "invoiceNumber": "NF-OMS-1"})
    await world.service.run(once=True)
    tracking = {
        "type": "tracking",
        "orderId": seller_order,
        "courier": "Correios",
        "trackingNumber": "BR123",
        "trackingUrl": "https://track.example/BR123",
        "dispatchedDate": "2026-05-03",
    }
    world.drop("mkp-tracking.json", {**tracking, "invoiceNumber": "NF-MKP-1"})
    world.drop("mkp-tracking-unknown.json", {**tracking, "invoiceNumber": "NF-NOT-SENT"})
    await world.service.run(once=True)

    # the seller order's invoice (the whole order: no items given) and tracking are the marketplace's
    done = world.action("invoice:NF-MKP-1")
    assert done.state == "done" and "marketplace" in (done.vtex_message or "")
    mkp_order = await world.admin.call("GET", f"/_sandbox/marketplace/orders/{mkp_id}")
    [sent] = mkp_order["invoices"]
    assert sent["invoiceNumber"] == "NF-MKP-1" and sent["type"] == "Output"
    assert sent["items"] == [{"id": "P0001-01", "quantity": 2, "price": 65890}]
    assert sent["invoiceValue"] == placed["value"]
    assert [t["trackingNumber"] for t in mkp_order["tracking"]] == ["BR123"]
    assert mkp_order["tracking"][0]["invoiceNumber"] == "NF-MKP-1"
    states = {(a.kind, a.payload["invoiceNumber"]): a for a in world.actions_of(seller_order)}
    assert states[("tracking", "NF-MKP-1")].state == "done"
    # the marketplace's refusal is kept like VTEX's: state, status, its message
    refused = states[("tracking", "NF-NOT-SENT")]
    assert refused.state == "rejected" and refused.vtex_status == 404
    assert "NF-NOT-SENT" in (refused.vtex_message or "")
    folder = world.settings.orders.actions.folder
    assert folder is not None and (folder / "rejected" / "mkp-tracking-unknown.json").exists()

    # nothing of the seller order went to the OMS; the normal order's invoice did
    everything = await world.admin.call("GET", "/_sandbox/requests")
    routed = await world.admin.call("GET", f"/_sandbox/requests?route={OMS_INVOICE}&method=POST")
    assert routed["total"] == 1
    assert seller_order not in json.dumps(everything["entries"])
    assert world.action("invoice:NF-OMS-1").state == "done"
    assert (await world.admin.call("GET", f"/_sandbox/orders/{oms}"))["order"]["status"] == "invoiced"


async def test_a_seller_cancellation_tells_the_marketplace_and_a_change_is_refused(world: World) -> None:
    placed = await world.marketplace_order()
    seller_order, mkp_id = placed["sellerOrderId"], placed["marketplaceOrderId"]
    world.drop("cancel.json", {"type": "cancel", "orderId": seller_order, "reason": "out of stock"})
    world.drop(
        "change.json",
        {
            "type": "change",
            "orderId": seller_order,
            "reason": "a line less",
            "replace": [
                {
                    "from": {"items": [{"id": "P0001-01", "quantity": 2}]},
                    "to": {"items": [{"id": "P0001-01", "quantity": 1}]},
                }
            ],
        },
    )
    await world.service.run(once=True)
    by_kind = {a.kind: a for a in world.actions_of(seller_order)}
    assert by_kind["cancel"].state == "done", by_kind["cancel"].vtex_message
    mkp_order = await world.admin.call("GET", f"/_sandbox/marketplace/orders/{mkp_id}")
    assert mkp_order["status"] == "canceled"
    assert mkp_order["canceledBySeller"]["reason"] == "out of stock"  # the ERP's reason reaches it
    orders_folder = Path(world.settings.orders.sink.path)
    assert (orders_folder / f"{seller_order}.canceled.json").exists()
    assert by_kind["change"].state == "rejected"
    assert "marketplace" in (by_kind["change"].vtex_message or "")
    cancels = await world.admin.call("GET", "/_sandbox/requests?route=/api/oms/pvt/orders/{orderId}/cancel")
    assert cancels["total"] == 0
