"""Catalog routes of the sandbox, driven with plain HTTP calls written from the Catalog spec."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.sandbox.conftest import CatalogBuilder  # tests/sandbox/conftest.py (type hints only)

SKU = "/api/catalog/pvt/stockkeepingunit"


async def _chain(cat: CatalogBuilder) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    category = await cat.category("Shoes")
    brand = await cat.brand(2000001, "Acme")
    product = await cat.product(category["Id"], brand["Id"], "P-1")
    return category, brand, product


def _sku_body(product_id: int, ref: str = "S-1", **extra: Any) -> dict[str, Any]:
    return {
        "ProductId": product_id,
        "Name": f"SKU {ref}",
        "RefId": ref,
        "ActivateIfPossible": True,
        "PackagedHeight": 10,
        "PackagedLength": 20,
        "PackagedWidth": 15,
        "PackagedWeightKg": 1,
        **extra,
    }


# --- categories -------------------------------------------------------------------------------


async def test_category_tree_paths_and_caller_chosen_id(sandbox_client: httpx.AsyncClient) -> None:
    root = (
        await sandbox_client.post("/api/catalog/pvt/category", json={"Id": 10, "Name": "Sport Shoes"})
    ).json()
    child = (
        await sandbox_client.post(
            "/api/catalog/pvt/category", json={"Name": "Running", "FatherCategoryId": 10}
        )
    ).json()
    assert root["Id"] == 10
    assert root["LinkId"] == "sport-shoes"
    assert child["Id"] != 10
    assert child["TreePathIds"] == [10, child["Id"]]
    assert child["TreePath"] == ["Sport Shoes", "Running"]
    parent = (await sandbox_client.get("/api/catalog/pvt/category/10")).json()
    assert parent["HasChildren"] is True
    tree = (await sandbox_client.get("/api/catalog_system/pub/category/tree/2")).json()
    assert [c["id"] for c in tree] == [10]
    assert tree[0]["children"][0]["name"] == "Running"
    assert tree[0]["children"][0]["url"].endswith("/sport-shoes/running")
    shallow = (await sandbox_client.get("/api/catalog_system/pub/category/tree/1")).json()
    assert shallow[0]["children"] == []
    assert shallow[0]["hasChildren"] is True


async def test_category_errors(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.post("/api/catalog/pvt/category", json={"Name": "X", "FatherCategoryId": 999})
    assert r.status_code == 400
    assert "999" in r.json()["Message"]
    assert (
        await sandbox_client.post("/api/catalog/pvt/category", json={"Id": 5, "Name": "A"})
    ).status_code == 200
    assert (
        await sandbox_client.post("/api/catalog/pvt/category", json={"Id": 5, "Name": "B"})
    ).status_code == 409
    assert (await sandbox_client.get("/api/catalog/pvt/category/77")).status_code == 404
    assert (
        await sandbox_client.post("/api/catalog/pvt/category", json={"Title": "no name"})
    ).status_code == 400
    cycle = await sandbox_client.put("/api/catalog/pvt/category/5", json={"Name": "A", "FatherCategoryId": 5})
    assert cycle.status_code == 400


async def test_malformed_json_is_400(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.post(
        "/api/catalog/pvt/category", content=b'{"Name": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert "JSON" in r.json()["Message"]


# --- brands -----------------------------------------------------------------------------------


async def test_brand_requires_id_and_lists(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.post("/api/catalog/pvt/brand", json={"Name": "NoId"})
    assert r.status_code == 400
    assert "Id" in r.json()["Message"]
    for brand_id, name in ((3, "Gamma"), (1, "Alpha"), (2, "Beta")):
        r = await sandbox_client.post("/api/catalog/pvt/brand", json={"Id": brand_id, "Name": name})
        assert r.status_code == 200
    assert (
        await sandbox_client.post("/api/catalog/pvt/brand", json={"Id": 2, "Name": "Dup"})
    ).status_code == 409
    listed = (await sandbox_client.get("/api/catalog_system/pvt/brand/list")).json()
    assert [b["name"] for b in listed] == ["Alpha", "Beta", "Gamma"]
    paged = (await sandbox_client.get("/api/catalog_system/pvt/brand/pagedlist?pageSize=2&page=2")).json()
    assert paged["paging"] == {"page": 2, "perPage": 2, "total": 3, "pages": 2}
    assert [b["id"] for b in paged["items"]] == [3]
    one = (await sandbox_client.get("/api/catalog_system/pvt/brand/1")).json()
    assert one["isActive"] is True
    updated = await sandbox_client.put("/api/catalog/pvt/brand/1", json={"Name": "Alpha", "Active": False})
    assert updated.json()["Active"] is False
    assert (await sandbox_client.delete("/api/catalog/pvt/brand/3")).status_code == 200
    assert (await sandbox_client.get("/api/catalog/pvt/brand/3")).status_code == 404


# --- products ---------------------------------------------------------------------------------


async def test_product_unknown_brand_or_category_is_400(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category = await sandbox_catalog.category()
    brand = await sandbox_catalog.brand()
    r = await sandbox_client.post(
        "/api/catalog/pvt/product", json={"Name": "P", "CategoryId": category["Id"], "BrandId": 99}
    )
    assert r.status_code == 400
    assert "brand 99" in r.json()["Message"]
    r = await sandbox_client.post(
        "/api/catalog/pvt/product", json={"Name": "P", "CategoryId": 99, "BrandId": brand["Id"]}
    )
    assert r.status_code == 400
    r = await sandbox_client.post(
        "/api/catalog/pvt/product",
        json={"Name": "x" * 151, "CategoryId": category["Id"], "BrandId": brand["Id"]},
    )
    assert r.status_code == 400


async def test_product_by_refid_and_trade_policies(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category, _brand, product = await _chain(sandbox_catalog)
    assert product["DepartmentId"] == category["Id"]
    r = await sandbox_client.get("/api/catalog_system/pvt/products/productgetbyrefid/P-1")
    assert r.status_code == 200
    assert r.json()["Id"] == product["Id"]
    assert r.json()["ListStoreId"] == []
    assert (
        await sandbox_client.get("/api/catalog_system/pvt/products/productgetbyrefid/none")
    ).status_code == 404
    assert (
        await sandbox_client.post(f"/api/catalog/pvt/product/{product['Id']}/salespolicy/1")
    ).status_code == 200
    assert (
        await sandbox_client.post(f"/api/catalog/pvt/product/{product['Id']}/salespolicy/9")
    ).status_code == 404
    policies = (await sandbox_client.get(f"/api/catalog/pvt/product/{product['Id']}/salespolicy")).json()
    assert policies == [{"ProductId": product["Id"], "StoreId": 1}]
    got = (await sandbox_client.get(f"/api/catalog_system/pvt/products/productget/{product['Id']}")).json()
    assert got["ListStoreId"] == [1]
    await sandbox_client.delete(f"/api/catalog/pvt/product/{product['Id']}/salespolicy/1")
    assert (await sandbox_client.get(f"/api/catalog/pvt/product/{product['Id']}/salespolicy")).json() == []
    channels = (await sandbox_client.get("/api/catalog_system/pvt/saleschannel/list")).json()
    assert [c["Id"] for c in channels] == [1]
    dup = await sandbox_client.post(
        "/api/catalog/pvt/product",
        json={"Name": "Other", "CategoryId": category["Id"], "BrandId": 2000001, "RefId": "P-1"},
    )
    assert dup.status_code == 409


async def test_product_with_category_path_and_brand_name_creates_them(
    sandbox_client: httpx.AsyncClient,
) -> None:
    r = await sandbox_client.post(
        "/api/catalog/pvt/product",
        json={"Name": "Tee", "CategoryPath": "Apparel/Shirts", "BrandName": "Zeta"},
    )
    assert r.status_code == 200, r.text
    product = r.json()
    category = (await sandbox_client.get(f"/api/catalog/pvt/category/{product['CategoryId']}")).json()
    assert category["TreePath"] == ["Apparel", "Shirts"]
    brand = (await sandbox_client.get(f"/api/catalog/pvt/brand/{product['BrandId']}")).json()
    assert brand["Name"] == "Zeta"


# --- SKUs -------------------------------------------------------------------------------------


async def test_sku_create_rules(sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder) -> None:
    _c, _b, product = await _chain(sandbox_catalog)
    pid = product["Id"]
    cases = [
        (_sku_body(pid, IsActive=True), 400, "cannot be created active"),
        (_sku_body(pid, "R" * 51), 400, "at most 50"),
        (_sku_body(pid, PackagedWeightKg=0), 400, "PackagedWeightKg"),
        ({k: v for k, v in _sku_body(pid).items() if k != "PackagedHeight"}, 400, "PackagedHeight"),
        (_sku_body(pid, RefId=""), 400, "RefId or an EAN"),
        (_sku_body(999), 400, "product 999"),
    ]
    for body, status, text in cases:
        r = await sandbox_client.post(SKU, json=body)
        assert r.status_code == status, (body, r.text)
        assert text in r.json()["Message"]
    ok = await sandbox_client.post(SKU, json=_sku_body(pid, "S-1", Id=123))
    assert ok.status_code == 200
    assert ok.json()["Id"] == 123
    assert ok.json()["IsActive"] is False
    assert (await sandbox_client.post(SKU, json=_sku_body(pid, "S-2", Id=123))).status_code == 409
    assert (await sandbox_client.post(SKU, json=_sku_body(pid, "S-1"))).status_code == 409
    with_ean = await sandbox_client.post(SKU, json=_sku_body(pid, "", Ean="7890000000001"))
    assert with_ean.status_code == 200
    assert (await sandbox_client.get(f"{SKU}/{with_ean.json()['Id']}/ean")).json() == ["7890000000001"]


async def test_sku_lookups(sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder) -> None:
    _c, _b, product = await _chain(sandbox_catalog)
    ids = []
    for i in range(5):
        ids.append((await sandbox_catalog.sku(product["Id"], f"S-{i}", image=False))["Id"])
    r = await sandbox_client.get("/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/S-3")
    assert r.status_code == 200
    assert r.json() == str(ids[3])
    assert (
        await sandbox_client.get("/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/nope")
    ).status_code == 404
    by_query = await sandbox_client.get(SKU, params={"RefId": "S-2"})
    assert by_query.json()["Id"] == ids[2]
    assert (await sandbox_client.get(SKU, params={"RefId": "zz"})).status_code == 404
    page2 = await sandbox_client.get("/api/catalog_system/pvt/sku/stockkeepingunitids?page=2&pagesize=2")
    assert page2.json() == sorted(ids)[2:4]
    too_big = await sandbox_client.get("/api/catalog_system/pvt/sku/stockkeepingunitids?page=1&pagesize=1001")
    assert too_big.status_code == 400
    by_product = (
        await sandbox_client.get(f"/api/catalog_system/pvt/sku/stockkeepingunitByProductId/{product['Id']}")
    ).json()
    assert [s["Id"] for s in by_product] == sorted(ids)
    mapped = await sandbox_client.post(
        "/api/catalog_system/pub/sku/stockkeepingunitidsbyrefids", json=["S-0", "x"]
    )
    assert mapped.json() == {"S-0": str(ids[0])}


async def test_activate_if_possible_needs_image_and_active_chain(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category = await sandbox_catalog.category()
    brand = await sandbox_catalog.brand(7, "Inactive", Active=False)
    product = await sandbox_catalog.product(category["Id"], brand["Id"], "P-7")
    sku = await sandbox_catalog.sku(product["Id"], "S-7", image=False)
    assert sku["IsActive"] is False
    put = await sandbox_client.put(
        f"{SKU}/{sku['Id']}", json={**_sku_body(product["Id"], "S-7"), "IsActive": True}
    )
    assert put.status_code == 400
    message = put.json()["Message"]
    assert "no image" in message
    assert "brand 7 is not active" in message
    await sandbox_client.post(f"{SKU}/{sku['Id']}/file", json={"Name": "a", "Url": "https://x.example/a.png"})
    assert (await sandbox_client.get(f"{SKU}/{sku['Id']}")).json()["IsActive"] is False
    await sandbox_client.put(
        f"/api/catalog/pvt/brand/{brand['Id']}", json={"Name": "Inactive", "Active": True}
    )
    assert (await sandbox_client.get(f"{SKU}/{sku['Id']}")).json()["IsActive"] is True


async def test_activation_waits_for_required_sku_specification(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category, _brand, product = await _chain(sandbox_catalog)
    group = (
        await sandbox_client.post(
            "/api/catalog/pvt/specificationgroup", json={"CategoryId": category["Id"], "Name": "G"}
        )
    ).json()
    field = (
        await sandbox_client.post(
            "/api/catalog/pvt/specification",
            json={
                "FieldTypeId": 6,
                "FieldGroupId": group["Id"],
                "Name": "Size",
                "IsStockKeepingUnit": True,
                "IsRequired": True,
            },
        )
    ).json()
    value = (
        await sandbox_client.post(
            "/api/catalog/pvt/specificationvalue", json={"FieldId": field["Id"], "Name": "42"}
        )
    ).json()
    sku = await sandbox_catalog.sku(product["Id"], "S-9")
    assert sku["IsActive"] is False
    bad = await sandbox_client.post(f"{SKU}/{sku['Id']}/specification", json={"FieldId": field["Id"]})
    assert bad.status_code == 400  # a radio field takes a FieldValueId
    spec = await sandbox_client.post(
        f"{SKU}/{sku['Id']}/specification",
        json={"FieldId": field["Id"], "FieldValueId": value["FieldValueId"]},
    )
    assert spec.json()["Text"] == "42"
    assert (await sandbox_client.get(f"{SKU}/{sku['Id']}")).json()["IsActive"] is True


async def test_sku_and_context(sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder) -> None:
    sku = await sandbox_catalog.sellable_sku("CTX-1")
    assert sku["IsActive"] is True
    await sandbox_client.post(f"{SKU}/{sku['Id']}/ean/7891234567895")
    ctx = (await sandbox_client.get(f"/api/catalog_system/pvt/sku/stockkeepingunitbyid/{sku['Id']}")).json()
    assert ctx["SalesChannels"] == [1]
    assert ctx["Images"][0]["ImageUrl"] == "https://img.example.com/CTX-1.jpg"
    assert ctx["AlternateIds"] == {"Ean": "7891234567895", "RefId": "CTX-1"}
    assert ctx["IsActive"] is True
    assert (
        await sandbox_client.get(f"/api/catalog_system/pvt/sku/stockkeepingunitbyid/{sku['Id']}?sc=2")
    ).status_code == 404
    by_ean = await sandbox_client.get("/api/catalog_system/pvt/sku/stockkeepingunitbyean/7891234567895")
    assert by_ean.json()["Id"] == sku["Id"]


# --- files and EANs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["ftp://x.example/a.jpg", "https://x.example/a.bmp", "not a url", "https://x.example/a.jpg.txt"],
)
async def test_sku_file_url_rules(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder, url: str
) -> None:
    _c, _b, product = await _chain(sandbox_catalog)
    sku = await sandbox_catalog.sku(product["Id"], image=False)
    r = await sandbox_client.post(f"{SKU}/{sku['Id']}/file", json={"Name": "a", "Url": url})
    assert r.status_code == 400


async def test_sku_files_main_flag_and_reorder(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    _c, _b, product = await _chain(sandbox_catalog)
    sku = await sandbox_catalog.sku(product["Id"], image=False)
    base = f"{SKU}/{sku['Id']}/file"
    first = (await sandbox_client.post(base, json={"Name": "a", "Url": "https://x.example/a.JPG"})).json()[0]
    second = (
        await sandbox_client.post(base, json={"Name": "b", "Url": "https://x.example/b.gif", "IsMain": True})
    ).json()[0]
    assert first["IsMain"] is True
    files = (await sandbox_client.get(base)).json()
    assert {f["Id"]: f["IsMain"] for f in files} == {first["Id"]: False, second["Id"]: True}
    partial = await sandbox_client.put(f"{base}/reorder", json=[{"Id": first["Id"], "Position": 5}])
    assert partial.status_code == 400
    assert partial.json()["Message"] == "All files are required."
    ok = await sandbox_client.put(
        f"{base}/reorder", json=[{"Id": first["Id"], "Position": 2}, {"Id": second["Id"], "Position": 1}]
    )
    assert ok.status_code == 200
    assert [f["Id"] for f in (await sandbox_client.get(base)).json()] == [second["Id"], first["Id"]]
    assert (await sandbox_client.delete(f"{base}/{first['Id']}")).status_code == 200
    assert (await sandbox_client.delete(f"{base}/{first['Id']}")).status_code == 404
    await sandbox_client.delete(base)
    assert (await sandbox_client.get(base)).json() == []


async def test_eans_are_unique_and_not_updatable(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    _c, _b, product = await _chain(sandbox_catalog)
    one = await sandbox_catalog.sku(product["Id"], "E-1", image=False)
    two = await sandbox_catalog.sku(product["Id"], "E-2", image=False)
    assert (await sandbox_client.post(f"{SKU}/{one['Id']}/ean/111")).status_code == 200
    assert (await sandbox_client.post(f"{SKU}/{one['Id']}/ean/111")).status_code == 200  # idempotent
    assert (await sandbox_client.post(f"{SKU}/{two['Id']}/ean/111")).status_code == 409
    assert (await sandbox_client.get(f"{SKU}/{one['Id']}/ean")).json() == ["111"]
    assert (await sandbox_client.put(f"{SKU}/{one['Id']}/ean/111")).status_code == 405
    assert (await sandbox_client.delete(f"{SKU}/{one['Id']}/ean/111")).status_code == 200
    assert (await sandbox_client.post(f"{SKU}/{two['Id']}/ean/111")).status_code == 200


# --- specifications ---------------------------------------------------------------------------


async def test_specification_groups_fields_values(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category, _brand, product = await _chain(sandbox_catalog)
    group = (
        await sandbox_client.post(
            "/api/catalog/pvt/specificationgroup", json={"CategoryId": category["Id"], "Name": "Tech"}
        )
    ).json()
    assert group["Position"] == 1
    assert (await sandbox_client.get(f"/api/catalog_system/pub/specification/groupGet/{group['Id']}")).json()[
        "Name"
    ] == "Tech"
    listed = (
        await sandbox_client.get(f"/api/catalog_system/pvt/specification/groupbycategory/{category['Id']}")
    ).json()
    assert [g["Id"] for g in listed] == [group["Id"]]
    field = (
        await sandbox_client.post(
            "/api/catalog/pvt/specification",
            json={"FieldTypeId": 5, "FieldGroupId": group["Id"], "Name": "Color"},
        )
    ).json()
    assert field["CategoryId"] == category["Id"]
    legacy = (
        await sandbox_client.get(f"/api/catalog_system/pub/specification/fieldGet/{field['Id']}")
    ).json()
    assert legacy["FieldTypeName"] == "Combo"
    assert legacy["FieldGroupName"] == "Tech"
    red = (
        await sandbox_client.post(
            "/api/catalog/pvt/specificationvalue", json={"FieldId": field["Id"], "Name": "Red"}
        )
    ).json()
    await sandbox_client.post(
        "/api/catalog/pvt/specificationvalue", json={"FieldId": field["Id"], "Name": "Blue"}
    )
    values = (
        await sandbox_client.get(f"/api/catalog_system/pub/specification/fieldvalue/{field['Id']}")
    ).json()
    assert [v["Value"] for v in values] == ["Red", "Blue"]
    by_cat = (
        await sandbox_client.get(
            f"/api/catalog_system/pub/specification/field/listByCategoryId/{category['Id']}"
        )
    ).json()
    assert [f["FieldId"] for f in by_cat] == [field["Id"]]
    spec = await sandbox_client.post(
        f"/api/catalog/pvt/product/{product['Id']}/specification",
        json={"FieldId": field["Id"], "FieldValueId": red["FieldValueId"]},
    )
    assert spec.json()["Text"] == "Red"
    assert (
        await sandbox_client.post("/api/catalog/pvt/specificationvalue", json={"FieldId": 999, "Name": "x"})
    ).status_code == 400
    by_names = await sandbox_client.put(
        f"/api/catalog/pvt/product/{product['Id']}/specificationvalue",
        json={
            "FieldName": "Material",
            "GroupName": "Tech",
            "RootLevelSpecification": False,
            "FieldValues": ["Cotton"],
        },
    )
    assert by_names.status_code == 200
    assert by_names.json()[0]["Text"] == "Cotton"
    specs = (await sandbox_client.get(f"/api/catalog/pvt/product/{product['Id']}/specification")).json()
    assert sorted(s["Text"] for s in specs) == ["Cotton", "Red"]
    assert (
        await sandbox_client.delete(
            f"/api/catalog/pvt/product/{product['Id']}/specification/{specs[0]['Id']}"
        )
    ).status_code == 200
    missing = await sandbox_client.delete(f"/api/catalog/pvt/product/{product['Id']}/specification/99999")
    assert missing.status_code == 404


async def test_put_inactive_deactivates_an_active_sku(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    _c, _b, product = await _chain(sandbox_catalog)
    sku = await sandbox_catalog.sku(product["Id"], "D-1")
    assert sku["IsActive"] is True
    r = await sandbox_client.put(
        f"{SKU}/{sku['Id']}", json={**_sku_body(product["Id"], "D-1"), "IsActive": False}
    )
    assert r.json()["IsActive"] is False
    assert (await sandbox_client.get(f"{SKU}/{sku['Id']}")).json()["IsActive"] is False
    # an inactive SKU that now qualifies through a PUT is activated (ActivateIfPossible)
    again = await sandbox_client.put(
        f"{SKU}/{sku['Id']}", json={**_sku_body(product["Id"], "D-1"), "IsActive": False}
    )
    assert again.json()["IsActive"] is True
