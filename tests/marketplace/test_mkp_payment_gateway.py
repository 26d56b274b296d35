"""B with the seller processing the payment: the built-in handler creates, fills and authorises the
transaction in the seller's Payment Gateway (the sandbox plays it, in process); payment data is
sent in the payments call only, never logged nor kept."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from vtexbridge.clock import FakeClock
from vtexbridge.config import Settings
from vtexbridge.marketplace.affiliate.payment_gateway import VtexGatewayPayment, gateway_payments
from vtexbridge.marketplace.affiliate.service import AffiliateProtocol
from vtexbridge.marketplace.seller.payment import PaymentError, PaymentEvent
from vtexbridge.marketplace.settings import AffiliateSettings, CatalogSinkSettings
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.settings import VtexSettings

CARD = "4111111111111111"
VTEX = VtexSettings(
    account="seller",
    base_url="http://sandbox.test",
    app_key=DEFAULT_APP_KEY,
    app_token=DEFAULT_APP_TOKEN,
    backoff_base_s=0.01,
)


@dataclass
class Recording(httpx.AsyncBaseTransport):
    inner: httpx.AsyncBaseTransport
    requests: list[httpx.Request] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


@dataclass
class Gateway:
    handler: VtexGatewayPayment
    transport: Recording
    admin: httpx.AsyncClient

    async def transaction(self, tid: str) -> dict[str, Any]:
        r = await self.admin.get(f"/api/pvt/transactions/{tid}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    app = create_app(SandboxOptions(limits="off"))
    transport = Recording(httpx.ASGITransport(app=app))
    handler = VtexGatewayPayment(VTEX, http_transport=transport)
    headers = {
        "X-VTEX-API-AppKey": DEFAULT_APP_KEY,
        "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN,
        "Host": "seller.vtexpayments.com.br",
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x", headers=headers
    ) as c:
        yield Gateway(handler, transport, c)
    await handler.aclose()


def event(card: str = CARD, value: int = 20200, **payment: Any) -> PaymentEvent:
    data = {
        "paymentSystem": "2",
        "cardNumber": card,
        "holderName": "ANA LIMA",
        "validationCode": "123",
        **payment,
    }
    return PaymentEvent("transaction", "SLR-1001-01", "MKP-1001", value, data)


async def test_the_transaction_is_started_filled_and_authorized(gateway: Gateway, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    outcome = await gateway.handler.handle(event())
    assert outcome.reference
    saved = await gateway.transaction(outcome.reference)
    assert (
        saved["status"] == "Approved" and saved["value"] == 20200 and saved["referenceKey"] == "SLR-1001-01"
    )
    assert saved["sandboxPayments"][0]["lastDigits"] == "1111" and CARD not in json.dumps(saved)
    paths = [(r.method, r.url.path) for r in gateway.transport.requests]
    tid = outcome.reference
    assert paths == [
        ("POST", "/api/pvt/transactions"),
        ("POST", f"/api/pub/transactions/{tid}/payments"),
        ("POST", f"/api/pvt/transactions/{tid}/authorization-request"),
    ]
    sent = json.loads(gateway.transport.requests[1].content)
    assert sent[0]["fields"]["cardNumber"] == CARD and sent[0]["transaction"] == {
        "id": tid,
        "merchantName": "seller",
    }
    assert gateway.transport.requests[1].url.params["orderId"] == "SLR-1001-01"
    # the card goes into the payments call and nowhere else
    assert all(CARD not in r.content.decode() for i, r in enumerate(gateway.transport.requests) if i != 1)
    assert CARD not in caplog.text and "ANA LIMA" not in caplog.text


async def test_a_denied_payment_refuses_the_order_without_echoing_the_card(
    gateway: Gateway, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    denied = "4000000000000002"
    with pytest.raises(PaymentError) as info:
        await gateway.handler.handle(event(card=denied))
    assert "not approved (Denied)" in info.value.message and denied not in str(info.value)
    assert denied not in caplog.text


def test_the_payments_must_add_up_and_name_the_order_and_field() -> None:
    with pytest.raises(PaymentError, match=r"order SLR-1001-01: the payments add up to 100"):
        gateway_payments(
            PaymentEvent("transaction", "SLR-1001-01", "M", 20200, {"paymentSystem": 2, "value": 100}),
            transaction_id="T",
            merchant="m",
        )
    with pytest.raises(PaymentError, match=r"payments\[0\]\.paymentSystem is required") as info:
        gateway_payments(
            PaymentEvent("transaction", "SLR-1", "M", 10, {"cardNumber": CARD}),
            transaction_id="T",
            merchant="m",
        )
    assert CARD not in str(info.value)
    split = {"payments": [{"paymentSystem": 2, "value": 150}, {"paymentSystem": "6", "value": 50}]}
    made = gateway_payments(
        PaymentEvent("transaction", "SLR-1", "M", 200, split), transaction_id="T", merchant="m"
    )
    assert [(p["paymentSystem"], p["value"], p["installmentsValue"]) for p in made] == [
        (2, 150, 150),
        (6, 50, 50),
    ]


async def test_a_gateway_failure_is_retried_but_a_start_is_not_sent_twice() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, json={"error": {"message": "busy"}})

    handler = VtexGatewayPayment(VTEX, http_transport=httpx.MockTransport(answer), attempts=3)
    with pytest.raises(PaymentError, match="answered 503 busy"):
        await handler.handle(event())
    await handler.aclose()
    assert calls == ["/api/pvt/transactions"]


async def test_card_data_is_not_sent_twice_but_an_authorization_is_retried() -> None:
    calls: list[str] = []
    payments_answer = 503

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path.rsplit("/", 1)[-1])
        if request.url.path == "/api/pvt/transactions":
            return httpx.Response(200, json={"id": "T1"})
        if request.url.path.endswith("/payments"):
            return httpx.Response(payments_answer, json={"error": {"message": "busy"}})
        return httpx.Response(503, json={"error": {"message": "busy"}})

    handler = VtexGatewayPayment(
        VTEX, http_transport=httpx.MockTransport(answer), attempts=3, clock=FakeClock()
    )
    with pytest.raises(PaymentError, match=r"sending the payments .* answered 503"):
        await handler.handle(event())
    assert calls == ["transactions", "payments"]
    calls.clear()
    payments_answer = 200
    with pytest.raises(PaymentError, match=r"authorizing the payment .* answered 503"):
        await handler.handle(event())
    assert calls == ["transactions", "payments"] + ["authorization-request"] * 3
    await handler.aclose()


async def test_vtex_gateway_selects_the_built_in_handler(tmp_path: Any) -> None:
    affiliate = AffiliateSettings(
        affiliate_id="BRG",
        payment="seller",
        payment_handler="vtex-gateway",
        catalog_sink=CatalogSinkSettings(path=tmp_path / "catalog", fsync=False),
    )
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    client = VtexClient.from_settings(VTEX)
    protocol = AffiliateProtocol.build(Settings(vtex=VTEX), affiliate, state=store, client=client)
    assert isinstance(protocol.orders.payment, VtexGatewayPayment)
    await protocol.aclose()
    await client.aclose()
    store.close()


async def test_no_answer_to_the_card_data_is_not_resent_and_every_call_is_counted() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path.rsplit("/", 1)[-1])
        if request.url.path == "/api/pvt/transactions":
            return httpx.Response(200, json={"id": "T1"})
        raise httpx.ReadTimeout("no answer", request=request)

    registry = CollectorRegistry()
    handler = VtexGatewayPayment(
        VTEX,
        http_transport=httpx.MockTransport(answer),
        attempts=3,
        clock=FakeClock(),
        metrics=TransportMetrics(registry),
    )
    with pytest.raises(
        PaymentError, match=r"sending the payments of order SLR-1001-01: no answer \(ReadTimeout\)"
    ):
        await handler.handle(event())
    await handler.aclose()
    assert calls == ["transactions", "payments"]
    sample = registry.get_sample_value
    labels = {"api": "payments", "method": "POST"}
    assert (
        sample(
            "vtexbridge_vtex_requests_total", {**labels, "route": "/api/pvt/transactions", "status": "200"}
        )
        == 1
    )
    payments = {**labels, "route": "/api/pub/transactions/{transactionId}/payments", "status": "timeout"}
    assert sample("vtexbridge_vtex_requests_total", payments) == 1
