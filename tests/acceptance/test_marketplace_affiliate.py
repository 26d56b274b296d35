"""B. External marketplace, end to end against the sandbox playing the VTEX seller, over real HTTP.

For both payment models (the marketplace keeps the payment / the marketplace creates the payment
transaction in the seller): the seller's catalog appears in the marketplace-side catalog folder, a
price change in the seller arrives as exactly one notification and updates the catalog, an order
flows through placement, dispatch authorisation, invoice and tracking back to our marketplace
services endpoint, and a cancellation works.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.acceptance.mkp_acceptance_support import (
    Admin,
    sellable_sku,
    start_sandbox,
    vtex_client,
    vtex_settings,
)
from vtexbridge.config import Settings
from vtexbridge.marketplace.affiliate.service import AffiliateProtocol
from vtexbridge.marketplace.runtime import MarketplaceRuntime, attach
from vtexbridge.marketplace.seller.payment import PaymentEvent, PaymentOutcome
from vtexbridge.marketplace.settings import AffiliateSettings, CatalogSinkSettings, MarketplaceSettings
from vtexbridge.state import StateStore
from vtexbridge.testing.marketplace import protocol_app, serve_in_thread
from vtexbridge.vtex.models.marketplace import (
    FulfillmentAddress,
    FulfillmentClientProfile,
    FulfillmentLogisticsInfo,
    FulfillmentOrder,
    FulfillmentOrderItem,
    FulfillmentShippingData,
)

pytestmark = pytest.mark.slow
AFFILIATE = "BRG"
SECRET = "affiliate-secret"


class Payments:
    def __init__(self) -> None:
        self.events: list[PaymentEvent] = []

    async def handle(self, event: PaymentEvent) -> PaymentOutcome | None:
        self.events.append(event)
        return PaymentOutcome(reference=f"tx-{event.order_id}")


@dataclass
class World:
    admin: Admin
    protocol: AffiliateProtocol
    catalog_dir: Path
    skus: list[int]
    payments: Payments

    def catalog(self) -> dict[str, dict[str, Any]]:
        return {p.stem: json.loads(p.read_text()) for p in sorted((self.catalog_dir / "skus").glob("*.json"))}

    def order_file(self, marketplace_order_id: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            (self.catalog_dir / "orders" / f"{marketplace_order_id}.json").read_text()
        )
        return data


@pytest.fixture(params=["marketplace", "seller"], ids=["marketplace-pays", "seller-pays"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    payment = request.param
    sandbox = start_sandbox()
    admin = Admin(sandbox.url)
    skus = [await sellable_sku(admin, f"S-{n}", price=100.0 + n, quantity=10) for n in range(3)]
    base = AffiliateSettings(
        affiliate_id=AFFILIATE,
        secret=SecretStr(SECRET),
        payment=payment,
        payment_handler="tests:fake" if payment == "seller" else None,
        catalog_sink=CatalogSinkSettings(path=tmp_path / "marketplace", fsync=False),
    )
    # serve first (the public URL is the served one), then build the runtime with it
    app = protocol_app(MarketplaceRuntime(), MarketplaceSettings(affiliate=base))
    served = serve_in_thread(app)
    affiliate = base.model_copy(update={"public_url": served.url})
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    client = vtex_client(sandbox.url)
    payments = Payments()
    runtime = MarketplaceRuntime.build(
        Settings(vtex=vtex_settings(sandbox.url)),
        state=store,
        client=client,
        marketplace=MarketplaceSettings(affiliate=affiliate),
        affiliate_payment=payments,
    )
    attach(app, runtime)
    assert runtime.affiliate is not None
    await runtime.affiliate.register(client, follow_up_email="ops@marketplace.example")
    yield World(admin, runtime.affiliate, tmp_path / "marketplace", skus, payments)
    served.stop()
    await runtime.aclose()
    await client.aclose()
    store.close()
    sandbox.stop()


def order(marketplace_order_id: str, sku_id: int, price: int, *, quantity: int = 1) -> FulfillmentOrder:
    return FulfillmentOrder(
        marketplaceOrderId=marketplace_order_id,
        marketplaceServicesEndpoint="set-by-the-affiliate",
        marketplacePaymentValue=price * quantity,
        items=[FulfillmentOrderItem(id=str(sku_id), quantity=quantity, seller="1", price=price)],
        clientProfileData=FulfillmentClientProfile(
            email="ana@example.com",
            firstName="Ana",
            lastName="Lima",
            documentType="cpf",
            document="12345678909",
        ),
        shippingData=FulfillmentShippingData(
            address=FulfillmentAddress(
                addressType="residential",
                receiverName="Ana Lima",
                postalCode="22250-040",
                city="Rio de Janeiro",
                state="RJ",
                country="BRA",
                street="Praia de Botafogo",
                number="300",
            ),
            logisticsInfo=[FulfillmentLogisticsInfo(itemIndex=0, selectedSla="Normal", price=0)],
        ),
    )


async def test_the_affiliate_is_registered_in_the_seller(world: World) -> None:
    saved = await world.admin.call("GET", f"/api/fulfillment/pvt/affiliates/{AFFILIATE}")
    assert saved["searchURIEndpoint"].endswith(f"/marketplace/affiliate/api/notification/?token={SECRET}")
    assert saved["useSellerPaymentMethod"] is (world.protocol.settings.payment == "seller")


async def test_catalog_appears_on_the_marketplace_side(world: World) -> None:
    assert await world.protocol.catalog.full_sync() == 3
    catalog = world.catalog()
    assert sorted(catalog) == sorted(str(s) for s in world.skus)
    entry = catalog[str(world.skus[1])]
    assert entry["name"] == "SKU S-1" and entry["refId"] == "S-1" and entry["productName"] == "Product S-1"
    assert entry["price"] == 10100 and entry["available"] is True and entry["stock"] == 10
    # a SKU created later arrives by notification
    new_sku = await sellable_sku(world.admin, "S-new", price=55.0)
    flushed = await world.admin.call("POST", f"/_sandbox/marketplace/affiliates/{AFFILIATE}/flush")
    assert [(n["IdSku"], n["status"]) for n in flushed["notifications"]] == [(str(new_sku), 200)]
    await world.protocol.catalog.drain()
    assert world.catalog()[str(new_sku)]["price"] == 5500


async def test_price_change_arrives_with_exactly_one_notification(world: World) -> None:
    await world.protocol.catalog.full_sync()
    quiet = await world.admin.call("POST", f"/_sandbox/marketplace/affiliates/{AFFILIATE}/flush")
    assert quiet["notifications"] == []
    sku = world.skus[0]
    await world.admin.call("PUT", f"/pricing/prices/{sku}", {"basePrice": 89.9, "costPrice": 50})
    flushed = await world.admin.call("POST", f"/_sandbox/marketplace/affiliates/{AFFILIATE}/flush")
    (note,) = flushed["notifications"]
    assert note["IdSku"] == str(sku) and note["PriceModified"] is True and note["StockModified"] is False
    assert note["status"] == 200
    report = await world.protocol.catalog.drain()
    assert report.fetched == 1 and report.written == 1
    assert world.catalog()[str(sku)]["price"] == 8990
    again = await world.admin.call("POST", f"/_sandbox/marketplace/affiliates/{AFFILIATE}/flush")
    assert again["notifications"] == []
    calls = await world.admin.call(
        "GET", f"/_sandbox/marketplace/affiliates/{AFFILIATE}/calls?kind=notification"
    )
    assert [c["body"]["IdSku"] for c in calls["calls"]] == [str(sku)]


async def test_order_flows_through_placement_dispatch_invoice_and_tracking(world: World) -> None:
    sku = world.skus[1]
    simulation = await world.protocol.orders.simulate([(str(sku), 2)], postal_code="22250-040")
    price = simulation.items[0].sellingPrice or 0
    assert price == 10100
    card = {"paymentSystem": "2", "cardNumber": "4111111111111111", "value": price * 2}
    placed = await world.protocol.orders.place(
        order("MKP-1001", sku, price, quantity=2),
        payment_data=card if world.protocol.settings.payment == "seller" else None,
    )
    seller_order = placed["sellerOrderId"]
    remote = await world.admin.call("GET", f"/api/oms/pvt/orders/{seller_order}")
    assert remote["status"] == "waiting-ffmt-authorization" and remote["affiliateId"] == AFFILIATE
    assert remote["marketplaceServicesEndpoint"].endswith(f"/marketplace/affiliate/services?token={SECRET}")
    if world.protocol.settings.payment == "seller":
        (event,) = world.payments.events
        assert event.stage == "transaction" and event.order_id == seller_order and event.payment_data == card
        assert "4111111111111111" not in json.dumps(world.order_file("MKP-1001"))
    again = await world.protocol.orders.place(order("MKP-1001", sku, price, quantity=2), payment_data=card)
    assert again["sellerOrderId"] == seller_order  # idempotent per marketplace order
    await world.protocol.orders.authorize_dispatch("MKP-1001")
    remote = await world.admin.call("GET", f"/api/oms/pvt/orders/{seller_order}")
    assert remote["status"] == "ready-for-handling"
    # the seller handles, invoices, ships and delivers; its OMS tells our services endpoint
    await world.admin.call("POST", f"/api/oms/pvt/orders/{seller_order}/start-handling", expect=204)
    invoice = {
        "type": "Output",
        "invoiceNumber": "NF-77",
        "invoiceValue": str(remote["value"]),
        "issuanceDate": "2026-05-02T10:00:00",
        "items": [{"id": str(sku), "price": price, "quantity": 2}],
    }
    await world.admin.call("POST", f"/api/oms/pvt/orders/{seller_order}/invoice", invoice)
    tracking = {
        "trackingNumber": "BR999",
        "trackingUrl": "https://track.example/BR999",
        "courier": "Correios",
        "dispatchedDate": "2026-05-02",
    }
    await world.admin.call("PATCH", f"/api/oms/pvt/orders/{seller_order}/invoice/NF-77", tracking)
    flushed = await world.admin.call("POST", f"/_sandbox/marketplace/affiliates/{AFFILIATE}/flush")
    assert [(c["kind"], c["status"]) for c in flushed["orderCalls"]] == [("invoice", 200)]
    record = world.order_file("MKP-1001")
    assert record["status"] == "invoiced" and record["invoices"][0]["invoiceNumber"] == "NF-77"
    assert record["invoices"][0]["trackingNumber"] == "BR999"
    delivered = {
        "isDelivered": True,
        "deliveredDate": "2026-05-04 10:00",
        "events": [{"city": "Rio", "state": "RJ", "description": "Delivered", "date": "2026-05-04"}],
    }
    await world.admin.call("PUT", f"/api/oms/pvt/orders/{seller_order}/invoice/NF-77/tracking", delivered)
    flushed = await world.admin.call("POST", f"/_sandbox/marketplace/affiliates/{AFFILIATE}/flush")
    assert [(c["kind"], c["status"]) for c in flushed["orderCalls"]] == [("tracking", 200)]
    assert world.order_file("MKP-1001")["status"] == "delivered"


async def test_cancellation_works(world: World) -> None:
    sku = world.skus[2]
    payment = {"paymentSystem": "2", "value": 10200} if world.protocol.settings.payment == "seller" else None
    placed = await world.protocol.orders.place(order("MKP-2002", sku, 10200), payment_data=payment)
    canceled = await world.protocol.orders.cancel("MKP-2002", "shopper gave up")
    assert canceled["status"] == "canceled" and canceled["cancelReceipt"]
    remote = await world.admin.call("GET", f"/api/oms/pvt/orders/{placed['sellerOrderId']}")
    assert remote["status"] in ("cancel", "canceled")
    assert world.order_file("MKP-2002")["status"] == "canceled"
    # the seller cancels one of its own: the marketplace hears it through the services endpoint
    other = await world.protocol.orders.place(order("MKP-2003", sku, 10200), payment_data=payment)
    await world.admin.call(
        "POST", f"/api/oms/pvt/orders/{other['sellerOrderId']}/cancel", {"reason": "out of stock"}
    )
    flushed = await world.admin.call("POST", f"/_sandbox/marketplace/affiliates/{AFFILIATE}/flush")
    kinds = {(c["kind"], c["orderId"], c["status"]) for c in flushed["orderCalls"]}
    assert ("cancel", other["sellerOrderId"], 200) in kinds
    assert world.order_file("MKP-2003")["status"] == "canceled"
