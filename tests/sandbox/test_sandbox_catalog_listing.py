"""GetProductAndSkuIds, SKU ids by trade policy, the one-segment SKU change notification and the
catalog's seller routes, driven with plain HTTP calls written from the Catalog spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from tests.sandbox.conftest import CatalogBuilder  # tests/sandbox/conftest.py (type hints only)

SYS = "/api/catalog_system/pvt"


async def test_product_and_sku_ids_pages_by_position_and_filters_by_category(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    shoes = await sandbox_catalog.category("Shoes")
    running = await sandbox_catalog.category("Running", parent=shoes["Id"])
    hats = await sandbox_catalog.category("Hats")
    brand = await sandbox_catalog.brand()
    p1 = await sandbox_catalog.product(shoes["Id"], brand["Id"], "P-1")
    p2 = await sandbox_catalog.product(running["Id"], brand["Id"], "P-2")
    p3 = await sandbox_catalog.product(hats["Id"], brand["Id"], "P-3")
    s1 = await sandbox_catalog.sku(p1["Id"], "S-1", image=False)
    s2 = await sandbox_catalog.sku(p1["Id"], "S-2", image=False)
    s3 = await sandbox_catalog.sku(p2["Id"], "S-3", image=False)

    everything = (await sandbox_client.get(f"{SYS}/products/GetProductAndSkuIds")).json()
    assert everything["data"] == {
        str(p1["Id"]): [s1["Id"], s2["Id"]],
        str(p2["Id"]): [s3["Id"]],
        str(p3["Id"]): [],
    }
    assert everything["range"] == {"total": 3, "from": 1, "to": 250}

    second = (await sandbox_client.get(f"{SYS}/products/GetProductAndSkuIds?_from=2&_to=2")).json()
    assert second == {"data": {str(p2["Id"]): [s3["Id"]]}, "range": {"total": 3, "from": 2, "to": 2}}

    subtree = await sandbox_client.get(f"{SYS}/products/GetProductAndSkuIds?categoryId={shoes['Id']}")
    assert set(subtree.json()["data"]) == {str(p1["Id"]), str(p2["Id"])}
    assert subtree.json()["range"]["total"] == 2

    wide = (await sandbox_client.get(f"{SYS}/products/GetProductAndSkuIds?_from=1&_to=1000")).json()
    assert wide["range"]["to"] == 250  # at most 250 products per answer
    bad = await sandbox_client.get(f"{SYS}/products/GetProductAndSkuIds?_from=5&_to=2")
    assert bad.status_code == 400
    assert "_to" in bad.json()["Message"]


async def test_sku_ids_by_sales_channel_only_assigned_or_all(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category = await sandbox_catalog.category()
    brand = await sandbox_catalog.brand()
    listed = await sandbox_catalog.product(category["Id"], brand["Id"], "P-1")
    unlisted = await sandbox_catalog.product(category["Id"], brand["Id"], "P-2")
    await sandbox_client.post(f"/api/catalog/pvt/product/{listed['Id']}/salespolicy/1")
    a = await sandbox_catalog.sku(listed["Id"], "A", image=False)
    b = await sandbox_catalog.sku(listed["Id"], "B", image=False)
    c = await sandbox_catalog.sku(unlisted["Id"], "C", image=False)
    url = f"{SYS}/sku/stockkeepingunitidsbysaleschannel"

    assert (await sandbox_client.get(f"{url}?sc=1")).json() == [a["Id"], b["Id"]]
    assert (await sandbox_client.get(f"{url}?sc=1&onlyAssigned=false")).json() == [a["Id"], b["Id"], c["Id"]]
    assert (await sandbox_client.get(f"{url}?sc=1&page=2&pageSize=1")).json() == [b["Id"]]
    missing = await sandbox_client.get(url)
    assert missing.status_code == 400
    assert "sc" in missing.json()["Message"]
    assert (await sandbox_client.get(f"{url}?sc=77")).status_code == 404
    assert (await sandbox_client.get(f"{url}?sc=1&pageSize=1001")).status_code == 400


async def test_change_notification_by_marketplace_sku_id(sandbox_client: httpx.AsyncClient) -> None:
    unknown = await sandbox_client.post(f"{SYS}/skuseller/changenotification/100")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/plain")
    assert "Seller StockKeepingUnit `100` not found" in unknown.text
    bound = {"sellerId": "seller1", "sellerSkuId": "77", "skuId": 100}
    assert (await sandbox_client.post("/_sandbox/marketplace/skusellers", json=bound)).status_code == 201
    known = await sandbox_client.post(f"{SYS}/skuseller/changenotification/100")
    assert known.status_code == 200
    notes = (await sandbox_client.get("/_sandbox/marketplace/notifications?type=catalog")).json()
    assert [(n["sellerId"], n["skuId"], n["sellerSkuId"]) for n in notes["notifications"]] == [
        ("seller1", "100", "77")
    ]


SELLER = {
    "SellerId": "pedrostore",
    "Name": "My pedrostore",
    "Email": "breno@breno.com",
    "Description": "Brief description",
    "UserName": "myseller",
    "Password": "passoword",
    "CNPJ": "12035072751",
    "FulfillmentEndpoint": "http://pedrostore.vtexcommercestable.com.br/api/fulfillment?affiliateid=LDB&sc=1",
    "IsActive": True,
    "SellerType": 1,
    "IsBetterScope": False,
}


async def test_sellers_create_read_update_list(sandbox_client: httpx.AsyncClient) -> None:
    main = (await sandbox_client.get(f"{SYS}/seller/list")).json()
    assert [s["SellerId"] for s in main] == ["1"]
    assert main[0]["Name"] == "sandbox"

    created = await sandbox_client.post(f"{SYS}/seller", json=SELLER)
    assert created.status_code == 200, created.text
    assert created.json()["SellerId"] == "pedrostore"
    assert created.json()["Password"] is None  # never answered back
    assert (await sandbox_client.post(f"{SYS}/seller", json=SELLER)).status_code == 409

    for path in (f"{SYS}/seller/pedrostore", f"{SYS}/sellers/pedrostore"):
        got = (await sandbox_client.get(path)).json()
        assert got["Email"] == "breno@breno.com"
        assert got["UserName"] == "myseller"

    updated = await sandbox_client.put(
        f"{SYS}/seller", json={"SellerId": "pedrostore", "Name": "Pedro", "IsActive": False}
    )
    assert updated.status_code == 200
    assert updated.json()["Name"] == "Pedro"
    assert updated.json()["Email"] == "breno@breno.com"  # fields not given are kept
    assert (
        await sandbox_client.put(f"{SYS}/seller", json={**SELLER, "SellerId": "ghost"})
    ).status_code == 404

    listed = (await sandbox_client.get(f"{SYS}/seller/list")).json()
    assert [s["SellerId"] for s in listed] == ["1", "pedrostore"]
    white_label = (await sandbox_client.get(f"{SYS}/seller/list?sellerType=2")).json()
    assert white_label == []
    # The seller register sees the same seller, without the catalog's fields.
    register = (await sandbox_client.get("/api/seller-register/pvt/sellers/pedrostore")).json()
    assert register["name"] == "Pedro"
    assert register["isActive"] is False
    assert "catalog" not in register
    assert (await sandbox_client.get(f"{SYS}/seller/ghost")).status_code == 404


async def test_seller_body_errors_name_the_field(sandbox_client: httpx.AsyncClient) -> None:
    no_id = await sandbox_client.post(f"{SYS}/seller", json={"Name": "x"})
    assert no_id.status_code == 400
    assert "SellerId" in no_id.json()["Message"]
    no_name = await sandbox_client.post(f"{SYS}/seller", json={"SellerId": "s"})
    assert "Name" in no_name.json()["Message"]
    wrong_type = await sandbox_client.post(f"{SYS}/seller", json={**SELLER, "SellerType": "white"})
    assert wrong_type.status_code == 400
    assert "SellerType" in wrong_type.json()["Message"]
    too_long = await sandbox_client.post(f"{SYS}/seller", json={**SELLER, "SellerId": "x" * 101})
    assert too_long.status_code == 400


async def test_seller_list_includes_the_marketplaces_external_sellers_without_credentials(
    sandbox_client: httpx.AsyncClient,
) -> None:
    external = {
        "sellerId": "extseller",
        "fulfillmentEndpoint": "https://seller.example/api/fulfillment",
        "appKey": "vtexappkey-ext-KEY",
        "appToken": "ext-secret-token",
    }
    assert (await sandbox_client.post("/_sandbox/marketplace/sellers", json=external)).status_code < 300
    listed = await sandbox_client.get(f"{SYS}/seller/list")
    assert [s["SellerId"] for s in listed.json()] == ["1", "extseller"]
    assert listed.json()[1]["FulfillmentEndpoint"] == "https://seller.example/api/fulfillment"
    assert "ext-secret-token" not in listed.text
    one = await sandbox_client.get(f"{SYS}/seller/extseller")
    assert one.status_code == 200
    assert "ext-secret-token" not in one.text
