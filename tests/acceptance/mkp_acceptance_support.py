"""Shared set-up of the marketplace acceptance tests: the sandbox and our side, both over real HTTP.

- :func:`start_sandbox` serves the sandbox (VTEX) with uvicorn on a free loopback port;
- :func:`vtex_client` is a VtexClient pointed at it (the sandbox's default credentials);
- :class:`Admin` calls the sandbox's admin API;
- :func:`edit_csv` changes one cell of an ERP CSV file.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.testing.marketplace import Served, serve_in_thread
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.settings import VtexSettings

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_AUTH = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}


def start_sandbox() -> Served:
    return serve_in_thread(create_app(SandboxOptions(limits="off")))


def vtex_settings(url: str, account: str = "sandbox") -> VtexSettings:
    return VtexSettings(
        account=account,
        base_url=url,
        app_key=SecretStr(DEFAULT_APP_KEY),
        app_token=SecretStr(DEFAULT_APP_TOKEN),
        max_retries=1,
        backoff_base_s=0.05,
        timeout_s=10,
    )


def vtex_client(url: str) -> VtexClient:
    return VtexClient.from_settings(vtex_settings(url))


class Admin:
    """The sandbox's API, as a test calls it (admin and VTEX routes, default account)."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def call(self, method: str, path: str, body: Any = None, *, expect: int | None = 200) -> Any:
        headers = {**SANDBOX_AUTH, "Host": "sandbox.vtexcommercestable.com.br"}
        async with httpx.AsyncClient(base_url=self.url, timeout=20, headers=headers) as client:
            r = await client.request(method, path, json=body)
        if expect is not None:
            assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    async def notifications(self, **filters: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (await self.call("GET", "/_sandbox/marketplace/notifications"))[
            "notifications"
        ]
        return [n for n in found if all(n.get(k) == v for k, v in filters.items())]


def edit_csv(path: Path, key_column: str, key: str, column: str, value: str) -> None:
    """Set ``column`` of the row whose ``key_column`` is ``key`` (first match) to ``value``."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    for row in rows:
        if row[key_column] == key:
            row[column] = value
            break
    else:
        raise KeyError(key)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


async def sellable_sku(admin: Admin, ref: str, *, price: float = 100.0, quantity: int = 10) -> int:
    """A category, brand, product in trade policy 1, an active SKU with an image, a price and stock
    in warehouse ``wh1``, created through the sandbox's VTEX API; returns the SKU id."""
    category = await admin.call("POST", "/api/catalog/pvt/category", {"Name": f"Cat {ref}", "IsActive": True})
    brand_id = 2_000_000 + sum(map(ord, ref)) * 7 + len(ref)
    await admin.call(
        "POST", "/api/catalog/pvt/brand", {"Id": brand_id, "Name": f"Brand {ref}", "Active": True}
    )
    product = await admin.call(
        "POST",
        "/api/catalog/pvt/product",
        {"Name": f"Product {ref}", "CategoryId": category["Id"], "BrandId": brand_id, "RefId": f"P-{ref}"},
    )
    await admin.call("POST", f"/api/catalog/pvt/product/{product['Id']}/salespolicy/1")
    sku = await admin.call(
        "POST",
        "/api/catalog/pvt/stockkeepingunit",
        {
            "ProductId": product["Id"],
            "Name": f"SKU {ref}",
            "RefId": ref,
            "ActivateIfPossible": True,
            "PackagedHeight": 10,
            "PackagedLength": 20,
            "PackagedWidth": 15,
            "PackagedWeightKg": 1,
        },
    )
    await admin.call(
        "POST",
        f"/api/catalog/pvt/stockkeepingunit/{sku['Id']}/file",
        {"Name": f"img-{ref}", "Url": f"https://img.example.com/{ref}.jpg", "IsMain": True},
    )
    await admin.call("PUT", f"/pricing/prices/{sku['Id']}", {"basePrice": price, "costPrice": price})
    await admin.call(
        "POST",
        "/api/logistics/pvt/configuration/docks",
        {"id": "dock-wh1", "name": "Dock", "salesChannels": ["1"]},
    )
    await admin.call(
        "POST",
        "/api/logistics/pvt/configuration/warehouses",
        {
            "id": "wh1",
            "name": "wh1",
            "warehouseDocks": [
                {
                    "dockId": "dock-wh1",
                    "name": "Dock",
                    "time": "1.00:00:00",
                    "cost": "0.00",
                    "translateDays": "0",
                    "costToDisplay": "0",
                }
            ],
        },
    )
    await admin.call(
        "PUT",
        f"/api/logistics/pvt/inventory/skus/{sku['Id']}/warehouses/wh1",
        {"quantity": quantity, "unlimitedQuantity": False},
    )
    sku_id: int = sku["Id"]
    return sku_id
