"""The legacy specification writes many ERP connectors still use (``/api/catalog_system/...``).

Same entities and rules as the current routes of :mod:`.catalog` (kinds ``specfield``, ``specvalue``,
``productspec``); only the shapes differ:

- ``POST /api/catalog_system/pvt/specification/field``: the ``fieldGet`` shape (``FieldGroupId``,
  ``FieldTypeId``, ``Name`` required; ``FieldId``, ``FieldValueId`` and ``FieldGroupName`` are
  ignored) -> 200 with the new field's id (a JSON integer);
- ``PUT /api/catalog_system/pvt/specification/field``: the same shape naming ``FieldId`` -> 200 with
  that id; 404 when the field does not exist; fields not given are kept;
- ``POST /api/catalog_system/pvt/specification/fieldValue`` ``{FieldId, Name, Text, IsActive, Position}``
  -> the created value ``{FieldValueId, FieldId, Name, Text, IsActive, Position}``;
- ``PUT /api/catalog_system/pvt/specification/fieldValue``: updates the value named by
  ``FieldValueId``, or, when the body has none (the spec's schema lists no ``FieldValueId``), the value
  of ``FieldId`` whose ``Name`` is the body's -> 200 ``"Field Value Updated"``; 404 when none matches;
- ``GET /api/catalog_system/pvt/products/{productId}/specification``: the product's specifications
  grouped by field, ``[{Id, Name, Value: [texts]}]``;
- ``POST /api/catalog_system/pvt/products/{productId}/specification`` ``[{Id?|Name?, Value: [..]}]``:
  for each item, the field named by ``Id`` (or by ``Name`` among the fields of the product's category
  and its ancestors; 400 when neither finds one) gets exactly the given values (the product's previous
  values of that field are replaced). For Combo/Radio/Checkbox fields each value is looked up by name
  and created when missing; other fields take the first value as text. 200 without a body.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.context import SandboxContext, read_json, rule_errors, sandbox
from vtexbridge.sandbox.routes._catalog_http import body as request_body
from vtexbridge.sandbox.routes._catalog_http import product as path_product
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules
from vtexbridge.sandbox.rules.catalog_specs import PRODUCT_SPECS, write_spec_field, write_spec_value
from vtexbridge.sandbox.rules.catalog_tables import by_id, delete_docs, named
from vtexbridge.sandbox.rules.catalog_tables import get as get_entity
from vtexbridge.sandbox.rules.catalog_taxonomy import category_fields

__all__ = ["MAX_SPEC_ITEMS", "MAX_SPEC_VALUES", "routes"]

Doc = dict[str, Any]
MAX_SPEC_ITEMS = 200
MAX_SPEC_VALUES = 200
_LEGACY_IGNORED = ("FieldId", "FieldValueId", "FieldGroupName")


def _modern(body: Doc) -> Doc:
    """A legacy field body in the current routes' terms (``null`` strings become empty)."""
    out = {k: v for k, v in body.items() if k not in _LEGACY_IGNORED}
    if out.get("CategoryId") is None:
        out.pop("CategoryId", None)
    return out


@rule_errors("catalog")
async def create_field(request: Request) -> Response:
    ctx = sandbox(request)
    body = _modern(await request_body(request))
    doc = write_spec_field(ctx, ctx.store.next_id(ctx.account, "specfield"), body, None)
    return JSONResponse(doc["Id"])


@rule_errors("catalog")
async def update_field(request: Request) -> Response:
    ctx = sandbox(request)
    body = await request_body(request)
    field_id = rules.coerce_value(rules.Field("FieldId", "int", True), body.get("FieldId"))
    if not field_id:
        raise RuleError(400, "The field FieldId is required.")
    current = get_entity(ctx, "specfield", str(field_id), "Specification field")
    doc = write_spec_field(ctx, int(current["Id"]), _modern(body), current)
    return JSONResponse(doc["Id"])


@rule_errors("catalog")
async def create_field_value(request: Request) -> Response:
    ctx = sandbox(request)
    body = {k: v for k, v in (await request_body(request)).items() if k != "FieldValueId"}
    doc = write_spec_value(ctx, ctx.store.next_id(ctx.account, "specvalue"), body, None)
    return JSONResponse(doc)


@rule_errors("catalog")
async def update_field_value(request: Request) -> Response:
    ctx = sandbox(request)
    body = await request_body(request)
    value_id = rules.coerce_value(rules.Field("FieldValueId", "int", True), body.get("FieldValueId"))
    if value_id:
        current = get_entity(ctx, "specvalue", str(value_id), "Specification field value")
    else:
        field_id = rules.coerce_value(rules.Field("FieldId", "int", True), body.get("FieldId"))
        name = body.get("Name")
        if not field_id or not isinstance(name, str) or not name:
            raise RuleError(400, "Name the value to update: FieldValueId, or FieldId and Name.")
        found = named(ctx.table("specvalue").find(ix.SPECVALUE_BY_FIELD, field_id), name)
        if found is None:
            raise RuleError(404, f"The specification field {field_id} has no value named {name!r}.")
        current = found
    changes = {k: v for k, v in body.items() if k != "FieldValueId"}
    write_spec_value(ctx, int(current["FieldValueId"]), changes, current)
    return JSONResponse("Field Value Updated")


@rule_errors("catalog")
async def get_product_specs(request: Request) -> Response:
    ctx = sandbox(request)
    product = path_product(ctx, request)
    fields = ctx.table("specfield")
    grouped: dict[int, Doc] = {}
    for spec in by_id(PRODUCT_SPECS.of(ctx, product["Id"])):
        field = fields.get(str(spec["FieldId"]))
        if field is None:
            continue
        entry = grouped.setdefault(int(field["Id"]), {"Value": [], "Id": field["Id"], "Name": field["Name"]})
        entry["Value"].append(spec.get("Text") or "")
    return JSONResponse(list(grouped.values()))


def _items(body: Any) -> list[Doc]:
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise RuleError(400, "The body must be a JSON list of {Id or Name, Value: [...]}.")
    if len(body) > MAX_SPEC_ITEMS:
        raise RuleError(400, f"At most {MAX_SPEC_ITEMS} specifications per call.")
    for n, item in enumerate(body):
        values = item.get("Value")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise RuleError(400, f"item {n}: Value must be a list of strings.")
        if len(values) > MAX_SPEC_VALUES:
            raise RuleError(400, f"item {n}: at most {MAX_SPEC_VALUES} values.")
    return body


def _field_of(ctx: SandboxContext, product: Doc, item: Doc, n: int) -> Doc:
    field_id = rules.coerce_value(rules.Field("Id", "int", True), item.get("Id"))
    if field_id:
        field = ctx.table("specfield").get(str(field_id))
        if field is None:
            raise RuleError(400, f"item {n}: the specification field {field_id} does not exist.")
        return field
    name = item.get("Name")
    if not isinstance(name, str) or not name:
        raise RuleError(400, f"item {n}: name the specification field by Id or Name.")
    field = named(category_fields(ctx, int(product["CategoryId"])), name)
    if field is None:
        raise RuleError(400, f"item {n}: no specification field named {name!r} in the product's category.")
    return field


def _value_id(ctx: SandboxContext, field: Doc, name: str) -> int:
    existing = named(ctx.table("specvalue").find(ix.SPECVALUE_BY_FIELD, field["Id"]), name)
    if existing is None:
        new_id = ctx.store.next_id(ctx.account, "specvalue")
        existing = write_spec_value(ctx, new_id, {"FieldId": field["Id"], "Name": name}, None)
    return int(existing["FieldValueId"])


@rule_errors("catalog")
async def post_product_specs(request: Request) -> Response:
    ctx = sandbox(request)
    product = path_product(ctx, request)
    items = _items(await read_json(request, catalog=True))
    plan = [(_field_of(ctx, product, item, n), list(item["Value"])) for n, item in enumerate(items)]
    owner_id = int(product["Id"])
    for field, values in plan:
        delete_docs(ctx, PRODUCT_SPECS.kind, PRODUCT_SPECS.of_field(ctx, owner_id, field["Id"]))
        if field["FieldTypeId"] in rules.VALUE_FIELD_TYPES:
            for name in dict.fromkeys(values):
                spec_id = ctx.store.next_id(ctx.account, PRODUCT_SPECS.kind)
                PRODUCT_SPECS.write(ctx, spec_id, owner_id, field, _value_id(ctx, field, name), name)
        elif values:
            spec_id = ctx.store.next_id(ctx.account, PRODUCT_SPECS.kind)
            PRODUCT_SPECS.write(ctx, spec_id, owner_id, field, None, values[0])
    return Response(status_code=200)


def routes() -> list[BaseRoute]:
    spec = "/api/catalog_system/pvt/specification"
    product = "/api/catalog_system/pvt/products/{productId}/specification"
    return [
        Route(f"{spec}/field", create_field, methods=["POST"]),
        Route(f"{spec}/field", update_field, methods=["PUT"]),
        Route(f"{spec}/fieldValue", create_field_value, methods=["POST"]),
        Route(f"{spec}/fieldValue", update_field_value, methods=["PUT"]),
        Route(product, get_product_specs, methods=["GET"]),
        Route(product, post_product_specs, methods=["POST"]),
    ]
