"""Catalog answers assembled from several tables: SKU-and-context and the SKUs of a product.

``GET /api/catalog_system/pvt/sku/stockkeepingunitbyid/{skuId}`` (and ``stockkeepingunitbyean``)
answers the SKU with its product, brand, category chain, files, EANs and specifications;
``?sc=N`` answers 404 when the product is not in trade policy N.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules.catalog import slugify
from vtexbridge.sandbox.rules.catalog_images import files
from vtexbridge.sandbox.rules.catalog_products import eans, store_ids
from vtexbridge.sandbox.rules.catalog_tables import Doc, find
from vtexbridge.sandbox.rules.catalog_taxonomy import category_chain

if TYPE_CHECKING:
    from vtexbridge.sandbox.context import SandboxContext


def sku_by_product_view(sku: Mapping[str, Any], position: int, updated: str) -> dict[str, Any]:
    """One item of ``GET /api/catalog_system/pvt/sku/stockkeepingunitByProductId/{productId}``."""
    return {
        "IsPersisted": True,
        "IsRemoved": False,
        "Id": sku["Id"],
        "ProductId": sku["ProductId"],
        "IsActive": sku["IsActive"],
        "Name": sku["Name"],
        "Height": sku["PackagedHeight"],
        "RealHeight": sku["Height"] or None,
        "Width": sku["PackagedWidth"],
        "RealWidth": sku["Width"] or None,
        "Length": sku["PackagedLength"],
        "RealLength": sku["Length"] or None,
        "WeightKg": sku["PackagedWeightKg"],
        "RealWeightKg": sku["WeightKg"] or None,
        "ModalId": 1,
        "RefId": sku["RefId"],
        "CubicWeight": sku["CubicWeight"],
        "IsKit": sku["IsKit"],
        "IsDynamicKit": None,
        "InternalNote": None,
        "DateUpdated": updated,
        "RewardValue": sku["RewardValue"],
        "CommercialConditionId": sku["CommercialConditionId"],
        "EstimatedDateArrival": sku["EstimatedDateArrival"],
        "FlagKitItensSellApart": sku["KitItensSellApart"],
        "ManufacturerCode": sku["ManufacturerCode"],
        "ReferenceStockKeepingUnitId": None,
        "Position": position,
        "ActivateIfPossible": sku["ActivateIfPossible"],
        "MeasurementUnit": sku["MeasurementUnit"],
        "UnitMultiplier": sku["UnitMultiplier"],
        "IsInventoried": None,
        "IsTransported": None,
        "IsGiftCardRecharge": None,
        "ModalType": sku["ModalType"],
        "isKitOptimized": False,
    }


def grouped_specs(
    specs: Iterable[Mapping[str, Any]],
    fields: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Specifications grouped by field, as in the SKU-and-context ``SkuSpecifications``."""
    grouped: dict[int, dict[str, Any]] = {}
    for spec in sorted(specs, key=lambda s: int(s["Id"])):
        field_id = int(spec["FieldId"])
        field = fields.get(str(field_id), {})
        entry = grouped.setdefault(
            field_id,
            {"FieldId": field_id, "FieldName": field.get("Name", ""), "FieldValueIds": [], "FieldValues": []},
        )
        value_id = spec.get("FieldValueId")
        if value_id:
            entry["FieldValueIds"].append(int(value_id))
            entry["FieldValues"].append(values.get(str(value_id), {}).get("Name", spec.get("Text") or ""))
        else:
            entry["FieldValues"].append(spec.get("Text") or "")
    return list(grouped.values())


@dataclass(frozen=True, slots=True)
class SkuContextParts:
    """What the SKU-and-context view is built from (all already loaded by the route)."""

    sku: Mapping[str, Any]
    product: Mapping[str, Any]
    brand: Mapping[str, Any] | None
    categories: Sequence[Mapping[str, Any]]  # root first
    files: Sequence[Mapping[str, Any]]
    eans: list[str]
    sku_specs: list[dict[str, Any]]
    product_specs: list[dict[str, Any]]
    sales_channels: list[int]


def sku_context_view(parts: SkuContextParts) -> dict[str, Any]:
    """``GET /api/catalog_system/pvt/sku/stockkeepingunitbyid/{skuId}`` (also ``stockkeepingunitbyean``)."""
    images = sorted(parts.files, key=lambda f: (not f.get("IsMain"), f.get("Position", 0), f["Id"]))
    return {**_names_and_sizes(parts, images), **_links(parts, images), **_clusters_and_flags(parts)}


def _category_path(categories: Sequence[Mapping[str, Any]]) -> str:
    return "/" + "/".join(str(c["Id"]) for c in categories) + "/" if categories else "/"


def _names_and_sizes(parts: SkuContextParts, images: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    sku, product = parts.sku, parts.product
    return {
        "Id": sku["Id"],
        "ProductId": product["Id"],
        "NameComplete": f"{product['Name']} {sku['Name']}".strip(),
        "ComplementName": "",
        "ProductName": product["Name"],
        "ProductDescription": product.get("Description", ""),
        "ProductRefId": product.get("RefId", ""),
        "TaxCode": product.get("TaxCode", ""),
        "SkuName": sku["Name"],
        "IsActive": sku["IsActive"],
        "IsTransported": True,
        "IsInventoried": True,
        "IsGiftCardRecharge": False,
        "ImageUrl": images[0]["Url"] if images else "",
        "DetailUrl": f"/{product.get('LinkId') or slugify(product['Name'])}/p",
        "CSCIdentification": None,
        "BrandId": str(product.get("BrandId", "")),
        "BrandName": parts.brand["Name"] if parts.brand else "",
        "IsBrandActive": bool(parts.brand and parts.brand.get("Active", True)),
        "Dimension": {
            "cubicweight": sku["CubicWeight"],
            "height": sku["PackagedHeight"],
            "length": sku["PackagedLength"],
            "weight": sku["PackagedWeightKg"],
            "width": sku["PackagedWidth"],
        },
        "RealDimension": {
            "realCubicWeight": sku["CubicWeight"],
            "realHeight": sku["Height"],
            "realLength": sku["Length"],
            "realWeight": sku["WeightKg"],
            "realWidth": sku["Width"],
        },
    }


def _links(parts: SkuContextParts, images: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    sku, categories = parts.sku, parts.categories
    return {
        "ManufacturerCode": sku["ManufacturerCode"],
        "IsKit": sku["IsKit"],
        "KitItems": [],
        "Services": [],
        "Categories": [_category_path(categories)] if categories else [],
        "CategoriesFullPath": [_category_path(categories[: i + 1]) for i in reversed(range(len(categories)))],
        "Attachments": [],
        "Collections": [],
        "SkuSellers": [
            {
                "SellerId": "1",
                "StockKeepingUnitId": sku["Id"],
                "SellerStockKeepingUnitId": str(sku["Id"]),
                "IsActive": True,
                "FreightCommissionPercentage": 0,
                "ProductCommissionPercentage": 0,
            }
        ],
        "SalesChannels": parts.sales_channels,
        "Images": [{"ImageUrl": f["Url"], "ImageName": f.get("Name"), "FileId": f["Id"]} for f in images],
        "Videos": sku.get("Videos", []),
        "SkuSpecifications": parts.sku_specs,
        "ProductSpecifications": parts.product_specs,
    }


def _clusters_and_flags(parts: SkuContextParts) -> dict[str, Any]:
    sku, product = parts.sku, parts.product
    category = parts.categories[-1] if parts.categories else None
    return {
        "ProductClustersIds": "",
        "PositionsInClusters": {},
        "ProductClusterNames": {},
        "ProductClusterHighlights": {},
        "ProductCategoryIds": _category_path(parts.categories),
        "IsDirectCategoryActive": bool(category and category.get("IsActive", True)),
        "ProductGlobalCategoryId": (category or {}).get("GlobalCategoryId") or None,
        "ProductCategories": {str(c["Id"]): c["Name"] for c in reversed(parts.categories)},
        "CommercialConditionId": sku["CommercialConditionId"],
        "RewardValue": sku["RewardValue"],
        "AlternateIds": {"Ean": parts.eans[0] if parts.eans else "", "RefId": sku["RefId"]},
        "AlternateIdValues": [*parts.eans, *([sku["RefId"]] if sku["RefId"] else [])],
        "EstimatedDateArrival": sku["EstimatedDateArrival"],
        "MeasurementUnit": sku["MeasurementUnit"],
        "UnitMultiplier": sku["UnitMultiplier"],
        "InformationSource": None,
        "ModalType": sku["ModalType"],
        "KeyWords": product.get("KeyWords") or None,
        "ReleaseDate": product.get("ReleaseDate") or None,
        "ProductIsVisible": bool(product.get("IsVisible", True)),
        "ShowIfNotAvailable": bool(product.get("ShowWithoutStock", True)),
        "IsProductActive": bool(product.get("IsActive", True)),
        "ProductFinalScore": int(product.get("Score") or 0),
    }


def sku_context(ctx: SandboxContext, sku: Doc, sc: str | None) -> dict[str, Any]:
    """:func:`sku_context_view` of a stored SKU; 404 when its product is missing or not in policy ``sc``."""
    product = ctx.table("product").get(str(sku["ProductId"]))
    if product is None:
        raise RuleError(404, "SKU not found.")
    channels = store_ids(ctx, int(product["Id"]))
    if sc and (not sc.isdigit() or int(sc) not in channels):
        raise RuleError(404, f"SKU not found in trade policy {sc}.")
    fields, values = ctx.table("specfield"), ctx.table("specvalue")
    parts = SkuContextParts(
        sku=sku,
        product=product,
        brand=ctx.table("brand").get(str(product["BrandId"])),
        categories=category_chain(ctx.table("category"), int(product["CategoryId"])),
        files=files(ctx, int(sku["Id"])),
        eans=eans(ctx, int(sku["Id"])),
        sku_specs=grouped_specs(find(ctx, ix.SKUSPEC_BY_SKU, sku["Id"]), fields, values),
        product_specs=grouped_specs(find(ctx, ix.PRODUCTSPEC_BY_PRODUCT, product["Id"]), fields, values),
        sales_channels=channels,
    )
    return sku_context_view(parts)
