"""Catalog specification rules: groups, fields and values, and the specifications of products and SKUs.

A field belongs to a group (which must exist) and takes its category when it names none; values of a
Combo, Radio or Checkbox field (:data:`~vtexbridge.sandbox.rules.catalog.VALUE_FIELD_TYPES`) are
chosen from created values (``FieldValueId``), other fields take a ``Text``. A product or SKU has one
specification per field, except a Checkbox field (one row per value). Specifications by name
(``PUT .../specificationvalue``) create the group, field (Combo for one value, Checkbox for several) and
values that do not exist yet. A SKU specification re-checks the SKU's activation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules
from vtexbridge.sandbox.rules.catalog_products import refresh_activation
from vtexbridge.sandbox.rules.catalog_tables import Doc, by_id, delete_docs, find, named, next_position, owned
from vtexbridge.sandbox.rules.catalog_taxonomy import require_category
from vtexbridge.sandbox.store import Index

if TYPE_CHECKING:
    from vtexbridge.sandbox.context import SandboxContext

CHECKBOX = 7  # the field type with several values per owner, one row each

# --- groups, fields, values -------------------------------------------------------------------


def create_spec_group(ctx: SandboxContext, body: Doc) -> Doc:
    doc = rules.coerce(body, rules.SPECGROUP_FIELDS, required=("CategoryId", "Name"))
    require_category(ctx, doc["CategoryId"])
    groups = ctx.table("specgroup")
    if "Position" not in body:
        doc["Position"] = next_position(groups.find(ix.SPECGROUP_BY_CATEGORY, doc["CategoryId"]))
    group_id = ctx.store.next_id(ctx.account, "specgroup")
    doc = {"Id": group_id, **doc}
    groups[str(group_id)] = doc
    return doc


def update_spec_group(ctx: SandboxContext, current: Doc, body: Doc) -> Doc:
    doc = rules.coerce(body, rules.SPECGROUP_FIELDS, base=current, required=("CategoryId", "Name"))
    require_category(ctx, doc["CategoryId"])
    doc = {
        "CategoryId": doc["CategoryId"],
        "Id": current["Id"],
        "Name": doc["Name"],
        "Position": doc["Position"],
    }
    ctx.table("specgroup")[str(current["Id"])] = doc
    return doc


def write_spec_field(ctx: SandboxContext, field_id: int, body: Doc, base: Doc | None) -> Doc:
    doc = rules.coerce(
        body, rules.SPECFIELD_FIELDS, base=base, required=("FieldTypeId", "FieldGroupId", "Name")
    )
    if doc["FieldTypeId"] not in rules.FIELD_TYPE_NAMES:
        raise RuleError(400, f"FieldTypeId {doc['FieldTypeId']} is not a known field type.")
    group = ctx.table("specgroup").get(str(doc["FieldGroupId"]))
    if group is None:
        raise RuleError(400, f"The specification group {doc['FieldGroupId']} does not exist.")
    if not doc["CategoryId"] and group.get("CategoryId"):
        doc["CategoryId"] = group["CategoryId"]
    require_category(ctx, doc["CategoryId"] or None)
    if "Position" not in body and base is None:
        doc["Position"] = next_position(find(ctx, ix.SPECFIELD_BY_GROUP, group["Id"]))
    doc = {"Id": field_id, **doc}
    ctx.table("specfield")[str(field_id)] = doc
    return doc


def write_spec_value(ctx: SandboxContext, value_id: int, body: Doc, base: Doc | None) -> Doc:
    doc = rules.coerce(body, rules.SPECVALUE_FIELDS, base=base, required=("FieldId", "Name"))
    if str(doc["FieldId"]) not in ctx.table("specfield"):
        raise RuleError(400, f"The specification field {doc['FieldId']} does not exist.")
    values = ctx.table("specvalue")
    if "Position" not in body and base is None:
        doc["Position"] = next_position(values.find(ix.SPECVALUE_BY_FIELD, doc["FieldId"]))
    doc = {"FieldValueId": value_id, **doc}
    values[str(value_id)] = doc
    return doc


def field_legacy_view(ctx: SandboxContext, doc: Doc) -> Doc:
    """``GET /api/catalog_system/pub/specification/fieldGet/{fieldId}``."""
    group = ctx.table("specgroup").get(str(doc["FieldGroupId"]), {})
    return {
        "Name": doc["Name"],
        "CategoryId": doc["CategoryId"] or None,
        "FieldId": doc["Id"],
        "IsActive": doc["IsActive"],
        "IsRequired": doc["IsRequired"],
        "FieldTypeId": doc["FieldTypeId"],
        "FieldTypeName": rules.FIELD_TYPE_NAMES[doc["FieldTypeId"]],
        "FieldValueId": None,
        "Description": doc["Description"],
        "IsStockKeepingUnit": doc["IsStockKeepingUnit"],
        "IsFilter": doc["IsFilter"],
        "IsOnProductDetails": doc["IsOnProductDetails"],
        "Position": doc["Position"],
        "IsWizard": doc["IsWizard"],
        "IsTopMenuLinkActive": doc["IsTopMenuLinkActive"],
        "IsSideMenuLinkActive": doc["IsSideMenuLinkActive"],
        "DefaultValue": doc["DefaultValue"] or None,
        "FieldGroupId": doc["FieldGroupId"],
        "FieldGroupName": group.get("Name", ""),
    }


def fields_view(docs: Iterable[Doc]) -> list[Doc]:
    """The ``field/listByCategoryId`` / ``listTreeByCategoryId`` items."""
    return [
        {
            "Name": d["Name"],
            "CategoryId": d["CategoryId"],
            "FieldId": d["Id"],
            "IsActive": d["IsActive"],
            "IsStockKeepingUnit": d["IsStockKeepingUnit"],
        }
        for d in by_id(docs)
    ]


def values_view(ctx: SandboxContext, field: Doc) -> list[Doc]:
    """``GET /api/catalog_system/pub/specification/fieldvalue/{fieldId}``."""
    docs = by_id(find(ctx, ix.SPECVALUE_BY_FIELD, field["Id"]), "FieldValueId")
    return [
        {
            "FieldValueId": d["FieldValueId"],
            "Value": d["Name"],
            "IsActive": d["IsActive"],
            "Position": d["Position"],
        }
        for d in docs
    ]


def value_view(doc: Doc) -> Doc:
    """A specification value as ``GET`` answers it (``Text`` is non-nullable in that answer)."""
    return {**doc, "Text": doc.get("Text") or ""}


# --- product and SKU specifications -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpecOwner:
    """Where the specifications of one kind of owner (product or SKU) live."""

    kind: str  # the specifications' table
    owner_key: str  # their field naming the owner
    index: Index  # ``kind`` by ``owner_key``
    owner_kind: str
    what: str  # the owner in messages
    sku_level: bool  # SKU specifications: the field is marked IsStockKeepingUnit, activation re-checked

    def of(self, ctx: SandboxContext, owner_id: int) -> list[Doc]:
        """The owner's specifications, in table order."""
        return find(ctx, self.index, owner_id)

    def of_field(self, ctx: SandboxContext, owner_id: int, field_id: int) -> list[Doc]:
        return [d for d in self.of(ctx, owner_id) if d["FieldId"] == field_id]

    def views(self, ctx: SandboxContext, owner_id: int) -> list[Doc]:
        return [spec_view(d) for d in by_id(self.of(ctx, owner_id))]

    def write(
        self, ctx: SandboxContext, spec_id: int, owner_id: int, field: Doc, value_id: int | None, text: str
    ) -> Doc:
        doc = {
            "Id": spec_id,
            self.owner_key: owner_id,
            "FieldId": field["Id"],
            "FieldValueId": value_id,
            "Text": text,
        }
        ctx.table(self.kind)[str(spec_id)] = doc
        return doc

    def activate(self, ctx: SandboxContext, owner_id: int) -> None:
        if self.sku_level:
            refresh_activation(ctx, [owner_id])


PRODUCT_SPECS = SpecOwner(
    "productspec", "ProductId", ix.PRODUCTSPEC_BY_PRODUCT, "product", "Product", sku_level=False
)
SKU_SPECS = SpecOwner("skuspec", "SkuId", ix.SKUSPEC_BY_SKU, "sku", "SKU", sku_level=True)


def spec_view(doc: Doc) -> Doc:
    return {**doc, "FieldValueId": doc.get("FieldValueId") or 0, "Text": doc.get("Text") or ""}


def spec_link(ctx: SandboxContext, body: Doc) -> tuple[Doc, int | None, str]:
    """(field, value id, text) of a product/SKU specification body; 400 when inconsistent."""
    field_id = rules.coerce_value(rules.Field("FieldId", "int"), body.get("FieldId"))
    if not field_id:
        raise RuleError(400, "The field FieldId is required.")
    field = ctx.table("specfield").get(str(field_id))
    if field is None:
        raise RuleError(400, f"The specification field {field_id} does not exist.")
    value_id = rules.coerce_value(rules.Field("FieldValueId", "int", True), body.get("FieldValueId"))
    text = rules.coerce_value(rules.Field("Text", "str"), body.get("Text"))
    if value_id:
        value = ctx.table("specvalue").get(str(value_id))
        if value is None or value["FieldId"] != field_id:
            raise RuleError(
                400, f"The value {value_id} does not belong to the specification field {field_id}."
            )
        text = value["Name"]
    elif field["FieldTypeId"] in rules.VALUE_FIELD_TYPES:
        raise RuleError(400, f"The specification field {field_id} takes a FieldValueId.")
    return field, value_id or None, text


def put_spec(ctx: SandboxContext, specs: SpecOwner, owner_id: int, body: Doc) -> Doc:
    """Create (or, for a single-valued field, replace) the owner's specification for a field."""
    field, value_id, text = spec_link(ctx, body)
    existing = specs.of_field(ctx, owner_id, field["Id"])
    if field["FieldTypeId"] == CHECKBOX:
        existing = [d for d in existing if d.get("FieldValueId") == value_id]
    spec_id = int(existing[0]["Id"]) if existing else ctx.store.next_id(ctx.account, specs.kind)
    return specs.write(ctx, spec_id, owner_id, field, value_id, text)


def create_spec(ctx: SandboxContext, specs: SpecOwner, owner_id: int, body: Doc) -> Doc:
    """``POST .../specification`` of a product or SKU: the specification's view."""
    doc = put_spec(ctx, specs, owner_id, body)
    specs.activate(ctx, owner_id)
    return spec_view(doc)


def update_sku_spec(ctx: SandboxContext, sku: Doc, body: Doc) -> list[Doc]:
    """``PUT .../stockkeepingunit/{skuId}/specification``: rewrite one of the SKU's specifications."""
    spec_id = rules.coerce_value(rules.Field("Id", "int"), body.get("Id"))
    if owned(ctx, SKU_SPECS.kind, str(spec_id), SKU_SPECS.owner_key, sku["Id"]) is None:
        raise RuleError(404, f"SKU specification {spec_id} not found.")
    field, value_id, text = spec_link(ctx, body)
    SKU_SPECS.write(ctx, spec_id, sku["Id"], field, value_id, text)
    return SKU_SPECS.views(ctx, sku["Id"])


def _group_by_name(ctx: SandboxContext, category_id: int | None, name: str) -> Doc:
    """The group named ``name`` of the category (``None``: the root level), created when missing."""
    same = find(ctx, ix.SPECGROUP_BY_CATEGORY, category_id)
    group = named(same, name)
    if group is None:
        group_id = ctx.store.next_id(ctx.account, "specgroup")
        group = {"Id": group_id, "CategoryId": category_id, "Name": name, "Position": next_position(same)}
        ctx.table("specgroup")[str(group_id)] = group
    return group


def spec_by_names(ctx: SandboxContext, category_id: int, body: Doc) -> tuple[Doc, list[int]]:
    """``PUT .../specificationvalue``: find or create group, field and values by name."""
    for name in ("FieldName", "GroupName"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise RuleError(400, f"The field {name} is required.")
    values = body.get("FieldValues")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise RuleError(400, "FieldValues must be a non-empty list of strings.")
    group_category: int | None = None if body.get("RootLevelSpecification") else category_id
    group = _group_by_name(ctx, group_category, body["GroupName"])
    field = named(find(ctx, ix.SPECFIELD_BY_GROUP, group["Id"]), body["FieldName"])
    if field is None:
        field = write_spec_field(
            ctx,
            ctx.store.next_id(ctx.account, "specfield"),
            {
                "FieldTypeId": CHECKBOX if len(values) > 1 else 5,
                "FieldGroupId": group["Id"],
                "CategoryId": group_category or 0,
                "Name": body["FieldName"],
            },
            None,
        )
    value_ids = []
    for name in values:
        existing = named(find(ctx, ix.SPECVALUE_BY_FIELD, field["Id"]), name)
        if existing is None:
            existing = write_spec_value(
                ctx, ctx.store.next_id(ctx.account, "specvalue"), {"FieldId": field["Id"], "Name": name}, None
            )
        value_ids.append(int(existing["FieldValueId"]))
    return field, value_ids


def specs_by_names(ctx: SandboxContext, specs: SpecOwner, owner: Doc, product: Doc, body: Doc) -> list[Doc]:
    """``PUT .../specificationvalue`` of a product or SKU: replaces the owner's values of the field."""
    field, value_ids = spec_by_names(ctx, int(product["CategoryId"]), body)
    if specs.sku_level and not field["IsStockKeepingUnit"]:
        ctx.table("specfield")[str(field["Id"])] = {**field, "IsStockKeepingUnit": True}
    owner_id = int(owner["Id"])
    delete_docs(ctx, specs.kind, specs.of_field(ctx, owner_id, field["Id"]))
    out = []
    for value_id in value_ids:
        spec_id = ctx.store.next_id(ctx.account, specs.kind)
        name = ctx.table("specvalue")[str(value_id)]["Name"]
        out.append(spec_view(specs.write(ctx, spec_id, owner_id, field, value_id, name)))
    specs.activate(ctx, owner_id)
    return out
