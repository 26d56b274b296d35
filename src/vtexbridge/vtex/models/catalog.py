"""Catalog API bodies (``VTEX - Catalog API.json``): categories, brands, specifications, products,
SKUs and what hangs off them. Keys are VTEX's PascalCase (the category tree and brand lists answer in
camelCase, as VTEX does).
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from vtexbridge.vtex.models.base import RequestModel, ResponseModel

SkuSelectionMode = Literal["SPECIFICATION", "LIST"]
MeasurementUnitCode = Literal[
    "un", "kg", "g", "mg", "m", "m²", "m³", "cm", "cm²", "cm³", "mm", "mm²", "mm³",
    "oz", "lb", "ft", "ft²", "ft³", "in", "in²", "in³",
]  # fmt: skip


# --- categories -------------------------------------------------------------------------------


class CategoryCreate(RequestModel):
    """``POST /api/catalog/pvt/category``; ``Id`` is optional (VTEX generates one)."""

    send_null: ClassVar[frozenset[str]] = frozenset(
        {"AdWordsRemarketingCode", "LomadeeCampaignCode", "Score"}
    )

    Id: int | None = None
    Name: str
    Keywords: str
    Title: str
    Description: str
    AdWordsRemarketingCode: str | None = None
    LomadeeCampaignCode: str | None = None
    FatherCategoryId: int | None
    GlobalCategoryId: int
    ShowInStoreFront: bool
    IsActive: bool
    ActiveStoreFrontLink: bool
    ShowBrandFilter: bool
    Score: int | None = None
    StockKeepingUnitSelectionMode: SkuSelectionMode


class CategoryUpdate(RequestModel):
    """``PUT /api/catalog/pvt/category/{categoryId}``: the whole category (``Score`` is not nullable)."""

    send_null: ClassVar[frozenset[str]] = frozenset({"AdWordsRemarketingCode", "LomadeeCampaignCode"})

    Name: str
    Keywords: str
    Title: str
    Description: str
    AdWordsRemarketingCode: str | None = None
    LomadeeCampaignCode: str | None = None
    FatherCategoryId: int | None
    GlobalCategoryId: int
    ShowInStoreFront: bool
    IsActive: bool
    ActiveStoreFrontLink: bool
    ShowBrandFilter: bool
    Score: int
    StockKeepingUnitSelectionMode: SkuSelectionMode


class Category(ResponseModel):
    Id: int
    Name: str
    FatherCategoryId: int | None = None
    Title: str | None = None
    Description: str | None = None
    Keywords: str | None = None
    IsActive: bool | None = None
    LomadeeCampaignCode: str | None = None
    AdWordsRemarketingCode: str | None = None
    ShowInStoreFront: bool | None = None
    ShowBrandFilter: bool | None = None
    ActiveStoreFrontLink: bool | None = None
    GlobalCategoryId: int | None = None
    StockKeepingUnitSelectionMode: str | None = None
    Score: int | None = None
    LinkId: str | None = None
    HasChildren: bool | None = None
    TreePath: list[str] | None = None
    TreePathIds: list[int] | None = None
    TreePathLinkIds: list[str] | None = None


class CategoryTreeNode(ResponseModel):
    """One node of ``GET /api/catalog_system/pub/category/tree/{categoryLevels}``."""

    id: int
    name: str
    hasChildren: bool = False
    url: str | None = None
    children: list[CategoryTreeNode] = Field(default_factory=list)
    Title: str | None = None
    MetaTagDescription: str | None = None


# --- brands -----------------------------------------------------------------------------------


class BrandCreate(RequestModel):
    """``POST /api/catalog/pvt/brand``: the caller chooses ``Id`` (required by the spec)."""

    Id: int
    Name: str
    Text: str | None = None
    Keywords: str | None = None
    SiteTitle: str | None = None
    AdWordsRemarketingCode: str | None = None
    LomadeeCampaignCode: str | None = None
    Score: int | None = None
    MenuHome: bool | None = None
    Active: bool | None = None
    LinkId: str | None = None


class BrandUpdate(BrandCreate):
    """``PUT /api/catalog/pvt/brand/{brandId}``: the same body as the create."""


class Brand(ResponseModel):
    Id: int
    Name: str
    Text: str | None = None
    Keywords: str | None = None
    SiteTitle: str | None = None
    AdWordsRemarketingCode: str | None = None
    LomadeeCampaignCode: str | None = None
    Score: int | None = None
    MenuHome: bool | None = None
    Active: bool | None = None
    LinkId: str | None = None


class BrandSummary(ResponseModel):
    """A brand as listed by ``/api/catalog_system/pvt/brand/pagedlist`` (camelCase)."""

    id: int
    name: str
    isActive: bool | None = None
    title: str | None = None
    metaTagDescription: str | None = None
    imageUrl: str | None = None


class Paging(ResponseModel):
    page: int
    perPage: int
    total: int
    pages: int


class BrandPage(ResponseModel):
    items: list[BrandSummary]
    paging: Paging


# --- specifications ---------------------------------------------------------------------------


class SpecificationGroupCreate(RequestModel):
    CategoryId: int
    Name: str


class SpecificationGroupUpdate(RequestModel):
    CategoryId: int
    Id: int
    Name: str
    Position: int


class SpecificationGroup(ResponseModel):
    Id: int
    CategoryId: int | None = None
    Name: str
    Position: int | None = None


class FieldType(IntEnum):
    """``FieldTypeId`` of a specification field."""

    TEXT = 1
    MULTILINE_TEXT = 2
    NUMBER = 4
    COMBO = 5
    RADIO = 6
    CHECKBOX = 7
    INDEXED_TEXT = 8
    INDEXED_MULTILINE_TEXT = 9


class SpecificationFieldCreate(RequestModel):
    """``POST /api/catalog/pvt/specification``. Combo, radio and checkbox fields need values."""

    FieldTypeId: FieldType
    CategoryId: int | None = None
    FieldGroupId: int
    Name: str
    Description: str | None = None
    Position: int | None = None
    IsFilter: bool | None = None
    IsRequired: bool | None = None
    IsOnProductDetails: bool | None = None
    IsStockKeepingUnit: bool | None = None
    IsWizard: bool | None = None
    IsActive: bool | None = None
    IsTopMenuLinkActive: bool | None = None
    IsSideMenuLinkActive: bool | None = None
    DefaultValue: str | None = None


class SpecificationFieldUpdate(RequestModel):
    """``PUT /api/catalog/pvt/specification/{specificationId}``: every attribute is required."""

    FieldTypeId: FieldType
    CategoryId: int
    FieldGroupId: int
    Name: str
    Description: str
    Position: int
    IsFilter: bool
    IsRequired: bool
    IsOnProductDetails: bool
    IsStockKeepingUnit: bool
    IsWizard: bool
    IsActive: bool
    IsTopMenuLinkActive: bool
    IsSideMenuLinkActive: bool
    DefaultValue: str


class SpecificationField(ResponseModel):
    Id: int
    FieldTypeId: int | None = None
    CategoryId: int | None = None
    FieldGroupId: int | None = None
    Name: str
    Description: str | None = None
    Position: int | None = None
    IsFilter: bool | None = None
    IsRequired: bool | None = None
    IsOnProductDetails: bool | None = None
    IsStockKeepingUnit: bool | None = None
    IsWizard: bool | None = None
    IsActive: bool | None = None
    IsTopMenuLinkActive: bool | None = None
    IsSideMenuLinkActive: bool | None = None
    DefaultValue: str | None = None


class SpecificationValueCreate(RequestModel):
    """``POST /api/catalog/pvt/specificationvalue`` (also the ``PUT`` body)."""

    FieldId: int
    Name: str
    Text: str | None = None
    IsActive: bool | None = None
    Position: int | None = None


class SpecificationValueUpdate(SpecificationValueCreate):
    """``PUT /api/catalog/pvt/specificationvalue/{specificationValueId}``."""


class SpecificationValue(ResponseModel):
    FieldValueId: int
    FieldId: int | None = None
    Name: str
    Text: str | None = None
    IsActive: bool | None = None
    Position: int | None = None


class FieldValue(ResponseModel):
    """A value as listed by ``/api/catalog_system/pub/specification/fieldvalue/{fieldId}``."""

    FieldValueId: int
    Value: str
    IsActive: bool | None = None
    Position: int | None = None


class CategorySpecification(ResponseModel):
    """A specification field as listed by
    ``/api/catalog_system/pub/specification/field/listByCategoryId/{categoryId}``."""

    FieldId: int
    Name: str
    CategoryId: int | None = None
    IsActive: bool | None = None
    IsStockKeepingUnit: bool | None = None


# --- products ---------------------------------------------------------------------------------


class _ProductFields(RequestModel):
    DepartmentId: int | None = None
    LinkId: str | None = None
    RefId: str | None = Field(default=None, max_length=100)
    IsVisible: bool | None = None
    Description: str | None = None
    DescriptionShort: str | None = None
    ReleaseDate: datetime | None = None
    KeyWords: str | None = None
    Title: str | None = Field(default=None, max_length=150)
    IsActive: bool | None = None
    TaxCode: str | None = None
    MetaTagDescription: str | None = None
    SupplierId: int | None = None
    ShowWithoutStock: bool | None = None
    AdWordsRemarketingCode: str | None = None
    LomadeeCampaignCode: str | None = None
    Score: int | None = None


class ProductCreate(_ProductFields):
    """``POST /api/catalog/pvt/product``: place it by ``CategoryId`` or ``CategoryPath`` ("A/B/C",
    created when missing) and brand it by ``BrandId`` or ``BrandName`` (created when missing)."""

    Id: int | None = None
    Name: str = Field(max_length=150)
    CategoryId: int | None = None
    CategoryPath: str | None = None
    BrandId: int | None = None
    BrandName: str | None = None

    @model_validator(mode="after")
    def _one_category_one_brand(self) -> ProductCreate:
        for by_id, by_name in (("CategoryId", "CategoryPath"), ("BrandId", "BrandName")):
            given = [f for f in (by_id, by_name) if getattr(self, f) is not None]
            if len(given) != 1:
                raise ValueError(f"give exactly one of {by_id} or {by_name} (got {given or 'neither'})")
        return self


class ProductUpdate(_ProductFields):
    """``PUT /api/catalog/pvt/product/{productId}``: the whole product."""

    Name: str = Field(max_length=150)
    CategoryId: int
    BrandId: int


class Product(ResponseModel):
    Id: int
    Name: str
    DepartmentId: int | None = None
    CategoryId: int | None = None
    BrandId: int | None = None
    LinkId: str | None = None
    RefId: str | None = None
    IsVisible: bool | None = None
    Description: str | None = None
    DescriptionShort: str | None = None
    ReleaseDate: str | None = None
    KeyWords: str | None = None
    Title: str | None = None
    IsActive: bool | None = None
    TaxCode: str | None = None
    MetaTagDescription: str | None = None
    SupplierId: int | None = None
    ShowWithoutStock: bool | None = None
    AdWordsRemarketingCode: str | None = None
    LomadeeCampaignCode: str | None = None
    Score: int | None = None
    ListStoreId: list[int] | None = None
    """Trade policies of the product (answered by ``productgetbyrefid`` only)."""


class ProductSpecificationCreate(RequestModel):
    """``POST /api/catalog/pvt/product/{productId}/specification``: a value id, or free ``Text``."""

    FieldId: int
    FieldValueId: int | None = None
    Text: str | None = None


class ProductSpecification(ResponseModel):
    Id: int
    ProductId: int | None = None
    FieldId: int
    FieldValueId: int | None = None
    Text: str | None = None


class ProductTradePolicy(ResponseModel):
    ProductId: int
    StoreId: int


class TradePolicy(ResponseModel):
    """A trade policy (sales channel); ``1`` is always the main one."""

    Id: int
    Name: str
    IsActive: bool | None = None
    ProductClusterId: int | None = None
    CountryCode: str | None = None
    CultureInfo: str | None = None
    TimeZone: str | None = None
    CurrencyCode: str | None = None
    CurrencySymbol: str | None = None
    CurrencyLocale: int | None = None
    Origin: str | None = None
    Position: int | None = None
    ConditionRule: str | None = None
    CurrencyDecimalDigits: int | None = None


# --- SKUs -------------------------------------------------------------------------------------


class _SkuFields(RequestModel):
    ProductId: int
    ActivateIfPossible: bool | None = None
    Name: str
    RefId: str | None = Field(default=None, max_length=50)
    PackagedHeight: float
    PackagedLength: float
    PackagedWidth: float
    PackagedWeightKg: int = Field(gt=0)
    Height: float | None = None
    Length: float | None = None
    Width: float | None = None
    WeightKg: float | None = None
    CubicWeight: float | None = None
    IsKit: bool | None = None
    CreationDate: datetime | None = None
    RewardValue: float | None = None
    EstimatedDateArrival: str | None = None
    ManufacturerCode: str | None = None
    CommercialConditionId: int | None = None
    MeasurementUnit: MeasurementUnitCode | None = None
    UnitMultiplier: float | None = None
    ModalType: str | None = None
    KitItensSellApart: bool | None = None
    Videos: list[str] | None = None


class SkuCreate(_SkuFields):
    """``POST /api/catalog/pvt/stockkeepingunit``. A new SKU cannot be created active (VTEX answers
    400): leave ``IsActive`` out and set ``ActivateIfPossible`` so VTEX activates it once it has an
    image, specifications and an active product."""

    Id: int | None = None
    IsActive: Literal[False] | None = None


class SkuUpdate(_SkuFields):
    """``PUT /api/catalog/pvt/stockkeepingunit/{skuId}``: the whole SKU."""

    IsActive: bool


class Sku(ResponseModel):
    Id: int
    ProductId: int | None = None
    IsActive: bool | None = None
    ActivateIfPossible: bool | None = None
    Name: str | None = None
    RefId: str | None = None
    Ean: str | None = None
    PackagedHeight: float | None = None
    PackagedLength: float | None = None
    PackagedWidth: float | None = None
    PackagedWeightKg: float | None = None
    Height: float | None = None
    Length: float | None = None
    Width: float | None = None
    WeightKg: float | None = None
    CubicWeight: float | None = None
    IsKit: bool | None = None
    CreationDate: str | None = None
    RewardValue: float | None = None
    EstimatedDateArrival: str | None = None
    ManufacturerCode: str | None = None
    CommercialConditionId: int | None = None
    MeasurementUnit: str | None = None
    UnitMultiplier: float | None = None
    ModalType: str | None = None
    KitItensSellApart: bool | None = None
    Videos: list[str] | None = None


class SkuOfProduct(ResponseModel):
    """A SKU as listed by ``/api/catalog_system/pvt/sku/stockkeepingunitByProductId/{productId}``."""

    Id: int
    ProductId: int | None = None
    IsActive: bool | None = None
    Name: str | None = None
    RefId: str | None = None
    Height: float | None = None
    Width: float | None = None
    Length: float | None = None
    WeightKg: float | None = None
    CubicWeight: float | None = None
    IsKit: bool | None = None
    ManufacturerCode: str | None = None
    MeasurementUnit: str | None = None
    UnitMultiplier: float | None = None
    ActivateIfPossible: bool | None = None
    DateUpdated: str | None = None


class SkuSpecificationCreate(RequestModel):
    FieldId: int
    FieldValueId: int | None = None


class SkuSpecificationUpdate(RequestModel):
    Id: int
    SkuId: int | None = None
    FieldId: int
    FieldValueId: int
    Text: str | None = None


class SkuSpecification(ResponseModel):
    Id: int
    SkuId: int | None = None
    FieldId: int
    FieldValueId: int | None = None
    Text: str | None = None


class SkuFileCreate(RequestModel):
    """An image by URL: ``http(s)://`` and ending in ``.jpg``, ``.png`` or ``.gif``, as VTEX requires."""

    IsMain: bool | None = None
    Label: str | None = None
    Name: str
    Text: str | None = None
    Url: str = Field(pattern=r"(?i)^https?://\S+\.(jpg|png|gif)$")
    Position: int | None = None


class SkuFileUpdate(SkuFileCreate):
    """``PUT /api/catalog/pvt/stockkeepingunit/{skuId}/file/{skuFileId}``: the same body as the create."""


class SkuFile(ResponseModel):
    Id: int
    ArchiveId: int | None = None
    SkuId: int | None = None
    Name: str | None = None
    IsMain: bool | None = None
    Text: str | None = None
    Label: str | None = None
    Url: str | None = None
    FileLocation: str | None = None
    Position: int | None = None
