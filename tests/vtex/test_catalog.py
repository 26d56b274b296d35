"""CatalogAPI: each method sends VTEX's method, URL, query and body, and reads the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from tests.vtex.client_cases import Case, run_case
from vtexbridge.errors import RecordRef
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.errors import BadRequest, NotFound
from vtexbridge.vtex.models.catalog import (
    BrandCreate,
    BrandUpdate,
    CategoryCreate,
    CategoryUpdate,
    FieldType,
    ProductCreate,
    ProductSpecificationCreate,
    ProductUpdate,
    SkuCreate,
    SkuFileCreate,
    SkuFileUpdate,
    SkuSpecificationCreate,
    SkuSpecificationUpdate,
    SkuUpdate,
    SpecificationFieldCreate,
    SpecificationFieldUpdate,
    SpecificationGroupCreate,
    SpecificationGroupUpdate,
    SpecificationValueCreate,
    SpecificationValueUpdate,
)
from vtexbridge.vtex.settings import VtexSettings

STORE = "https://acme.vtexcommercestable.com.br"

CATEGORY_FIELDS: dict[str, Any] = {
    "Name": "Shoes",
    "Keywords": "shoes, sneakers",
    "Title": "Shoes",
    "Description": "Every shoe",
    "FatherCategoryId": None,
    "GlobalCategoryId": 0,
    "ShowInStoreFront": True,
    "IsActive": True,
    "ActiveStoreFrontLink": True,
    "ShowBrandFilter": True,
    "StockKeepingUnitSelectionMode": "SPECIFICATION",
}
SPEC_FIELD_UPDATE: dict[str, Any] = {
    "FieldTypeId": 5,
    "CategoryId": 7,
    "FieldGroupId": 3,
    "Name": "Colour",
    "Description": "",
    "Position": 1,
    "IsFilter": True,
    "IsRequired": False,
    "IsOnProductDetails": True,
    "IsStockKeepingUnit": True,
    "IsWizard": False,
    "IsActive": True,
    "IsTopMenuLinkActive": False,
    "IsSideMenuLinkActive": False,
    "DefaultValue": "",
}
SKU_FIELDS: dict[str, Any] = {
    "ProductId": 42,
    "Name": "Runner 42 EU",
    "RefId": "ERP-SKU-1",
    "PackagedHeight": 12.5,
    "PackagedLength": 30.0,
    "PackagedWidth": 20.0,
    "PackagedWeightKg": 800,
}
SKU_ANSWER = {"Id": 310, **SKU_FIELDS, "IsActive": False, "NewVtexField": "kept"}
IMAGE = {"Name": "front", "Url": "https://cdn.example.com/img/front.jpg", "IsMain": True}
FILE_ANSWER = {"Id": 5, "ArchiveId": 99, "SkuId": 310, "Name": "front", "IsMain": True, "Url": "x"}


CASES = [
    Case(
        "create_category",
        lambda c: c.catalog.create_category(CategoryCreate(Id=7, **CATEGORY_FIELDS)),
        "POST",
        "/api/catalog/pvt/category",
        # VTEX requires the legacy keys (null allowed): they are sent even when not given.
        body={
            "Id": 7,
            **CATEGORY_FIELDS,
            "AdWordsRemarketingCode": None,
            "LomadeeCampaignCode": None,
            "Score": None,
        },
        answer={"Id": 7, "Name": "Shoes", "TreePath": ["Shoes"]},
        check=lambda r: r.Id == 7 and r.TreePath == ["Shoes"],
    ),
    Case(
        "update_category",
        lambda c: c.catalog.update_category(7, CategoryUpdate(Score=3, **CATEGORY_FIELDS)),
        "PUT",
        "/api/catalog/pvt/category/7",
        body={**CATEGORY_FIELDS, "Score": 3, "AdWordsRemarketingCode": None, "LomadeeCampaignCode": None},
        answer={"Id": 7, "Name": "Shoes"},
        check=lambda r: r.Name == "Shoes",
    ),
    Case(
        "get_category",
        lambda c: c.catalog.get_category(7),
        "GET",
        "/api/catalog/pvt/category/7",
        answer={"Id": 7, "Name": "Shoes", "FatherCategoryId": 1, "HasChildren": False},
        check=lambda r: r.FatherCategoryId == 1 and r.HasChildren is False,
    ),
    Case(
        "get_category_tree",
        lambda c: c.catalog.get_category_tree(2),
        "GET",
        "/api/catalog_system/pub/category/tree/2",
        answer=[
            {
                "id": 1,
                "name": "Men",
                "hasChildren": True,
                "url": "https://x/men",
                "children": [{"id": 7, "name": "Shoes", "hasChildren": False, "url": "u", "children": []}],
            }
        ],
        check=lambda r: r[0].children[0].id == 7,
    ),
    Case(
        "create_brand",
        lambda c: c.catalog.create_brand(BrandCreate(Id=2000001, Name="Acme", Active=True)),
        "POST",
        "/api/catalog/pvt/brand",
        body={"Id": 2000001, "Name": "Acme", "Active": True},
        answer={"Id": 2000001, "Name": "Acme", "Active": True},
        check=lambda r: r.Id == 2000001,
    ),
    Case(
        "update_brand",
        lambda c: c.catalog.update_brand(2000001, BrandUpdate(Id=2000001, Name="Acme Co", Active=False)),
        "PUT",
        "/api/catalog/pvt/brand/2000001",
        body={"Id": 2000001, "Name": "Acme Co", "Active": False},
        answer={"Id": 2000001, "Name": "Acme Co"},
        check=lambda r: r.Name == "Acme Co",
    ),
    Case(
        "get_brand",
        lambda c: c.catalog.get_brand(2000001),
        "GET",
        "/api/catalog/pvt/brand/2000001",
        answer={"Id": 2000001, "Name": "Acme", "LinkId": None},
        check=lambda r: r.LinkId is None,
    ),
    Case(
        "list_brands",
        lambda c: c.catalog.list_brands(page=2, page_size=50),
        "GET",
        "/api/catalog_system/pvt/brand/pagedlist",
        query={"page": "2", "pageSize": "50"},
        answer={
            "items": [{"id": 1, "name": "Acme", "isActive": True}],
            "paging": {"page": 2, "perPage": 50, "total": 51, "pages": 2},
        },
        check=lambda r: r.items[0].name == "Acme" and r.paging.total == 51,
    ),
    Case(
        "create_specification_group",
        lambda c: c.catalog.create_specification_group(SpecificationGroupCreate(CategoryId=7, Name="Tech")),
        "POST",
        "/api/catalog/pvt/specificationgroup",
        body={"CategoryId": 7, "Name": "Tech"},
        answer={"Id": 3, "CategoryId": 7, "Name": "Tech", "Position": 1},
        check=lambda r: r.Id == 3,
    ),
    Case(
        "update_specification_group",
        lambda c: c.catalog.update_specification_group(
            3, SpecificationGroupUpdate(CategoryId=7, Id=3, Name="Technical", Position=2)
        ),
        "PUT",
        "/api/catalog/pvt/specificationgroup/3",
        body={"CategoryId": 7, "Id": 3, "Name": "Technical", "Position": 2},
        answer={"Id": 3, "CategoryId": 7, "Name": "Technical", "Position": 2},
        check=lambda r: r.Position == 2,
    ),
    Case(
        "get_specification_group",
        lambda c: c.catalog.get_specification_group(3),
        "GET",
        "/api/catalog_system/pub/specification/groupGet/3",
        answer={"Id": 3, "CategoryId": 7, "Name": "Tech", "Position": None},
        check=lambda r: r.Name == "Tech",
    ),
    Case(
        "list_specification_groups",
        lambda c: c.catalog.list_specification_groups(7),
        "GET",
        "/api/catalog_system/pvt/specification/groupbycategory/7",
        answer=[{"Id": 3, "CategoryId": 7, "Name": "Tech", "Position": 1}],
        check=lambda r: [g.Id for g in r] == [3],
    ),
    Case(
        "create_specification_field",
        lambda c: c.catalog.create_specification_field(
            SpecificationFieldCreate(FieldTypeId=FieldType.COMBO, CategoryId=7, FieldGroupId=3, Name="Colour")
        ),
        "POST",
        "/api/catalog/pvt/specification",
        body={"FieldTypeId": 5, "CategoryId": 7, "FieldGroupId": 3, "Name": "Colour"},
        answer={"Id": 20, "FieldTypeId": 5, "Name": "Colour"},
        check=lambda r: r.Id == 20,
    ),
    Case(
        "update_specification_field",
        lambda c: c.catalog.update_specification_field(20, SpecificationFieldUpdate(**SPEC_FIELD_UPDATE)),
        "PUT",
        "/api/catalog/pvt/specification/20",
        body=SPEC_FIELD_UPDATE,
        answer={"Id": 20, "Name": "Colour"},
        check=lambda r: r.Id == 20,
    ),
    Case(
        "get_specification_field",
        lambda c: c.catalog.get_specification_field(20),
        "GET",
        "/api/catalog/pvt/specification/20",
        answer={"Id": 20, "Name": "Colour", "DefaultValue": None},
        check=lambda r: r.Name == "Colour",
    ),
    Case(
        "create_specification_value",
        lambda c: c.catalog.create_specification_value(SpecificationValueCreate(FieldId=20, Name="Red")),
        "POST",
        "/api/catalog/pvt/specificationvalue",
        body={"FieldId": 20, "Name": "Red"},
        answer={"FieldValueId": 101, "FieldId": 20, "Name": "Red"},
        check=lambda r: r.FieldValueId == 101,
    ),
    Case(
        "update_specification_value",
        lambda c: c.catalog.update_specification_value(
            101, SpecificationValueUpdate(FieldId=20, Name="Crimson", IsActive=True, Position=2)
        ),
        "PUT",
        "/api/catalog/pvt/specificationvalue/101",
        body={"FieldId": 20, "Name": "Crimson", "IsActive": True, "Position": 2},
        answer={"FieldValueId": 101, "FieldId": 20, "Name": "Crimson"},
        check=lambda r: r.Name == "Crimson",
    ),
    Case(
        "get_specification_value",
        lambda c: c.catalog.get_specification_value(101),
        "GET",
        "/api/catalog/pvt/specificationvalue/101",
        answer={"FieldValueId": 101, "FieldId": 20, "Name": "Red", "Text": None},
        check=lambda r: r.FieldId == 20,
    ),
    Case(
        "list_category_specification_fields",
        lambda c: c.catalog.list_category_specification_fields(7),
        "GET",
        "/api/catalog_system/pub/specification/field/listByCategoryId/7",
        answer=[
            {"Name": "Colour", "CategoryId": 7, "FieldId": 33, "IsActive": True, "IsStockKeepingUnit": True},
            {
                "Name": "Fabric",
                "CategoryId": 7,
                "FieldId": 34,
                "IsActive": False,
                "IsStockKeepingUnit": False,
            },
        ],
        check=lambda r: (
            [(f.FieldId, f.Name, f.IsStockKeepingUnit) for f in r]
            == [(33, "Colour", True), (34, "Fabric", False)]
        ),
    ),
    Case(
        "list_specification_values",
        lambda c: c.catalog.list_specification_values(20),
        "GET",
        "/api/catalog_system/pub/specification/fieldvalue/20",
        answer=[{"FieldValueId": 101, "Value": "Red", "IsActive": True, "Position": 1}],
        check=lambda r: r[0].Value == "Red",
    ),
    Case(
        "create_product",
        lambda c: c.catalog.create_product(
            ProductCreate(Name="Runner", CategoryId=7, BrandId=2000001, RefId="ERP-P-1", IsVisible=True)
        ),
        "POST",
        "/api/catalog/pvt/product",
        body={"Name": "Runner", "CategoryId": 7, "BrandId": 2000001, "RefId": "ERP-P-1", "IsVisible": True},
        answer={"Id": 42, "Name": "Runner", "RefId": "ERP-P-1"},
        check=lambda r: r.Id == 42,
    ),
    Case(
        "update_product",
        lambda c: c.catalog.update_product(
            42, ProductUpdate(Name="Runner 2", CategoryId=7, BrandId=2000001, IsActive=True)
        ),
        "PUT",
        "/api/catalog/pvt/product/42",
        body={"Name": "Runner 2", "CategoryId": 7, "BrandId": 2000001, "IsActive": True},
        answer={"Id": 42, "Name": "Runner 2"},
        check=lambda r: r.Name == "Runner 2",
    ),
    Case(
        "get_product",
        lambda c: c.catalog.get_product(42),
        "GET",
        "/api/catalog/pvt/product/42",
        answer={"Id": 42, "Name": "Runner", "BrandId": 2000001},
        check=lambda r: r.BrandId == 2000001,
    ),
    Case(
        "get_product_by_ref_id",
        lambda c: c.catalog.get_product_by_ref_id("ERP-P-1"),
        "GET",
        "/api/catalog_system/pvt/products/productgetbyrefid/ERP-P-1",
        answer={"Id": 42, "Name": "Runner", "ListStoreId": [1, 2]},
        check=lambda r: r.Id == 42 and r.ListStoreId == [1, 2],
    ),
    Case(
        "create_product_specification",
        lambda c: c.catalog.create_product_specification(
            42, ProductSpecificationCreate(FieldId=20, FieldValueId=101)
        ),
        "POST",
        "/api/catalog/pvt/product/42/specification",
        body={"FieldId": 20, "FieldValueId": 101},
        answer={"Id": 9, "ProductId": 42, "FieldId": 20, "FieldValueId": 101, "Text": "Red"},
        check=lambda r: r.Id == 9,
    ),
    Case(
        "list_product_specifications",
        lambda c: c.catalog.list_product_specifications(42),
        "GET",
        "/api/catalog/pvt/product/42/specification",
        answer=[{"Id": 9, "ProductId": 42, "FieldId": 20, "FieldValueId": 101, "Text": "Red"}],
        check=lambda r: r[0].FieldValueId == 101,
    ),
    Case(
        "delete_product_specification",
        lambda c: c.catalog.delete_product_specification(42, 9),
        "DELETE",
        "/api/catalog/pvt/product/42/specification/9",
    ),
    Case(
        "add_product_trade_policy",
        lambda c: c.catalog.add_product_trade_policy(42, 1),
        "POST",
        "/api/catalog/pvt/product/42/salespolicy/1",
    ),
    Case(
        "remove_product_trade_policy",
        lambda c: c.catalog.remove_product_trade_policy(42, 2),
        "DELETE",
        "/api/catalog/pvt/product/42/salespolicy/2",
    ),
    Case(
        "list_product_trade_policies",
        lambda c: c.catalog.list_product_trade_policies(42),
        "GET",
        "/api/catalog/pvt/product/42/salespolicy",
        answer=[{"ProductId": 42, "StoreId": 1}],
        check=lambda r: r[0].StoreId == 1,
    ),
    Case(
        "list_trade_policies",
        lambda c: c.catalog.list_trade_policies(),
        "GET",
        "/api/catalog_system/pvt/saleschannel/list",
        answer=[{"Id": 1, "Name": "Main", "IsActive": True, "CurrencyCode": "EUR"}],
        check=lambda r: r[0].CurrencyCode == "EUR",
    ),
    Case(
        "create_sku",
        lambda c: c.skus.create_sku(SkuCreate(ActivateIfPossible=True, **SKU_FIELDS)),
        "POST",
        "/api/catalog/pvt/stockkeepingunit",
        body={**SKU_FIELDS, "ActivateIfPossible": True},
        answer=SKU_ANSWER,
        check=lambda r: r.Id == 310 and r.model_extra == {"NewVtexField": "kept"},
    ),
    Case(
        "update_sku",
        lambda c: c.skus.update_sku(310, SkuUpdate(IsActive=True, **SKU_FIELDS)),
        "PUT",
        "/api/catalog/pvt/stockkeepingunit/310",
        body={**SKU_FIELDS, "IsActive": True},
        answer=SKU_ANSWER,
        check=lambda r: r.Id == 310,
    ),
    Case(
        "get_sku",
        lambda c: c.skus.get_sku(310),
        "GET",
        "/api/catalog/pvt/stockkeepingunit/310",
        answer=SKU_ANSWER,
        check=lambda r: r.RefId == "ERP-SKU-1" and r.PackagedWeightKg == 800,
    ),
    Case(
        "get_sku_id_by_ref_id",
        lambda c: c.skus.get_sku_id_by_ref_id("ERP-SKU-1"),
        "GET",
        "/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/ERP-SKU-1",
        answer="310",
        check=lambda r: r == 310,
    ),
    Case(
        "get_sku_ids_by_ref_ids",
        lambda c: c.skus.get_sku_ids_by_ref_ids(["ERP-SKU-1", "ERP-SKU-2"]),
        "POST",
        "/api/catalog_system/pub/sku/stockkeepingunitidsbyrefids",
        body=["ERP-SKU-1", "ERP-SKU-2"],
        answer={"ERP-SKU-1": "310", "ERP-SKU-2": None},
        check=lambda r: r == {"ERP-SKU-1": 310},
    ),
    Case(
        "get_sku_id_by_ean",
        lambda c: c.skus.get_sku_id_by_ean("7891234567895"),
        "GET",
        "/api/catalog_system/pvt/sku/stockkeepingunitbyean/7891234567895",
        answer={"Id": 310},
        check=lambda r: r == 310,
    ),
    Case(
        "get_sku_by_ref_id",
        lambda c: c.skus.get_sku_by_ref_id("ERP-SKU-1"),
        "GET",
        "/api/catalog/pvt/stockkeepingunit",
        query={"RefId": "ERP-SKU-1"},
        answer=SKU_ANSWER,
        check=lambda r: r.Id == 310,
    ),
    Case(
        "list_sku_ids",
        lambda c: c.skus.list_sku_ids(page=3, page_size=1000),
        "GET",
        "/api/catalog_system/pvt/sku/stockkeepingunitids",
        query={"page": "3", "pagesize": "1000"},
        answer=[310, 311],
        check=lambda r: r == [310, 311],
    ),
    Case(
        "list_skus_of_product",
        lambda c: c.skus.list_skus_of_product(42),
        "GET",
        "/api/catalog_system/pvt/sku/stockkeepingunitByProductId/42",
        answer=[{"Id": 310, "ProductId": 42, "RefId": "ERP-SKU-1", "IsPersisted": True}],
        check=lambda r: r[0].Id == 310,
    ),
    Case(
        "create_sku_specification",
        lambda c: c.skus.create_sku_specification(310, SkuSpecificationCreate(FieldId=20, FieldValueId=101)),
        "POST",
        "/api/catalog/pvt/stockkeepingunit/310/specification",
        body={"FieldId": 20, "FieldValueId": 101},
        answer={"Id": 8, "SkuId": 310, "FieldId": 20, "FieldValueId": 101, "Text": "Red"},
        check=lambda r: r.Id == 8,
    ),
    Case(
        "update_sku_specification",
        lambda c: c.skus.update_sku_specification(
            310, SkuSpecificationUpdate(Id=8, FieldId=20, FieldValueId=102)
        ),
        "PUT",
        "/api/catalog/pvt/stockkeepingunit/310/specification",
        body={"Id": 8, "FieldId": 20, "FieldValueId": 102},
        answer=[{"Id": 8, "SkuId": 310, "FieldId": 20, "FieldValueId": 102}],
        check=lambda r: r[0].FieldValueId == 102,
    ),
    Case(
        "list_sku_specifications",
        lambda c: c.skus.list_sku_specifications(310),
        "GET",
        "/api/catalog/pvt/stockkeepingunit/310/specification",
        answer=[{"Id": 8, "SkuId": 310, "FieldId": 20, "FieldValueId": 101}],
        check=lambda r: len(r) == 1,
    ),
    Case(
        "delete_sku_specification",
        lambda c: c.skus.delete_sku_specification(310, 8),
        "DELETE",
        "/api/catalog/pvt/stockkeepingunit/310/specification/8",
    ),
    Case(
        "create_sku_file",
        lambda c: c.skus.create_sku_file(310, SkuFileCreate(**IMAGE)),
        "POST",
        "/api/catalog/pvt/stockkeepingunit/310/file",
        body=IMAGE,
        answer=FILE_ANSWER,
        check=lambda r: r.Id == 5 and r.ArchiveId == 99,
    ),
    Case(
        "update_sku_file",
        lambda c: c.skus.update_sku_file(310, 5, SkuFileUpdate(**{**IMAGE, "Position": 2})),
        "PUT",
        "/api/catalog/pvt/stockkeepingunit/310/file/5",
        body={**IMAGE, "Position": 2},
        answer=[FILE_ANSWER],
        check=lambda r: r.Id == 5,
    ),
    Case(
        "delete_sku_file",
        lambda c: c.skus.delete_sku_file(310, 5),
        "DELETE",
        "/api/catalog/pvt/stockkeepingunit/310/file/5",
    ),
    Case(
        "list_sku_files",
        lambda c: c.skus.list_sku_files(310),
        "GET",
        "/api/catalog/pvt/stockkeepingunit/310/file",
        answer=[FILE_ANSWER],
        check=lambda r: [f.Id for f in r] == [5],
    ),
    Case(
        "add_sku_ean",
        lambda c: c.skus.add_sku_ean(310, "7891234567895"),
        "POST",
        "/api/catalog/pvt/stockkeepingunit/310/ean/7891234567895",
    ),
    Case(
        "delete_sku_ean",
        lambda c: c.skus.delete_sku_ean(310, "7891234567895"),
        "DELETE",
        "/api/catalog/pvt/stockkeepingunit/310/ean/7891234567895",
    ),
    Case(
        "list_sku_eans",
        lambda c: c.skus.list_sku_eans(310),
        "GET",
        "/api/catalog/pvt/stockkeepingunit/310/ean",
        answer=["7891234567895"],
        check=lambda r: r == ["7891234567895"],
    ),
    Case(
        "notify_seller_sku_change",
        lambda c: c.skus.notify_seller_sku_change("seller1", "S-1"),
        "POST",
        "/api/catalog_system/pvt/skuseller/changenotification/seller1/S-1",
        status=204,
        check=lambda r: r is True,
    ),
    Case(
        "notify_sku_change",
        lambda c: c.skus.notify_sku_change("S-1"),
        "POST",
        "/api/catalog_system/pvt/skuseller/changenotification/S-1",
        check=lambda r: r is True,
    ),
]


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=STORE, assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_method_sends_vtex_request_and_reads_answer(
    case: Case, mock: respx.MockRouter, vtex: VtexClient
) -> None:
    await run_case(case, mock, vtex)


def test_every_public_method_has_a_case() -> None:
    client = VtexClient.from_settings(VtexSettings())
    public = {n for api in (client.catalog, client.skus) for n in dir(api) if not n.startswith("_")}
    assert public - {"iter_sku_ids"} == {c.name for c in CASES}


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (
            lambda c: c.skus.get_sku_id_by_ref_id("NOPE"),
            "/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/NOPE",
        ),
        (lambda c: c.skus.get_sku_by_ref_id("NOPE"), "/api/catalog/pvt/stockkeepingunit"),
        (
            lambda c: c.catalog.get_product_by_ref_id("NOPE"),
            "/api/catalog_system/pvt/products/productgetbyrefid/NOPE",
        ),
    ],
    ids=["sku_id", "sku", "product"],
)
async def test_ref_id_lookup_of_unknown_entity_is_none(
    call: Callable[[VtexClient], Awaitable[Any]], path: str, mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.get(path).mock(return_value=httpx.Response(404, json={"Message": "not found"}))
    assert await call(vtex) is None


async def test_ref_id_lookups_answered_with_null_are_none(mock: respx.MockRouter, vtex: VtexClient) -> None:
    mock.get("/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/X").mock(
        return_value=httpx.Response(200, json=None)
    )
    mock.get("/api/catalog_system/pvt/products/productgetbyrefid/X").mock(
        return_value=httpx.Response(200, content=b"")
    )
    assert await vtex.skus.get_sku_id_by_ref_id("X") is None
    assert await vtex.catalog.get_product_by_ref_id("X") is None


async def test_ref_id_is_escaped_in_the_path(mock: respx.MockRouter, vtex: VtexClient) -> None:
    route = mock.get(url__regex=r".*/stockkeepingunitidbyrefid/.*").mock(
        return_value=httpx.Response(200, json=5)
    )
    assert await vtex.skus.get_sku_id_by_ref_id("A/B 1") == 5
    assert route.calls.last.request.url.raw_path.endswith(b"/stockkeepingunitidbyrefid/A%2FB%201")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.skus.notify_seller_sku_change("seller1", "S-404"),
        lambda c: c.skus.notify_sku_change("S-404"),
    ],
    ids=["seller_sku", "sku"],
)
async def test_change_notification_404_means_send_a_suggestion(
    call: Callable[[VtexClient], Awaitable[bool]], mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.post(url__regex=r".*/changenotification/.*S-404$").mock(
        return_value=httpx.Response(404, text="Seller StockKeepingUnit not found for this seller id")
    )
    assert await call(vtex) is False


async def test_get_by_id_404_raises_not_found_naming_the_record(
    mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.get("/api/catalog/pvt/stockkeepingunit/9").mock(return_value=httpx.Response(404))
    ref = RecordRef("sku", "ERP-SKU-9", source="skus.csv", row=4)
    with pytest.raises(NotFound) as caught:
        await vtex.skus.get_sku(9, record=ref)
    assert caught.value.record == ref
    assert caught.value.route == "/api/catalog/pvt/stockkeepingunit/{skuId}"


async def test_vtex_refusal_of_a_write_carries_the_record(mock: respx.MockRouter, vtex: VtexClient) -> None:
    mock.post("/api/catalog/pvt/stockkeepingunit").mock(
        return_value=httpx.Response(400, json={"Message": "RefId already exists"})
    )
    ref = RecordRef("sku", "ERP-SKU-1")
    with pytest.raises(BadRequest) as caught:
        await vtex.skus.create_sku(SkuCreate(**SKU_FIELDS), record=ref)
    assert caught.value.record == ref
    assert caught.value.vtex_message == "RefId already exists"


async def test_iter_sku_ids_pages_until_a_short_page(mock: respx.MockRouter, vtex: VtexClient) -> None:
    route = mock.get("/api/catalog_system/pvt/sku/stockkeepingunitids").mock(
        side_effect=[httpx.Response(200, json=[1, 2]), httpx.Response(200, json=[3])]
    )
    pages = [page async for page in vtex.skus.iter_sku_ids(page_size=2)]
    assert pages == [[1, 2], [3]]
    assert [dict(c.request.url.params) for c in route.calls] == [
        {"page": "1", "pagesize": "2"},
        {"page": "2", "pagesize": "2"},
    ]


@pytest.mark.parametrize(("page", "page_size"), [(0, 10), (1, 0), (1, 1001)])
async def test_sku_id_pages_are_bounded_before_sending(page: int, page_size: int, vtex: VtexClient) -> None:
    with pytest.raises(ValueError, match="page"):
        await vtex.skus.list_sku_ids(page=page, page_size=page_size)


async def test_sku_file_answer_with_several_files_is_refused(
    mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.post("/api/catalog/pvt/stockkeepingunit/310/file").mock(
        return_value=httpx.Response(200, json=[FILE_ANSWER, {**FILE_ANSWER, "Id": 6}])
    )
    with pytest.raises(ValueError, match="one SKU file"):
        await vtex.skus.create_sku_file(310, SkuFileCreate(**IMAGE))


def test_a_sku_cannot_be_created_active() -> None:
    with pytest.raises(ValidationError, match="IsActive"):
        SkuCreate(IsActive=True, **SKU_FIELDS)


def test_packaged_weight_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="PackagedWeightKg"):
        SkuCreate(**{**SKU_FIELDS, "PackagedWeightKg": 0})


def test_product_needs_one_category_and_one_brand() -> None:
    with pytest.raises(ValidationError, match="exactly one of CategoryId or CategoryPath"):
        ProductCreate(Name="Runner", CategoryId=7, CategoryPath="Men/Shoes", BrandId=1)
    with pytest.raises(ValidationError, match="exactly one of BrandId or BrandName"):
        ProductCreate(Name="Runner", CategoryPath="Men/Shoes")
    body = ProductCreate(Name="Runner", CategoryPath="Men/Shoes", BrandName="Acme").body()
    assert body == {"Name": "Runner", "CategoryPath": "Men/Shoes", "BrandName": "Acme"}


def test_sku_file_url_must_be_an_image_over_http() -> None:
    with pytest.raises(ValidationError, match="Url"):
        SkuFileCreate(Name="x", Url="ftp://cdn/x.jpg")
    with pytest.raises(ValidationError, match="Url"):
        SkuFileCreate(Name="x", Url="https://cdn/x.webp")
    assert SkuFileCreate(Name="x", Url="https://cdn/X.PNG").Url.endswith("PNG")


def test_request_models_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="Nmae"):
        BrandCreate(Id=1, Name="Acme", Nmae="typo")  # type: ignore[call-arg]
