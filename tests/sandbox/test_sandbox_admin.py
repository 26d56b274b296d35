"""The /_sandbox admin API: dumps, reset, health, and gating on non-loopback binds."""

from __future__ import annotations

import httpx
import pytest

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions, is_loopback

AUTH = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}


async def test_health(sandbox_client: httpx.AsyncClient) -> None:
    body = (await sandbox_client.get("/_sandbox/health", headers={"X-VTEX-API-AppKey": ""})).json()
    assert body == {
        "status": "ok",
        "account": "sandbox",
        "persistent": False,
        "limits": "real",
        "faults": 0,
        "requests": 0,
    }


async def test_catalog_prices_and_inventory_dumps(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: object
) -> None:
    sku = await sandbox_catalog.sellable_sku("D-1", price=12.5, quantity=4)  # type: ignore[attr-defined]
    await sandbox_client.post(f"/api/catalog/pvt/stockkeepingunit/{sku['Id']}/ean/123")
    catalog = (await sandbox_client.get("/_sandbox/catalog")).json()
    assert catalog["account"] == "sandbox"
    assert len(catalog["categories"]) == len(catalog["brands"]) == len(catalog["products"]) == 1
    assert catalog["products"][0]["SalesPolicies"] == [1]
    dumped = catalog["skus"][0]
    assert dumped["RefId"] == "D-1"
    assert dumped["IsActive"] is True
    assert dumped["Eans"] == ["123"]
    assert dumped["Files"][0]["Url"].endswith("D-1.jpg")
    prices = (await sandbox_client.get("/_sandbox/prices")).json()["prices"]
    assert [(p["itemId"], p["basePrice"]) for p in prices] == [(str(sku["Id"]), 12.5)]
    inventory = (await sandbox_client.get("/_sandbox/inventory")).json()
    assert [w["id"] for w in inventory["warehouses"]] == ["wh1"]
    assert [d["id"] for d in inventory["docks"]] == ["dock-wh1"]
    assert inventory["inventory"][0]["quantity"] == 4
    other = (await sandbox_client.get("/_sandbox/catalog?account=nobody")).json()
    assert other["account"] == "nobody"
    assert other["skus"] == []


async def test_reset_clears_store_log_faults_and_calls_hooks(
    sandbox_client: httpx.AsyncClient, sandbox_app: object
) -> None:
    calls: list[str | None] = []
    sandbox_app.state.sandbox.reset_hooks.append(calls.append)  # type: ignore[attr-defined]
    await sandbox_client.post("/api/catalog/pvt/brand", json={"Id": 1, "Name": "B"})
    await sandbox_client.post("/_sandbox/faults", json={"spec": "/nothing:500=1"})
    r = await sandbox_client.post("/_sandbox/reset")
    assert r.json() == {"reset": True, "account": None}
    assert calls == [None]
    assert (await sandbox_client.get("/_sandbox/catalog")).json()["brands"] == []
    assert (await sandbox_client.get("/_sandbox/faults")).json()["rules"] == []
    assert (await sandbox_client.get("/_sandbox/requests")).json()["total"] == 0
    # after a reset, generated ids start again
    await sandbox_client.post("/api/catalog/pvt/brand", json={"Id": 1, "Name": "B"})
    assert (await sandbox_client.get("/api/catalog/pvt/brand/1")).status_code == 200


async def test_reset_of_one_account(sandbox_client: httpx.AsyncClient) -> None:
    await sandbox_client.post("/api/catalog/pvt/brand", json={"Id": 1, "Name": "B"})
    await sandbox_client.post(
        "/api/catalog/pvt/brand", json={"Id": 1, "Name": "B"}, headers={"Host": "x.myvtex.com"}
    )
    await sandbox_client.post("/_sandbox/reset?account=x")
    assert (await sandbox_client.get("/api/catalog/pvt/brand/1")).status_code == 200
    assert (
        await sandbox_client.get("/api/catalog/pvt/brand/1", headers={"Host": "x.myvtex.com"})
    ).status_code == 404


@pytest.mark.parametrize(
    ("host", "allow", "status"), [("0.0.0.0", False, 404), ("0.0.0.0", True, 200), ("::1", False, 200)]
)
async def test_admin_gating(host: str, allow: bool, status: int) -> None:
    app = create_app(SandboxOptions(host=host, allow_remote_admin=allow))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://s.vtexcommercestable.com.br"
    ) as c:
        assert (await c.get("/_sandbox/health")).status_code == status
        assert (await c.post("/_sandbox/reset")).status_code == status
        # the VTEX API itself is served either way
        assert (await c.get("/api/catalog_system/pvt/brand/list", headers=AUTH)).status_code == 200


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("127.1.2.3")
    assert is_loopback("localhost")
    assert is_loopback("[::1]")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.2")
    assert not is_loopback("example.com")


async def test_unknown_admin_endpoint_is_404(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.get("/_sandbox/nope")
    assert r.status_code == 404
    assert (await sandbox_client.get("/_sandbox/requests?since=abc")).status_code == 400
