"""Catalog API (``VTEX - Catalog API.json``): categories, brands, specifications, products and trade
policies. The SKUs, their files, EANs and specifications are in :mod:`vtexbridge.vtex.skus`.

Every method is one request: build the body from a model, send it through the transport, read the
answer into a model. Lookups by ``RefId`` answer ``None`` when VTEX knows no such entity.
"""

from __future__ import annotations

from pydantic import TypeAdapter

from vtexbridge.errors import RecordRef
from vtexbridge.vtex.errors import NotFound
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.catalog import (
    Brand,
    BrandCreate,
    BrandPage,
    BrandUpdate,
    Category,
    CategoryCreate,
    CategorySpecification,
    CategoryTreeNode,
    CategoryUpdate,
    FieldValue,
    Product,
    ProductCreate,
    ProductSpecification,
    ProductSpecificationCreate,
    ProductTradePolicy,
    ProductUpdate,
    SpecificationField,
    SpecificationFieldCreate,
    SpecificationFieldUpdate,
    SpecificationGroup,
    SpecificationGroupCreate,
    SpecificationGroupUpdate,
    SpecificationValue,
    SpecificationValueCreate,
    SpecificationValueUpdate,
    TradePolicy,
)
from vtexbridge.vtex.paths import segments
from vtexbridge.vtex.transport import Transport

CATEGORIES = "/api/catalog/pvt/category"
CATEGORY = "/api/catalog/pvt/category/{categoryId}"
CATEGORY_TREE = "/api/catalog_system/pub/category/tree/{categoryLevels}"
BRANDS = "/api/catalog/pvt/brand"
BRAND = "/api/catalog/pvt/brand/{brandId}"
BRAND_PAGE = "/api/catalog_system/pvt/brand/pagedlist"
SPECIFICATION_GROUPS = "/api/catalog/pvt/specificationgroup"
SPECIFICATION_GROUP = "/api/catalog/pvt/specificationgroup/{groupId}"
SPECIFICATION_GROUP_GET = "/api/catalog_system/pub/specification/groupGet/{groupId}"
SPECIFICATION_GROUPS_OF_CATEGORY = "/api/catalog_system/pvt/specification/groupbycategory/{categoryId}"
SPECIFICATION_FIELDS = "/api/catalog/pvt/specification"
SPECIFICATION_FIELD = "/api/catalog/pvt/specification/{specificationId}"
SPECIFICATION_VALUES = "/api/catalog/pvt/specificationvalue"
SPECIFICATION_VALUE = "/api/catalog/pvt/specificationvalue/{specificationValueId}"
FIELD_VALUES = "/api/catalog_system/pub/specification/fieldvalue/{fieldId}"
FIELDS_OF_CATEGORY = "/api/catalog_system/pub/specification/field/listByCategoryId/{categoryId}"
PRODUCTS = "/api/catalog/pvt/product"
PRODUCT = "/api/catalog/pvt/product/{productId}"
PRODUCT_BY_REF_ID = "/api/catalog_system/pvt/products/productgetbyrefid/{refId}"
PRODUCT_SPECIFICATIONS = "/api/catalog/pvt/product/{productId}/specification"
PRODUCT_SPECIFICATION = "/api/catalog/pvt/product/{productId}/specification/{specificationId}"
PRODUCT_TRADE_POLICIES = "/api/catalog/pvt/product/{productId}/salespolicy"
PRODUCT_TRADE_POLICY = "/api/catalog/pvt/product/{productId}/salespolicy/{tradepolicyId}"
TRADE_POLICIES = "/api/catalog_system/pvt/saleschannel/list"


_TREE = TypeAdapter(list[CategoryTreeNode])
_GROUPS = TypeAdapter(list[SpecificationGroup])
_FIELD_VALUES = TypeAdapter(list[FieldValue])
_CATEGORY_FIELDS = TypeAdapter(list[CategorySpecification])
_PRODUCT_SPECS = TypeAdapter(list[ProductSpecification])
_PRODUCT_POLICIES = TypeAdapter(list[ProductTradePolicy])
_TRADE_POLICIES = TypeAdapter(list[TradePolicy])


class CatalogAPI:
    """The Catalog API of one account."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    # --- categories ---------------------------------------------------------------------------

    async def create_category(self, category: CategoryCreate, *, record: RecordRef | None = None) -> Category:
        r = await self._t.request(Api.CATALOG, "POST", CATEGORIES, json=category.body(), record=record)
        return Category.model_validate(r.json())

    async def update_category(
        self, category_id: int, category: CategoryUpdate, *, record: RecordRef | None = None
    ) -> Category:
        r = await self._t.request(
            Api.CATALOG,
            "PUT",
            CATEGORY,
            path=segments(categoryId=category_id),
            json=category.body(),
            record=record,
        )
        return Category.model_validate(r.json())

    async def get_category(self, category_id: int, *, record: RecordRef | None = None) -> Category:
        r = await self._t.request(
            Api.CATALOG, "GET", CATEGORY, path=segments(categoryId=category_id), record=record
        )
        return Category.model_validate(r.json())

    async def get_category_tree(
        self, levels: int, *, record: RecordRef | None = None
    ) -> list[CategoryTreeNode]:
        """The category tree, ``levels`` deep (departments are level 1)."""
        r = await self._t.request(
            Api.CATALOG, "GET", CATEGORY_TREE, path=segments(categoryLevels=levels), record=record
        )
        return _TREE.validate_python(r.json())

    # --- brands -------------------------------------------------------------------------------

    async def create_brand(self, brand: BrandCreate, *, record: RecordRef | None = None) -> Brand:
        r = await self._t.request(Api.CATALOG, "POST", BRANDS, json=brand.body(), record=record)
        return Brand.model_validate(r.json())

    async def update_brand(
        self, brand_id: int, brand: BrandUpdate, *, record: RecordRef | None = None
    ) -> Brand:
        r = await self._t.request(
            Api.CATALOG, "PUT", BRAND, path=segments(brandId=brand_id), json=brand.body(), record=record
        )
        return Brand.model_validate(r.json())

    async def get_brand(self, brand_id: int, *, record: RecordRef | None = None) -> Brand:
        r = await self._t.request(Api.CATALOG, "GET", BRAND, path=segments(brandId=brand_id), record=record)
        return Brand.model_validate(r.json())

    async def list_brands(
        self, *, page: int = 1, page_size: int = 100, record: RecordRef | None = None
    ) -> BrandPage:
        """One page of brands (``page`` starts at 1)."""
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size start at 1")
        r = await self._t.request(
            Api.CATALOG, "GET", BRAND_PAGE, params={"page": page, "pageSize": page_size}, record=record
        )
        return BrandPage.model_validate(r.json())

    # --- specification groups, fields and values ----------------------------------------------

    async def create_specification_group(
        self, group: SpecificationGroupCreate, *, record: RecordRef | None = None
    ) -> SpecificationGroup:
        r = await self._t.request(Api.CATALOG, "POST", SPECIFICATION_GROUPS, json=group.body(), record=record)
        return SpecificationGroup.model_validate(r.json())

    async def update_specification_group(
        self, group_id: int, group: SpecificationGroupUpdate, *, record: RecordRef | None = None
    ) -> SpecificationGroup:
        r = await self._t.request(
            Api.CATALOG,
            "PUT",
            SPECIFICATION_GROUP,
            path=segments(groupId=group_id),
            json=group.body(),
            record=record,
        )
        return SpecificationGroup.model_validate(r.json())

    async def get_specification_group(
        self, group_id: int, *, record: RecordRef | None = None
    ) -> SpecificationGroup:
        r = await self._t.request(
            Api.CATALOG, "GET", SPECIFICATION_GROUP_GET, path=segments(groupId=group_id), record=record
        )
        return SpecificationGroup.model_validate(r.json())

    async def list_specification_groups(
        self, category_id: int, *, record: RecordRef | None = None
    ) -> list[SpecificationGroup]:
        """The specification groups of a category."""
        r = await self._t.request(
            Api.CATALOG,
            "GET",
            SPECIFICATION_GROUPS_OF_CATEGORY,
            path=segments(categoryId=category_id),
            record=record,
        )
        return _GROUPS.validate_python(r.json())

    async def create_specification_field(
        self, field: SpecificationFieldCreate, *, record: RecordRef | None = None
    ) -> SpecificationField:
        r = await self._t.request(Api.CATALOG, "POST", SPECIFICATION_FIELDS, json=field.body(), record=record)
        return SpecificationField.model_validate(r.json())

    async def update_specification_field(
        self, field_id: int, field: SpecificationFieldUpdate, *, record: RecordRef | None = None
    ) -> SpecificationField:
        r = await self._t.request(
            Api.CATALOG,
            "PUT",
            SPECIFICATION_FIELD,
            path=segments(specificationId=field_id),
            json=field.body(),
            record=record,
        )
        return SpecificationField.model_validate(r.json())

    async def get_specification_field(
        self, field_id: int, *, record: RecordRef | None = None
    ) -> SpecificationField:
        r = await self._t.request(
            Api.CATALOG, "GET", SPECIFICATION_FIELD, path=segments(specificationId=field_id), record=record
        )
        return SpecificationField.model_validate(r.json())

    async def create_specification_value(
        self, value: SpecificationValueCreate, *, record: RecordRef | None = None
    ) -> SpecificationValue:
        r = await self._t.request(Api.CATALOG, "POST", SPECIFICATION_VALUES, json=value.body(), record=record)
        return SpecificationValue.model_validate(r.json())

    async def update_specification_value(
        self, value_id: int, value: SpecificationValueUpdate, *, record: RecordRef | None = None
    ) -> SpecificationValue:
        r = await self._t.request(
            Api.CATALOG,
            "PUT",
            SPECIFICATION_VALUE,
            path=segments(specificationValueId=value_id),
            json=value.body(),
            record=record,
        )
        return SpecificationValue.model_validate(r.json())

    async def get_specification_value(
        self, value_id: int, *, record: RecordRef | None = None
    ) -> SpecificationValue:
        r = await self._t.request(
            Api.CATALOG,
            "GET",
            SPECIFICATION_VALUE,
            path=segments(specificationValueId=value_id),
            record=record,
        )
        return SpecificationValue.model_validate(r.json())

    async def list_category_specification_fields(
        self, category_id: int, *, record: RecordRef | None = None
    ) -> list[CategorySpecification]:
        """The specification fields of a category (product and SKU fields, active or not)."""
        r = await self._t.request(
            Api.CATALOG, "GET", FIELDS_OF_CATEGORY, path=segments(categoryId=category_id), record=record
        )
        return _CATEGORY_FIELDS.validate_python(r.json() if r.content else [])

    async def list_specification_values(
        self, field_id: int, *, record: RecordRef | None = None
    ) -> list[FieldValue]:
        """The values of a specification field."""
        r = await self._t.request(
            Api.CATALOG, "GET", FIELD_VALUES, path=segments(fieldId=field_id), record=record
        )
        return _FIELD_VALUES.validate_python(r.json())

    # --- products -----------------------------------------------------------------------------

    async def create_product(self, product: ProductCreate, *, record: RecordRef | None = None) -> Product:
        r = await self._t.request(Api.CATALOG, "POST", PRODUCTS, json=product.body(), record=record)
        return Product.model_validate(r.json())

    async def update_product(
        self, product_id: int, product: ProductUpdate, *, record: RecordRef | None = None
    ) -> Product:
        r = await self._t.request(
            Api.CATALOG,
            "PUT",
            PRODUCT,
            path=segments(productId=product_id),
            json=product.body(),
            record=record,
        )
        return Product.model_validate(r.json())

    async def get_product(self, product_id: int, *, record: RecordRef | None = None) -> Product:
        r = await self._t.request(
            Api.CATALOG, "GET", PRODUCT, path=segments(productId=product_id), record=record
        )
        return Product.model_validate(r.json())

    async def get_product_by_ref_id(self, ref_id: str, *, record: RecordRef | None = None) -> Product | None:
        """The product whose ``RefId`` is ``ref_id``, or None when there is none."""
        try:
            r = await self._t.request(
                Api.CATALOG, "GET", PRODUCT_BY_REF_ID, path=segments(refId=ref_id), record=record
            )
        except NotFound:
            return None
        data = r.json() if r.content else None
        return Product.model_validate(data) if data else None

    async def create_product_specification(
        self, product_id: int, specification: ProductSpecificationCreate, *, record: RecordRef | None = None
    ) -> ProductSpecification:
        r = await self._t.request(
            Api.CATALOG,
            "POST",
            PRODUCT_SPECIFICATIONS,
            path=segments(productId=product_id),
            json=specification.body(),
            record=record,
        )
        return ProductSpecification.model_validate(r.json())

    async def list_product_specifications(
        self, product_id: int, *, record: RecordRef | None = None
    ) -> list[ProductSpecification]:
        r = await self._t.request(
            Api.CATALOG, "GET", PRODUCT_SPECIFICATIONS, path=segments(productId=product_id), record=record
        )
        return _PRODUCT_SPECS.validate_python(r.json())

    async def delete_product_specification(
        self, product_id: int, specification_id: int, *, record: RecordRef | None = None
    ) -> None:
        await self._t.request(
            Api.CATALOG,
            "DELETE",
            PRODUCT_SPECIFICATION,
            path=segments(productId=product_id, specificationId=specification_id),
            record=record,
        )

    async def add_product_trade_policy(
        self, product_id: int, trade_policy_id: int, *, record: RecordRef | None = None
    ) -> None:
        """Make the product sellable in a trade policy (``1`` is the main one)."""
        await self._t.request(
            Api.CATALOG,
            "POST",
            PRODUCT_TRADE_POLICY,
            path=segments(productId=product_id, tradepolicyId=trade_policy_id),
            idempotent=True,
            record=record,
        )

    async def remove_product_trade_policy(
        self, product_id: int, trade_policy_id: int, *, record: RecordRef | None = None
    ) -> None:
        await self._t.request(
            Api.CATALOG,
            "DELETE",
            PRODUCT_TRADE_POLICY,
            path=segments(productId=product_id, tradepolicyId=trade_policy_id),
            record=record,
        )

    async def list_product_trade_policies(
        self, product_id: int, *, record: RecordRef | None = None
    ) -> list[ProductTradePolicy]:
        r = await self._t.request(
            Api.CATALOG, "GET", PRODUCT_TRADE_POLICIES, path=segments(productId=product_id), record=record
        )
        return _PRODUCT_POLICIES.validate_python(r.json())

    async def list_trade_policies(self, *, record: RecordRef | None = None) -> list[TradePolicy]:
        r = await self._t.request(Api.CATALOG, "GET", TRADE_POLICIES, record=record)
        return _TRADE_POLICIES.validate_python(r.json())

    # --- SKUs ---------------------------------------------------------------------------------
