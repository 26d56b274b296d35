"""A. External seller, end to end against the sandbox playing the VTEX marketplace, over real HTTP.

For both payment models (the marketplace keeps the payment / the seller processes it): the catalog
appears on the marketplace (suggestions, then offers indexed through our simulation), a price change
in the ERP propagates with exactly one notification, an order flows through placement, dispatch,
invoice and tracking into the ERP sink and back to the marketplace, and a cancellation works. The
price change goes through the seller sync (``run_seller_sync``, what ``vtexbridge sync`` runs in
model A) and, alternatively, through ``serve``'s reload with ``notify_on_refresh``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.acceptance.mkp_acceptance_support import (
    ROOT,
    Admin,
    edit_csv,
    start_sandbox,
    vtex_client,
    vtex_settings,
)
from vtexbridge.config import Settings
from vtexbridge.erp.config import ErpSettings
from vtexbridge.erp.readers.folder import FolderReader
from vtexbridge.erp.sinks.folder import FolderSink
from vtexbridge.marketplace.runtime import MarketplaceRuntime
from vtexbridge.marketplace.seller.catalog import build_offers
from vtexbridge.marketplace.seller.outbound import offer_new_skus
from vtexbridge.marketplace.seller.payment import PaymentEvent, PaymentOutcome
from vtexbridge.marketplace.seller.service import SellerProtocol
from vtexbridge.marketplace.seller.sync import run_seller_sync
from vtexbridge.marketplace.settings import MarketplaceSettings, SellerSettings
from vtexbridge.state import StateStore
from vtexbridge.state.settings import StateSettings
from vtexbridge.sync.config import SyncSettings
from vtexbridge.testing.marketplace import protocol_app, serve_in_thread
from vtexbridge.vtex.client import VtexClient

pytestmark = pytest.mark.slow
SELLER = "erpseller"
KEY, TOKEN = "vtexappkey-sandbox-TOWARDS-SELLER", "marketplace-to-seller-token"
SKUS = ["P0001-01", "P0001-02", "P0002-01"]


class Payments:
    def __init__(self) -> None:
        self.events: list[PaymentEvent] = []

    async def handle(self, event: PaymentEvent) -> PaymentOutcome | None:
        self.events.append(event)
        return PaymentOutcome(reference="tx-1")


@dataclass
class World:
    admin: Admin
    client: VtexClient
    protocol: SellerProtocol
    erp: Path
    orders_dir: Path
    payments: Payments

    def order_files(self) -> dict[str, dict[str, Any]]:
        return {p.name: json.loads(p.read_text()) for p in sorted(self.orders_dir.glob("*.json"))}


@pytest.fixture(params=["marketplace", "seller"], ids=["marketplace-pays", "seller-pays"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    payment = request.param
    sandbox = start_sandbox()
    erp = tmp_path / "erp"
    shutil.copytree(ROOT / "examples" / "erp", erp, ignore=shutil.ignore_patterns("*.py", "*.md"))
    settings = Settings(vtex=vtex_settings(sandbox.url))
    seller_settings = SellerSettings(
        seller_id=SELLER,
        app_key=SecretStr(KEY),
        app_token=SecretStr(TOKEN),
        payment=payment,
        merchant_name=SELLER if payment == "seller" else None,
        notify_on_refresh=True,
    )
    mkp = MarketplaceSettings(seller=seller_settings)
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    client = vtex_client(sandbox.url)
    payments = Payments()
    runtime = MarketplaceRuntime.build(
        settings,
        state=store,
        client=client,
        marketplace=mkp,
        sink=FolderSink(tmp_path / "orders", fsync=False),
        reader=lambda: FolderReader(erp),
        payment=payments,
    )
    await runtime.ready()
    served = serve_in_thread(protocol_app(runtime, mkp))
    admin = Admin(sandbox.url)
    await admin.call(
        "POST",
        "/_sandbox/marketplace/sellers",
        {
            "sellerId": SELLER,
            "fulfillmentEndpoint": served.url + seller_settings.path,
            "appKey": KEY,
            "appToken": TOKEN,
        },
        expect=201,
    )
    assert runtime.seller is not None
    yield World(admin, client, runtime.seller, erp, tmp_path / "orders", payments)
    served.stop()
    await runtime.aclose()
    await client.aclose()
    store.close()
    sandbox.stop()


async def test_catalog_appears_on_the_marketplace(world: World) -> None:
    reader = FolderReader(world.erp)
    offers, skipped = build_offers(reader, world.protocol.settings, world.protocol.index, only=SKUS)
    assert [o.seller_sku_id for o in offers] == SKUS and skipped == []
    report = await offer_new_skus(world.client, SELLER, offers)
    assert sorted(report.suggested) == sorted(SKUS) and report.ok
    suggestion = await world.admin.call("GET", f"/suggestions/{SELLER}/P0001-01")
    assert suggestion["status"] == "Pending"
    assert suggestion["content"]["RefId"] == "P0001-01" and suggestion["content"]["Images"]
    # the marketplace approves one; offering again finds it known and suggests only the others again
    await world.admin.call("POST", f"/_sandbox/marketplace/suggestions/{SELLER}/P0001-01/approve")
    again = await offer_new_skus(world.client, SELLER, offers)
    assert again.known == ["P0001-01"] and sorted(again.suggested) == ["P0001-02", "P0002-01"]
    # the marketplace indexes the SKUs it is told about through our simulation
    from vtexbridge.marketplace.seller.outbound import notify_changes

    await notify_changes(world.client, SELLER, SKUS, [])
    indexed = await world.admin.call("POST", f"/_sandbox/marketplace/sellers/{SELLER}/index")
    prices = {o["skuId"]: o["price"] for o in indexed["indexed"]}
    assert prices == {
        "P0001-01": 65890,
        "P0001-02": 65890,
        "P0002-01": world.protocol.index.offers["P0002-01"].price,
    }
    assert all(o["available"] for o in indexed["indexed"])
    expected_merchant = SELLER if world.protocol.settings.payment == "seller" else None
    assert {o["merchantName"] for o in indexed["indexed"]} == {expected_merchant}


async def test_price_change_found_by_a_serve_reload_is_exactly_one_notification(world: World) -> None:
    # the alternative path: notify_on_refresh, when no `vtexbridge sync` runs
    before = await world.admin.notifications(sellerId=SELLER)
    await world.protocol.refresh()  # nothing changed in the ERP: nothing is sent
    assert await world.admin.notifications(sellerId=SELLER) == before
    edit_csv(world.erp / "prices.csv", "sku_key", "P0001-01", "base_price", "599.90")
    await world.protocol.refresh()
    new = [n for n in await world.admin.notifications(sellerId=SELLER) if n not in before]
    assert [(n["type"], n["skuId"]) for n in new] == [("price", "P0001-01")]
    indexed = await world.admin.call("POST", f"/_sandbox/marketplace/sellers/{SELLER}/index")
    assert [(o["skuId"], o["price"]) for o in indexed["indexed"]] == [("P0001-01", 59990)]
    await world.protocol.refresh()
    assert len(await world.admin.notifications(sellerId=SELLER)) == len(before) + 1


async def test_price_change_through_the_seller_sync_is_exactly_one_notification(
    world: World, tmp_path: Path
) -> None:
    # `vtexbridge sync` notifies; `serve` only reloads (its own notifications off)
    world.protocol.settings = world.protocol.settings.model_copy(update={"notify_on_refresh": False})
    settings = Settings(
        vtex=vtex_settings(world.admin.url),
        state=StateSettings(url=f"sqlite:///{tmp_path / 'state.db'}"),  # the store serve uses
        erp=ErpSettings(kind="folder", path=world.erp),
        sync=SyncSettings(report_dir=tmp_path / "reports"),
        marketplace=MarketplaceSettings(seller=world.protocol.settings),
    )
    first = await run_seller_sync(settings)
    assert first.exit_code == 0 and len(first.extra["notifications"]["offer"]) == 150
    before = await world.admin.notifications(sellerId=SELLER)
    assert (await run_seller_sync(settings)).extra["notifications"] == {
        "offer": [],
        "price": [],
        "inventory": [],
    }
    edit_csv(world.erp / "prices.csv", "sku_key", "P0001-01", "base_price", "599.90")
    await world.protocol.refresh()  # serve's periodic reload
    outcome = await run_seller_sync(settings)
    assert outcome.extra["serve"] == "current"  # serve answers from the snapshot being notified
    new = [n for n in await world.admin.notifications(sellerId=SELLER) if n not in before]
    assert [(n["type"], n["skuId"]) for n in new] == [("price", "P0001-01")]
    indexed = await world.admin.call("POST", f"/_sandbox/marketplace/sellers/{SELLER}/index")
    assert [(o["skuId"], o["price"]) for o in indexed["indexed"]] == [("P0001-01", 59990)]
    await run_seller_sync(settings)
    assert len(await world.admin.notifications(sellerId=SELLER)) == len(before) + 1


async def test_order_flows_through_placement_dispatch_invoice_and_tracking(world: World) -> None:
    body: dict[str, Any] = {"sellerId": SELLER, "items": [{"id": "P0001-01", "quantity": 2}]}
    card = {"payments": [{"paymentSystem": "2", "value": 131780, "cardHolder": "ANA LIMA"}]}
    if world.protocol.settings.payment == "seller":
        body["paymentData"] = card
    order = await world.admin.call("POST", "/_sandbox/marketplace/orders", body, expect=201)
    assert order["status"] == "fulfillment-authorized"
    seller_order = order["sellerOrderId"]
    files = world.order_files()
    assert sorted(files) == [f"{seller_order}.order-accepted.json", f"{seller_order}.ready-for-handling.json"]
    doc = files[f"{seller_order}.ready-for-handling.json"]
    assert doc["marketplaceOrderId"] == order["marketplaceOrderId"]
    assert doc["items"][0]["skuId"] == "P0001-01" and doc["items"][0]["priceCents"] == 65890
    if world.protocol.settings.payment == "seller":
        assert [e.stage for e in world.payments.events] == ["placement"]
        assert world.payments.events[0].payment_data == card
        assert "ANA LIMA" not in json.dumps(files)
    else:
        assert world.payments.events == []
    # the ERP invoices and ships: invoice, tracking and delivery go to the marketplace services endpoint
    orders = world.protocol.orders
    invoice = {
        "type": "Output",
        "invoiceNumber": "NFe-1001",
        "invoiceValue": order["value"],
        "issuanceDate": "2026-05-02T10:00:00",
        "items": [{"id": "P0001-01", "quantity": 2, "price": 65890}],
    }
    receipt = await orders.send_invoice(seller_order, invoice)
    assert receipt["receipt"] and receipt["orderId"] == order["marketplaceOrderId"]
    tracking = {
        "courier": "Correios",
        "trackingNumber": "BR123",
        "trackingUrl": "https://track.example/BR123",
        "dispatchedDate": "2026-05-02",
    }
    await orders.send_tracking(seller_order, "NFe-1001", tracking)
    await orders.send_tracking_events(
        seller_order,
        "NFe-1001",
        {
            "isDelivered": True,
            "events": [{"city": "Rio", "state": "RJ", "description": "Delivered", "date": "2026-05-04"}],
        },
    )
    mkp_order = await world.admin.call("GET", f"/_sandbox/marketplace/orders/{order['marketplaceOrderId']}")
    assert mkp_order["status"] == "delivered"
    assert [i["invoiceNumber"] for i in mkp_order["invoices"]] == ["NFe-1001"]
    assert mkp_order["tracking"][0]["trackingNumber"] == "BR123"
    # once invoiced, a cancellation request is refused (evaluating: the invoice is the answer)
    canceled = await world.admin.call(
        "POST", f"/_sandbox/marketplace/orders/{order['marketplaceOrderId']}/cancel"
    )
    assert canceled["status"] == "delivered"


async def test_cancellation_works(world: World) -> None:
    body = {"sellerId": SELLER, "items": [{"id": "P0002-01", "quantity": 1}], "stopAt": "placed"}
    order = await world.admin.call("POST", "/_sandbox/marketplace/orders", body, expect=201)
    assert order["status"] == "placed"
    canceled = await world.admin.call(
        "POST", f"/_sandbox/marketplace/orders/{order['marketplaceOrderId']}/cancel"
    )
    assert canceled["status"] == "canceled" and canceled["cancelReceipt"]
    files = world.order_files()
    assert f"{order['sellerOrderId']}.canceled.json" in files
    # an authorised order: the seller evaluates, the ERP confirms, the marketplace's second call is confirmed
    order = await world.admin.call(
        "POST",
        "/_sandbox/marketplace/orders",
        {"sellerId": SELLER, "items": [{"id": "P0002-01", "quantity": 1}]},
        expect=201,
    )
    mkp_id = order["marketplaceOrderId"]
    first = await world.admin.call(
        "POST", f"/_sandbox/marketplace/orders/{mkp_id}/cancel", {"reason": "late"}
    )
    assert first["status"] == "cancellation-evaluating"
    assert f"{order['sellerOrderId']}.cancellation-requested.json" in world.order_files()
    await world.protocol.orders.confirm_cancellation(order["sellerOrderId"])
    second = await world.admin.call(
        "POST", f"/_sandbox/marketplace/orders/{mkp_id}/cancel", {"reason": "late"}
    )
    assert second["status"] == "canceled"


async def test_a_new_erp_sku_is_offered_as_a_suggestion(world: World) -> None:
    rows = {
        "skus.csv": "P0001-99,P0001,Aguaceiro 2.5L Rain Jacket - Blue / XL,8,30,25,0.480,true,SER-00199",
        "prices.csv": "P0001-99,700.00,800.00,300.00",
        "inventory.csv": "P0001-99,cd-sao-paulo,4,false,0.00:00:00",
        "sku_images.csv": "P0001-99,https://cdn.example.com/p/P0001-99-1.jpg,Blue XL,true,1",
        # no EAN: the RefId is enough (the suggestion spec: one of them)
    }
    for name, row in rows.items():
        with (world.erp / name).open("a", encoding="utf-8") as fh:
            fh.write(row + "\n")
    before = await world.admin.notifications(sellerId=SELLER)
    await world.protocol.refresh()
    report = world.protocol.last_report
    assert report is not None and report.suggested == ["P0001-99"] and report.ok
    suggestion = await world.admin.call("GET", f"/suggestions/{SELLER}/P0001-99")
    assert (
        suggestion["content"]["AvailableQuantity"] == 4
        and suggestion["content"]["Pricing"]["SalePrice"] == 700
    )
    # a catalog change notification (404: unknown); no price/stock notification for an unknown SKU
    assert await world.admin.notifications(sellerId=SELLER) == before
