"""The default VTEX payload of each kind (pure): what an ERP record becomes before config overrides.

One function per kind, ``(record, settings) -> Values`` (the payload's values, in the order of the
kind's field names in :data:`_FIELDS`); :class:`vtexbridge.sync.mapping.Mapper` applies the
overrides, hashes the values and builds the request bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from vtexbridge.erp.records import (
    Address,
    Brand,
    Category,
    Customer,
    Product,
    Record,
    Sku,
    SkuImage,
    SpecificationGroup,
    SpecificationValue,
    StockLevel,
)
from vtexbridge.sync.config import SyncSettings
from vtexbridge.sync.graph import Kind

Values = tuple[Any, ...]
_ZERO_SPAN = "0.00:00:00"
_BRAND = Kind.BRAND.value
_CATEGORY = Kind.CATEGORY.value
_CUSTOMER = Kind.CUSTOMER.value
_DOCK = Kind.DOCK.value
_PRODUCT = Kind.PRODUCT.value
_SPEC_FIELD = Kind.SPEC_FIELD.value
_SPEC_GROUP = Kind.SPEC_GROUP.value
_SPEC_VALUE = Kind.SPEC_VALUE.value


class Ref(tuple[str, str]):
    """A parent named by kind and ERP key; replaced by the parent's VTEX id in the request body."""

    __slots__ = ()

    def __new__(cls, kind: str, key: str) -> Ref:
        # a plain str (not the Kind member): its repr is part of every payload hash, and cheap
        return tuple.__new__(cls, (str.__str__(kind), key))

    @property
    def kind(self) -> str:
        return self[0]

    @property
    def key(self) -> str:
        return self[1]


def grams(kilograms: Decimal) -> int:
    """Kilograms to whole grams, rounded half up."""
    return int((kilograms * 1000).to_integral_value(ROUND_HALF_UP))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _keywords(words: tuple[str, ...]) -> str | None:
    return ", ".join(words) if words else None


# --- the default payload of each kind ------------------------------------------------------------


def _category(c: Category, s: SyncSettings) -> Values:
    return (
        c.name,
        _keywords(c.keywords) or "",
        c.title or c.name,
        c.description or "",
        Ref(_CATEGORY, c.parent_key) if c.parent_key else None,
        c.global_category_id or 0,
        c.show_in_storefront,
        c.is_active,
        c.show_in_storefront,
        c.show_brand_filter,
        c.score or 0,
        "SPECIFICATION",
    )


def _brand(b: Brand, s: SyncSettings) -> Values:
    return (b.name, b.description, _keywords(b.keywords), b.site_title, b.is_active, b.link_id)


def _spec_group(g: SpecificationGroup, s: SyncSettings) -> Values:
    return (Ref(_CATEGORY, g.category_key), g.name, g.position)


def _spec_value(v: SpecificationValue, s: SyncSettings) -> Values:
    return (Ref(_SPEC_FIELD, v.field_key), v.name, v.description, v.is_active, v.position)


def _product(p: Product, s: SyncSettings) -> Values:
    release = None if p.release_date is None else f"{p.release_date.isoformat()}T00:00:00"
    return (
        p.name,
        Ref(_CATEGORY, p.category_key),
        Ref(_BRAND, p.brand_key),
        p.key,
        p.link_id,
        p.title,
        p.description,
        p.description_short,
        release,
        _keywords(p.keywords),
        p.is_visible,
        p.is_active,
        p.tax_code,
        p.meta_description,
        p.show_without_stock,
    )


def _sku(k: Sku, s: SyncSettings) -> Values:
    weight: Callable[[Decimal], Any] = grams if s.weight_unit == "g" else float
    return (
        Ref(_PRODUCT, k.product_key),
        k.name,
        k.key,
        k.is_active,
        float(k.packaged_height),
        float(k.packaged_length),
        float(k.packaged_width),
        weight(k.packaged_weight_kg),
        _num(k.height),
        _num(k.length),
        _num(k.width),
        None if k.weight_kg is None else weight(k.weight_kg),
        k.manufacturer_code,
        k.measurement_unit,
        float(k.unit_multiplier),
        k.modal_type,
    )


def _image(i: SkuImage, s: SyncSettings) -> Values:
    return (i.is_main, i.label, i.file_name, i.label, i.url, i.position)


def _inventory(v: StockLevel, s: SyncSettings) -> Values:
    return (max(v.quantity or 0, 0), v.unlimited, v.lead_time or _ZERO_SPAN)


def _customer(c: Customer, s: SyncSettings) -> Values:
    return (
        c.email,
        c.first_name,
        c.last_name,
        c.document_type,
        c.document,
        c.phone,
        c.is_corporate,
        c.corporate_name,
        c.trade_name,
        c.corporate_document,
        c.state_registration,
        c.is_newsletter_opt_in,
        c.locale,
        ",".join(c.price_tables) if c.price_tables else None,
    )


def _address(a: Address, s: SyncSettings) -> Values:
    geo = None if a.latitude is None or a.longitude is None else (float(a.longitude), float(a.latitude))
    return (
        Ref(_CUSTOMER, a.customer_key),
        a.address_name or a.key,
        a.address_type.value,
        a.receiver_name,
        a.postal_code,
        a.street,
        a.number,
        a.complement,
        a.neighborhood,
        a.city,
        a.state,
        a.country,
        a.reference,
        geo,
    )


_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.CATEGORY: (
        "Name", "Keywords", "Title", "Description", "FatherCategoryId", "GlobalCategoryId",
        "ShowInStoreFront", "IsActive", "ActiveStoreFrontLink", "ShowBrandFilter", "Score",
        "StockKeepingUnitSelectionMode",
    ),
    Kind.BRAND: ("Name", "Text", "Keywords", "SiteTitle", "Active", "LinkId"),
    Kind.SPEC_GROUP: ("CategoryId", "Name", "Position"),
    Kind.SPEC_FIELD: (
        "FieldTypeId", "CategoryId", "FieldGroupId", "Name", "Description", "Position", "IsFilter",
        "IsRequired", "IsOnProductDetails", "IsStockKeepingUnit", "IsWizard", "IsActive",
        "IsTopMenuLinkActive", "IsSideMenuLinkActive", "DefaultValue",
    ),
    Kind.SPEC_VALUE: ("FieldId", "Name", "Text", "IsActive", "Position"),
    Kind.PRODUCT: (
        "Name", "CategoryId", "BrandId", "RefId", "LinkId", "Title", "Description", "DescriptionShort",
        "ReleaseDate", "KeyWords", "IsVisible", "IsActive", "TaxCode", "MetaTagDescription",
        "ShowWithoutStock",
    ),
    Kind.PRODUCT_SPEC: ("FieldId", "FieldValueIds", "Text"),
    Kind.TRADE_POLICY: (),
    Kind.SKU: (
        "ProductId", "Name", "RefId", "ActivateIfPossible", "PackagedHeight", "PackagedLength",
        "PackagedWidth", "PackagedWeightKg", "Height", "Length", "Width", "WeightKg", "ManufacturerCode",
        "MeasurementUnit", "UnitMultiplier", "ModalType",
    ),
    Kind.SKU_SPEC: ("FieldId", "FieldValueId"),
    Kind.IMAGE: ("IsMain", "Label", "Name", "Text", "Url", "Position"),
    Kind.EAN: (),
    Kind.PRICE: ("basePrice", "listPrice", "costPrice", "markup", "fixedPrices"),
    Kind.DOCK: (
        "id", "name", "priority", "dockTimeFake", "timeFakeOverhead", "salesChannels", "salesChannel",
        "freightTableIds", "wmsEndPoint", "address",
    ),
    Kind.WAREHOUSE: ("id", "name", "warehouseDocks", "priority", "isActive"),
    Kind.INVENTORY: ("quantity", "unlimitedQuantity", "leadTime"),
    Kind.CUSTOMER: (
        "email", "firstName", "lastName", "documentType", "document", "phone", "isCorporate",
        "corporateName", "tradeName", "corporateDocument", "stateRegistration", "isNewsletterOptIn",
        "localeDefault", "priceTables",
    ),
    Kind.ADDRESS: (
        "userId", "addressName", "addressType", "receiverName", "postalCode", "street", "number",
        "complement", "neighborhood", "city", "state", "country", "reference", "geoCoordinate",
    ),
}  # fmt: skip
"""VTEX's names of each kind's payload fields, in payload order."""

_OVERRIDABLE = frozenset(
    {
        Kind.CATEGORY,
        Kind.BRAND,
        Kind.SPEC_GROUP,
        Kind.SPEC_VALUE,
        Kind.PRODUCT,
        Kind.SKU,
        Kind.IMAGE,
        Kind.INVENTORY,
        Kind.CUSTOMER,
        Kind.ADDRESS,
    }
)
_RECORD_TYPES: dict[Kind, type[Record]] = {
    Kind.CATEGORY: Category,
    Kind.BRAND: Brand,
    Kind.SPEC_GROUP: SpecificationGroup,
    Kind.SPEC_VALUE: SpecificationValue,
    Kind.PRODUCT: Product,
    Kind.SKU: Sku,
    Kind.IMAGE: SkuImage,
    Kind.INVENTORY: StockLevel,
    Kind.CUSTOMER: Customer,
    Kind.ADDRESS: Address,
}
_DEFAULTS: dict[Kind, Callable[[Any, SyncSettings], Values]] = {
    Kind.CATEGORY: _category,
    Kind.BRAND: _brand,
    Kind.SPEC_GROUP: _spec_group,
    Kind.SPEC_VALUE: _spec_value,
    Kind.PRODUCT: _product,
    Kind.SKU: _sku,
    Kind.IMAGE: _image,
    Kind.INVENTORY: _inventory,
    Kind.CUSTOMER: _customer,
    Kind.ADDRESS: _address,
}
