"""Seed data sets of the sandbox."""

from __future__ import annotations

import httpx
import pytest

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.seed import SEEDS, seed
from vtexbridge.sandbox.store import Store


def test_demo_has_a_trade_policy_a_warehouse_with_a_dock_and_customers() -> None:
    store = Store()
    seed(store, "acme", "demo")
    assert store.table("acme", "saleschannel")["1"]["Id"] == 1
    warehouse = store.table("acme", "warehouse")["1_1"]
    assert [d["dockId"] for d in warehouse["warehouseDocks"]] == ["1"]
    assert store.table("acme", "dock")["1"]["salesChannels"] == ["1"]
    customers = store.table("acme", "document:CL")
    addresses = store.table("acme", "document:AD")
    assert len(customers) == 3 and len(addresses) == 3
    assert {a["userId"] for a in addresses.values()} == set(customers)
    for doc in customers.values():
        assert doc["dataEntityId"] == "CL" and doc["accountName"] == "acme" and "@" in doc["email"]
    assert store.kinds("other") == []


def test_seeding_is_idempotent_and_never_overwrites() -> None:
    store = Store()
    seed(store, "acme", "demo")
    customers = store.table("acme", "document:CL")
    some_id = next(iter(customers))
    customers[some_id] = {**customers[some_id], "firstName": "Changed"}
    seed(store, "acme", "demo")
    assert len(customers) == 3 and customers[some_id]["firstName"] == "Changed"


def test_unknown_seed_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown seed 'huge'; known seeds: demo"):
        seed(Store(), "acme", "huge")
    assert sorted(SEEDS) == ["demo"]


async def test_the_app_applies_a_seed_at_start() -> None:
    app = create_app(SandboxOptions(seed="demo"), store=Store())
    headers = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://sandbox.vtexcommercestable.com.br",
        headers=headers,
    ) as client:
        response = await client.get(
            "/api/dataentities/CL/search",
            params={"_fields": "email", "_sort": "email ASC"},
            headers={"REST-Range": "resources=0-10"},
        )
        warehouses = await client.get("/api/logistics/pvt/configuration/warehouses")
    assert [d["email"] for d in response.json()] == [
        "compras@lojaexemplo.com.br",
        "joao.souza@example.com",
        "maria.silva@example.com",
    ]
    assert [w["id"] for w in warehouses.json()] == ["1_1"]
