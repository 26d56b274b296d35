"""Catalog rules shared by every area: field coercion and defaults, ids, slugs, trade policy 1.

Documents are stored in the shape VTEX's ``GET`` answers (``/api/catalog/pvt/...``). Input is coerced
the way VTEX's .NET binder does (``"12"`` is accepted for an integer, ``12`` for a string); a field the
spec declares non-nullable is never stored as ``null`` (a missing or null value becomes the type's
zero value: ``""``, ``0``, ``false``, ``[]``), so every answer validates against the spec.

Choices where VTEX's documentation is silent (documented in docs/sandbox.md):
- a duplicate caller-chosen ``Id`` or a duplicate SKU/product ``RefId`` answers **409**;
- a SKU ``RefId`` longer than 50 characters, a product ``RefId`` longer than 100, a product ``Name``
  longer than 150 answer **400**;
- an EAN already used by another SKU answers **409**.

The catalog's rules by area: :mod:`.catalog_tables` (lookups and ids over the account's tables),
:mod:`.catalog_taxonomy` (categories, brands), :mod:`.catalog_specs` (specification groups, fields,
values and the product/SKU specifications), :mod:`.catalog_images` (SKU files),
:mod:`.catalog_products` (products, trade policies, SKUs, EANs, activation) and
:mod:`.catalog_views` (the SKU-and-context and SKU-by-product answers).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from vtexbridge.sandbox.rules import RuleError

FieldType = Literal["int", "number", "bool", "str", "list"]

SKU_ID_MAX = 2_147_483_647
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
    coerced = _COERCE[field.type](value)
    if coerced is _INVALID:
        label = _type_label(field.type)
        raise RuleError(400, f"The value {value!r} is not valid for {field.name} ({label}).")
    return coerced


_INVALID: Any = object()  # what a coercer answers for a value of the wrong type


def _as_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return _INVALID


def _as_int(value: Any) -> Any:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return _INVALID


def _as_number(value: Any) -> Any:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, int | float):
        return _tidy(value)
    if isinstance(value, str):
        try:
            return _tidy(float(value))
        except ValueError:
            return _INVALID
    return _INVALID


def _as_str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _INVALID


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else _INVALID


_COERCE: dict[FieldType, Callable[[Any], Any]] = {
    "bool": _as_bool,
    "int": _as_int,
    "number": _as_number,
    "str": _as_str,
    "list": _as_list,
}


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


# --- trade policies -------------------------------------------------------------------------


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
