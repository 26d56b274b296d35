"""Catalog rules: field coercion and defaults, id and RefId rules, SKU activation, derived views.

Documents are stored in the shape VTEX's ``GET`` answers (``/api/catalog/pvt/...``). Input is coerced
the way VTEX's .NET binder does (``"12"`` is accepted for an integer, ``12`` for a string); a field the
spec declares non-nullable is never stored as ``null`` (a missing or null value becomes the type's
zero value: ``""``, ``0``, ``false``, ``[]``), so every answer validates against the spec.

Choices where VTEX's documentation is silent (documented in docs/sandbox.md):
- a duplicate caller-chosen ``Id`` or a duplicate SKU/product ``RefId`` answers **409**;
- a SKU ``RefId`` longer than 50 characters, a product ``RefId`` longer than 100, a product ``Name``
  longer than 150 answer **400**;
- an EAN already used by another SKU answers **409**.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from vtexbridge.sandbox.rules import RuleError

FieldType = Literal["int", "number", "bool", "str", "list"]

SKU_REFID_MAX = 50
PRODUCT_REFID_MAX = 100
PRODUCT_NAME_MAX = 150
SKU_ID_MAX = 2_147_483_647
IMAGE_EXTENSIONS = (".jpg", ".png", ".gif")
FIELD_TYPE_NAMES = {
    1: "Text",
    2: "Multi-Line Text",
    4: "Number",
    5: "Combo",
    6: "Radio",
    7: "Checkbox",
    8: "Indexed Text",
    9: "Indexed Multi-Line Text",
}
VALUE_FIELD_TYPES = frozenset({5, 6, 7})  # fields whose values are chosen from created values


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a stored document: its JSON name, type, nullability and default."""

    name: str
    type: FieldType
    nullable: bool = False
    default: Any = None

    def zero(self) -> Any:
        if self.default is not None:
            return self.default
        if self.nullable:
            return None
        return {"int": 0, "number": 0, "bool": False, "str": "", "list": []}[self.type]


def _f(name: str, type_: FieldType, nullable: bool = False, default: Any = None) -> Field:
    return Field(name, type_, nullable, default)


CATEGORY_FIELDS = (
    _f("Name", "str"),
    _f("FatherCategoryId", "int", True),
    _f("Title", "str"),
    _f("Description", "str"),
    _f("Keywords", "str"),
    _f("IsActive", "bool", default=True),
    _f("LomadeeCampaignCode", "str"),
    _f("AdWordsRemarketingCode", "str"),
    _f("ShowInStoreFront", "bool", default=True),
    _f("ShowBrandFilter", "bool", default=True),
    _f("ActiveStoreFrontLink", "bool", default=True),
    _f("GlobalCategoryId", "int"),
    _f("StockKeepingUnitSelectionMode", "str", default="SPECIFICATION"),
    _f("Score", "int", True),
)
BRAND_FIELDS = (
    _f("Name", "str"),
    _f("Text", "str"),
    _f("Keywords", "str"),
    _f("SiteTitle", "str"),
    _f("AdWordsRemarketingCode", "str"),
    _f("LomadeeCampaignCode", "str"),
    _f("Score", "int", True),
    _f("MenuHome", "bool"),
    _f("Active", "bool", default=True),
    _f("LinkId", "str", True),
)
PRODUCT_FIELDS = (
    _f("Name", "str"),
    _f("DepartmentId", "int"),
    _f("CategoryId", "int"),
    _f("BrandId", "int"),
    _f("LinkId", "str"),
    _f("RefId", "str"),
    _f("IsVisible", "bool", default=True),
    _f("Description", "str"),
    _f("DescriptionShort", "str"),
    _f("ReleaseDate", "str"),
    _f("KeyWords", "str"),
    _f("Title", "str"),
    _f("IsActive", "bool", default=True),
    _f("TaxCode", "str"),
    _f("MetaTagDescription", "str"),
    _f("SupplierId", "int", True),
    _f("ShowWithoutStock", "bool", default=True),
    _f("AdWordsRemarketingCode", "str"),
    _f("LomadeeCampaignCode", "str"),
    _f("Score", "int"),
)
SKU_FIELDS = (
    _f("ProductId", "int"),
    _f("IsActive", "bool"),
    _f("ActivateIfPossible", "bool", default=True),
    _f("Name", "str"),
    _f("RefId", "str"),
    _f("PackagedHeight", "number"),
    _f("PackagedLength", "number"),
    _f("PackagedWidth", "number"),
    _f("PackagedWeightKg", "number"),
    _f("Height", "number"),
    _f("Length", "number"),
    _f("Width", "number"),
    _f("WeightKg", "number"),
    _f("CubicWeight", "number"),
    _f("IsKit", "bool"),
    _f("CreationDate", "str"),
    _f("RewardValue", "number"),
    _f("EstimatedDateArrival", "str", True),
    _f("ManufacturerCode", "str"),
    _f("CommercialConditionId", "int", default=1),
    _f("MeasurementUnit", "str", default="un"),
    _f("UnitMultiplier", "number", default=1),
    _f("ModalType", "str", True),
    _f("KitItensSellApart", "bool"),
    _f("Videos", "list"),
)
SPECGROUP_FIELDS = (_f("CategoryId", "int"), _f("Name", "str"), _f("Position", "int"))
SPECFIELD_FIELDS = (
    _f("FieldTypeId", "int"),
    _f("CategoryId", "int"),
    _f("FieldGroupId", "int"),
    _f("Name", "str"),
    _f("Description", "str"),
    _f("Position", "int"),
    _f("IsFilter", "bool"),
    _f("IsRequired", "bool"),
    _f("IsOnProductDetails", "bool"),
    _f("IsStockKeepingUnit", "bool"),
    _f("IsWizard", "bool", True, default=False),
    _f("IsActive", "bool", default=True),
    _f("IsTopMenuLinkActive", "bool"),
    _f("IsSideMenuLinkActive", "bool"),
    _f("DefaultValue", "str"),
)
SPECVALUE_FIELDS = (
    _f("FieldId", "int"),
    _f("Name", "str"),
    _f("Text", "str", True),
    _f("IsActive", "bool", default=True),
    _f("Position", "int"),
)
FILE_FIELDS = (
    _f("IsMain", "bool"),
    _f("Label", "str", True),
    _f("Name", "str"),
    _f("Text", "str"),
    _f("Url", "str"),
    _f("Position", "int"),
)


def coerce_value(field: Field, value: Any) -> Any:
    """``value`` as ``field.type``, the way VTEX's JSON binder accepts it; raises 400 otherwise."""
    if value is None:
        return field.zero()
    bad = RuleError(400, f"The value {value!r} is not valid for {field.name} ({_type_label(field.type)}).")
    match field.type:
        case "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise bad
        case "int":
            if isinstance(value, bool):
                raise bad
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                return int(value)
            raise bad
        case "number":
            if isinstance(value, bool):
                raise bad
            if isinstance(value, int | float):
                return _tidy(value)
            if isinstance(value, str):
                try:
                    return _tidy(float(value))
                except ValueError:
                    raise bad from None
            raise bad
        case "str":
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise bad
        case "list":
            if isinstance(value, list):
                return value
            raise bad
    raise bad  # pragma: no cover - exhaustive match


def _type_label(kind: FieldType) -> str:
    return {"int": "integer", "number": "number", "bool": "boolean", "str": "string", "list": "array"}[kind]


def _tidy(number: float) -> int | float:
    return int(number) if float(number).is_integer() else float(number)


def coerce(
    body: Mapping[str, Any],
    fields: Iterable[Field],
    *,
    base: Mapping[str, Any] | None = None,
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """A document with every field of ``fields``: from ``body``, else ``base``, else the zero value.

    Raises:
        RuleError: 400 when a required field is missing/empty or a value has the wrong type.
    """
    for name in required:
        if body.get(name) is None or body.get(name) == "":
            raise RuleError(400, f"The field {name} is required.")
    out: dict[str, Any] = {}
    for field in fields:
        if field.name in body:
            out[field.name] = coerce_value(field, body[field.name])
        elif base is not None and field.name in base:
            out[field.name] = base[field.name]
        else:
            out[field.name] = field.zero()
    return out


def body_object(body: Any) -> dict[str, Any]:
    """The body as a JSON object, or 400."""
    if not isinstance(body, dict):
        raise RuleError(400, "The request body must be a JSON object.")
    return body


def caller_id(body: Mapping[str, Any], *, required: bool = False, maximum: int = SKU_ID_MAX) -> int | None:
    """The caller-chosen ``Id`` (1..maximum) or ``None``; 400 when invalid (or missing and required)."""
    raw = body.get("Id")
    if raw is None:
        if required:
            raise RuleError(400, "The field Id is required.")
        return None
    value = coerce_value(Field("Id", "int"), raw)
    if not 1 <= value <= maximum:
        raise RuleError(400, f"Id must be between 1 and {maximum}.")
    return int(value)


def path_id(raw: str, what: str) -> int:
    """An integer id from a path segment, or 404 (VTEX finds no such entity)."""
    if not raw.isdigit() or int(raw) > SKU_ID_MAX or int(raw) == 0:
        raise RuleError(404, f"{what} not found.")
    return int(raw)


def slugify(text: str) -> str:
    """VTEX-like ``LinkId``: lower-case ASCII words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# --- categories -------------------------------------------------------------------------------


def category_chain(categories: Mapping[str, Mapping[str, Any]], category_id: int) -> list[Mapping[str, Any]]:
    """The category and its ancestors, root first (stops at a missing parent or a cycle)."""
    chain: list[Mapping[str, Any]] = []
    seen: set[int] = set()
    current: int | None = category_id
    while current is not None and current not in seen:
        doc = categories.get(str(current))
        if doc is None:
            break
        seen.add(current)
        chain.append(doc)
        current = doc.get("FatherCategoryId")
    return list(reversed(chain))


def check_category_parent(
    categories: Mapping[str, Mapping[str, Any]], category_id: int, parent: int | None
) -> None:
    """400 when ``parent`` does not exist or would make a cycle."""
    if parent is None:
        return
    if str(parent) not in categories:
        raise RuleError(400, f"The parent category {parent} does not exist.")
    if any(doc["Id"] == category_id for doc in category_chain(categories, parent)):
        raise RuleError(400, "A category cannot be its own ancestor.")


def category_view(
    categories: Mapping[str, Mapping[str, Any]], doc: Mapping[str, Any], *, has_children: bool
) -> dict[str, Any]:
    """The ``GET /api/catalog/pvt/category/{id}`` body: stored fields plus derived tree fields."""
    chain = category_chain(categories, int(doc["Id"]))
    return {
        **doc,
        "HasChildren": has_children,
        "TreePath": [c["Name"] for c in chain],
        "TreePathIds": [c["Id"] for c in chain],
        "TreePathLinkIds": [c["LinkId"] for c in chain],
    }


def category_tree(
    children_of: Callable[[int | None], Iterable[Mapping[str, Any]]], levels: int, base_url: str
) -> list[dict[str, Any]]:
    """``GET /api/catalog_system/pub/category/tree/{levels}``: active categories, ``levels`` deep.

    ``children_of(parent)`` gives the categories whose ``FatherCategoryId`` is ``parent`` (``None``:
    the departments).
    """

    def children(parent: int | None) -> list[Mapping[str, Any]]:
        return [doc for doc in children_of(parent) if doc.get("IsActive", True)]

    def build(parent: int | None, depth: int, prefix: str) -> list[dict[str, Any]]:
        out = []
        for doc in sorted(children(parent), key=lambda d: int(d["Id"])):
            url = f"{prefix}/{doc['LinkId']}"
            kids = build(doc["Id"], depth + 1, url) if depth < levels else []
            out.append(
                {
                    "id": doc["Id"],
                    "name": doc["Name"],
                    "hasChildren": bool(kids) if depth < levels else bool(children(doc["Id"])),
                    "url": base_url + url,
                    "children": kids,
                    "Title": doc.get("Title") or doc["Name"],
                    "MetaTagDescription": doc.get("Description") or "",
                }
            )
        return out

    return build(None, 1, "")


# --- brands -----------------------------------------------------------------------------------


def brand_system_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The ``catalog_system`` brand shape (``id, name, isActive, title, metaTagDescription, imageUrl``)."""
    return {
        "id": doc["Id"],
        "name": doc["Name"],
        "isActive": bool(doc.get("Active", True)),
        "title": doc.get("SiteTitle") or doc["Name"],
        "metaTagDescription": doc.get("Text") or "",
        "imageUrl": None,
    }


# --- products ---------------------------------------------------------------------------------


def check_product(doc: Mapping[str, Any]) -> None:
    if not doc["Name"]:
        raise RuleError(400, "The field Name is required.")
    if len(doc["Name"]) > PRODUCT_NAME_MAX:
        raise RuleError(400, f"Name must have at most {PRODUCT_NAME_MAX} characters.")
    if len(doc["RefId"]) > PRODUCT_REFID_MAX:
        raise RuleError(400, f"RefId must have at most {PRODUCT_REFID_MAX} characters.")


def product_system_view(doc: Mapping[str, Any], store_ids: list[int]) -> dict[str, Any]:
    """``productget`` / ``productgetbyrefid``: the product plus ``ListStoreId`` (its trade policies)."""
    view = {k: v for k, v in doc.items() if k != "Score"}
    view["ListStoreId"] = store_ids
    return view


# --- SKUs -------------------------------------------------------------------------------------

PACKAGED = ("PackagedHeight", "PackagedLength", "PackagedWidth", "PackagedWeightKg")


def check_sku(doc: Mapping[str, Any], *, creating: bool, has_ean: bool) -> None:
    """VTEX's SKU write rules (create with ``IsActive: true`` refused, RefId/EAN, packaged sizes)."""
    if creating and doc["IsActive"]:
        raise RuleError(
            400,
            "A SKU cannot be created active: send IsActive false (or omit it) and ActivateIfPossible true; "
            "it is activated once it has a RefId or EAN, an image and an active product.",
        )
    if not doc["Name"]:
        raise RuleError(400, "The field Name is required.")
    if len(doc["RefId"]) > SKU_REFID_MAX:
        raise RuleError(400, f"RefId must have at most {SKU_REFID_MAX} characters.")
    if not doc["RefId"] and not has_ean:
        raise RuleError(400, "A SKU needs a RefId or an EAN.")
    missing = [name for name in PACKAGED if not doc.get(name)]
    if missing:
        raise RuleError(400, f"{', '.join(missing)} must be informed and greater than zero.")
    negative = [name for name in PACKAGED if doc[name] < 0]
    if negative:
        raise RuleError(400, f"{', '.join(negative)} must be greater than zero.")


def activation_problems(
    sku: Mapping[str, Any],
    *,
    eans: list[str],
    images: int,
    product: Mapping[str, Any] | None,
    brand: Mapping[str, Any] | None,
    category: Mapping[str, Any] | None,
    missing_specs: list[str],
) -> list[str]:
    """Why the SKU cannot be active (empty when it can): VTEX's activation preconditions."""
    problems = []
    if not sku.get("RefId") and not eans:
        problems.append("the SKU has neither a RefId nor an EAN")
    if images < 1:
        problems.append("the SKU has no image")
    if missing_specs:
        problems.append(f"required SKU specifications are not filled: {', '.join(missing_specs)}")
    if product is None:
        problems.append("the product does not exist")
    else:
        if not product.get("IsActive"):
            problems.append(f"the product {product['Id']} is not active")
        if brand is None:
            problems.append(f"the brand {product.get('BrandId')} does not exist")
        elif not brand.get("Active", True):
            problems.append(f"the brand {brand['Id']} is not active")
        if category is None:
            problems.append(f"the category {product.get('CategoryId')} does not exist")
        elif not category.get("IsActive", True):
            problems.append(f"the category {category['Id']} is not active")
    return problems


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
    sku, product = parts.sku, parts.product
    files = sorted(parts.files, key=lambda f: (not f.get("IsMain"), f.get("Position", 0), f["Id"]))
    main = files[0]["Url"] if files else ""
    category = parts.categories[-1] if parts.categories else None
    category_path = "/" + "/".join(str(c["Id"]) for c in parts.categories) + "/" if parts.categories else "/"
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
        "ImageUrl": main,
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
        "ManufacturerCode": sku["ManufacturerCode"],
        "IsKit": sku["IsKit"],
        "KitItems": [],
        "Services": [],
        "Categories": [category_path] if parts.categories else [],
        "CategoriesFullPath": [
            "/" + "/".join(str(c["Id"]) for c in parts.categories[: i + 1]) + "/"
            for i in reversed(range(len(parts.categories)))
        ],
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
        "Images": [{"ImageUrl": f["Url"], "ImageName": f.get("Name"), "FileId": f["Id"]} for f in files],
        "Videos": sku.get("Videos", []),
        "SkuSpecifications": parts.sku_specs,
        "ProductSpecifications": parts.product_specs,
        "ProductClustersIds": "",
        "PositionsInClusters": {},
        "ProductClusterNames": {},
        "ProductClusterHighlights": {},
        "ProductCategoryIds": category_path,
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


# --- files ------------------------------------------------------------------------------------


def check_image_url(url: str) -> None:
    """400 unless ``url`` is http(s) and its path ends in .jpg, .png or .gif."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuleError(400, "The image Url must start with http:// or https://.")
    if not parts.path.lower().endswith(IMAGE_EXTENSIONS):
        raise RuleError(400, "The image Url must end with .jpg, .png or .gif.")


def default_sales_channel(currency: str = "BRL") -> dict[str, Any]:
    """Trade policy 1, which every VTEX account has."""
    return {
        "Id": 1,
        "Name": "Main",
        "IsActive": True,
        "ProductClusterId": None,
        "CountryCode": "BRA",
        "CultureInfo": "pt-BR",
        "TimeZone": "E. South America Standard Time",
        "CurrencyCode": currency,
        "CurrencySymbol": "R$",
        "CurrencyLocale": 1046,
        "CurrencyFormatInfo": {
            "CurrencyDecimalDigits": 2,
            "CurrencyDecimalSeparator": ",",
            "CurrencyGroupSeparator": ".",
            "CurrencyGroupSize": 3,
            "StartsWithCurrencySymbol": True,
        },
        "Origin": None,
        "Position": 1,
        "ConditionRule": None,
        "CurrencyDecimalDigits": 2,
    }
