"""Helpers for the orders-area sandbox tests: a sellable catalog written straight into the store,
request bodies written from the spec, and a few HTTP shortcuts (plain httpx, not vtexbridge's client).
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN
from vtexbridge.sandbox.store import Store

ACCOUNT = "sandbox"
OTHER_KEY = "vtexappkey-sandbox-OTHER"
OTHER_TOKEN = "other-token"
OTHER_HEADERS = {"X-VTEX-API-AppKey": OTHER_KEY, "X-VTEX-API-AppToken": OTHER_TOKEN}
CREDENTIALS = {DEFAULT_APP_KEY: DEFAULT_APP_TOKEN, OTHER_KEY: OTHER_TOKEN}
QUEUE = {"visibilityTimeoutInSeconds": 250, "MessageRetentionPeriodInSeconds": 345_600}
HOST = "sandbox.vtexcommercestable.com.br"
HEADERS = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN, "Host": HOST}


class Served(Protocol):
    """What the ``sandbox_server`` fixtures give (conftest's ``SandboxServer``)."""

    url: str


def add_sku(
    store: Store,
    sku_id: int = 100,
    *,
    price: float | None = 49.9,
    list_price: float | None = 59.9,
    stock: int = 10,
    unlimited: bool = False,
    active: bool = True,
    warehouse: str = "1_1",
    fixed: list[dict[str, Any]] | None = None,
    account: str = ACCOUNT,
) -> str:
    """A SKU with its product, brand, price and stock, in the core engineer's document shapes."""
    product_id = 10_000 + sku_id
    store.table(account, "brand")["2000001"] = {"Id": 2000001, "Name": "Marca Exemplo", "Active": True}
    store.table(account, "product")[str(product_id)] = {
        "Id": product_id,
        "Name": f"Produto {sku_id}",
        "DepartmentId": 1,
        "CategoryId": 2,
        "BrandId": 2000001,
        "LinkId": f"produto-{sku_id}",
        "RefId": f"P{sku_id}",
        "IsActive": True,
    }
    store.table(account, "sku")[str(sku_id)] = {
        "Id": sku_id,
        "ProductId": product_id,
        "IsActive": active,
        "Name": "Azul M",
        "RefId": f"SKU-{sku_id}",
        "PackagedHeight": 10.5,
        "PackagedLength": 20,
        "PackagedWidth": 5,
        "PackagedWeightKg": 0.4,
        "MeasurementUnit": "un",
        "UnitMultiplier": 1,
    }
    store.table(account, "skuean")[str(sku_id)] = {"SkuId": sku_id, "Eans": [f"789{sku_id:010d}"]}
    if price is not None:
        store.table(account, "price")[str(sku_id)] = {
            "itemId": str(sku_id),
            "listPrice": list_price if list_price is not None else price,
            "costPrice": price,
            "markup": 0,
            "basePrice": price,
            "fixedPrices": fixed or [],
        }
    store.table(account, "inventory")[f"{sku_id}:{warehouse}"] = {
        "skuId": str(sku_id),
        "warehouseId": warehouse,
        "quantity": stock,
        "unlimitedQuantity": unlimited,
        "leadTime": "00:00:00",
        "dateUtcOnBalanceSystem": "2024-01-01T00:00:00Z",
        "reservedQuantity": 0,
    }
    return str(sku_id)


def invoice_body(
    number: str = "NF-1", value: int = 9980, items: list[dict[str, Any]] | None = None, kind: str = "Output"
) -> dict[str, Any]:
    """An invoice as the Orders API spec describes it (money in cents)."""
    return {
        "type": kind,
        "issuanceDate": "2024-05-01T10:00:00Z",
        "invoiceNumber": number,
        "invoiceValue": str(value),
        "invoiceKey": None,
        "invoiceUrl": f"https://erp.example.com/nf/{number}.pdf",
        "courier": "",
        "trackingNumber": None,
        "trackingUrl": None,
        "dispatchedDate": None,
        "items": items if items is not None else [{"id": "100", "price": 4990, "quantity": 2}],
    }


async def place(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """``POST /_sandbox/orders`` (default: 2 units of SKU 100); asserts 201 and returns the order."""
    body.setdefault("items", [{"skuId": "100", "quantity": 2}])
    response = await client.post("/_sandbox/orders", json=body)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def configure_feed(
    client: httpx.AsyncClient,
    flt: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **queue: int,
) -> None:
    body = {"filter": flt or {"type": "FromWorkflow"}, "queue": {**QUEUE, **queue}}
    response = await client.post("/api/orders/feed/config", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def read_feed(
    client: httpx.AsyncClient, maxlot: int = 10, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    response = await client.get("/api/orders/feed", params={"maxlot": maxlot}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


async def drain_feed(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Read (without committing) until a read comes back empty."""
    seen: list[dict[str, Any]] = []
    for _ in range(1000):
        batch = await read_feed(client, headers=headers)
        if not batch:
            return seen
        seen.extend(batch)
    raise AssertionError("the feed never ran dry: are read items hidden for the visibility timeout?")
