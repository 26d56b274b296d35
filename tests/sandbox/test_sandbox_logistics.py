"""Logistics routes: warehouses, docks, inventory PUT semantics and the 423 lock (plain HTTP)."""

from __future__ import annotations

import httpx
import pytest

from vtexbridge.sandbox.options import SandboxOptions

CFG = "/api/logistics/pvt/configuration"
INV = "/api/logistics/pvt/inventory"
DOCK = {
    "id": "d1",
    "name": "Main dock",
    "priority": 0,
    "dockTimeFake": "00:00:00",
    "timeFakeOverhead": "00:00:00",
    "salesChannels": ["1"],
    "salesChannel": "1",
    "freightTableIds": [],
    "wmsEndPoint": "",
    "address": {
        "postalCode": "01000-000",
        "country": {"acronym": "BRA", "name": "Brazil"},
        "city": "São Paulo",
        "state": "SP",
        "neighborhood": "Centro",
        "street": "Rua A",
        "number": "1",
        "complement": "",
        "coordinates": [[-46.6, -23.5]],
    },
}
WAREHOUSE = {
    "id": "wh1",
    "name": "Main warehouse",
    "warehouseDocks": [
        {
            "dockId": "d1",
            "name": "Main dock",
            "time": "1.00:00:00",
            "cost": "5.50",
            "translateDays": "0",
            "costToDisplay": "5,50",
        }
    ],
}


@pytest.fixture
def sandbox_options() -> SandboxOptions:
    return SandboxOptions(inventory_lock_ms=0)


async def _setup(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{CFG}/docks", json=DOCK)).json() is True
    assert (await client.post(f"{CFG}/warehouses", json=WAREHOUSE)).status_code == 200


async def test_docks_and_warehouses(sandbox_client: httpx.AsyncClient) -> None:
    bad = await sandbox_client.post(f"{CFG}/warehouses", json=WAREHOUSE)
    assert bad.status_code == 400  # its dock does not exist yet
    await _setup(sandbox_client)
    dock = (await sandbox_client.get(f"{CFG}/docks/d1")).json()
    assert dock["address"]["location"] == {"latitude": -23.5, "longitude": -46.6}
    warehouse = (await sandbox_client.get(f"{CFG}/warehouses/wh1")).json()
    assert warehouse["warehouseDocks"][0]["cost"] == 5.5
    assert warehouse["isActive"] is True
    assert (await sandbox_client.post(f"{CFG}/warehouses/wh1/deactivation")).status_code == 200
    assert (await sandbox_client.get(f"{CFG}/warehouses")).json()[0]["isActive"] is False
    # create-or-update keeps one warehouse
    await sandbox_client.post(f"{CFG}/warehouses", json={**WAREHOUSE, "name": "Renamed"})
    listed = (await sandbox_client.get(f"{CFG}/warehouses")).json()
    assert [(w["id"], w["name"]) for w in listed] == [("wh1", "Renamed")]
    assert (await sandbox_client.post(f"{CFG}/docks/d1/deactivation")).status_code == 204
    assert (await sandbox_client.get(f"{CFG}/docks")).json()[0]["isActive"] is False
    assert (await sandbox_client.delete(f"{CFG}/warehouses/wh1")).status_code == 200
    assert (await sandbox_client.get(f"{CFG}/warehouses/wh1")).status_code == 404
    assert (await sandbox_client.delete(f"{CFG}/docks/d1")).json() is True


async def test_inventory_put_defaults(sandbox_client: httpx.AsyncClient) -> None:
    await _setup(sandbox_client)
    r = await sandbox_client.put(
        f"{INV}/skus/1/warehouses/wh1",
        json={"quantity": 7, "unlimitedQuantity": False, "leadTime": "2.00:00:00"},
    )
    assert r.status_code == 200
    assert r.json() is True
    assert (
        await sandbox_client.put(f"{INV}/skus/1/warehouses/wh1", json={"quantity": None})
    ).status_code == 200
    balance = (await sandbox_client.get(f"{INV}/skus/1")).json()
    assert balance["skuId"] == "1"
    line = balance["balance"][0]
    assert (line["warehouseId"], line["warehouseName"], line["totalQuantity"], line["leadTime"]) == (
        "wh1",
        "Main warehouse",
        0,
        "00:00:00",
    )
    await sandbox_client.put(f"{INV}/skus/1/warehouses/wh1", json={"quantity": 3, "unlimitedQuantity": True})
    line = (await sandbox_client.get(f"{INV}/skus/1")).json()["balance"][0]
    assert line["hasUnlimitedQuantity"] is True
    assert line["totalQuantity"] == 1_000_000
    items = (await sandbox_client.get(f"{INV}/items/1/warehouses/wh1")).json()
    assert items[0]["dockId"] == "d1"
    assert items[0]["isUnlimited"] is True


@pytest.mark.parametrize(
    ("warehouse", "body", "status"),
    [
        ("nowhere", {"quantity": 1}, 400),
        ("wh1", {"quantity": -1}, 400),
        ("wh1", {"quantity": 1.5}, 400),
        ("wh1", {"quantity": 1, "leadTime": "tomorrow"}, 400),
        ("wh1", {"quantity": 1, "unlimitedQuantity": "yes"}, 400),
    ],
)
async def test_inventory_put_rejects(
    sandbox_client: httpx.AsyncClient, warehouse: str, body: dict[str, object], status: int
) -> None:
    await _setup(sandbox_client)
    r = await sandbox_client.put(f"{INV}/skus/1/warehouses/{warehouse}", json=body)
    assert r.status_code == status


async def test_inventory_patch_quantity_and_lead_time(sandbox_client: httpx.AsyncClient) -> None:
    await _setup(sandbox_client)
    r = await sandbox_client.patch(
        f"{INV}/skus/2/warehouses/wh1/quantity", json={"quantity": 4, "unlimitedQuantity": False}
    )
    assert r.status_code == 204
    r = await sandbox_client.patch(f"{INV}/skus/2/warehouses/wh1/lead-time", json={"leadTime": "3.00:00:00"})
    assert r.status_code == 204
    line = (await sandbox_client.get(f"{INV}/skus/2")).json()["balance"][0]
    assert (line["totalQuantity"], line["leadTime"]) == (4, "3.00:00:00")
    assert (await sandbox_client.patch(f"{INV}/skus/2/warehouses/wh1/lead-time", json={})).status_code == 400


async def test_reserved_quantity_is_kept_by_put_and_reported(
    sandbox_client: httpx.AsyncClient, sandbox_store: object
) -> None:
    await _setup(sandbox_client)
    await sandbox_client.put(f"{INV}/skus/3/warehouses/wh1", json={"quantity": 10})
    table = sandbox_store.table("sandbox", "inventory")  # type: ignore[attr-defined]
    table["3:wh1"] = {**table["3:wh1"], "reservedQuantity": 4}  # as the orders module reserves
    await sandbox_client.put(f"{INV}/skus/3/warehouses/wh1", json={"quantity": 12})
    items = (await sandbox_client.get(f"{INV}/items/3/warehouses/wh1")).json()
    assert (items[0]["totalQuantity"], items[0]["reservedQuantity"], items[0]["availableQuantity"]) == (
        12,
        4,
        8,
    )


class TestLock:
    @pytest.fixture
    def sandbox_options(self) -> SandboxOptions:
        return SandboxOptions(inventory_lock_ms=60_000)

    async def test_second_update_within_window_is_423_and_first_wins(
        self, sandbox_client: httpx.AsyncClient
    ) -> None:
        await _setup(sandbox_client)
        first = await sandbox_client.put(f"{INV}/skus/5/warehouses/wh1", json={"quantity": 1})
        second = await sandbox_client.put(f"{INV}/skus/5/warehouses/wh1", json={"quantity": 2})
        other = await sandbox_client.put(f"{INV}/skus/6/warehouses/wh1", json={"quantity": 3})
        assert first.status_code == 200
        assert second.status_code == 423
        assert second.text == "Unable to acquire lock for key: sandbox_item_logistics_5_wh1."
        assert other.status_code == 200
        line = (await sandbox_client.get(f"{INV}/skus/5")).json()["balance"][0]
        assert line["totalQuantity"] == 1


async def test_lock_window_expires_with_the_clock() -> None:
    from vtexbridge.clock import FakeClock
    from vtexbridge.sandbox.app import create_app

    clock = FakeClock()
    app = create_app(SandboxOptions(inventory_lock_ms=150), clock=clock)
    headers = {"X-VTEX-API-AppKey": "vtexappkey-sandbox-KEY", "X-VTEX-API-AppToken": "sandbox-token"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app),
        base_url="http://sandbox.vtexcommercestable.com.br",
        headers=headers,
    ) as client:
        await _setup(client)
        url = f"{INV}/skus/9/warehouses/wh1"
        assert (await client.put(url, json={"quantity": 1})).status_code == 200
        clock.advance(0.1)
        assert (await client.put(url, json={"quantity": 2})).status_code == 423
        clock.advance(0.06)
        assert (await client.put(url, json={"quantity": 3})).status_code == 200
        assert (await client.get(f"{INV}/skus/9")).json()["balance"][0]["totalQuantity"] == 3
