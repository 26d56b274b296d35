"""A sandbox restarted on the same --state file keeps its store (over real HTTP with uvicorn)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions

AUTH = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
HOST = {"Host": "shop.vtexcommercestable.com.br"}


async def test_restart_keeps_catalog_prices_inventory_and_id_sequences(
    tmp_path: Path, sandbox_server_factory: Callable[[Any], Any]
) -> None:
    state = tmp_path / "sandbox.db"
    first = sandbox_server_factory(create_app(SandboxOptions(state=state)))
    async with httpx.AsyncClient(base_url=first.url, headers={**AUTH, **HOST}) as c:
        category = (await c.post("/api/catalog/pvt/category", json={"Name": "Shoes"})).json()
        await c.post("/api/catalog/pvt/brand", json={"Id": 9, "Name": "Acme"})
        product = (
            await c.post(
                "/api/catalog/pvt/product",
                json={"Name": "P", "CategoryId": category["Id"], "BrandId": 9, "RefId": "P1"},
            )
        ).json()
        await c.put("/pricing/prices/5", json={"basePrice": 10, "costPrice": 8})
        await c.post("/api/logistics/pvt/configuration/docks", json={"id": "d1", "name": "D"})
    first.stop()
    first.app.state.sandbox.store.close()

    second = sandbox_server_factory(create_app(SandboxOptions(state=state)))
    async with httpx.AsyncClient(base_url=second.url, headers={**AUTH, **HOST}) as c:
        again = await c.get("/api/catalog_system/pvt/products/productgetbyrefid/P1")
        assert again.status_code == 200
        assert again.json()["Id"] == product["Id"]
        assert (await c.get("/pricing/prices/5")).json()["basePrice"] == 10
        assert (await c.get("/api/logistics/pvt/configuration/docks/d1")).status_code == 200
        new_category = (await c.post("/api/catalog/pvt/category", json={"Name": "Hats"})).json()
        assert new_category["Id"] != category["Id"]
        # the request log is not persisted: it describes this process
        assert (await c.get("/_sandbox/requests")).json()["total"] == 4
    second.app.state.sandbox.store.close()


async def test_memory_store_forgets_on_restart() -> None:
    for expected in (200, 404):
        app = create_app(SandboxOptions())
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://s.vtexcommercestable.com.br", headers=AUTH
        ) as c:
            if expected == 200:
                await c.post("/api/catalog/pvt/brand", json={"Id": 1, "Name": "B"})
            assert (await c.get("/api/catalog/pvt/brand/1")).status_code == expected
