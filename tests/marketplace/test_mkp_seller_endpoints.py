"""The external seller's endpoints over real HTTP: auth, placement into the ERP sink, dispatch, cancel."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from mkp_support import VTEX_KEY, VTEX_TOKEN, RecordingPayment, SellerSide
from pydantic import SecretStr

from vtexbridge.marketplace.seller.orders import SCOPE
from vtexbridge.marketplace.settings import SellerSettings


def placement(
    mkp_id: str = "1300000000001-01", sku: str = "P0001-01", quantity: int = 2, **extra: Any
) -> dict[str, Any]:
    return {
        "marketplaceOrderId": mkp_id,
        "marketplaceServicesEndpoint": "http://oms.example/api/oms?an=marketplace",
        "marketplacePaymentValue": 65890 * quantity + 1000,
        "items": [{"id": sku, "quantity": quantity, "seller": "erpseller", "price": 65890}],
        "clientProfileData": {
            "email": "ana@example.com",
            "firstName": "Ana",
            "lastName": "Lima",
            "documentType": "cpf",
            "document": "12345678909",
            "isCorporate": False,
        },
        "shippingData": {
            "address": {
                "addressType": "residential",
                "receiverName": "Ana Lima",
                "postalCode": "22250-040",
                "city": "Rio de Janeiro",
                "state": "RJ",
                "country": "BRA",
                "street": "Praia de Botafogo",
                "number": "300",
                "neighborhood": "Botafogo",
            },
            "logisticsInfo": [{"itemIndex": 0, "selectedSla": "Normal", "price": 1000}],
        },
        "paymentData": None,
        **extra,
    }


async def post(
    side: SellerSide, path: str, body: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            side.url + path, json=body, headers=side.headers if headers is None else headers
        )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-VTEX-API-AppKey": VTEX_KEY, "X-VTEX-API-AppToken": "wrong"},
        {"Authorization": f'VTEX key="{VTEX_KEY}" token="nope"'},
    ],
)
async def test_calls_without_vtex_credentials_are_refused(
    seller_side: SellerSide, headers: dict[str, str]
) -> None:
    r = await post(seller_side, "/pvt/orderForms/simulation", {"items": [{"id": "P0001-01"}]}, headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "MKP401"


async def test_vtex_authorization_header_form_is_accepted(seller_side: SellerSide) -> None:
    headers = {"authorization": f'VTEX key="{VTEX_KEY}" token="{VTEX_TOKEN}"'}
    r = await post(
        seller_side, "/pvt/orderForms/simulation", {"items": [{"id": "P0001-01", "quantity": 1}]}, headers
    )
    assert r.status_code == 200
    assert r.json()["items"][0]["price"] == 65890


async def test_placement_is_idempotent_per_marketplace_order(seller_side: SellerSide) -> None:
    first, again = await asyncio.gather(
        post(seller_side, "/pvt/orders", placement()), post(seller_side, "/pvt/orders", placement())
    )
    third = await post(seller_side, "/pvt/orders", placement())
    assert first.status_code == again.status_code == third.status_code == 200
    assert (
        first.json()["orderId"] == again.json()["orderId"] == third.json()["orderId"] == "VB-1300000000001-01"
    )
    files = seller_side.order_files()
    assert list(files) == ["VB-1300000000001-01.order-accepted.json"]
    doc = files["VB-1300000000001-01.order-accepted.json"]
    assert doc["schema"] == "vtexbridge.order/1"
    assert doc["marketplaceOrderId"] == "1300000000001-01" and doc["origin"] == "Marketplace"
    assert doc["items"][0]["skuId"] == "P0001-01" and doc["items"][0]["quantity"] == 2
    assert doc["totals"]["totalCents"] == 65890 * 2 + 1000
    # the stock is reserved once
    index = seller_side.runtime.seller.index  # type: ignore[union-attr]
    assert index.reserved == {"P0001-01": 2}


async def test_unknown_sku_is_refused(seller_side: SellerSide) -> None:
    r = await post(seller_side, "/pvt/orders", placement(sku="NOPE"))
    assert r.status_code == 400 and "NOPE" in r.json()["error"]["message"]
    assert seller_side.order_files() == {}


async def test_fulfill_delivers_ready_for_handling_once(seller_side: SellerSide) -> None:
    order_id = (await post(seller_side, "/pvt/orders", placement())).json()["orderId"]
    body = {"marketplaceOrderId": "1300000000001-01"}
    one = await post(seller_side, f"/pvt/orders/{order_id}/fulfill", body)
    two = await post(seller_side, f"/pvt/orders/{order_id}/fulfill", body)
    assert one.status_code == two.status_code == 200
    assert one.json() == two.json()
    assert set(one.json()) == {"date", "marketplaceOrderId", "orderId", "receipt"}
    assert sorted(seller_side.order_files()) == [
        f"{order_id}.order-accepted.json",
        f"{order_id}.ready-for-handling.json",
    ]


async def test_fulfill_errors(seller_side: SellerSide) -> None:
    order_id = (await post(seller_side, "/pvt/orders", placement())).json()["orderId"]
    assert (
        await post(seller_side, "/pvt/orders/VB-nope/fulfill", {"marketplaceOrderId": "x"})
    ).status_code == 404
    wrong = await post(seller_side, f"/pvt/orders/{order_id}/fulfill", {"marketplaceOrderId": "other"})
    assert wrong.status_code == 400


async def test_cancel_before_authorization_is_confirmed_and_releases_stock(seller_side: SellerSide) -> None:
    order_id = (await post(seller_side, "/pvt/orders", placement())).json()["orderId"]
    r = await post(
        seller_side,
        f"/pvt/orders/{order_id}/cancel",
        {"marketplaceOrderId": "1300000000001-01", "reason": "x"},
    )
    assert r.status_code == 200
    assert r.json()["orderId"] == order_id and r.json()["receipt"]
    assert f"{order_id}.canceled.json" in seller_side.order_files()
    assert seller_side.runtime.seller.index.reserved == {}  # type: ignore[union-attr]
    again = await post(
        seller_side, f"/pvt/orders/{order_id}/cancel", {"marketplaceOrderId": "1300000000001-01"}
    )
    assert again.json() == r.json()
    fulfill = await post(
        seller_side, f"/pvt/orders/{order_id}/fulfill", {"marketplaceOrderId": "1300000000001-01"}
    )
    assert fulfill.status_code == 409


async def test_cancel_after_authorization_is_evaluated_then_confirmed_by_the_erp(
    seller_side: SellerSide,
) -> None:
    order_id = (await post(seller_side, "/pvt/orders", placement())).json()["orderId"]
    await post(seller_side, f"/pvt/orders/{order_id}/fulfill", {"marketplaceOrderId": "1300000000001-01"})
    body = {"marketplaceOrderId": "1300000000001-01", "reason": "changed my mind"}
    evaluating = await post(seller_side, f"/pvt/orders/{order_id}/cancel", body)
    assert evaluating.status_code == 200 and evaluating.content == b""
    files = seller_side.order_files()
    assert files[f"{order_id}.cancellation-requested.json"]["cancelReason"] == "changed my mind"
    orders = seller_side.runtime.seller.orders  # type: ignore[union-attr]
    await orders.confirm_cancellation(order_id)
    confirmed = await post(seller_side, f"/pvt/orders/{order_id}/cancel", body)
    assert confirmed.status_code == 200 and confirmed.json()["receipt"]
    assert f"{order_id}.canceled.json" in seller_side.order_files()


async def test_malformed_bodies_answer_400(seller_side: SellerSide) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(seller_side.url + "/pvt/orders", content=b"{nope", headers=seller_side.headers)
    assert r.status_code == 400
    assert (await post(seller_side, "/pvt/orderForms/simulation", {"items": []})).status_code == 400
    assert (await post(seller_side, "/pvt/orders", {"items": []})).status_code == 400


class TestSellerProcessesPayment:
    @pytest.fixture
    def seller_settings(self) -> SellerSettings:
        return SellerSettings(
            seller_id="erpseller",
            app_key=SecretStr(VTEX_KEY),
            app_token=SecretStr(VTEX_TOKEN),
            payment="seller",
            merchant_name="erpseller",
            payment_handler="tests:not-loaded-a-fake-is-injected",
        )

    async def test_payment_data_goes_to_the_handler_only(
        self, seller_side: SellerSide, recording_payment: RecordingPayment, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        card = {"payments": [{"paymentSystem": "2", "value": 132780, "cardNumber": "4111111111111111"}]}
        sim = await post(
            seller_side, "/pvt/orderForms/simulation", {"items": [{"id": "P0001-01", "quantity": 1}]}
        )
        assert sim.json()["items"][0]["merchantName"] == "erpseller"
        r = await post(seller_side, "/pvt/orders", placement(paymentData=card))
        assert r.status_code == 200 and r.json()["paymentData"] is None
        (event,) = recording_payment.events
        assert event.stage == "placement" and event.payment_data == card and event.value == 65890 * 2 + 1000
        assert "4111111111111111" not in repr(event)
        # nowhere else: not in the ERP document, not in the state store, not in the logs
        assert "4111111111111111" not in str(seller_side.order_files())
        record = seller_side.state.values.get(SCOPE, "marketplace:VB-1300000000001-01")
        assert "4111111111111111" not in str(record)
        assert "4111111111111111" not in caplog.text
        fulfill = await post(
            seller_side,
            "/pvt/orders/VB-1300000000001-01/fulfill",
            {"marketplaceOrderId": "1300000000001-01", "paymentData": {"connectorResponses": {"tid": "1"}}},
        )
        assert fulfill.status_code == 200
        assert [e.stage for e in recording_payment.events] == ["placement", "fulfillment"]

    async def test_a_refused_payment_refuses_the_order(
        self, seller_side: SellerSide, recording_payment: RecordingPayment
    ) -> None:
        recording_payment.refuse = True
        r = await post(seller_side, "/pvt/orders", placement(paymentData={"payments": []}))
        assert r.status_code == 400 and "card declined" in r.json()["error"]["message"]
        assert seller_side.order_files() == {}
