"""Admin API of the orders area: placing orders as a shopper, advancing them, dumps, and placement speed."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.sandbox.orders_support import add_sku, configure_feed, place
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store


@pytest.fixture(autouse=True)
def _catalog(sandbox_store: Store) -> None:
    seed(sandbox_store, "sandbox", "demo")
    add_sku(sandbox_store, 100, price=49.9, list_price=59.9, stock=10_000)


async def _refused(client: httpx.AsyncClient, body: Any) -> str:
    response = await client.post("/_sandbox/orders", json=body)
    assert response.status_code == 400, response.text
    message: str = response.json()["error"]
    return message


async def test_placement_refusals(sandbox_client: httpx.AsyncClient, sandbox_store: Store) -> None:
    add_sku(sandbox_store, 200, price=None)
    add_sku(sandbox_store, 300, active=False)
    add_sku(sandbox_store, 400, stock=1)
    assert "items is required" in await _refused(sandbox_client, {"items": []})
    assert "SKU 999 not found" in await _refused(sandbox_client, {"items": [{"skuId": "999", "quantity": 1}]})
    assert "has no price" in await _refused(sandbox_client, {"items": [{"skuId": "200", "quantity": 1}]})
    assert "not active" in await _refused(sandbox_client, {"items": [{"skuId": "300", "quantity": 1}]})
    assert "available" in await _refused(sandbox_client, {"items": [{"skuId": "400", "quantity": 2}]})
    assert "quantity" in await _refused(sandbox_client, {"items": [{"skuId": "100", "quantity": 0}]})
    assert "stopAt" in await _refused(sandbox_client, {"items": [{"skuId": "100"}], "stopAt": "invoiced"})
    assert "body must be" in await _refused(sandbox_client, [1])
    assert sandbox_store.table("sandbox", "inventory")["400:1_1"]["reservedQuantity"] == 0
    assert (await sandbox_client.get("/_sandbox/orders")).json()["orders"] == []
    inactive = await sandbox_client.post(
        "/_sandbox/orders", json={"items": [{"skuId": "300", "quantity": 1}], "allowInactive": True}
    )
    assert inactive.status_code == 201


async def test_fixed_price_of_the_trade_policy_wins(
    sandbox_client: httpx.AsyncClient, sandbox_store: Store
) -> None:
    add_sku(
        sandbox_store,
        500,
        price=100,
        fixed=[{"tradePolicyId": "2", "value": 80, "listPrice": 120, "minQuantity": 1}],
    )
    base = await place(sandbox_client, items=[{"skuId": "500", "quantity": 1}])
    fixed = await place(sandbox_client, items=[{"skuId": "500", "quantity": 1}], salesChannel="2")
    assert base["items"][0]["price"] == 10000
    assert (fixed["items"][0]["price"], fixed["items"][0]["listPrice"], fixed["salesChannel"]) == (
        8000,
        12000,
        "2",
    )


async def test_customer_comes_from_master_data(sandbox_client: httpx.AsyncClient) -> None:
    order = await place(sandbox_client, customer={"email": "joao.souza@example.com"})
    profile = order["clientProfileData"]
    assert (profile["firstName"], profile["lastName"], profile["document"]) == (
        "João",
        "Souza",
        "11144477735",
    )
    assert order["shippingData"]["address"]["city"] == "Rio de Janeiro"
    stranger = await place(
        sandbox_client, customer={"email": "new@example.com", "firstName": "Nova", "lastName": "Cliente"}
    )
    assert stranger["clientProfileData"]["firstName"] == "Nova"
    assert stranger["shippingData"]["address"]["receiverName"] == "Nova Cliente"


async def test_stop_at_then_advance(sandbox_client: httpx.AsyncClient) -> None:
    order = await place(sandbox_client, stopAt="payment-pending")
    assert order["status"] == "payment-pending"
    oid = order["orderId"]
    advanced = await sandbox_client.post(f"/_sandbox/orders/{oid}/advance", json={"to": "ready-for-handling"})
    assert advanced.status_code == 200 and advanced.json()["status"] == "ready-for-handling"
    handling = await sandbox_client.post(f"/_sandbox/orders/{oid}/advance", json={"to": "handling"})
    assert handling.json()["status"] == "handling"
    invoicing = await sandbox_client.post(
        f"/_sandbox/orders/{oid}/advance", json={"to": "ready-for-invoicing"}
    )
    assert invoicing.json()["status"] == "ready-for-invoicing"
    refused = await sandbox_client.post(f"/_sandbox/orders/{oid}/advance", json={"to": "payment-approved"})
    assert refused.status_code == 409
    assert (
        await sandbox_client.post(f"/_sandbox/orders/{oid}/advance", json={"to": "flying"})
    ).status_code == 400
    assert (
        await sandbox_client.post("/_sandbox/orders/nope/advance", json={"to": "handling"})
    ).status_code == 404


async def test_dumps(sandbox_client: httpx.AsyncClient) -> None:
    first = await place(sandbox_client)
    second = await place(sandbox_client, stopAt="payment-approved")
    listed = (await sandbox_client.get("/_sandbox/orders")).json()["orders"]
    assert [(o["orderId"], o["status"]) for o in listed] == [
        (first["orderId"], "ready-for-handling"),
        (second["orderId"], "payment-approved"),
    ]
    dump = (await sandbox_client.get(f"/_sandbox/orders/{first['orderId']}")).json()
    assert dump["order"]["orderId"] == first["orderId"]
    assert [e["state"] for e in dump["events"]][-1] == "ready-for-handling"
    assert all(e["kind"] == "status" and e["eventId"] for e in dump["events"])
    assert dump["reservations"] == [{"skuId": "100", "warehouseId": "1_1", "quantity": 2}]
    assert dump["reservationReleased"] is False
    assert (await sandbox_client.get("/_sandbox/orders/nope")).status_code == 404


async def test_reset_clears_orders_and_feed_faults(sandbox_client: httpx.AsyncClient) -> None:
    await place(sandbox_client)
    await sandbox_client.post("/_sandbox/feed/options", json={"duplicateRate": 0.5})
    assert (await sandbox_client.post("/_sandbox/reset")).status_code == 200
    assert (await sandbox_client.get("/_sandbox/orders")).json()["orders"] == []
    assert (await sandbox_client.get("/_sandbox/feed/options")).json()["duplicateRate"] == 0.0


async def test_placing_500_orders_is_fast(sandbox_client: httpx.AsyncClient) -> None:
    await configure_feed(sandbox_client)
    started = time.perf_counter()
    for _ in range(500):
        response = await sandbox_client.post(
            "/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]}
        )
        assert response.status_code == 201
    elapsed = time.perf_counter() - started
    rate = 500 / elapsed
    print(f"\nplaced 500 orders in {elapsed:.2f} s: {rate:.0f} orders/s (in-process, 6 feed events each)")
    assert (await sandbox_client.get("/api/orders/feed/config")).json()["quantity"] == 3000
    assert rate > 100, f"placement is too slow: {rate:.0f} orders/s"
