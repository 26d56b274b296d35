"""The sandbox's marketplace side in process: affiliates (VTEX's routes), notifications on flush,
and the external-seller admin errors. Outgoing calls go to an httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.marketplace_seller import TRANSPORT_KEY
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions

HEADERS = {
    "X-VTEX-API-AppKey": DEFAULT_APP_KEY,
    "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN,
    "Host": "sandbox.vtexcommercestable.com.br",
}


class Sandbox:
    def __init__(self, client: httpx.AsyncClient, received: list[dict[str, Any]]) -> None:
        self.client = client
        self.received = received

    async def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        r = await self.client.request(method, path, json=body)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    app = create_app(SandboxOptions(limits="off"))
    received: list[dict[str, Any]] = []

    def affiliate(request: httpx.Request) -> httpx.Response:
        received.append({"url": str(request.url), "body": json.loads(request.content)})
        return httpx.Response(200, json={"ok": True})

    app.state.sandbox.app_state[TRANSPORT_KEY] = httpx.MockTransport(affiliate)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox", headers=HEADERS
    ) as client:
        yield Sandbox(client, received)


async def _sku(sb: Sandbox, price: float = 10.0) -> int:
    category = await sb.call("POST", "/api/catalog/pvt/category", {"Name": "Cat", "IsActive": True})
    await sb.call("POST", "/api/catalog/pvt/brand", {"Id": 2000001, "Name": "Brand", "Active": True})
    product = await sb.call(
        "POST",
        "/api/catalog/pvt/product",
        {"Name": "P", "CategoryId": category["Id"], "BrandId": 2000001, "RefId": "P"},
    )
    await sb.call("POST", f"/api/catalog/pvt/product/{product['Id']}/salespolicy/1")
    sku = await sb.call(
        "POST",
        "/api/catalog/pvt/stockkeepingunit",
        {
            "ProductId": product["Id"],
            "Name": "S",
            "RefId": "S",
            "PackagedHeight": 1,
            "PackagedLength": 1,
            "PackagedWidth": 1,
            "PackagedWeightKg": 1,
        },
    )
    await sb.call("PUT", f"/pricing/prices/{sku['Id']}", {"basePrice": price, "costPrice": price})
    sku_id: int = sku["Id"]
    return sku_id


async def test_affiliate_crud_follows_vtex_routes(sandbox: Sandbox) -> None:
    body = {
        "name": "Bridge",
        "salesChannel": "1",
        "searchURIEndpoint": "https://bridge.example/api/notification/",
    }
    await sandbox.call("PUT", "/api/fulfillment/pvt/affiliates/BRG", body, expect=204)
    saved = await sandbox.call("GET", "/api/fulfillment/pvt/affiliates/BRG")
    assert (
        saved["searchURIEndpoint"] == body["searchURIEndpoint"] and saved["useSellerPaymentMethod"] is False
    )
    assert [a["id"] for a in await sandbox.call("GET", "/api/fulfillment/pvt/affiliates")] == ["BRG"]
    await sandbox.call("PUT", "/api/fulfillment/pvt/affiliates/ABC", body, expect=400)  # vowel
    await sandbox.call("DELETE", "/api/fulfillment/pvt/affiliates/BRG", expect=204)
    await sandbox.call("GET", "/api/fulfillment/pvt/affiliates/BRG", expect=404)


async def test_flush_notifies_changes_only(sandbox: Sandbox) -> None:
    sku = await _sku(sandbox)  # exists before the affiliate: part of its baseline
    body = {
        "id": "BRG",
        "salesChannel": "1",
        "searchURIEndpoint": "https://bridge.example/api/notification/?token=t",
    }
    await sandbox.call("POST", "/_sandbox/marketplace/affiliates", body, expect=201)
    assert (await sandbox.call("POST", "/_sandbox/marketplace/affiliates/BRG/flush"))["notifications"] == []
    await sandbox.call("PUT", f"/pricing/prices/{sku}", {"basePrice": 12.5, "costPrice": 10})
    flushed = await sandbox.call("POST", "/_sandbox/marketplace/affiliates/BRG/flush")
    assert [(n["IdSku"], n["PriceModified"], n["StockModified"]) for n in flushed["notifications"]] == [
        (str(sku), True, False)
    ]
    (call,) = sandbox.received
    assert call["url"] == "https://bridge.example/api/notification/?token=t"
    assert call["body"]["An"] == "sandbox" and call["body"]["IdAffiliate"] == "BRG"
    # taken out of the trade policy: removed from the affiliate
    product = (await sandbox.call("GET", f"/api/catalog/pvt/stockkeepingunit/{sku}"))["ProductId"]
    await sandbox.call("DELETE", f"/api/catalog/pvt/product/{product}/salespolicy/1")
    flushed = await sandbox.call("POST", "/_sandbox/marketplace/affiliates/BRG/flush")
    assert flushed["notifications"][0]["HasStockKeepingUnitRemovedFromAffiliate"] is True
    calls = await sandbox.call("GET", "/_sandbox/marketplace/affiliates/BRG/calls")
    assert len(calls["calls"]) == 2


async def test_external_seller_admin_errors(sandbox: Sandbox) -> None:
    await sandbox.call("POST", "/_sandbox/marketplace/sellers", {"sellerId": "s"}, expect=400)
    await sandbox.call(
        "POST", "/_sandbox/marketplace/orders", {"sellerId": "nobody", "items": [{"id": "1"}]}, expect=404
    )
    await sandbox.call("POST", "/_sandbox/marketplace/sellers/nobody/index", expect=404)
    await sandbox.call("GET", "/_sandbox/marketplace/orders/nope", expect=404)
    # the services endpoint is a VTEX route: unknown order -> VTEX's error shape
    r = await sandbox.client.post(
        "/api/marketplace-services/pvt/orders/nope/invoice",
        json={"type": "Output", "invoiceNumber": "1", "items": []},
    )
    assert r.status_code == 404 and "error" in r.json()


SUGGESTION: dict[str, Any] = {
    "ProductName": "Jacket",
    "ProductId": "P1",
    "ProductDescription": "Rain jacket",
    "BrandName": "Serra",
    "SkuName": "Green L",
    "SellerId": "erpseller",
    "Height": 8,
    "Width": 25,
    "Length": 30,
    "Weight": 460,
    "RefId": "P0001-01",
    "EAN": "7890012345991",
    "CategoryFullPath": "Clothing/Jackets",
    "Images": [{"imageName": "front", "imageUrl": "https://img.example.com/1.jpg"}],
    "AvailableQuantity": 5,
    "Pricing": {"Currency": "BRL", "SalePrice": 659, "CurrencySymbol": "R$"},
}


@pytest.mark.parametrize("left_out", ["EAN", "RefId"])
async def test_a_suggestion_needs_a_ref_id_or_an_ean_not_both(sandbox: Sandbox, left_out: str) -> None:
    # the spec: RefId "mandatory if the EAN is not informed", EAN "mandatory if the RefId is not informed"
    body = {k: v for k, v in SUGGESTION.items() if k != left_out}
    await sandbox.call("PUT", "/suggestions/erpseller/P0001-01", body, expect=200)
    saved = await sandbox.call("GET", "/suggestions/erpseller/P0001-01")
    assert left_out not in saved["content"]


async def test_a_suggestion_without_ref_id_and_ean_is_refused(sandbox: Sandbox) -> None:
    body = {k: v for k, v in SUGGESTION.items() if k not in ("EAN", "RefId")}
    r = await sandbox.client.put("/suggestions/erpseller/P0001-01", json=body)
    assert r.status_code == 400 and "RefId or EAN" in r.json()["error"]["message"]
