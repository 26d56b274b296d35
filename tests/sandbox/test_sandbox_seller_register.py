"""Seller register routes, called with plain httpx as any VTEX client would."""

from __future__ import annotations

import httpx

from vtexbridge.sandbox.routes.seller_register import SELLER
from vtexbridge.sandbox.store import Store
from vtexbridge.testing.openapi import ContractBook

SPEC = "VTEX - Marketplace APIs"


async def test_main_seller_is_listed_and_paged(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.get("/api/seller-register/pvt/sellers", params={"from": 0, "to": 1})
    assert r.status_code == 200
    body = r.json()
    assert body["paging"] == {"from": 0, "to": 1, "total": 1}
    assert body["items"][0]["id"] == "1"
    assert body["items"][0]["name"] == "sandbox"


async def test_stored_sellers_filters_and_lookup(
    sandbox_client: httpx.AsyncClient, sandbox_store: Store
) -> None:
    sandbox_store.table("sandbox", SELLER)["ext1"] = {
        "id": "ext1",
        "name": "Outdoor Outlet",
        "isActive": False,
    }
    r = await sandbox_client.get("/api/seller-register/pvt/sellers", params={"isActive": "false"})
    assert [s["id"] for s in r.json()["items"]] == ["ext1"]
    r = await sandbox_client.get("/api/seller-register/pvt/sellers", params={"keyword": "outlet"})
    assert r.json()["paging"]["total"] == 1
    one = await sandbox_client.get("/api/seller-register/pvt/sellers/ext1")
    assert one.json()["name"] == "Outdoor Outlet"
    missing = await sandbox_client.get("/api/seller-register/pvt/sellers/nope")
    assert missing.status_code == 404


async def test_bad_paging_is_refused(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.get("/api/seller-register/pvt/sellers", params={"from": 0, "to": 500})
    assert r.status_code == 400
    r = await sandbox_client.get("/api/seller-register/pvt/sellers", params={"from": "x"})
    assert r.status_code == 400


async def test_routes_exist_in_the_spec(sandbox_client: httpx.AsyncClient) -> None:
    book = ContractBook.load()
    for path in ("/api/seller-register/pvt/sellers", "/api/seller-register/pvt/sellers/1"):
        r = await sandbox_client.get(path)
        assert book.check_response(SPEC, "GET", path, r.status_code, r.json()) == []
        assert book.find(SPEC, "GET", path) is not None


async def test_without_credentials_is_401(sandbox_app: object) -> None:
    transport = httpx.ASGITransport(app=sandbox_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.vtexcommercestable.com.br"
    ) as c:
        r = await c.get("/api/seller-register/pvt/sellers")
    assert r.status_code == 401
