"""Catalog routes look entities up through the store's indexes: no route scans a catalog table, and
the answers follow every write (RefId changes, moves, deletes, a restart on a state file, a reset)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.store import Table

if TYPE_CHECKING:
    from tests.sandbox.conftest import CatalogBuilder  # tests/sandbox/conftest.py (type hints only)

PVT = "/api/catalog/pvt"
SYS = "/api/catalog_system"
SKU = f"{PVT}/stockkeepingunit"
SCAN_FREE = {
    "category", "brand", "product", "sku", "skufile", "skuean", "skuspec", "productspec",
    "specgroup", "specfield", "specvalue", "salespolicy",
}  # fmt: skip


@pytest.fixture
def no_catalog_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make iterating a catalog table fail the request (the scans the indexes replace)."""
    scans: list[str] = []

    def guard(name: str) -> Any:
        original = getattr(Table, name)

        def wrapper(self: Table, *args: Any) -> Any:
            if self.kind in SCAN_FREE:
                scans.append(f"{self.kind}.{name}")
                raise AssertionError(f"scan of the {self.kind} table ({name})")
            return original(self, *args)

        return wrapper

    for name in ("__iter__", "values", "items"):
        monkeypatch.setattr(Table, name, guard(name))
    return scans


async def call(client: httpx.AsyncClient, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
    response = await client.request(method, url, json=body)
    assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
    return (
        response.json() if response.content and "json" in response.headers.get("content-type", "") else None
    )


async def test_every_catalog_route_answers_without_scanning_a_table(
    sandbox_client: httpx.AsyncClient, no_catalog_scans: list[str]
) -> None:
    c = sandbox_client
    dept = await call(c, "POST", f"{PVT}/category", {"Name": "Dept"})
    cat = await call(c, "POST", f"{PVT}/category", {"Name": "Shoes", "FatherCategoryId": dept["Id"]})
    assert (await call(c, "GET", f"{PVT}/category/{dept['Id']}"))["HasChildren"] is True
    await call(c, "PUT", f"{PVT}/category/{cat['Id']}", {"Name": "Shoes", "FatherCategoryId": dept["Id"]})
    tree = await call(c, "GET", f"{SYS}/pub/category/tree/2")
    assert [t["name"] for t in tree] == ["Dept"] and tree[0]["children"][0]["name"] == "Shoes"
    await call(c, "POST", f"{PVT}/brand", {"Id": 7, "Name": "Acme"})
    await call(c, "PUT", f"{PVT}/brand/7", {"Name": "Acme"})
    await call(c, "GET", f"{SYS}/pvt/brand/list")
    assert (await call(c, "GET", f"{SYS}/pvt/brand/pagedlist?page=1&pageSize=1"))["paging"]["total"] == 1
    group = await call(c, "POST", f"{PVT}/specificationgroup", {"CategoryId": cat["Id"], "Name": "G"})
    await call(c, "PUT", f"{PVT}/specificationgroup/{group['Id']}", {"CategoryId": cat["Id"], "Name": "G2"})
    await call(c, "GET", f"{SYS}/pvt/specification/groupbycategory/{cat['Id']}")
    field_body = {"FieldTypeId": 5, "FieldGroupId": group["Id"], "Name": "Size", "IsStockKeepingUnit": True}
    field = await call(c, "POST", f"{PVT}/specification", field_body)
    await call(c, "PUT", f"{PVT}/specification/{field['Id']}", field_body)
    await call(c, "GET", f"{SYS}/pub/specification/fieldGet/{field['Id']}")
    await call(c, "GET", f"{SYS}/pub/specification/field/listByCategoryId/{cat['Id']}")
    await call(c, "GET", f"{SYS}/pub/specification/field/listTreeByCategoryId/{cat['Id']}")
    value = await call(c, "POST", f"{PVT}/specificationvalue", {"FieldId": field["Id"], "Name": "42"})
    await call(
        c, "PUT", f"{PVT}/specificationvalue/{value['FieldValueId']}", {"FieldId": field["Id"], "Name": "42"}
    )
    await call(c, "GET", f"{SYS}/pub/specification/fieldvalue/{field['Id']}")
    made = await call(
        c,
        "POST",
        f"{PVT}/product",
        {"Name": "Boot", "CategoryPath": "Dept/Shoes", "BrandName": "Acme", "RefId": "P1"},
    )
    assert (made["CategoryId"], made["BrandId"]) == (cat["Id"], 7)
    pid = made["Id"]
    await call(
        c,
        "PUT",
        f"{PVT}/product/{pid}",
        {"Name": "Boot", "CategoryId": cat["Id"], "BrandId": 7, "RefId": "P1"},
    )
    await call(c, "POST", f"{PVT}/product/{pid}/salespolicy/1")
    assert await call(c, "GET", f"{PVT}/product/{pid}/salespolicy") == [{"ProductId": pid, "StoreId": 1}]
    assert (await call(c, "GET", f"{SYS}/pvt/products/productgetbyrefid/P1"))["ListStoreId"] == [1]
    names = {"GroupName": "Info", "FieldName": "Material", "FieldValues": ["Leather"]}
    await call(c, "PUT", f"{PVT}/product/{pid}/specificationvalue", names)
    assert len(await call(c, "GET", f"{PVT}/product/{pid}/specification")) == 1
    dims = {"PackagedHeight": 1, "PackagedLength": 1, "PackagedWidth": 1, "PackagedWeightKg": 1}
    sku = await call(c, "POST", SKU, {"ProductId": pid, "Name": "40", "RefId": "S1", "Ean": "789", **dims})
    sid = sku["Id"]
    await call(
        c,
        "POST",
        f"{SKU}/{sid}/specification",
        {"FieldId": field["Id"], "FieldValueId": value["FieldValueId"]},
    )
    image = (await call(c, "POST", f"{SKU}/{sid}/file", {"Name": "a", "Url": "https://x.example/a.jpg"}))[0]
    assert (await call(c, "GET", f"{SKU}/{sid}"))["IsActive"] is True
    await call(
        c, "PUT", f"{SKU}/{sid}", {"ProductId": pid, "Name": "40", "RefId": "S1", "IsActive": True, **dims}
    )
    assert (await call(c, "GET", f"{SKU}?RefId=S1"))["Ean"] == "789"
    assert await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/S1") == str(sid)
    assert await call(c, "POST", f"{SYS}/pub/sku/stockkeepingunitidsbyrefids", ["S1", "nope"]) == {
        "S1": str(sid)
    }
    assert await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitids") == [sid]
    assert [s["Id"] for s in await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitByProductId/{pid}")] == [
        sid
    ]
    assert (await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitbyid/{sid}"))["ProductSpecifications"]
    assert (await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitbyean/789"))["Id"] == sid
    specs = await call(c, "GET", f"{SKU}/{sid}/specification")
    update = {"Id": specs[0]["Id"], "FieldId": field["Id"], "FieldValueId": value["FieldValueId"]}
    await call(c, "PUT", f"{SKU}/{sid}/specification", update)
    await call(
        c,
        "PUT",
        f"{SKU}/{sid}/specificationvalue",
        {"GroupName": "G2", "FieldName": "Size", "FieldValues": ["43"]},
    )
    await call(
        c,
        "DELETE",
        f"{SKU}/{sid}/specification/{(await call(c, 'GET', f'{SKU}/{sid}/specification'))[0]['Id']}",
    )
    await call(c, "DELETE", f"{SKU}/{sid}/specification")
    second = (await call(c, "POST", f"{SKU}/{sid}/file", {"Name": "b", "Url": "https://x.example/b.png"}))[0]
    await call(
        c,
        "PUT",
        f"{SKU}/{sid}/file/{second['Id']}",
        {"Name": "b", "Url": "https://x.example/b.gif", "IsMain": True},
    )
    await call(
        c,
        "PUT",
        f"{SKU}/{sid}/file/reorder",
        [{"Id": image["Id"], "Position": 2}, {"Id": second["Id"], "Position": 1}],
    )
    assert [f["Id"] for f in await call(c, "GET", f"{SKU}/{sid}/file")] == [second["Id"], image["Id"]]
    await call(c, "DELETE", f"{SKU}/{sid}/file/{image['Id']}")
    await call(c, "DELETE", f"{SKU}/{sid}/file")
    await call(c, "POST", f"{SKU}/{sid}/ean/790")
    assert await call(c, "GET", f"{SKU}/{sid}/ean") == ["789", "790"]
    await call(c, "DELETE", f"{SKU}/{sid}/ean/789")
    await call(c, "DELETE", f"{SKU}/{sid}/ean")
    specs = await call(c, "GET", f"{PVT}/product/{pid}/specification")
    await call(c, "DELETE", f"{PVT}/product/{pid}/specification/{specs[0]['Id']}")
    await call(c, "DELETE", f"{PVT}/product/{pid}/specification")
    await call(c, "DELETE", f"{PVT}/product/{pid}/salespolicy/1")
    await call(c, "DELETE", f"{PVT}/brand/7", expect=400)  # it has a product
    assert no_catalog_scans == []


async def new_product(builder: CatalogBuilder, ref: str = "P-1") -> dict[str, Any]:
    """A product (of a new category and brand) created through the API."""
    category = await builder.category()
    brand = await builder.brand()
    return await builder.product(category["Id"], brand["Id"], ref)


async def test_refid_changes_move_sku_and_product_lookups(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    c = sandbox_client
    product = await new_product(sandbox_catalog, "P-OLD")
    sku = await sandbox_catalog.sku(product["Id"], "S-OLD")
    body = {k: v for k, v in sku.items() if k != "Id"}
    await call(c, "PUT", f"{SKU}/{sku['Id']}", {**body, "RefId": "S-NEW"})
    await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/S-OLD", expect=404)
    assert await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/S-NEW") == str(sku["Id"])
    assert await call(c, "POST", f"{SYS}/pub/sku/stockkeepingunitidsbyrefids", ["S-OLD", "S-NEW"]) == {
        "S-NEW": str(sku["Id"])
    }
    other = await sandbox_catalog.sku(product["Id"], "S-OLD")  # the old RefId is free again
    await call(c, "PUT", f"{SKU}/{other['Id']}", {**body, "RefId": "S-NEW"}, expect=409)

    product_body = {k: v for k, v in product.items() if k != "Id"}
    await call(c, "PUT", f"{PVT}/product/{product['Id']}", {**product_body, "RefId": "P-NEW"})
    await call(c, "GET", f"{SYS}/pvt/products/productgetbyrefid/P-OLD", expect=404)
    assert (await call(c, "GET", f"{SYS}/pvt/products/productgetbyrefid/P-NEW"))["Id"] == product["Id"]
    await sandbox_catalog.product(product["CategoryId"], product["BrandId"], "P-OLD")  # free again


async def test_moving_a_sku_or_a_category_moves_the_children_lists(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    c = sandbox_client
    a = await sandbox_catalog.category("A")
    b = await sandbox_catalog.category("B")
    child = await sandbox_catalog.category("Child", a["Id"])
    brand = await sandbox_catalog.brand()
    first = await sandbox_catalog.product(child["Id"], brand["Id"], "P-1")
    second = await sandbox_catalog.product(b["Id"], brand["Id"], "P-2")
    sku = await sandbox_catalog.sku(first["Id"], "S-1")
    body = {k: v for k, v in sku.items() if k != "Id"}
    await call(c, "PUT", f"{SKU}/{sku['Id']}", {**body, "ProductId": second["Id"]})
    by_product = f"{SYS}/pvt/sku/stockkeepingunitByProductId"
    assert await call(c, "GET", f"{by_product}/{first['Id']}") == []
    assert [s["Id"] for s in await call(c, "GET", f"{by_product}/{second['Id']}")] == [sku["Id"]]

    await call(c, "PUT", f"{PVT}/category/{child['Id']}", {"Name": "Child", "FatherCategoryId": b["Id"]})
    assert (await call(c, "GET", f"{PVT}/category/{a['Id']}"))["HasChildren"] is False
    assert (await call(c, "GET", f"{PVT}/category/{b['Id']}"))["HasChildren"] is True
    tree = {t["name"]: t for t in await call(c, "GET", f"{SYS}/pub/category/tree/2")}
    assert tree["A"]["children"] == [] and [k["name"] for k in tree["B"]["children"]] == ["Child"]


async def test_deleted_eans_files_and_specs_leave_the_lookups(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    c = sandbox_client
    product = await new_product(sandbox_catalog)
    one = await sandbox_catalog.sku(product["Id"], "S-1")
    two = await sandbox_catalog.sku(product["Id"], "S-2")
    await call(c, "POST", f"{SKU}/{one['Id']}/ean/E1")
    await call(c, "POST", f"{SKU}/{two['Id']}/ean/E1", expect=409)
    await call(c, "DELETE", f"{SKU}/{one['Id']}/ean/E1")
    await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitbyean/E1", expect=404)
    await call(c, "POST", f"{SKU}/{two['Id']}/ean/E1")
    assert (await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitbyean/E1"))["Id"] == two["Id"]
    await call(c, "DELETE", f"{SKU}/{two['Id']}/ean")
    await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitbyean/E1", expect=404)

    await call(c, "DELETE", f"{SKU}/{one['Id']}/file")
    assert await call(c, "GET", f"{SKU}/{one['Id']}/file") == []
    context = await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitbyid/{one['Id']}")
    assert context["Images"] == [] and context["ImageUrl"] == ""
    assert len(await call(c, "GET", f"{SKU}/{two['Id']}/file")) == 1


async def _client(app: Starlette) -> httpx.AsyncClient:
    headers = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://shop.vtexcommercestable.com.br",
        headers=headers,
    )


DIMS = {"PackagedHeight": 1, "PackagedLength": 1, "PackagedWidth": 1, "PackagedWeightKg": 1}


async def test_state_file_restart_answers_lookups_and_keeps_them_current(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.db"
    first = create_app(SandboxOptions(state=state))
    async with await _client(first) as c:
        category = await call(c, "POST", f"{PVT}/category", {"Name": "Shoes"})
        await call(c, "POST", f"{PVT}/brand", {"Id": 1, "Name": "Acme"})
        product = await call(
            c, "POST", f"{PVT}/product", {"Name": "P", "CategoryId": category["Id"], "BrandId": 1}
        )
        body = {"ProductId": product["Id"], "Name": "S", "RefId": "S-1", **DIMS}
        sku = await call(c, "POST", SKU, body)
        await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/S-1")  # index built, then restart
    first.state.sandbox.store.close()

    second = create_app(SandboxOptions(state=state))
    async with await _client(second) as c:
        assert await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/S-1") == str(sku["Id"])
        await call(c, "PUT", f"{SKU}/{sku['Id']}", {**body, "RefId": "S-2"})
        await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/S-1", expect=404)
        again = await call(c, "POST", SKU, body)  # S-1 is free again
        await call(c, "POST", SKU, {**body, "RefId": "S-2"}, expect=409)
        assert await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitids") == [sku["Id"], again["Id"]]
    second.state.sandbox.store.close()


async def test_admin_reset_empties_the_lookups(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    c = sandbox_client
    product = await new_product(sandbox_catalog, "P-1")
    await sandbox_catalog.sku(product["Id"], "S-1")
    await call(c, "POST", "/_sandbox/reset")
    await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/S-1", expect=404)
    await call(c, "GET", f"{SYS}/pvt/products/productgetbyrefid/P-1", expect=404)
    product = await new_product(sandbox_catalog, "P-1")  # no 409: the RefId index was reset too
    sku = await sandbox_catalog.sku(product["Id"], "S-1")
    assert await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/S-1") == str(sku["Id"])
    assert await call(c, "GET", f"{SYS}/pvt/sku/stockkeepingunitids") == [sku["Id"]]
