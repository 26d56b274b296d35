"""End to end against the sandbox playing VTEX's Payment Gateway: a shopper's order paid with a gift
card and the ERP credit line, analysed, captured on invoice, refunded on cancellation; an ERP
decision that arrives later reaching VTEX through the callback; a denied analysis cancelling the
payments. Every request the sandbox sent is checked against the protocols' specs, and the outcome
is counted in the ERP (balances, movements), not in our answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from tests.providers.provider_support import (
    ANTIFRAUD_SPEC,
    GIFTCARD_SPEC,
    KEY,
    PAYMENT_SPEC,
    TOKEN,
    provider_app,
)
from vtexbridge.config import Settings
from vtexbridge.providers.adapters.sql import SqlErp, erp_credit_account, erp_credit_movement
from vtexbridge.providers.runtime import ProvidersRuntime
from vtexbridge.providers.settings import ProvidersSettings
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.serving import Served, serve_in_thread
from vtexbridge.state import StateStore
from vtexbridge.testing.openapi import ContractBook
from vtexbridge.vtex.settings import VtexSettings

SPECS = {
    "/providers/giftcard": GIFTCARD_SPEC,
    "/providers/payment": PAYMENT_SPEC,
    "/providers/antifraud": ANTIFRAUD_SPEC,
}
BUYER = {"id": "3b1abc17", "firstName": "Ana", "lastName": "Lima", "document": "01234567890",
         "documentType": "cpf", "email": "email@domain.com", "phone": "+5511999999999"}  # fmt: skip
# The antifraud send-data schema types the transaction's value as an integer, while VTEX's guide (and
# every order with cents) has a decimal: "value decimal ex 20.95".
VALUE_QUIRK = re.compile(r"POST /transactions: value: \d+\.\d+ is not of type 'integer'")
# The antifraud spec's security scheme is only the user-token cookie, while its operations' parameters
# require the X-PROVIDER-API-AppKey/AppToken pair, which VTEX (and the sandbox) sends.
TOLERATED = {
    f"{m} {t}: no VTEX credentials (app key + token, or VtexIdclientAutCookie)"
    for m, t in [("POST", "/transactions"), ("GET", "/transactions/{transactions.id}"),
                 ("POST", "/pre-analysis"), ("PUT", "/transactions/{transactionId}"),
                 ("DELETE", "/transactions/{transactions.Id}")]
}  # fmt: skip
ADDRESS = {"country": "BRA", "street": "Rua A", "number": "1", "complement": "", "neighborhood": "Centro",
           "postalCode": "01000000", "city": "São Paulo", "state": "SP"}  # fmt: skip


class World:
    def __init__(self, sandbox: Served, bridge: Served, runtime: ProvidersRuntime, erp: SqlErp) -> None:
        self.sandbox, self.bridge, self.runtime, self.erp = sandbox, bridge, runtime, erp

    def admin(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.sandbox.url, timeout=60)

    async def order(self, **changes: Any) -> dict[str, Any]:
        body = {
            "value": 50.0,
            "buyer": dict(BUYER),
            "address": ADDRESS,
            "items": [{"id": "1", "name": "Tênis", "price": 50.0, "quantity": 1}],
            "giftCard": {"redemptionCode": "BAHD-ASDB-ADQW-ASDQ", "value": 20.0},
            "payment": {"method": "Promissories", "value": 30.0},
            **changes,
        }
        async with self.admin() as c:
            r = await c.post("/_sandbox/providers/orders", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def step(self, order_id: str, action: str) -> dict[str, Any]:
        async with self.admin() as c:
            r = await c.post(f"/_sandbox/providers/orders/{order_id}/{action}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def get(self, order_id: str) -> dict[str, Any]:
        async with self.admin() as c:
            return dict((await c.get(f"/_sandbox/providers/orders/{order_id}")).json())

    async def calls(self) -> list[dict[str, Any]]:
        async with self.admin() as c:
            return list((await c.get("/_sandbox/providers/calls")).json())

    async def balance(self) -> int:
        card = await self.erp.get_card("2")
        assert card is not None
        return card.balance_cents

    def credit_used(self, customer: str = "01234567890") -> int:
        with self.erp.engine.connect() as conn:
            stmt = sa.select(erp_credit_account.c.used_cents).where(erp_credit_account.c.customer == customer)
            return int(conn.execute(stmt).scalar_one())

    def credit_movements(self) -> list[str]:
        with self.erp.engine.connect() as conn:
            return sorted(conn.execute(sa.select(erp_credit_movement.c.kind)).scalars())


@pytest.fixture
def sandbox() -> Iterator[Served]:
    served = serve_in_thread(create_app(SandboxOptions(limits="off")))
    yield served
    served.stop()


@pytest.fixture
async def world(
    sandbox: Served, state: StateStore, erp: SqlErp, providers_settings: ProvidersSettings
) -> AsyncIterator[World]:
    vtex = VtexSettings(
        base_url=sandbox.url, app_key=SecretStr(DEFAULT_APP_KEY), app_token=SecretStr(DEFAULT_APP_TOKEN)
    )
    runtime = ProvidersRuntime.build(
        Settings(vtex=vtex), state=state, providers=providers_settings,
        adapters={"giftcard": erp, "payment": erp, "antifraud": erp},
    )  # fmt: skip
    bridge = serve_in_thread(provider_app(runtime, providers_settings))
    async with httpx.AsyncClient(base_url=sandbox.url) as c:
        for kind in ("giftcard", "payment", "antifraud"):
            body = {"serviceUrl": f"{bridge.url}/providers/{kind}", "appKey": KEY, "appToken": TOKEN}
            assert (await c.put(f"/_sandbox/providers/{kind}", json=body)).status_code == 200
    try:
        yield World(sandbox, bridge, runtime, erp)
    finally:
        bridge.stop()
        await runtime.aclose()


async def test_gift_card_and_credit_order_is_authorized_invoiced_and_settled(
    world: World, book: ContractBook
) -> None:
    order = await world.order()
    assert order["status"] == "authorized", order["log"]
    assert await world.balance() == 8_000 and world.credit_used() == 3_000
    order = await world.step(order["orderId"], "invoice")
    assert order["status"] == "invoiced"
    assert world.credit_movements() == ["settle"]
    payment = world.runtime.payment
    assert payment is not None
    row = await payment.ledger.get(order["payment"]["paymentId"])
    assert row is not None and row["settled_cents"] == 3_000
    await assert_calls_follow_the_specs(world, book)


async def test_cancelled_orders_are_refunded_or_cancelled(world: World) -> None:
    invoiced = await world.order()
    await world.step(invoiced["orderId"], "invoice")
    refunded = await world.step(invoiced["orderId"], "cancel")
    assert refunded["status"] == "refunded"
    assert await world.balance() == 10_000 and world.credit_used() == 0
    assert world.credit_movements() == ["refund", "settle"]
    authorized = await world.order()
    assert await world.balance() == 8_000 and world.credit_used() == 3_000
    cancelled = await world.step(authorized["orderId"], "cancel")
    assert cancelled["status"] == "canceled"
    assert await world.balance() == 10_000 and world.credit_used() == 0
    assert world.credit_movements() == ["cancel", "refund", "settle"]


async def test_a_later_erp_decision_reaches_vtex_through_the_callback(
    world: World, book: ContractBook
) -> None:
    order = await world.order(buyer={**BUYER, "document": "REVIEW-1"}, giftCard=None, value=30.0)
    assert order["status"] == "payment-pending" and order["payment"]["status"] == "undefined"
    async with world.admin() as c:
        assert (await c.post("/_sandbox/providers/tick")).json()["orders"][0]["status"] == "payment-pending"
    payments = [x for x in await world.calls() if x["url"].endswith("/payments") and x["method"] == "POST"]
    assert len(payments) == 2  # VTEX's retry asked again, with the same paymentId
    assert payments[0]["body"]["paymentId"] == payments[1]["body"]["paymentId"]
    provider = world.runtime.payment
    assert provider is not None
    assert await provider.follow_up() == 0
    world.erp.decide(order["payment"]["paymentId"], "approved", "credit committee")
    assert await provider.follow_up() == 1  # the callback, accepted by the sandbox
    order = await world.get(order["orderId"])
    assert order["payment"]["status"] == "approved" and order["status"] == "authorized", order["log"]
    assert world.credit_used("REVIEW-1") == 3_000
    await assert_calls_follow_the_specs(world, book)


async def test_a_denied_analysis_cancels_the_payments(world: World) -> None:
    order = await world.order(buyer={**BUYER, "email": "fraudster@example.com"})
    assert order["status"] == "canceled", order["log"]
    assert order["antifraud"]["status"] == "denied"
    assert order["payment"]["status"] == "cancelled" and order["giftCard"]["status"] == "cancelled"
    assert await world.balance() == 10_000 and world.credit_used() == 0


async def test_an_analysis_decided_later_reaches_vtex_by_the_hook(world: World) -> None:
    order = await world.order(value=1500.0, payment={"method": "Promissories", "value": 1480.0})
    assert order["status"] == "payment-pending" and order["antifraud"]["status"] == "received"
    world.erp.decide_fraud(order["transactionId"], "approved", ["analyst ok"])
    antifraud = world.runtime.antifraud
    assert antifraud is not None
    assert await antifraud.follow_up() == 1
    assert (await world.get(order["orderId"]))["status"] == "authorized"


async def assert_calls_follow_the_specs(world: World, book: ContractBook) -> None:
    calls = await world.calls()
    assert calls
    found: list[str] = []
    for call in calls:
        url = httpx.URL(call["url"])
        prefix = next(p for p in SPECS if url.path.startswith(p))
        relative = url.copy_with(path=url.path[len(prefix) :])
        headers = {name: "x" for name in call["headers"]}
        headers["Content-Type"] = "application/json"
        content = (
            httpx.Request("POST", "http://x", json=call["body"]).content if call["body"] is not None else b""
        )
        request = httpx.Request(call["method"], relative, headers=headers, content=content)
        problems = [
            p
            for p in book.check_request(SPECS[prefix], request)
            if p not in TOLERATED and not VALUE_QUIRK.fullmatch(p)
        ]
        if prefix == "/providers/giftcard" and call["body"] is not None:
            problems += giftcard_body_problems(book, call["method"], relative.path, call["body"])
        found.extend(f"{call['method']} {call['url']}: {p}" for p in problems)
    assert found == [], "\n".join(found)


def giftcard_body_problems(book: ContractBook, method: str, path: str, body: Any) -> list[str]:
    """The gift card requests' bodies against their schema (declared under VTEX's own media type,
    which the generic checker does not read as JSON)."""
    spec = book.spec(GIFTCARD_SPEC)
    op = spec.find(method, path)
    assert op is not None, path
    media = "application~1vnd.vtex.giftcards.v1+json"
    return spec.validate(f"{op.pointer}/requestBody/content/{media}/schema", body, direction="request")


async def test_the_retry_callback_makes_the_gateway_ask_again(world: World) -> None:
    provider = world.runtime.payment
    assert provider is not None
    provider.settings = provider.settings.model_copy(update={"callback_mode": "retry"})
    order = await world.order(buyer={**BUYER, "document": "REVIEW-1"}, giftCard=None, value=30.0)
    assert order["status"] == "payment-pending"
    world.erp.decide(order["payment"]["paymentId"], "approved", "credit committee")
    before = [c for c in await world.calls() if c["url"].endswith("/payments") and c["method"] == "POST"]
    assert await provider.follow_up() == 1  # an empty POST to the callbackUrl ...
    after = [c for c in await world.calls() if c["url"].endswith("/payments") and c["method"] == "POST"]
    assert len(after) == len(before) + 1  # ... and the gateway called POST /payments again
    assert (await world.get(order["orderId"]))["status"] == "authorized"
