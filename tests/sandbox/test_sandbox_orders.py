"""OMS routes of the sandbox, called as a client would (plain httpx, bodies written from the spec)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.orders_support import add_sku, invoice_body, place
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store

ORDERS = "/api/oms/pvt/orders"


@pytest.fixture(autouse=True)
def _catalog(sandbox_store: Store) -> None:
    seed(sandbox_store, "sandbox", "demo")
    add_sku(sandbox_store, 100, price=49.9, list_price=59.9, stock=10)
    add_sku(sandbox_store, 200, price=10, list_price=None, stock=5)


def _inventory(store: Store, sku: str = "100") -> dict[str, Any]:
    return store.table("sandbox", "inventory")[f"{sku}:1_1"]


async def _handling(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    order = await place(client, **body)
    response = await client.post(f"{ORDERS}/{order['orderId']}/start-handling")
    assert response.status_code == 204
    return order


async def _get(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    response = await client.get(f"{ORDERS}/{order_id}")
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def test_get_order_is_a_full_oms_document_in_cents(sandbox_client: httpx.AsyncClient) -> None:
    placed = await place(sandbox_client, items=[{"skuId": "100", "quantity": 2}], shipping=1000)
    order = await _get(sandbox_client, placed["orderId"])
    assert order["status"] == "ready-for-handling"
    assert order["statusDescription"] == "Pronto para o manuseio"
    item = order["items"][0]
    assert (item["id"], item["quantity"], item["price"], item["listPrice"], item["sellingPrice"]) == (
        "100",
        2,
        4990,
        5990,
        4990,
    )
    assert item["ean"] == "7890000000100" and item["refId"] == "SKU-100"
    totals = {t["id"]: t["value"] for t in order["totals"]}
    assert totals == {"Items": 9980, "Discounts": 0, "Shipping": 1000, "Tax": 0}
    assert order["value"] == 10980
    assert order["paymentData"]["transactions"][0]["payments"][0]["value"] == 10980
    assert order["shippingData"]["logisticsInfo"][0]["deliveryIds"][0]["warehouseId"] == "1_1"
    assert order["clientProfileData"]["email"] == "maria.silva@example.com"
    assert order["allowCancellation"] is True and order["packageAttachment"] == {"packages": []}


async def test_unknown_order_is_404(sandbox_client: httpx.AsyncClient) -> None:
    response = await sandbox_client.get(f"{ORDERS}/999-01")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Order 999-01 not found"


async def test_start_handling_only_from_ready_for_handling(
    sandbox_client: httpx.AsyncClient, sandbox_store: Store
) -> None:
    order = await place(sandbox_client, stopAt="payment-approved")
    response = await sandbox_client.post(f"{ORDERS}/{order['orderId']}/start-handling")
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "OMS003",
            "message": "Order status should be ready-for-handling to perform this action",
            "exception": None,
        }
    }
    await sandbox_client.post(
        f"/_sandbox/orders/{order['orderId']}/advance", json={"to": "ready-for-handling"}
    )
    assert _inventory(sandbox_store)["reservedQuantity"] == 2
    response = await sandbox_client.post(f"{ORDERS}/{order['orderId']}/start-handling")
    assert response.status_code == 204 and response.content == b""
    assert (await _get(sandbox_client, order["orderId"]))["status"] == "handling"
    assert _inventory(sandbox_store)["reservedQuantity"] == 0  # dropped once handling starts
    again = await sandbox_client.post(f"{ORDERS}/{order['orderId']}/start-handling")
    assert again.status_code == 409 and again.json()["error"]["code"] == "OMS003"


async def test_full_invoice_locks_the_order(sandbox_client: httpx.AsyncClient) -> None:
    order = await _handling(sandbox_client)
    response = await sandbox_client.post(
        f"{ORDERS}/{order['orderId']}/invoice", json=invoice_body(value=9980)
    )
    assert response.status_code == 200
    assert set(response.json()) == {"date", "orderId", "receipt"}
    doc = await _get(sandbox_client, order["orderId"])
    assert doc["status"] == "invoiced" and doc["invoicedDate"] and doc["allowCancellation"] is False
    package = doc["packageAttachment"]["packages"][0]
    assert package["invoiceValue"] == 9980 and package["items"] == [
        {
            "itemIndex": 0,
            "quantity": 2,
            "price": 4990,
            "description": "Produto 100 Azul M",
            "unitMultiplier": 1.0,
        }
    ]
    cancel = await sandbox_client.post(f"{ORDERS}/{order['orderId']}/cancel", json={"reason": "too late"})
    assert cancel.status_code == 400
    second = await sandbox_client.post(
        f"{ORDERS}/{order['orderId']}/invoice",
        json=invoice_body("NF-2", 100, [{"id": "100", "price": 50, "quantity": 1}]),
    )
    assert second.status_code == 409  # invoiced orders take no more Output invoices


async def test_partial_invoice_keeps_the_order_open_and_blocks_cancel(
    sandbox_client: httpx.AsyncClient,
) -> None:
    order = await _handling(sandbox_client)
    oid = order["orderId"]
    partial = invoice_body("NF-1", 4990, [{"id": "100", "price": 4990, "quantity": 1}])
    assert (await sandbox_client.post(f"{ORDERS}/{oid}/invoice", json=partial)).status_code == 200
    doc = await _get(sandbox_client, oid)
    assert doc["status"] == "handling" and doc["allowCancellation"] is False
    cancel = await sandbox_client.post(f"{ORDERS}/{oid}/cancel", json={"reason": "customer"})
    assert cancel.status_code == 400 and "partially invoiced" in cancel.json()["error"]["message"]
    rest = invoice_body("NF-2", 4990, [{"id": "100", "price": 4990, "quantity": 1}])
    assert (await sandbox_client.post(f"{ORDERS}/{oid}/invoice", json=rest)).status_code == 200
    assert (await _get(sandbox_client, oid))["status"] == "invoiced"


async def test_reposting_an_invoice_number_only_returns_a_new_receipt(
    sandbox_client: httpx.AsyncClient,
) -> None:
    order = await _handling(sandbox_client)
    oid = order["orderId"]
    partial = invoice_body("NF-1", 4990, [{"id": "100", "price": 4990, "quantity": 1}])
    first = await sandbox_client.post(f"{ORDERS}/{oid}/invoice", json=partial)
    before = await sandbox_client.get(f"/_sandbox/orders/{oid}")
    again = await sandbox_client.post(f"{ORDERS}/{oid}/invoice", json={**partial, "invoiceValue": "1"})
    assert again.status_code == 200 and again.json()["receipt"] != first.json()["receipt"]
    after = await sandbox_client.get(f"/_sandbox/orders/{oid}")
    assert after.json()["order"]["packageAttachment"] == before.json()["order"]["packageAttachment"]
    assert len(after.json()["events"]) == len(before.json()["events"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "Sale"}, "type must be"),
        ({"invoiceValue": "99.80"}, "invoiceValue must be an integer amount in cents"),
        ({"invoiceValue": 99.8}, "invoiceValue must be an integer amount in cents"),
        ({"items": [{"id": "100", "price": 49.9, "quantity": 2}]}, "items[0].price"),
        ({"items": [{"id": "100", "price": 4990, "quantity": 3}]}, "exceeds"),
        ({"items": [{"id": "777", "price": 4990, "quantity": 1}]}, "not an item"),
        ({"items": []}, "items is required"),
        ({"issuanceDate": "yesterday"}, "issuanceDate"),
    ],
)
async def test_invalid_invoices_are_400(
    sandbox_client: httpx.AsyncClient, change: dict[str, Any], message: str
) -> None:
    order = await _handling(sandbox_client)
    response = await sandbox_client.post(
        f"{ORDERS}/{order['orderId']}/invoice", json={**invoice_body(), **change}
    )
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


async def test_invoice_needs_a_handling_state(sandbox_client: httpx.AsyncClient) -> None:
    order = await place(sandbox_client)
    response = await sandbox_client.post(f"{ORDERS}/{order['orderId']}/invoice", json=invoice_body())
    assert response.status_code == 409


async def test_return_invoice_after_full_invoice(sandbox_client: httpx.AsyncClient) -> None:
    order = await _handling(sandbox_client)
    oid = order["orderId"]
    ret = invoice_body("DEV-1", 4990, [{"id": "100", "price": 4990, "quantity": 1}], kind="Input")
    assert (await sandbox_client.post(f"{ORDERS}/{oid}/invoice", json=ret)).status_code == 409
    await sandbox_client.post(f"{ORDERS}/{oid}/invoice", json=invoice_body())
    assert (await sandbox_client.post(f"{ORDERS}/{oid}/invoice", json=ret)).status_code == 200
    packages = (await _get(sandbox_client, oid))["packageAttachment"]["packages"]
    assert packages[1]["type"] == "Input"
    assert packages[1]["restitutions"]["Refund"]["value"] == 4990
    assert (await _get(sandbox_client, oid))["status"] == "invoiced"


async def test_tracking_needs_an_existing_invoice_and_a_tracking_number(
    sandbox_client: httpx.AsyncClient,
) -> None:
    order = await _handling(sandbox_client)
    oid = order["orderId"]
    tracking = {
        "trackingNumber": "BR123",
        "trackingUrl": "https://track.example/BR123",
        "dispatchedDate": None,
        "courier": "Correios",
    }
    events = {
        "isDelivered": True,
        "deliveredDate": "2024-05-03 10:00",
        "events": [{"city": "São Paulo", "state": "SP", "description": "Entregue", "date": "2024-05-03"}],
    }
    assert (await sandbox_client.patch(f"{ORDERS}/{oid}/invoice/NF-1", json=tracking)).status_code == 404
    assert (await sandbox_client.put(f"{ORDERS}/{oid}/invoice/NF-1/tracking", json=events)).status_code == 404
    await sandbox_client.post(f"{ORDERS}/{oid}/invoice", json=invoice_body())
    no_number = await sandbox_client.put(f"{ORDERS}/{oid}/invoice/NF-1/tracking", json=events)
    assert no_number.status_code == 400 and "no tracking number" in no_number.json()["error"]["message"]
    patched = await sandbox_client.patch(f"{ORDERS}/{oid}/invoice/NF-1", json=tracking)
    assert patched.status_code == 200 and patched.json()["orderId"] == oid
    put = await sandbox_client.put(f"{ORDERS}/{oid}/invoice/NF-1/tracking", json=events)
    assert put.status_code == 200 and set(put.json()) == {"date", "orderId", "receipt"}
    package = (await _get(sandbox_client, oid))["packageAttachment"]["packages"][0]
    assert package["trackingNumber"] == "BR123" and package["courier"] == "Correios"
    assert package["courierStatus"]["finished"] is True
    assert package["courierStatus"]["data"][0]["description"] == "Entregue"


async def test_cancel_walks_cancel_then_canceled_and_frees_the_reservation(
    sandbox_client: httpx.AsyncClient, sandbox_store: Store
) -> None:
    order = await place(sandbox_client)
    oid = order["orderId"]
    assert _inventory(sandbox_store)["reservedQuantity"] == 2
    response = await sandbox_client.post(f"{ORDERS}/{oid}/cancel", json={"reason": "Cliente desistiu"})
    assert response.status_code == 200 and response.json()["orderId"] == oid
    doc = await _get(sandbox_client, oid)
    assert doc["status"] == "canceled" and doc["cancelReason"] == "Cliente desistiu"
    assert doc["cancellationData"]["Reason"] == "Cliente desistiu"
    states = [e["state"] for e in (await sandbox_client.get(f"/_sandbox/orders/{oid}")).json()["events"]]
    assert states[-2:] == ["cancel", "canceled"]
    assert _inventory(sandbox_store)["reservedQuantity"] == 0
    again = await sandbox_client.post(f"{ORDERS}/{oid}/cancel")
    assert again.status_code == 200
    assert [
        e["state"] for e in (await sandbox_client.get(f"/_sandbox/orders/{oid}")).json()["events"]
    ] == states


async def test_cancel_after_handling_does_not_release_twice(
    sandbox_client: httpx.AsyncClient, sandbox_store: Store
) -> None:
    await place(sandbox_client)  # another order keeps its reservation of 2
    order = await _handling(sandbox_client)
    assert _inventory(sandbox_store)["reservedQuantity"] == 2
    assert (await sandbox_client.post(f"{ORDERS}/{order['orderId']}/cancel")).status_code == 200
    assert _inventory(sandbox_store)["reservedQuantity"] == 2


async def test_list_orders_filters_pages_and_limits(sandbox_client: httpx.AsyncClient) -> None:
    ids = [
        (await place(sandbox_client, items=[{"skuId": "200", "quantity": 1}]))["orderId"] for _ in range(4)
    ]
    await sandbox_client.post(f"{ORDERS}/{ids[0]}/start-handling")
    response = await sandbox_client.get(
        ORDERS, params={"f_status": "ready-for-handling", "per_page": 2, "page": 2}
    )
    body = response.json()
    assert response.status_code == 200
    assert body["paging"] == {"total": 3, "pages": 2, "currentPage": 2, "perPage": 2}
    assert len(body["list"]) == 1 and body["list"][0]["items"] is None
    assert body["list"][0]["totalValue"] == 1000 and body["list"][0]["totalItems"] == 1
    assert body["stats"]["stats"]["totalValue"]["Count"] == 3
    handling = (await sandbox_client.get(ORDERS, params={"f_status": "handling"})).json()
    assert [o["orderId"] for o in handling["list"]] == [ids[0]]
    ascending = (await sandbox_client.get(ORDERS, params={"orderBy": "orderId,asc"})).json()["list"]
    assert [o["orderId"] for o in ascending] == sorted(ids)
    assert (await sandbox_client.get(ORDERS, params={"per_page": 101})).status_code == 400
    assert (await sandbox_client.get(ORDERS, params={"page": 31})).status_code == 400
    assert (await sandbox_client.get(ORDERS, params={"q": "joao"})).json()["paging"]["total"] == 0


async def test_list_orders_by_creation_date(sandbox_client: httpx.AsyncClient) -> None:
    order = await place(sandbox_client)
    created = order["creationDate"][:10]
    inside = f"creationDate:[{created}T00:00:00.000Z TO {created}T23:59:59.999Z]"
    outside = "creationDate:[2001-01-01T00:00:00.000Z TO 2001-01-02T00:00:00.000Z]"
    assert (await sandbox_client.get(ORDERS, params={"f_creationDate": inside})).json()["paging"][
        "total"
    ] == 1
    assert (await sandbox_client.get(ORDERS, params={"f_creationDate": outside})).json()["paging"][
        "total"
    ] == 0
    assert (await sandbox_client.get(ORDERS, params={"f_creationDate": "yesterday"})).status_code == 400


CHANGE = {
    "reason": "Cliente trocou a quantidade",
    "replace": [
        {
            "from": {"items": [{"id": "100", "quantity": 1}]},
            "to": {"items": [{"id": "200", "quantity": 3}]},
        }
    ],
}


async def test_order_changes_only_while_handling(sandbox_client: httpx.AsyncClient) -> None:
    order = await place(sandbox_client)
    url = f"/api/order-system/orders/{order['orderId']}/changes"
    refused = await sandbox_client.patch(url, json=CHANGE)
    assert refused.status_code == 409
    await sandbox_client.post(f"{ORDERS}/{order['orderId']}/start-handling")
    preview = await sandbox_client.post(f"{url}/preview", json=CHANGE)
    assert preview.status_code == 200 and preview.json()["totalChangeValue"] == -4990 + 3000
    assert (await _get(sandbox_client, order["orderId"]))["value"] == 9980  # a preview changes nothing
    accepted = await sandbox_client.patch(url, json=CHANGE)
    assert accepted.status_code == 202
    record = accepted.json()
    assert record["status"] == "done" and record["totalChangeValue"] == -1990
    doc = await _get(sandbox_client, order["orderId"])
    assert [(i["id"], i["quantity"]) for i in doc["items"]] == [("100", 1), ("200", 3)]
    assert doc["value"] == 7990 and len(doc["shippingData"]["logisticsInfo"]) == 2
    assert doc["changesAttachment"]["changesData"][0]["reason"] == CHANGE["reason"]
    history = (await sandbox_client.get(url)).json()
    assert [r["requestId"] for r in history["requests"]] == [record["requestId"]]
    one = await sandbox_client.get(f"{url}/{record['requestId']}")
    assert one.status_code == 200 and one.json() == record
    assert (await sandbox_client.get(f"{url}/nope")).status_code == 404


async def test_order_change_refuses_removing_more_than_ordered(sandbox_client: httpx.AsyncClient) -> None:
    order = await _handling(sandbox_client)
    url = f"/api/order-system/orders/{order['orderId']}/changes"
    too_many = {
        "reason": "x",
        "replace": [{"from": {"items": [{"id": "100", "quantity": 5}]}, "to": {"items": []}}],
    }
    assert (await sandbox_client.patch(url, json=too_many)).status_code == 400
    assert (await sandbox_client.patch(url, json={"replace": CHANGE["replace"]})).status_code == 400
