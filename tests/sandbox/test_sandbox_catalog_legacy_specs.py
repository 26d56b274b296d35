"""The legacy specification routes (``/api/catalog_system/pvt/specification/...`` and
``/api/catalog_system/pvt/products/{productId}/specification``), from the Catalog spec's examples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from tests.sandbox.conftest import CatalogBuilder  # tests/sandbox/conftest.py (type hints only)

SPEC = "/api/catalog_system/pvt/specification"


async def _group(client: httpx.AsyncClient, category_id: int) -> dict[str, Any]:
    body = {"CategoryId": category_id, "Name": "Clothes specifications"}
    response = await client.post("/api/catalog/pvt/specificationgroup", json=body)
    assert response.status_code == 200
    group: dict[str, Any] = response.json()
    return group


def _legacy_field(category_id: int, group_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "Name": "Material",
        "CategoryId": category_id,
        "FieldId": 88,
        "IsActive": True,
        "IsRequired": True,
        "FieldTypeId": 1,
        "FieldValueId": 1,
        "IsStockKeepingUnit": False,
        "Description": "Composition of the product.",
        "IsFilter": True,
        "IsOnProductDetails": False,
        "Position": 1,
        "IsWizard": False,
        "IsTopMenuLinkActive": True,
        "IsSideMenuLinkActive": True,
        "DefaultValue": None,
        "FieldGroupId": group_id,
        "FieldGroupName": "Clothes specifications",
        **extra,
    }


async def _new_field(client: httpx.AsyncClient, category_id: int, group_id: int, **extra: Any) -> int:
    response = await client.post(f"{SPEC}/field", json=_legacy_field(category_id, group_id, **extra))
    assert response.status_code == 200, response.text
    field_id: int = response.json()
    return field_id


async def test_legacy_field_create_update_read_back(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category = await sandbox_catalog.category("Shirts")
    group = await _group(sandbox_client, category["Id"])
    created = await sandbox_client.post(f"{SPEC}/field", json=_legacy_field(category["Id"], group["Id"]))
    assert created.status_code == 200, created.text
    field_id = created.json()
    assert isinstance(field_id, int)
    assert field_id != 88  # FieldId of a create body is not a caller-chosen id
    body = _legacy_field(category["Id"], group["Id"], FieldId=field_id, Name="Fabric", DefaultValue="Cotton")
    updated = await sandbox_client.put(f"{SPEC}/field", json=body)
    assert updated.json() == field_id
    read = (await sandbox_client.get(f"/api/catalog_system/pub/specification/fieldGet/{field_id}")).json()
    assert (read["Name"], read["DefaultValue"], read["FieldGroupId"]) == ("Fabric", "Cotton", group["Id"])
    unknown = await sandbox_client.put(f"{SPEC}/field", json={**body, "FieldId": 999})
    assert unknown.status_code == 404
    no_group = await sandbox_client.post(f"{SPEC}/field", json=_legacy_field(category["Id"], 999))
    assert no_group.status_code == 400
    assert "999" in no_group.json()["Message"]


async def test_legacy_field_values(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category = await sandbox_catalog.category("Shirts")
    group = await _group(sandbox_client, category["Id"])
    field_id = await _new_field(sandbox_client, category["Id"], group["Id"], FieldTypeId=5)
    value = {
        "FieldId": field_id,
        "Name": "Cotton",
        "Text": "Cotton fibers",
        "IsActive": True,
        "Position": 100,
    }
    created = (await sandbox_client.post(f"{SPEC}/fieldValue", json=value)).json()
    assert created == {**value, "FieldValueId": created["FieldValueId"]}
    by_name = await sandbox_client.put(f"{SPEC}/fieldValue", json={**value, "Text": "100% cotton"})
    assert by_name.json() == "Field Value Updated"
    by_id = await sandbox_client.put(
        f"{SPEC}/fieldValue",
        json={"FieldValueId": created["FieldValueId"], "FieldId": field_id, "Name": "Cotton", "Position": 3},
    )
    assert by_id.status_code == 200
    read = (await sandbox_client.get(f"{SPEC}/fieldValue/{created['FieldValueId']}")).json()
    assert (read["Text"], read["Position"]) == ("100% cotton", 3)
    missing = await sandbox_client.put(f"{SPEC}/fieldValue", json={**value, "Name": "Silk"})
    assert missing.status_code == 404
    assert (
        await sandbox_client.post(f"{SPEC}/fieldValue", json={**value, "FieldId": 999})
    ).status_code == 400


async def test_product_specification_by_id_or_name_replaces_values(
    sandbox_client: httpx.AsyncClient, sandbox_catalog: CatalogBuilder
) -> None:
    category = await sandbox_catalog.category("Shirts")
    group = await _group(sandbox_client, category["Id"])
    combo = await _new_field(sandbox_client, category["Id"], group["Id"], FieldTypeId=7, Name="Fabric")
    text = await _new_field(sandbox_client, category["Id"], group["Id"], Name="Care")
    brand = await sandbox_catalog.brand()
    product = await sandbox_catalog.product(category["Id"], brand["Id"])
    url = f"/api/catalog_system/pvt/products/{product['Id']}/specification"
    first = [{"Id": combo, "Value": ["Cotton", "Linen"]}, {"Name": "Care", "Value": ["Hand wash"]}]
    assert (await sandbox_client.post(url, json=first)).status_code == 200
    assert (await sandbox_client.get(url)).json() == [
        {"Value": ["Cotton", "Linen"], "Id": combo, "Name": "Fabric"},
        {"Value": ["Hand wash"], "Id": text, "Name": "Care"},
    ]
    assert (await sandbox_client.post(url, json=[{"Name": "Fabric", "Value": ["Silk"]}])).status_code == 200
    specs = {s["Name"]: s["Value"] for s in (await sandbox_client.get(url)).json()}
    assert specs == {"Fabric": ["Silk"], "Care": ["Hand wash"]}
    values = (await sandbox_client.get(f"/api/catalog_system/pub/specification/fieldvalue/{combo}")).json()
    assert [v["Value"] for v in values] == ["Cotton", "Linen", "Silk"]  # created on the way
    unknown = await sandbox_client.post(url, json=[{"Name": "Nope", "Value": ["x"]}])
    assert unknown.status_code == 400
    assert "Nope" in unknown.json()["Message"]
    assert (await sandbox_client.post(url, json={"Id": combo})).status_code == 400
    assert (await sandbox_client.get("/api/catalog_system/pvt/products/999/specification")).status_code == 404
