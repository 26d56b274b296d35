"""Order changes: the legacy ``POST /api/oms/pvt/orders/{orderId}/changes`` and the v2 retry/cancel of
a change that stopped unprocessed (bodies from the Orders API spec and VTEX's "Errors in Change v1")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.orders_support import add_sku, place
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store

ORDERS = "/api/oms/pvt/orders"
LEGACY = {
    "requestId": "change-request-0123",
    "reason": "Stock shortage",
    "discountValue": 100,
    "incrementValue": 0,
    "itemsRemoved": [{"id": "100", "price": 4990, "quantity": 1}],
    "itemsAdded": [{"id": "200", "price": 2499, "quantity": 1}],
}
REMOVE_ONE = {
    "reason": "x",
    "replace": [{"from": {"items": [{"id": "100", "quantity": 1}]}, "to": {"items": []}}],
}


@pytest.fixture(autouse=True)
def _catalog(sandbox_store: Store) -> None:
    seed(sandbox_store, "sandbox", "demo")
    add_sku(sandbox_store, 100, price=49.9, list_price=59.9, stock=10)
    add_sku(sandbox_store, 200, price=10, list_price=None, stock=5)


async def _handling(client: httpx.AsyncClient, quantity: int = 2) -> str:
    order = await place(client, items=[{"skuId": "100", "quantity": quantity}])
    assert (await client.post(f"{ORDERS}/{order['orderId']}/start-handling")).status_code == 204
    order_id: str = order["orderId"]
    return order_id


async def _order(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = (await client.get(f"{ORDERS}/{order_id}")).json()
    return doc


async def test_legacy_change_applies_items_prices_and_values_once(sandbox_client: httpx.AsyncClient) -> None:
    order_id = await _handling(sandbox_client)
    answer = await sandbox_client.post(f"{ORDERS}/{order_id}/changes", json=LEGACY)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"date", "orderId", "receipt"}
    doc = await _order(sandbox_client, order_id)
    assert [(i["id"], i["quantity"], i["price"]) for i in doc["items"]] == [
        ("100", 1, 4990),
        ("200", 1, 2499),
    ]
    assert doc["value"] == 4990 + 2499 - 100  # the caller's price for the added SKU, then the discount
    assert doc["changesAttachment"]["changesData"][0]["reason"] == "Stock shortage"
    again = await sandbox_client.post(f"{ORDERS}/{order_id}/changes", json=LEGACY)
    assert again.json() == answer.json()  # same requestId: same receipt, applied once
    assert (await _order(sandbox_client, order_id))["value"] == doc["value"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({**LEGACY, "discountValue": -1}, "greater or equal than zero"),
        (
            {**LEGACY, "itemsRemoved": [], "itemsAdded": [], "discountValue": 5, "incrementValue": 5},
            "Invalid modification",
        ),
        ({**LEGACY, "itemsAdded": [{"id": "", "price": 1, "quantity": 1}]}, "Invalid id for item"),
        ({**LEGACY, "reason": ""}, "Field reason not set"),
        ({**LEGACY, "requestId": None}, "requestId"),
        ({**LEGACY, "itemsRemoved": [{"id": "100", "price": 4990, "quantity": 9}]}, "not 9"),
    ],
)
async def test_legacy_change_errors(
    sandbox_client: httpx.AsyncClient, change: dict[str, Any], message: str
) -> None:
    order_id = await _handling(sandbox_client)
    answer = await sandbox_client.post(f"{ORDERS}/{order_id}/changes", json=change)
    assert answer.status_code == 400
    assert message in answer.json()["error"]["message"]
    assert (await _order(sandbox_client, order_id))["value"] == 9980


async def test_legacy_change_needs_a_changeable_order(sandbox_client: httpx.AsyncClient) -> None:
    order = await place(sandbox_client)  # ready-for-handling
    answer = await sandbox_client.post(f"{ORDERS}/{order['orderId']}/changes", json=LEGACY)
    assert answer.status_code == 409


async def test_failed_change_is_retried_once_then_cannot_be_canceled(
    sandbox_client: httpx.AsyncClient,
) -> None:
    order_id = await _handling(sandbox_client)
    url = f"/api/order-system/orders/{order_id}/changes"
    assert (await sandbox_client.post("/_sandbox/order-changes/options", json={"failNext": 1})).json() == {
        "failNext": 1
    }
    failed = await sandbox_client.patch(url, json=REMOVE_ONE)
    assert failed.status_code == 202
    record = failed.json()
    assert record["status"] == "failed"
    assert (await _order(sandbox_client, order_id))["value"] == 9980  # not applied
    retry = f"{url}/{record['requestId']}/retry"
    assert (await sandbox_client.post(retry, json={"reason": "again"})).status_code == 400  # `an` is required
    assert (await sandbox_client.post(f"{retry}?an=sandbox", json={"reason": "again"})).status_code == 204
    assert (await _order(sandbox_client, order_id))["value"] == 4990
    stored = (await sandbox_client.get(f"{url}/{record['requestId']}")).json()
    assert stored["status"] == "done"
    assert (await sandbox_client.post(f"{retry}?an=sandbox", json={"reason": "again"})).status_code == 409
    cancel = await sandbox_client.post(
        f"{url}/{record['requestId']}/cancel?an=sandbox", json={"reason": "late"}
    )
    assert cancel.status_code == 409
    assert (await _order(sandbox_client, order_id))["value"] == 4990  # retried exactly once
    assert (
        await sandbox_client.post(f"{url}/nope/retry?an=sandbox", json={"reason": "x"})
    ).status_code == 404


async def test_failed_change_canceled_is_never_applied(sandbox_client: httpx.AsyncClient) -> None:
    order_id = await _handling(sandbox_client)
    url = f"/api/order-system/orders/{order_id}/changes"
    await sandbox_client.post("/_sandbox/order-changes/options", json={"failNext": 1})
    record = (await sandbox_client.patch(url, json=REMOVE_ONE)).json()
    cancel = f"{url}/{record['requestId']}/cancel?an=sandbox"
    assert (await sandbox_client.post(cancel, json={})).status_code == 400  # reason required
    assert (await sandbox_client.post(cancel, json={"reason": "no"})).status_code == 200
    assert (await sandbox_client.post(cancel, json={"reason": "no"})).status_code == 200
    retry = await sandbox_client.post(f"{url}/{record['requestId']}/retry?an=sandbox", json={"reason": "x"})
    assert retry.status_code == 409
    assert (await sandbox_client.get(f"{url}/{record['requestId']}")).json()["status"] == "canceled"
    assert (await _order(sandbox_client, order_id))["value"] == 9980
    # The option was for one change: the next one is applied at once.
    assert (await sandbox_client.patch(url, json=REMOVE_ONE)).json()["status"] == "done"


async def test_order_bodies_bind_property_names_without_regard_to_case(
    sandbox_client: httpx.AsyncClient,
) -> None:
    order_id = await _handling(sandbox_client)
    pascal = {
        "RequestId": "r-1",
        "Reason": "Stock shortage",
        "DiscountValue": 0,
        "IncrementValue": 0,
        "ItemsRemoved": [{"Id": "100", "Price": 4990, "Quantity": 1}],
    }
    answer = await sandbox_client.post(f"{ORDERS}/{order_id}/changes", json=pascal)
    assert answer.status_code == 200, answer.text
    assert [(i["id"], i["quantity"]) for i in (await _order(sandbox_client, order_id))["items"]] == [
        ("100", 1)
    ]
