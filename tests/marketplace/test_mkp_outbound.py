"""What the external seller sends the marketplace: notifications only for changes, suggestions on 404,
invoices and tracking to the order's services endpoint (its query kept), retried when VTEX fails."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from vtexbridge.clock import FakeClock
from vtexbridge.marketplace.seller.outbound import (
    INVOICE,
    MarketplaceServices,
    ServicesEndpointRefused,
    SkuOffer,
    notify_changes,
    offer_new_skus,
    services_url,
)
from vtexbridge.marketplace.seller.simulation import Offer, diff_offers
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.errors import BadRequest
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.models.marketplace import SkuSuggestion, SuggestionImage, SuggestionPricing
from vtexbridge.vtex.settings import VtexSettings

STORE = "https://mkp.vtexcommercestable.com.br"
API = "https://api.vtex.com/mkp"
SETTINGS = VtexSettings(
    account="mkp",
    app_key=SecretStr("vtexappkey-mkp-SELLER"),
    app_token=SecretStr("tok"),
    max_retries=0,
    credential_hosts=["oms.example", "*.vtexcommercestable.com.br"],
)


@pytest.fixture
async def client() -> AsyncIterator[VtexClient]:
    c = VtexClient.from_settings(SETTINGS, clock=FakeClock())
    yield c
    await c.aclose()


async def test_one_notification_per_sku_and_kind(client: VtexClient) -> None:
    with respx.mock(assert_all_called=True) as mock:
        price = mock.post(url__regex=rf"{STORE}/api/notificator/erpseller/changenotification/.+/price").mock(
            return_value=httpx.Response(202)
        )
        stock = mock.post(
            url__regex=rf"{STORE}/api/notificator/erpseller/changenotification/.+/inventory"
        ).mock(return_value=httpx.Response(202))
        report = await notify_changes(client, "erpseller", ["A", "B", "A"], ["B"])
    assert sorted(report.price) == ["A", "B"] and report.inventory == ["B"] and report.ok
    assert price.call_count == 2 and stock.call_count == 1
    assert price.calls[0].request.headers["X-VTEX-API-AppKey"] == "vtexappkey-mkp-SELLER"


async def test_no_change_no_request(client: VtexClient) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        report = await notify_changes(client, "erpseller", [], [])
        assert mock.calls.call_count == 0
    assert report.ok and report.price == report.inventory == []


async def test_a_refused_notification_is_reported_not_raised(client: VtexClient) -> None:
    with respx.mock() as mock:
        mock.post(f"{STORE}/api/notificator/s/changenotification/A/price").mock(
            return_value=httpx.Response(400, json={"error": {"message": "unknown sku"}})
        )
        mock.post(f"{STORE}/api/notificator/s/changenotification/B/price").mock(
            return_value=httpx.Response(202)
        )
        report = await notify_changes(client, "s", ["A", "B"], [])
    assert report.price == ["B"]
    assert [(sku, kind) for sku, kind, _ in report.failed] == [("A", "price")]


def _suggestion(sku: str) -> SkuSuggestion:
    return SkuSuggestion(
        ProductName="Jacket",
        ProductId="P1",
        ProductDescription="A jacket",
        BrandName="Serra",
        SkuName=f"Jacket {sku}",
        SellerId="erpseller",
        Height=8,
        Width=25,
        Length=30,
        Weight=460,
        RefId=sku,
        EAN="",
        CategoryFullPath="Apparel/Jackets",
        Images=[SuggestionImage(imageName="front", imageUrl="https://cdn.example.com/a.jpg")],
        AvailableQuantity=3,
        Pricing=SuggestionPricing(Currency="BRL", SalePrice=659, CurrencySymbol="R$"),
    )


async def test_suggestion_only_for_skus_the_marketplace_does_not_know(client: VtexClient) -> None:
    change = f"{STORE}/api/catalog_system/pvt/skuseller/changenotification/erpseller"
    with respx.mock(assert_all_called=True) as mock:
        mock.post(f"{change}/KNOWN").mock(return_value=httpx.Response(204))
        mock.post(f"{change}/NEW").mock(
            return_value=httpx.Response(404, text="Seller StockKeepingUnit not found")
        )
        put = mock.put(f"{API}/suggestions/erpseller/NEW").mock(return_value=httpx.Response(200))
        report = await offer_new_skus(
            client,
            "erpseller",
            [SkuOffer("KNOWN", _suggestion("KNOWN")), SkuOffer("NEW", _suggestion("NEW"))],
        )
    assert report.known == ["KNOWN"] and report.suggested == ["NEW"]
    assert json.loads(put.calls[0].request.content)["RefId"] == "NEW"


def test_services_url_keeps_the_endpoint_path_and_query() -> None:
    url, query = services_url(
        "http://oms.vtexinternal.com.br/api/oms?an=luxstore", INVOICE, {"marketplaceOrderId": "88-01"}
    )
    assert url == "http://oms.vtexinternal.com.br/api/oms/pvt/orders/88-01/invoice"
    assert query == {"an": "luxstore"}
    assert services_url("https://m.example/", INVOICE, {"marketplaceOrderId": "a/b"})[0] == (
        "https://m.example/pvt/orders/a%2Fb/invoice"
    )
    with pytest.raises(ValueError, match="http"):
        services_url("oms.example", INVOICE, {"marketplaceOrderId": "1"})


async def test_invoice_is_retried_on_503_and_not_on_400() -> None:
    clock = FakeClock()
    services = MarketplaceServices(SETTINGS, clock=clock, attempts=3)
    endpoint = "https://oms.example/api/oms?an=mkp"
    try:
        with respx.mock(assert_all_called=True) as mock:
            route = mock.post(
                "https://oms.example/api/oms/pvt/orders/1-01/invoice", params={"an": "mkp"}
            ).mock(
                side_effect=[
                    httpx.Response(503, headers={"Retry-After": "2"}),
                    httpx.Response(200, json={"date": "d", "orderId": "1-01", "receipt": "r"}),
                ]
            )
            answer = await services.send_invoice(
                endpoint, "1-01", {"type": "Output", "invoiceNumber": "N1", "items": []}
            )
        assert answer["receipt"] == "r" and route.call_count == 2 and clock.sleeps == [2.0]
        assert route.calls[0].request.headers["X-VTEX-API-AppToken"] == "tok"
        with respx.mock() as mock:
            refused = mock.post("https://oms.example/api/oms/pvt/orders/1-01/invoice").mock(
                return_value=httpx.Response(400, json={"error": {"message": "bad invoice"}})
            )
            with pytest.raises(BadRequest):
                await services.send_invoice(endpoint, "1-01", {"type": "Output"})
        assert refused.call_count == 1
    finally:
        await services.aclose()


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        ("https://evil.example/api/oms?an=mkp", "evil.example is not an allowed host"),
        ("http://oms.example/api/oms?an=mkp", "oms.example is not reached over https"),
        ("http://mkp.vtexcommercestable.com.br/api/oms", "not reached over https"),
        ("https://oms.example.evil.example/api", "is not an allowed host"),
    ],
)
async def test_credentials_go_only_to_allowed_hosts_over_https(endpoint: str, why: str) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    services = MarketplaceServices(SETTINGS, http_transport=httpx.MockTransport(answer), clock=FakeClock())
    with pytest.raises(ServicesEndpointRefused, match=why) as info:
        await services.send_invoice(endpoint, "1-01", {"type": "Output", "invoiceNumber": "N1"})
    await services.aclose()
    assert seen == []  # nothing sent at all
    assert info.value.status == 403 and "vtex.credential_hosts" in info.value.message


async def test_loopback_takes_plain_http_and_every_call_is_counted_by_target() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503) if len(seen) == 1 else httpx.Response(200, json={"receipt": "r"})

    registry = CollectorRegistry()
    services = MarketplaceServices(
        SETTINGS,
        http_transport=httpx.MockTransport(answer),
        clock=FakeClock(),
        metrics=TransportMetrics(registry),
    )
    answer_ = await services.send_invoice(
        "http://127.0.0.1:8999/mkp/api/oms?an=mkp", "1-01", {"type": "Output", "invoiceNumber": "N1"}
    )
    await services.aclose()
    assert answer_ == {"receipt": "r"} and len(seen) == 2
    assert seen[0].headers["X-VTEX-API-AppKey"] == "vtexappkey-mkp-SELLER"
    labels = {"api": "marketplace-services", "route": INVOICE, "method": "POST"}
    sample = registry.get_sample_value
    assert sample("vtexbridge_vtex_requests_total", {**labels, "status": "503"}) == 1.0
    assert sample("vtexbridge_vtex_requests_total", {**labels, "status": "200"}) == 1.0
    assert (
        sample("vtexbridge_vtex_retries_total", {"api": "marketplace-services", "reason": "unavailable"}) == 1
    )


def test_diff_offers_finds_price_and_stock_changes() -> None:
    old = {o.sku_id: o for o in [Offer("A", 100, None, 5), Offer("B", 100, None, 5), Offer("C", 1, None, 1)]}
    new = [Offer("A", 90, None, 5), Offer("B", 100, None, 4), Offer("D", 1, None, None)]
    price, stock = diff_offers(old, new)
    assert price == ["A", "D"]
    assert stock == ["B", "D", "C"]
