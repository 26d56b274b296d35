"""Marketplace routes of the sandbox: notificator, suggestions, seller change notification, fulfillment."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.orders_support import add_sku
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store

SUGGESTION: dict[str, Any] = {
    "ProductName": "Camiseta Básica",
    "ProductId": "P-77",
    "ProductDescription": "Algodão",
    "BrandName": "Marca Exemplo",
    "SkuName": "Azul M",
    "SellerId": "seller1",
    "Height": 10,
    "Width": 20,
    "Length": 30,
    "Weight": 400,
    "RefId": "CB-AZ-M",
    "EAN": "7891234567895",
    "SellerStockKeepingUnitId": 77,
    "CategoryFullPath": "Roupas/Camisetas",
    "Images": [{"imageName": "frente", "imageUrl": "https://img.example.com/77.jpg"}],
    "AvailableQuantity": 5,
    "Pricing": {"Currency": "BRL", "SalePrice": 4990, "CurrencySymbol": "R$"},
}


@pytest.fixture(autouse=True)
def _catalog(sandbox_store: Store) -> None:
    seed(sandbox_store, "sandbox", "demo")
    add_sku(sandbox_store, 100, price=49.9, list_price=59.9, stock=3)
    add_sku(sandbox_store, 200, price=None, stock=3)
    add_sku(sandbox_store, 300, price=10, stock=0)


async def test_price_and_inventory_notifications_are_accepted_and_recorded(
    sandbox_client: httpx.AsyncClient,
) -> None:
    price = await sandbox_client.post("/api/notificator/seller1/changenotification/100/price")
    inventory = await sandbox_client.post("/api/notificator/seller1/changenotification/100/inventory")
    assert (price.status_code, price.content) == (202, b"")
    assert (inventory.status_code, inventory.content) == (202, b"")
    seen = (await sandbox_client.get("/_sandbox/marketplace/notifications")).json()
    assert seen["count"] == 2 and [n["type"] for n in seen["notifications"]] == ["price", "inventory"]
    only = (await sandbox_client.get("/_sandbox/marketplace/notifications", params={"type": "price"})).json()
    assert only["count"] == 1 and only["notifications"][0]["skuId"] == "100"


async def test_suggestions_are_stored_and_replaced(sandbox_client: httpx.AsyncClient) -> None:
    url = "/suggestions/seller1/77"
    assert (await sandbox_client.get(url)).status_code == 404
    assert (await sandbox_client.put(url, json=SUGGESTION)).status_code == 200
    first = (await sandbox_client.get(url)).json()
    assert first["status"] == "Pending" and first["version"] == 1 and first["content"] == SUGGESTION
    await sandbox_client.put(url, json={**SUGGESTION, "SkuName": "Azul G"})
    second = (await sandbox_client.get(url)).json()
    assert second["version"] == 2 and second["content"]["SkuName"] == "Azul G"
    prefixed = await sandbox_client.get(
        "/sandbox/suggestions/seller1/77"
    )  # api.vtex.com/{account}/suggestions/...
    assert prefixed.status_code == 200


async def test_suggestions_need_their_required_fields(sandbox_client: httpx.AsyncClient) -> None:
    body = {k: v for k, v in SUGGESTION.items() if k not in ("RefId", "EAN", "Images")}
    missing = await sandbox_client.put("/suggestions/seller1/77", json=body)
    assert missing.status_code == 400 and "Images, RefId or EAN" in missing.json()["error"]["message"]
    wrong_seller = await sandbox_client.put("/suggestions/seller2/77", json=SUGGESTION)
    assert wrong_seller.status_code == 400


async def test_seller_change_notification_needs_a_mapping(sandbox_client: httpx.AsyncClient) -> None:
    url = "/api/catalog_system/pvt/skuseller/changenotification/seller1/77"
    unknown = await sandbox_client.post(url)
    assert unknown.status_code == 404
    assert unknown.text == "Seller StockKeepingUnit not found for this seller id"
    mapping = await sandbox_client.post(
        "/_sandbox/marketplace/skusellers", json={"sellerId": "seller1", "sellerSkuId": "77", "skuId": 100}
    )
    assert mapping.status_code == 201 and mapping.json()["StockKeepingUnitId"] == 100
    known = await sandbox_client.post(url)
    assert (known.status_code, known.content) == (204, b"")


async def test_simulation_prices_in_cents_with_stock(sandbox_client: httpx.AsyncClient) -> None:
    body = {
        "items": [
            {"id": "100", "quantity": 5, "seller": "1"},
            {"id": "200", "quantity": 1, "seller": "1"},
            {"id": "300", "quantity": 1, "seller": "1"},
            {"id": "999", "quantity": 1, "seller": "1"},
        ],
        "postalCode": "01310-100",
        "country": "BRA",
    }
    response = await sandbox_client.post(
        "/api/checkout/pub/orderForms/simulation", params={"sc": "1"}, json=body
    )
    assert response.status_code == 200
    result = response.json()
    first, unpriced, empty = result["items"]
    assert (first["price"], first["listPrice"], first["sellingPrice"], first["quantity"]) == (
        4990,
        5990,
        4990,
        3,
    )
    assert first["availability"] == "available"
    assert unpriced["availability"] == "withoutPriceFulfillment"
    assert empty["availability"] == "withoutStock"
    codes = [m["code"] for m in result["messages"]]
    assert "itemQuantityNotAvailable" in codes and "ORD027" in codes
    assert result["logisticsInfo"][0]["slas"][0]["id"] == "Normal"
    assert result["logisticsInfo"][2]["slas"] == []


async def test_simulation_without_postal_code_quotes_no_sla(sandbox_client: httpx.AsyncClient) -> None:
    response = await sandbox_client.post(
        "/api/checkout/pub/orderForms/simulation",
        json={"items": [{"id": "100", "quantity": 1, "seller": "1"}]},
    )
    assert response.json()["logisticsInfo"][0]["slas"] == []
    assert response.json()["logisticsInfo"][0]["stockBalance"] == 3


def _fulfillment_order(marketplace_id: str = "MKP-1001", quantity: int = 1) -> dict[str, Any]:
    return {
        "marketplaceOrderId": marketplace_id,
        "marketplaceServicesEndpoint": "https://marketplace.example.com/api/vtex",
        "marketplacePaymentValue": 5490 * quantity,
        "items": [{"id": "100", "quantity": quantity, "seller": "1", "price": 4490}],
        "clientProfileData": {
            "email": "buyer@marketplace.example.com",
            "firstName": "Carla",
            "lastName": "Mendes",
            "documentType": "cpf",
            "document": "52998224725",
            "phone": "+5511955554444",
            "corporateName": None,
            "isCorporate": False,
        },
        "shippingData": {
            "address": {
                "addressType": "residential",
                "receiverName": "Carla Mendes",
                "postalCode": "04538-132",
                "city": "São Paulo",
                "state": "SP",
                "country": "BRA",
                "street": "Avenida Brigadeiro Faria Lima",
                "number": "3477",
            },
            "logisticsInfo": [{"itemIndex": 0, "selectedSla": "Normal", "price": 1000}],
        },
        "paymentData": None,
    }


async def test_fulfillment_order_then_authorization(
    sandbox_client: httpx.AsyncClient, sandbox_store: Store
) -> None:
    url = "/api/fulfillment/pvt/orders"
    placed = await sandbox_client.post(
        url, params={"affiliateId": "MKP", "sc": "1"}, json=_fulfillment_order()
    )
    assert placed.status_code == 200, placed.text
    body = placed.json()
    order_id = body["orderId"]
    assert body["status"] == "waiting-ffmt-authorization"
    assert (
        "paymentData" not in body["orderData"]
        and "corporateName" not in body["orderData"]["clientProfileData"]
    )
    order = (await sandbox_client.get(f"/api/oms/pvt/orders/{order_id}")).json()
    assert order["origin"] == "Fulfillment" and order["affiliateId"] == "MKP"
    assert order["marketplaceOrderId"] == "MKP-1001" and order["items"][0]["price"] == 4490
    assert order["value"] == 4490 + 1000
    assert sandbox_store.table("sandbox", "inventory")["100:1_1"]["reservedQuantity"] == 1
    again = await sandbox_client.post(url, params={"affiliateId": "MKP"}, json=_fulfillment_order())
    assert again.json()["orderId"] == order_id  # same marketplace order: no duplicate
    fulfil = await sandbox_client.post(f"{url}/{order_id}/fulfill", json={"marketplaceOrderId": "MKP-1001"})
    assert fulfil.status_code == 201
    assert fulfil.json()["details"]["marketplaceOrderId"] == "MKP-1001"
    assert fulfil.json()["status"] == "ready-for-handling"
    events = (await sandbox_client.get(f"/_sandbox/orders/{order_id}")).json()["events"]
    assert [e["state"] for e in events] == [
        "order-accepted",
        "on-order-completed-ffm",
        "waiting-ffmt-authorization",
        "authorize-fulfillment",
        "window-to-cancel",
        "ready-for-handling",
    ]


async def test_fulfillment_refusals(sandbox_client: httpx.AsyncClient) -> None:
    url = "/api/fulfillment/pvt/orders"
    assert (await sandbox_client.post(url, json=_fulfillment_order())).status_code == 400  # no affiliateId
    too_many = await sandbox_client.post(
        url, params={"affiliateId": "MKP"}, json=_fulfillment_order("MKP-2", 9)
    )
    assert too_many.status_code == 400 and "available" in too_many.json()["error"]["message"]
    broken = {**_fulfillment_order("MKP-3"), "clientProfileData": {"email": "x@example.com"}}
    assert (await sandbox_client.post(url, params={"affiliateId": "MKP"}, json=broken)).status_code == 400
    assert (await sandbox_client.post(f"{url}/123-01/fulfill", json={})).status_code == 404
    placed = (
        await sandbox_client.post(url, params={"affiliateId": "MKP"}, json=_fulfillment_order("MKP-4"))
    ).json()
    wrong = await sandbox_client.post(
        f"{url}/{placed['orderId']}/fulfill", json={"marketplaceOrderId": "other"}
    )
    assert wrong.status_code == 400
