"""The catalog's ERP records: categories, brands, specification groups, fields and values, products
and their specifications, SKUs, their specifications, images and EANs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar

from vtexbridge.erp.coerce import (
    CoerceError,
    date_value,
    enum_of,
    gtin,
    image_url,
    text_max,
)
from vtexbridge.erp.records_base import (
    _BOOL,
    _INT,
    _LIST,
    _POSITION,
    _SIZE,
    _TEXT,
    Entity,
    SpecFieldType,
    _c,
    _join,
)

# --- catalog ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Category:
    """A node of the category tree (a department when ``parent_key`` is empty)."""

    entity: ClassVar[Entity] = Entity.CATEGORIES
    references: ClassVar[Mapping[str, Entity]] = {"parent_key": Entity.CATEGORIES}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    parent_key: str | None = field(default=None, metadata=_TEXT)
    title: str | None = field(default=None, metadata=_TEXT)
    description: str | None = field(default=None, metadata=_TEXT)
    keywords: tuple[str, ...] = field(default=(), metadata=_LIST)
    is_active: bool = field(default=True, metadata=_BOOL)
    show_in_storefront: bool = field(default=True, metadata=_BOOL)
    show_brand_filter: bool = field(default=True, metadata=_BOOL)
    global_category_id: int | None = field(default=None, metadata=_INT)
    score: int | None = field(default=None, metadata=_INT)

    def __post_init__(self) -> None:
        if self.parent_key == self.key:
            raise CoerceError("a category cannot be its own parent", field="parent_key")


@dataclass(frozen=True, slots=True)
class Brand:
    """A brand."""

    entity: ClassVar[Entity] = Entity.BRANDS
    references: ClassVar[Mapping[str, Entity]] = {}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    description: str | None = field(default=None, metadata=_TEXT)
    keywords: tuple[str, ...] = field(default=(), metadata=_LIST)
    site_title: str | None = field(default=None, metadata=_TEXT)
    link_id: str | None = field(default=None, metadata=_TEXT)
    is_active: bool = field(default=True, metadata=_BOOL)


@dataclass(frozen=True, slots=True)
class SpecificationGroup:
    """A group of specification fields, attached to a category (and inherited by its children)."""

    entity: ClassVar[Entity] = Entity.SPECIFICATION_GROUPS
    references: ClassVar[Mapping[str, Entity]] = {"category_key": Entity.CATEGORIES}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    category_key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    position: int | None = field(default=None, metadata=_POSITION)


@dataclass(frozen=True, slots=True)
class SpecificationField:
    """A specification field (Color, Size, Material …): of the product, or of the SKU when ``is_sku``."""

    entity: ClassVar[Entity] = Entity.SPECIFICATION_FIELDS
    references: ClassVar[Mapping[str, Entity]] = {"group_key": Entity.SPECIFICATION_GROUPS}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    group_key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    field_type: SpecFieldType = field(metadata=_c(enum_of(SpecFieldType)))
    is_sku: bool = field(default=False, metadata=_BOOL)
    is_filter: bool = field(default=False, metadata=_BOOL)
    is_required: bool = field(default=False, metadata=_BOOL)
    is_on_product_details: bool = field(default=True, metadata=_BOOL)
    is_active: bool = field(default=True, metadata=_BOOL)
    position: int | None = field(default=None, metadata=_POSITION)
    description: str | None = field(default=None, metadata=_TEXT)
    default_value: str | None = field(default=None, metadata=_TEXT)


@dataclass(frozen=True, slots=True)
class SpecificationValue:
    """A predefined value of a combo, radio or checkbox field (``Red``, ``M``, ``Nylon``)."""

    entity: ClassVar[Entity] = Entity.SPECIFICATION_VALUES
    references: ClassVar[Mapping[str, Entity]] = {"field_key": Entity.SPECIFICATION_FIELDS}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_TEXT)
    field_key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    description: str | None = field(default=None, metadata=_TEXT)
    position: int | None = field(default=None, metadata=_POSITION)
    is_active: bool = field(default=True, metadata=_BOOL)


@dataclass(frozen=True, slots=True)
class Product:
    """A product: what the shopper sees; its SKUs are the variants that are sold."""

    entity: ClassVar[Entity] = Entity.PRODUCTS
    references: ClassVar[Mapping[str, Entity]] = {
        "category_key": Entity.CATEGORIES,
        "brand_key": Entity.BRANDS,
    }
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_c(text_max(100)))
    name: str = field(metadata=_c(text_max(150)))
    category_key: str = field(metadata=_TEXT)
    brand_key: str = field(metadata=_TEXT)
    link_id: str | None = field(default=None, metadata=_TEXT)
    title: str | None = field(default=None, metadata=_TEXT)
    description: str | None = field(default=None, metadata=_TEXT)
    description_short: str | None = field(default=None, metadata=_TEXT)
    keywords: tuple[str, ...] = field(default=(), metadata=_LIST)
    meta_description: str | None = field(default=None, metadata=_TEXT)
    release_date: date | None = field(default=None, metadata=_c(date_value))
    tax_code: str | None = field(default=None, metadata=_TEXT)
    is_active: bool = field(default=True, metadata=_BOOL)
    is_visible: bool = field(default=True, metadata=_BOOL)
    show_without_stock: bool = field(default=True, metadata=_BOOL)
    trade_policies: tuple[str, ...] = field(default=("1",), metadata=_LIST)


@dataclass(frozen=True, slots=True)
class ProductSpecification:
    """A product's value for a product-level field: predefined values by key, or free text."""

    entity: ClassVar[Entity] = Entity.PRODUCT_SPECIFICATIONS
    references: ClassVar[Mapping[str, Entity]] = {
        "product_key": Entity.PRODUCTS,
        "field_key": Entity.SPECIFICATION_FIELDS,
        "value_keys": Entity.SPECIFICATION_VALUES,
    }
    key_fields: ClassVar[tuple[str, ...]] = ("product_key", "field_key")

    product_key: str = field(metadata=_TEXT)
    field_key: str = field(metadata=_TEXT)
    value_keys: tuple[str, ...] = field(default=(), metadata=_LIST)
    value_text: str | None = field(default=None, metadata=_TEXT)

    @property
    def key(self) -> str:
        return _join(self.product_key, self.field_key)

    def __post_init__(self) -> None:
        if bool(self.value_keys) == (self.value_text is not None):
            raise CoerceError("give either value_keys or value_text (exactly one)", field="value_keys")


@dataclass(frozen=True, slots=True)
class Sku:
    """A SKU (a sellable variant of a product). Dimensions in cm, weights in kg.

    ``is_active`` is the state the ERP wants; VTEX creates SKUs inactive and activates them once
    they have an image, specs, a price and an active product.
    """

    entity: ClassVar[Entity] = Entity.SKUS
    references: ClassVar[Mapping[str, Entity]] = {"product_key": Entity.PRODUCTS}
    key_fields: ClassVar[tuple[str, ...]] = ("key",)

    key: str = field(metadata=_c(text_max(50)))
    product_key: str = field(metadata=_TEXT)
    name: str = field(metadata=_TEXT)
    packaged_height: Decimal = field(metadata=_SIZE)
    packaged_length: Decimal = field(metadata=_SIZE)
    packaged_width: Decimal = field(metadata=_SIZE)
    packaged_weight_kg: Decimal = field(metadata=_SIZE)
    is_active: bool = field(default=True, metadata=_BOOL)
    height: Decimal | None = field(default=None, metadata=_SIZE)
    length: Decimal | None = field(default=None, metadata=_SIZE)
    width: Decimal | None = field(default=None, metadata=_SIZE)
    weight_kg: Decimal | None = field(default=None, metadata=_SIZE)
    manufacturer_code: str | None = field(default=None, metadata=_TEXT)
    measurement_unit: str = field(default="un", metadata=_TEXT)
    unit_multiplier: Decimal = field(default=Decimal(1), metadata=_SIZE)
    modal_type: str | None = field(default=None, metadata=_TEXT)


@dataclass(frozen=True, slots=True)
class SkuSpecification:
    """A SKU's value for a SKU-level field (``is_sku`` true): Color = Red, Size = M."""

    entity: ClassVar[Entity] = Entity.SKU_SPECIFICATIONS
    references: ClassVar[Mapping[str, Entity]] = {
        "sku_key": Entity.SKUS,
        "field_key": Entity.SPECIFICATION_FIELDS,
        "value_key": Entity.SPECIFICATION_VALUES,
    }
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key", "field_key")

    sku_key: str = field(metadata=_TEXT)
    field_key: str = field(metadata=_TEXT)
    value_key: str = field(metadata=_TEXT)

    @property
    def key(self) -> str:
        return _join(self.sku_key, self.field_key)


@dataclass(frozen=True, slots=True)
class SkuImage:
    """An image of a SKU, by URL (VTEX downloads it). The URL is the image's identity."""

    entity: ClassVar[Entity] = Entity.SKU_IMAGES
    references: ClassVar[Mapping[str, Entity]] = {"sku_key": Entity.SKUS}
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key", "url")

    sku_key: str = field(metadata=_TEXT)
    url: str = field(metadata=_c(image_url))
    name: str | None = field(default=None, metadata=_TEXT)
    label: str | None = field(default=None, metadata=_TEXT)
    is_main: bool = field(default=False, metadata=_BOOL)
    position: int | None = field(default=None, metadata=_POSITION)

    @property
    def key(self) -> str:
        return _join(self.sku_key, self.url)

    @property
    def file_name(self) -> str:
        """``name``, or else the URL's last path segment without its extension (VTEX needs a name)."""
        if self.name:
            return self.name
        return self.url.rsplit("/", 1)[-1].rsplit(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Ean:
    """An EAN (GTIN) of a SKU; a SKU may have several. VTEX cannot update one, only add and remove."""

    entity: ClassVar[Entity] = Entity.EANS
    references: ClassVar[Mapping[str, Entity]] = {"sku_key": Entity.SKUS}
    key_fields: ClassVar[tuple[str, ...]] = ("sku_key", "ean")

    sku_key: str = field(metadata=_TEXT)
    ean: str = field(metadata=_c(gtin))

    @property
    def key(self) -> str:
        return _join(self.sku_key, self.ean)
