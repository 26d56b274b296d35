"""Fixtures for sandbox tests (reused by every sandbox route module's tests).

- ``sandbox_options``: the :class:`SandboxOptions` of the app; override this fixture in a test module
  to change account, limits, faults ... (defaults: VTEX's real limits, no faults).
- ``sandbox_store``: an in-memory :class:`Store` (the app's store).
- ``sandbox_app``: the Starlette app built by ``create_app``.
- ``sandbox_client``: an in-process ``httpx.AsyncClient`` (``ASGITransport``) whose default headers carry
  the default app key/token and ``Host: sandbox.vtexcommercestable.com.br`` (account ``sandbox``).
- ``sandbox_server``: the same app served by uvicorn on a free loopback port, as a
  :class:`SandboxServer` (``.url`` is the base URL, ``.app`` the app).
- ``sandbox_server_factory``: ``start(app) -> SandboxServer`` for tests that serve apps of their own
  (e.g. a restart on the same state file); every server started is stopped at teardown.
- ``sandbox_catalog``: a :class:`CatalogBuilder` over ``sandbox_client`` that creates categories,
  brands, products and sellable SKUs (image, trade policy, price, stock) through the public API.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.serving import serve_in_thread

SANDBOX_HOST = "sandbox.vtexcommercestable.com.br"
AUTH_HEADERS = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
DEFAULT_HEADERS = {**AUTH_HEADERS, "Host": SANDBOX_HOST, "Accept": "application/json"}


@dataclass(frozen=True)
class SandboxServer:
    """A sandbox served over real HTTP on loopback."""

    url: str
    app: Starlette
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(app: Starlette) -> SandboxServer:
    """Serve ``app`` with uvicorn in a thread on a free loopback port; returns once it accepts requests."""
    served = serve_in_thread(app, name="sandbox")
    return SandboxServer(served.url, app, served.server, served.thread)


class CatalogBuilder:
    """Creates catalog entities through the sandbox's public API (asserting each call succeeded)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def _call(self, method: str, url: str, body: Any = None, *, expect: int = 200) -> Any:
        response = await self.client.request(method, url, json=body)
        assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def category(self, name: str = "Shoes", parent: int | None = None, **fields: Any) -> dict[str, Any]:
        body = {"Name": name, "FatherCategoryId": parent, "IsActive": True, **fields}
        result: dict[str, Any] = await self._call("POST", "/api/catalog/pvt/category", body)
        return result

    async def brand(self, brand_id: int = 2000001, name: str = "Acme", **fields: Any) -> dict[str, Any]:
        body = {"Id": brand_id, "Name": name, "Active": True, **fields}
        result: dict[str, Any] = await self._call("POST", "/api/catalog/pvt/brand", body)
        return result

    async def product(
        self, category_id: int, brand_id: int, ref: str = "P-1", **fields: Any
    ) -> dict[str, Any]:
        body = {
            "Name": f"Product {ref}",
            "CategoryId": category_id,
            "BrandId": brand_id,
            "RefId": ref,
            **fields,
        }
        result: dict[str, Any] = await self._call("POST", "/api/catalog/pvt/product", body)
        return result

    async def sku(
        self, product_id: int, ref: str = "S-1", *, image: bool = True, **fields: Any
    ) -> dict[str, Any]:
        body = {
            "ProductId": product_id,
            "Name": f"SKU {ref}",
            "RefId": ref,
            "ActivateIfPossible": True,
            "PackagedHeight": 10,
            "PackagedLength": 20,
            "PackagedWidth": 15,
            "PackagedWeightKg": 1,
            **fields,
        }
        sku: dict[str, Any] = await self._call("POST", "/api/catalog/pvt/stockkeepingunit", body)
        if image:
            await self._call(
                "POST",
                f"/api/catalog/pvt/stockkeepingunit/{sku['Id']}/file",
                {"Name": f"img-{ref}", "Url": f"https://img.example.com/{ref}.jpg", "IsMain": True},
            )
            sku = await self._call("GET", f"/api/catalog/pvt/stockkeepingunit/{sku['Id']}")
        return sku

    async def sellable_sku(
        self, ref: str = "S-1", *, price: float = 100.0, quantity: int = 10, warehouse: str = "wh1"
    ) -> dict[str, Any]:
        """A whole chain: category, brand, product in trade policy 1, active SKU, price, stock."""
        category = await self.category(f"Cat {ref}")
        brand = await self.brand(int(2_000_000 + len(ref) * 1000 + sum(map(ord, ref))), f"Brand {ref}")
        product = await self.product(category["Id"], brand["Id"], f"P-{ref}")
        await self._call("POST", f"/api/catalog/pvt/product/{product['Id']}/salespolicy/1")
        sku = await self.sku(product["Id"], ref)
        await self._call("PUT", f"/pricing/prices/{sku['Id']}", {"basePrice": price, "costPrice": price})
        dock = {"id": f"dock-{warehouse}", "name": "Dock", "salesChannels": ["1"]}
        await self._call("POST", "/api/logistics/pvt/configuration/docks", dock)
        await self._call(
            "POST",
            "/api/logistics/pvt/configuration/warehouses",
            {
                "id": warehouse,
                "name": warehouse,
                "warehouseDocks": [
                    {
                        "dockId": dock["id"],
                        "name": "Dock",
                        "time": "1.00:00:00",
                        "cost": "0.00",
                        "translateDays": "0",
                        "costToDisplay": "0",
                    }
                ],
            },
        )
        await self._call(
            "PUT",
            f"/api/logistics/pvt/inventory/skus/{sku['Id']}/warehouses/{warehouse}",
            {"quantity": quantity, "unlimitedQuantity": False},
        )
        return sku


@pytest.fixture
def sandbox_options() -> SandboxOptions:
    return SandboxOptions()


@pytest.fixture
def sandbox_store() -> Iterator[Store]:
    store = Store()
    yield store
    store.close()


@pytest.fixture
def sandbox_app(sandbox_options: SandboxOptions, sandbox_store: Store) -> Starlette:
    return create_app(sandbox_options, store=sandbox_store)


@pytest.fixture
async def sandbox_client(sandbox_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{SANDBOX_HOST}", headers=DEFAULT_HEADERS, timeout=10
    ) as client:
        yield client


@pytest.fixture
def sandbox_server_factory() -> Iterator[Callable[[Starlette], SandboxServer]]:
    started: list[SandboxServer] = []

    def start(app: Starlette) -> SandboxServer:
        server = start_server(app)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def sandbox_catalog(sandbox_client: httpx.AsyncClient) -> CatalogBuilder:
    return CatalogBuilder(sandbox_client)


@pytest.fixture
def sandbox_server(
    sandbox_app: Starlette, sandbox_server_factory: Callable[[Starlette], SandboxServer]
) -> SandboxServer:
    return sandbox_server_factory(sandbox_app)
