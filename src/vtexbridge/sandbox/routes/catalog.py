"""Catalog API routes: categories, brands, specifications, products, trade policies, SKUs, files, EANs.

Paths and bodies follow ``VTEX - Catalog API.json``. This module is the route table; the handlers
are in :mod:`.catalog_taxonomy` (categories, brands), :mod:`.catalog_specs` (specifications),
:mod:`.catalog_products` (products, trade policies) and :mod:`.catalog_skus` (SKUs, files, EANs),
and the rules (defaults, ids, RefIds, activation) in ``rules/catalog*.py``. Errors answer in the
Catalog's ``{"Message": ...}`` shape. Store kinds (key = the entity id as a string unless noted):

- ``category``, ``brand``, ``product``, ``sku``: the ``GET /api/catalog/pvt/...`` body;
- ``specgroup`` (``{Id, CategoryId, Name, Position}``), ``specfield`` (the ``/specification/{id}``
  body), ``specvalue`` (``{FieldValueId, FieldId, Name, Text, IsActive, Position}``);
- ``productspec`` (``{Id, ProductId, FieldId, FieldValueId, Text}``), ``skuspec`` (``{Id, SkuId, ...}``),
  ``skufile`` (``{Id, ArchiveId, SkuId, Name, IsMain, Text, Label, Url, FileLocation, Position}``);
- ``salespolicy`` (key ``"{productId}:{tradePolicyId}"``, ``{ProductId, StoreId}``);
- ``skuean`` (key = SKU id, ``{SkuId, Eans: [..]}``); ``saleschannel`` (trade policies; trade policy
  1 always exists even when not stored).

Lookups by anything but the key go through the indexes of :mod:`vtexbridge.sandbox.catalog_index`
(kept up to date by the store on every write), so every route is O(1) or O(children) whatever the
size of the store; they answer in table order, like the scans they replace. Route order matters
(literal paths before ``{id}`` templates) and is kept across the sections below.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.routes import catalog_products as products
from vtexbridge.sandbox.routes import catalog_skus as skus
from vtexbridge.sandbox.routes import catalog_specs as specs
from vtexbridge.sandbox.routes import catalog_taxonomy as taxonomy
from vtexbridge.sandbox.routes.catalog_specs import PRODUCT_SPECS, SKU_SPECS, for_owner

__all__ = ["routes"]

PVT = "/api/catalog/pvt"
SYS = "/api/catalog_system"
SKU = f"{PVT}/stockkeepingunit/{{skuId}}"


def routes() -> list[BaseRoute]:
    return [*_taxonomy(), *_specifications(), *_products(), *_skus()]


def _taxonomy() -> list[BaseRoute]:
    """Categories and brands."""
    return [
        # categories
        Route(f"{PVT}/category", taxonomy.create_category, methods=["POST"]),
        Route(f"{PVT}/category/{{categoryId}}", taxonomy.get_category, methods=["GET"]),
        Route(f"{PVT}/category/{{categoryId}}", taxonomy.update_category, methods=["PUT"]),
        Route(f"{SYS}/pub/category/tree/{{categoryLevels}}", taxonomy.category_tree, methods=["GET"]),
        # brands (literal paths before {brandId})
        Route(f"{PVT}/brand", taxonomy.create_brand, methods=["POST"]),
        Route(f"{PVT}/brand/{{brandId}}", taxonomy.get_brand, methods=["GET"]),
        Route(f"{PVT}/brand/{{brandId}}", taxonomy.update_brand, methods=["PUT"]),
        Route(f"{PVT}/brand/{{brandId}}", taxonomy.delete_brand, methods=["DELETE"]),
        Route(f"{SYS}/pvt/brand/list", taxonomy.list_brands, methods=["GET"]),
        Route(f"{SYS}/pvt/brand/pagedlist", taxonomy.paged_brands, methods=["GET"]),
        Route(f"{SYS}/pvt/brand/{{brandId}}", taxonomy.get_brand_system, methods=["GET"]),
    ]


def _specifications() -> list[BaseRoute]:
    """Specification groups, fields and values."""
    return [
        # specification groups, fields, values
        Route(f"{PVT}/specificationgroup", specs.create_spec_group, methods=["POST"]),
        Route(f"{PVT}/specificationgroup/{{groupId}}", specs.update_spec_group, methods=["PUT"]),
        Route(f"{SYS}/pub/specification/groupGet/{{groupId}}", specs.get_spec_group, methods=["GET"]),
        Route(
            f"{SYS}/pvt/specification/groupbycategory/{{categoryId}}",
            specs.groups_by_category,
            methods=["GET"],
        ),
        Route(f"{PVT}/specification", specs.create_spec_field, methods=["POST"]),
        Route(f"{PVT}/specification/{{specificationId}}", specs.get_spec_field, methods=["GET"]),
        Route(f"{PVT}/specification/{{specificationId}}", specs.update_spec_field, methods=["PUT"]),
        Route(f"{SYS}/pub/specification/fieldGet/{{fieldId}}", specs.get_field_legacy, methods=["GET"]),
        Route(
            f"{SYS}/pub/specification/field/listByCategoryId/{{categoryId}}",
            specs.fields_by_category,
            methods=["GET"],
        ),
        Route(
            f"{SYS}/pub/specification/field/listTreeByCategoryId/{{categoryId}}",
            specs.fields_tree_by_category,
            methods=["GET"],
        ),
        Route(f"{PVT}/specificationvalue", specs.create_spec_value, methods=["POST"]),
        Route(f"{PVT}/specificationvalue/{{specificationValueId}}", specs.get_spec_value, methods=["GET"]),
        Route(f"{PVT}/specificationvalue/{{specificationValueId}}", specs.update_spec_value, methods=["PUT"]),
        Route(f"{SYS}/pub/specification/fieldvalue/{{fieldId}}", specs.values_by_field, methods=["GET"]),
        Route(
            f"{SYS}/pvt/specification/fieldValue/{{fieldValueId}}",
            specs.get_spec_value_legacy,
            methods=["GET"],
        ),
    ]


def _products() -> list[BaseRoute]:
    """Products, their specifications and trade policies."""
    return [
        # products
        Route(f"{PVT}/product", products.create_product, methods=["POST"]),
        Route(f"{PVT}/product/{{productId}}", products.get_product, methods=["GET"]),
        Route(f"{PVT}/product/{{productId}}", products.update_product, methods=["PUT"]),
        Route(f"{SYS}/pvt/products/productget/{{productId}}", products.product_get_system, methods=["GET"]),
        Route(f"{SYS}/pvt/products/productgetbyrefid/{{refId}}", products.product_by_refid, methods=["GET"]),
        Route(
            f"{PVT}/product/{{productId}}/specification",
            for_owner(PRODUCT_SPECS, specs.list_specs),
            methods=["GET"],
        ),
        Route(
            f"{PVT}/product/{{productId}}/specification",
            for_owner(PRODUCT_SPECS, specs.create_spec),
            methods=["POST"],
        ),
        Route(
            f"{PVT}/product/{{productId}}/specification",
            for_owner(PRODUCT_SPECS, specs.delete_specs),
            methods=["DELETE"],
        ),
        Route(
            f"{PVT}/product/{{productId}}/specification/{{specificationId}}",
            for_owner(PRODUCT_SPECS, specs.delete_spec),
            methods=["DELETE"],
        ),
        Route(
            f"{PVT}/product/{{productId}}/specificationvalue",
            for_owner(PRODUCT_SPECS, specs.specs_by_names),
            methods=["PUT"],
        ),
        # trade policies
        Route(f"{PVT}/product/{{productId}}/salespolicy", products.list_product_policies, methods=["GET"]),
        Route(
            f"{PVT}/product/{{productId}}/salespolicy/{{tradepolicyId}}",
            products.add_product_policy,
            methods=["POST"],
        ),
        Route(
            f"{PVT}/product/{{productId}}/salespolicy/{{tradepolicyId}}",
            products.remove_product_policy,
            methods=["DELETE"],
        ),
        Route(f"{SYS}/pvt/saleschannel/list", products.list_sales_channels, methods=["GET"]),
        Route(f"{SYS}/pub/saleschannel/{{salesChannelId}}", products.get_sales_channel, methods=["GET"]),
    ]


def _skus() -> list[BaseRoute]:
    """SKUs, their specifications, files and EANs."""
    return [
        # SKUs
        Route(f"{PVT}/stockkeepingunit", skus.create_sku, methods=["POST"]),
        Route(f"{PVT}/stockkeepingunit", skus.get_sku_by_refid_query, methods=["GET"]),
        Route(SKU, skus.get_sku, methods=["GET"]),
        Route(SKU, skus.update_sku, methods=["PUT"]),
        Route(f"{SYS}/pvt/sku/stockkeepingunitidbyrefid/{{refId}}", skus.sku_id_by_refid, methods=["GET"]),
        Route(f"{SYS}/pub/sku/stockkeepingunitidsbyrefids", skus.sku_ids_by_refids, methods=["POST"]),
        Route(f"{SYS}/pvt/sku/stockkeepingunitids", skus.list_sku_ids, methods=["GET"]),
        Route(
            f"{SYS}/pvt/sku/stockkeepingunitByProductId/{{productId}}", skus.skus_by_product, methods=["GET"]
        ),
        Route(f"{SYS}/pvt/sku/stockkeepingunitbyid/{{skuId}}", skus.sku_and_context, methods=["GET"]),
        Route(f"{SYS}/pvt/sku/stockkeepingunitbyean/{{ean}}", skus.sku_by_ean, methods=["GET"]),
        # SKU specifications
        Route(f"{SKU}/specification", for_owner(SKU_SPECS, specs.list_specs), methods=["GET"]),
        Route(f"{SKU}/specification", for_owner(SKU_SPECS, specs.create_spec), methods=["POST"]),
        Route(f"{SKU}/specification", specs.update_sku_spec, methods=["PUT"]),
        Route(f"{SKU}/specification", for_owner(SKU_SPECS, specs.delete_specs), methods=["DELETE"]),
        Route(
            f"{SKU}/specification/{{specificationId}}",
            for_owner(SKU_SPECS, specs.delete_spec),
            methods=["DELETE"],
        ),
        Route(f"{SKU}/specificationvalue", for_owner(SKU_SPECS, specs.specs_by_names), methods=["PUT"]),
        # SKU files (reorder before {skuFileId})
        Route(f"{SKU}/file", skus.list_sku_files, methods=["GET"]),
        Route(f"{SKU}/file", skus.create_sku_file, methods=["POST"]),
        Route(f"{SKU}/file", skus.delete_sku_files, methods=["DELETE"]),
        Route(f"{SKU}/file/reorder", skus.reorder_sku_files, methods=["PUT"]),
        Route(f"{SKU}/file/{{skuFileId}}", skus.update_sku_file, methods=["PUT"]),
        Route(f"{SKU}/file/{{skuFileId}}", skus.delete_sku_file, methods=["DELETE"]),
        # EANs
        Route(f"{SKU}/ean", skus.list_eans, methods=["GET"]),
        Route(f"{SKU}/ean", skus.delete_eans, methods=["DELETE"]),
        Route(f"{SKU}/ean/{{ean}}", skus.add_ean, methods=["POST"]),
        Route(f"{SKU}/ean/{{ean}}", skus.delete_ean, methods=["DELETE"]),
    ]
