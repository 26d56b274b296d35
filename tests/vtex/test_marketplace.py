"""MarketplaceAPI: notificator, SKU suggestions on api.vtex.com, fulfillment on a VTEX seller."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx
from pydantic import ValidationError

from tests.vtex.client_cases import Case, run_case
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.models.marketplace import (
    FulfillmentAddress,
    FulfillmentClientProfile,
    FulfillmentLogisticsInfo,
    FulfillmentOrder,
    FulfillmentOrderItem,
    FulfillmentShippingData,
    FulfillmentSimulation,
    SimulationItem,
    SkuSuggestion,
    SuggestionImage,
    SuggestionPricing,
)
from vtexbridge.vtex.settings import VtexSettings

STORE = "https://acme.vtexcommercestable.com.br"
API = "https://api.vtex.com/acme"
SUGGESTION = SkuSuggestion(
    ProductName="Runner",
    ProductId="P-1",
    ProductDescription="A running shoe",
    BrandName="Acme",
    SkuName="Runner 42",
    SellerId="seller1",
    Height=12.0,
    Width=20.0,
    Length=30.5,
    Weight=800.0,
    RefId="S-1",
    EAN="7891234567895",
    CategoryFullPath="Men/Shoes",
    Images=[SuggestionImage(imageName="front", imageUrl="https://cdn.example.com/front.jpg")],
    AvailableQuantity=5,
    Pricing=SuggestionPricing(Currency="BRL", SalePrice=19990, CurrencySymbol="R$"),
)
SUGGESTION_JSON = {
    "ProductName": "Runner",
    "ProductId": "P-1",
    "ProductDescription": "A running shoe",
    "BrandName": "Acme",
    "SkuName": "Runner 42",
    "SellerId": "seller1",
    "Height": 12,
    "Width": 20,
    "Length": 30.5,
    "Weight": 800,
    "RefId": "S-1",
    "EAN": "7891234567895",
    "CategoryFullPath": "Men/Shoes",
    "Images": [{"imageName": "front", "imageUrl": "https://cdn.example.com/front.jpg"}],
    "Updated": None,
    "AvailableQuantity": 5,
    "Pricing": {"Currency": "BRL", "SalePrice": 19990, "CurrencySymbol": "R$"},
}
ORDER = FulfillmentOrder(
    marketplaceOrderId="MKP-1",
    marketplaceServicesEndpoint="https://mkp.example.com/api/vtex",
    marketplacePaymentValue=21890,
    items=[FulfillmentOrderItem(id="310", quantity=1, seller="1", price=19990)],
    clientProfileData=FulfillmentClientProfile(
        email="ana@example.com", firstName="Ana", lastName="Lima", documentType="cpf", document="12345678909"
    ),
    shippingData=FulfillmentShippingData(
        address=FulfillmentAddress(
            addressType="residential",
            receiverName="Ana Lima",
            postalCode="22220-070",
            city="Rio de Janeiro",
            state="RJ",
            country="BRA",
            street="Rua Artur Bernardes",
            number="100",
        ),
        logisticsInfo=[FulfillmentLogisticsInfo(itemIndex=0, selectedSla="Normal", price=1900)],
    ),
)


CASES = [
    Case(
        "notify_price_change",
        lambda c: c.marketplace.notify_price_change("seller1", "S-1"),
        "POST",
        f"{STORE}/api/notificator/seller1/changenotification/S-1/price",
        status=202,
    ),
    Case(
        "notify_inventory_change",
        lambda c: c.marketplace.notify_inventory_change("seller1", "S-1"),
        "POST",
        f"{STORE}/api/notificator/seller1/changenotification/S-1/inventory",
        status=202,
    ),
    Case(
        "save_sku_suggestion",
        lambda c: c.marketplace.save_sku_suggestion("seller1", "S-1", SUGGESTION),
        "PUT",
        f"{API}/suggestions/seller1/S-1",
        body=SUGGESTION_JSON,
    ),
    Case(
        "get_sku_suggestion",
        lambda c: c.marketplace.get_sku_suggestion("seller1", "S-1"),
        "GET",
        f"{API}/suggestions/seller1/S-1",
        answer={"SellerId": "seller1", "SellerStockKeepingUnitId": "S-1", "Status": "Pending"},
        check=lambda r: r["Status"] == "Pending",
    ),
    Case(
        "simulate_fulfillment",
        lambda c: c.marketplace.simulate_fulfillment(
            FulfillmentSimulation(
                items=[SimulationItem(id="310", quantity=2, seller="1")],
                postalCode="22220-070",
                country="BRA",
            ),
            affiliate_id="MKP",
            sales_channel=1,
        ),
        "POST",
        f"{STORE}/api/checkout/pub/orderForms/simulation",
        query={"affiliateId": "MKP", "sc": "1"},
        body={
            "items": [{"id": "310", "quantity": 2, "seller": "1"}],
            "postalCode": "22220-070",
            "country": "BRA",
        },
        answer={
            "items": [
                {
                    "id": "310",
                    "requestIndex": 0,
                    "quantity": 2,
                    "seller": "1",
                    "price": 19990,
                    "availability": "available",
                }
            ],
            "logisticsInfo": [{"itemIndex": 0, "slas": [{"id": "Normal", "price": 1900}]}],
            "country": "BRA",
        },
        check=lambda r: r.items[0].price == 19990 and r.logisticsInfo[0]["slas"][0]["id"] == "Normal",
    ),
    Case(
        "place_fulfillment_order",
        lambda c: c.marketplace.place_fulfillment_order(ORDER, affiliate_id="MKP"),
        "POST",
        f"{STORE}/api/fulfillment/pvt/orders",
        query={"affiliateId": "MKP"},
        body={
            "marketplaceOrderId": "MKP-1",
            "marketplaceServicesEndpoint": "https://mkp.example.com/api/vtex",
            "marketplacePaymentValue": 21890,
            "items": [{"id": "310", "quantity": 1, "seller": "1", "price": 19990}],
            "clientProfileData": {
                "email": "ana@example.com",
                "firstName": "Ana",
                "lastName": "Lima",
                "documentType": "cpf",
                "document": "12345678909",
            },
            "shippingData": {
                "address": {
                    "addressType": "residential",
                    "receiverName": "Ana Lima",
                    "postalCode": "22220-070",
                    "city": "Rio de Janeiro",
                    "state": "RJ",
                    "country": "BRA",
                    "street": "Rua Artur Bernardes",
                    "number": "100",
                },
                "logisticsInfo": [{"itemIndex": 0, "selectedSla": "Normal", "price": 1900}],
            },
        },
        answer=[{"marketplaceOrderId": "MKP-1", "orderId": "SLR-1300000000001-01"}],
        check=lambda r: r.orderId == "SLR-1300000000001-01",
    ),
    Case(
        "authorize_dispatch",
        lambda c: c.marketplace.authorize_dispatch(
            "SLR-1300000000001-01", "MKP-1", affiliate_id="MKP", sales_channel="1"
        ),
        "POST",
        f"{STORE}/api/fulfillment/pvt/orders/SLR-1300000000001-01/fulfill",
        query={"affiliateId": "MKP", "sc": "1"},
        body={"marketplaceOrderId": "MKP-1"},
        answer={"status": "success", "orderId": "SLR-1300000000001-01", "details": {"status": "handling"}},
        status=201,
        check=lambda r: r.status == "success",
    ),
]


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_method_sends_vtex_request_and_reads_answer(
    case: Case, mock: respx.MockRouter, vtex: VtexClient
) -> None:
    await run_case(case, mock, vtex)


def test_every_public_method_has_a_case() -> None:
    public = {n for n in dir(VtexClient.from_settings(VtexSettings()).marketplace) if not n.startswith("_")}
    assert public == {c.name for c in CASES}


async def test_unknown_suggestion_reads_as_none(mock: respx.MockRouter, vtex: VtexClient) -> None:
    mock.get(f"{API}/suggestions/seller1/S-9").mock(return_value=httpx.Response(404))
    assert await vtex.marketplace.get_sku_suggestion("seller1", "S-9") is None


async def test_placed_order_answered_as_an_object_is_read_too(
    mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.post(f"{STORE}/api/fulfillment/pvt/orders").mock(
        return_value=httpx.Response(200, json={"orderId": "SLR-1", "status": "created", "message": None})
    )
    result = await vtex.marketplace.place_fulfillment_order(ORDER, affiliate_id="MKP")
    assert (result.orderId, result.status) == ("SLR-1", "created")


def test_suggestion_needs_an_image_and_whole_numbers_travel_without_fraction() -> None:
    with pytest.raises(ValidationError, match="Images"):
        SkuSuggestion.model_validate({**SUGGESTION_JSON, "Images": []})
    assert SUGGESTION.body()["Height"] == 12
    assert isinstance(SUGGESTION.body()["Height"], int)
    assert SUGGESTION.body()["Length"] == 30.5
