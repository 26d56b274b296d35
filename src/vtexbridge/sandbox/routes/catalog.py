"""Catalog API routes: categories, brands, specifications, products, trade policies, SKUs, files, EANs.

Paths and bodies follow ``VTEX - Catalog API.json``; the rules (defaults, ids, RefIds, activation)
live in :mod:`vtexbridge.sandbox.rules.catalog`. Errors answer in the Catalog's ``{"Message": ...}``
shape. Store kinds (key = the entity id as a string unless noted):

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
size of the store; they answer in table order, like the scans they replace.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.context import SandboxContext, catalog_error, read_json, rule_errors, sandbox
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules
from vtexbridge.sandbox.store import Index

Handler = Callable[[Request], Awaitable[Response]]
Doc = dict[str, Any]


def _ok() -> Response:
    return Response(status_code=200)


async def _body(request: Request) -> Doc:
    return rules.body_object(await read_json(request, catalog=True))


def _now(ctx: SandboxContext) -> str:
    return ctx.clock.now().strftime("%Y-%m-%dT%H:%M:%S")


def _get(ctx: SandboxContext, kind: str, raw_id: str, what: str) -> Doc:
    doc = ctx.table(kind).get(str(rules.path_id(raw_id, what)))
    if doc is None:
        raise RuleError(404, f"{what} not found.")
    return doc


def _product(ctx: SandboxContext, request: Request) -> Doc:
    """The product of the path's ``{productId}``, or 404."""
    return _get(ctx, "product", request.path_params["productId"], "Product")


def _sku(ctx: SandboxContext, request: Request) -> Doc:
    """The SKU of the path's ``{skuId}``, or 404."""
    return _get(ctx, "sku", request.path_params["skuId"], "SKU")


def _sku_id(ctx: SandboxContext, request: Request) -> int:
    return int(_sku(ctx, request)["Id"])


def _new_id(ctx: SandboxContext, kind: str, body: Doc, what: str, *, required: bool = False) -> int:
    chosen = rules.caller_id(body, required=required)
    if chosen is None:
        table = ctx.table(kind)
        while True:
            candidate = ctx.store.next_id(ctx.account, kind)
            if str(candidate) not in table:
                return candidate
    if str(chosen) in ctx.table(kind):
        raise RuleError(409, f"{what} with Id {chosen} already exists.")
    ctx.store.bump_id(ctx.account, kind, chosen)
    return chosen


Writer = Callable[[SandboxContext, int, Doc, Doc | None], Doc]  # (ctx, id, body, current) -> stored doc


async def _create(
    request: Request, kind: str, write: Writer, what: str | None = None, *, id_required: bool = False
) -> Doc:
    """``POST`` of an entity. With ``what`` (the entity takes a caller-chosen ``Id``): that ``Id``
    (409 when taken; 400 when missing and ``id_required``) or a fresh one; without: the next of
    ``kind``'s sequence, taken before validation.
    """
    ctx = sandbox(request)
    body = await _body(request)
    if what is None:
        return write(ctx, ctx.store.next_id(ctx.account, kind), body, None)
    return write(ctx, _new_id(ctx, kind, body, what, required=id_required), body, None)


async def _update(
    request: Request, kind: str, param: str, what: str, write: Writer, id_key: str = "Id"
) -> tuple[SandboxContext, Doc]:
    """``PUT`` of the entity of the path's ``{param}``: 404 unless it exists, then ``write`` over it."""
    ctx = sandbox(request)
    current = _get(ctx, kind, request.path_params[param], what)
    body = await _body(request)
    return ctx, write(ctx, int(current[id_key]), body, current)


async def _update_then_activate(
    request: Request, kind: str, param: str, what: str, write: Writer
) -> Response:
    """``PUT`` of a category, brand or product, then activation of its SKUs that now qualify."""
    ctx, doc = await _update(request, kind, param, what, write)
    _refresh_activation(ctx, _skus_where(ctx, **{f"{kind}_id": int(doc["Id"])}))
    return JSONResponse(doc)


def _sorted(docs: Iterable[Doc], key: str = "Id") -> list[Doc]:
    return sorted(docs, key=lambda d: int(d[key]))


def _find(ctx: SandboxContext, index: Index, value: Any) -> list[Doc]:
    """The documents of ``index.kind`` filed under ``value``, in table order."""
    return ctx.table(index.kind).find(index, value)


def _delete_docs(ctx: SandboxContext, kind: str, docs: Iterable[Doc], key: str = "Id") -> Response:
    table = ctx.table(kind)
    for doc in list(docs):
        del table[str(doc[key])]
    return _ok()


# --- categories -------------------------------------------------------------------------------


def _write_category(ctx: SandboxContext, category_id: int, body: Doc, base: Doc | None) -> Doc:
    categories = ctx.table("category")
    doc = rules.coerce(body, rules.CATEGORY_FIELDS, base=base, required=("Name",))
    rules.check_category_parent(categories, category_id, doc["FatherCategoryId"])
    doc = {"Id": category_id, **doc}
    doc["LinkId"] = rules.slugify(doc["Name"])
    if not doc["Title"]:
        doc["Title"] = doc["Name"]
    categories[str(category_id)] = doc
    return _category_view(ctx, doc)


def _category_view(ctx: SandboxContext, doc: Doc) -> Doc:
    categories = ctx.table("category")
    has_children = categories.count(ix.CATEGORY_BY_PARENT, doc["Id"]) > 0
    return rules.category_view(categories, doc, has_children=has_children)


def _subcategories(ctx: SandboxContext, parent: int | None) -> list[Doc]:
    return _find(ctx, ix.CATEGORY_BY_PARENT, parent)


def _category_subtree(ctx: SandboxContext, category_id: int) -> list[int]:
    """The category and all its descendants (the categories whose ancestor chain contains it)."""
    seen = {category_id}
    pending = [category_id]
    while pending:
        for child in _subcategories(ctx, pending.pop()):
            if int(child["Id"]) not in seen:
                seen.add(int(child["Id"]))
                pending.append(int(child["Id"]))
    return sorted(seen)


@rule_errors("catalog")
async def create_category(request: Request) -> Response:
    return JSONResponse(await _create(request, "category", _write_category, "Category"))


@rule_errors("catalog")
async def get_category(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(
        _category_view(ctx, _get(ctx, "category", request.path_params["categoryId"], "Category"))
    )


@rule_errors("catalog")
async def update_category(request: Request) -> Response:
    return await _update_then_activate(request, "category", "categoryId", "Category", _write_category)


@rule_errors("catalog")
async def category_tree(request: Request) -> Response:
    ctx = sandbox(request)
    raw = request.path_params["categoryLevels"]
    if not raw.isdigit():
        raise RuleError(400, "categoryLevels must be a number.")
    base_url = f"https://{ctx.account}.vtexcommercestable.com.br"
    return JSONResponse(rules.category_tree(lambda parent: _subcategories(ctx, parent), int(raw), base_url))


# --- brands -----------------------------------------------------------------------------------


def _write_brand(ctx: SandboxContext, brand_id: int, body: Doc, base: Doc | None) -> Doc:
    doc = {"Id": brand_id, **rules.coerce(body, rules.BRAND_FIELDS, base=base, required=("Name",))}
    if not doc["LinkId"]:
        doc["LinkId"] = rules.slugify(doc["Name"])
    ctx.table("brand")[str(brand_id)] = doc
    return doc


@rule_errors("catalog")
async def create_brand(request: Request) -> Response:
    return JSONResponse(await _create(request, "brand", _write_brand, "Brand", id_required=True))


@rule_errors("catalog")
async def get_brand(request: Request) -> Response:
    return JSONResponse(_get(sandbox(request), "brand", request.path_params["brandId"], "Brand"))


@rule_errors("catalog")
async def update_brand(request: Request) -> Response:
    return await _update_then_activate(request, "brand", "brandId", "Brand", _write_brand)


@rule_errors("catalog")
async def delete_brand(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _get(ctx, "brand", request.path_params["brandId"], "Brand")
    if ctx.table("product").count(ix.PRODUCT_BY_BRAND, doc["Id"]):
        raise RuleError(400, f"The brand {doc['Id']} has products and cannot be deleted.")
    del ctx.table("brand")[str(doc["Id"])]
    return _ok()


@rule_errors("catalog")
async def list_brands(request: Request) -> Response:
    ctx = sandbox(request)
    brands = ctx.table("brand")
    return JSONResponse([rules.brand_system_view(brands[str(i)]) for i in brands.sorted_int_keys()])


@rule_errors("catalog")
async def paged_brands(request: Request) -> Response:
    ctx = sandbox(request)
    page = _query_int(request, "page", 1, minimum=1)
    per_page = _query_int(request, "pageSize", 15, minimum=1)
    brands = ctx.table("brand")
    ids = brands.sorted_int_keys()
    chunk = [brands[str(i)] for i in ids[(page - 1) * per_page : page * per_page]]
    return JSONResponse(
        {
            "items": [rules.brand_system_view(d) for d in chunk],
            "paging": {
                "page": page,
                "perPage": per_page,
                "total": len(ids),
                "pages": math.ceil(len(ids) / per_page),
            },
        }
    )


@rule_errors("catalog")
async def get_brand_system(request: Request) -> Response:
    doc = _get(sandbox(request), "brand", request.path_params["brandId"], "Brand")
    return JSONResponse(rules.brand_system_view(doc))


def _query_int(
    request: Request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise RuleError(400, f"{name} must be an integer of at least {minimum}.")
    if maximum is not None and int(raw) > maximum:
        raise RuleError(400, f"{name} must be at most {maximum}.")
    return int(raw)


# --- specification groups, fields, values -----------------------------------------------------


def _require_category(ctx: SandboxContext, category_id: int | None) -> None:
    if category_id is not None and str(category_id) not in ctx.table("category"):
        raise RuleError(400, f"The category {category_id} does not exist.")


def _next_position(docs: Iterable[Doc]) -> int:
    return max((int(d.get("Position") or 0) for d in docs), default=0) + 1


@rule_errors("catalog")
async def create_spec_group(request: Request) -> Response:
    ctx = sandbox(request)
    body = await _body(request)
    doc = rules.coerce(body, rules.SPECGROUP_FIELDS, required=("CategoryId", "Name"))
    _require_category(ctx, doc["CategoryId"])
    groups = ctx.table("specgroup")
    if "Position" not in body:
        doc["Position"] = _next_position(groups.find(ix.SPECGROUP_BY_CATEGORY, doc["CategoryId"]))
    group_id = ctx.store.next_id(ctx.account, "specgroup")
    doc = {"Id": group_id, **doc}
    groups[str(group_id)] = doc
    return JSONResponse(doc)


@rule_errors("catalog")
async def update_spec_group(request: Request) -> Response:
    ctx = sandbox(request)
    current = _get(ctx, "specgroup", request.path_params["groupId"], "Specification group")
    body = await _body(request)
    doc = rules.coerce(body, rules.SPECGROUP_FIELDS, base=current, required=("CategoryId", "Name"))
    _require_category(ctx, doc["CategoryId"])
    doc = {
        "CategoryId": doc["CategoryId"],
        "Id": current["Id"],
        "Name": doc["Name"],
        "Position": doc["Position"],
    }
    ctx.table("specgroup")[str(current["Id"])] = doc
    return JSONResponse(doc)


@rule_errors("catalog")
async def get_spec_group(request: Request) -> Response:
    return JSONResponse(
        _get(sandbox(request), "specgroup", request.path_params["groupId"], "Specification group")
    )


@rule_errors("catalog")
async def groups_by_category(request: Request) -> Response:
    ctx = sandbox(request)
    category = _get(ctx, "category", request.path_params["categoryId"], "Category")
    return JSONResponse(_sorted(_find(ctx, ix.SPECGROUP_BY_CATEGORY, category["Id"])))


def _write_spec_field(ctx: SandboxContext, field_id: int, body: Doc, base: Doc | None) -> Doc:
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
    _require_category(ctx, doc["CategoryId"] or None)
    if "Position" not in body and base is None:
        doc["Position"] = _next_position(_find(ctx, ix.SPECFIELD_BY_GROUP, group["Id"]))
    doc = {"Id": field_id, **doc}
    ctx.table("specfield")[str(field_id)] = doc
    return doc


@rule_errors("catalog")
async def create_spec_field(request: Request) -> Response:
    return JSONResponse(await _create(request, "specfield", _write_spec_field))


@rule_errors("catalog")
async def get_spec_field(request: Request) -> Response:
    return JSONResponse(
        _get(sandbox(request), "specfield", request.path_params["specificationId"], "Specification")
    )


@rule_errors("catalog")
async def update_spec_field(request: Request) -> Response:
    _, doc = await _update(request, "specfield", "specificationId", "Specification", _write_spec_field)
    return JSONResponse(doc)


def _field_legacy_view(ctx: SandboxContext, doc: Doc) -> Doc:
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


@rule_errors("catalog")
async def get_field_legacy(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(
        _field_legacy_view(ctx, _get(ctx, "specfield", request.path_params["fieldId"], "Field"))
    )


def _fields_view(docs: Iterable[Doc]) -> list[Doc]:
    return [
        {
            "Name": d["Name"],
            "CategoryId": d["CategoryId"],
            "FieldId": d["Id"],
            "IsActive": d["IsActive"],
            "IsStockKeepingUnit": d["IsStockKeepingUnit"],
        }
        for d in _sorted(docs)
    ]


@rule_errors("catalog")
async def fields_by_category(request: Request) -> Response:
    ctx = sandbox(request)
    category = _get(ctx, "category", request.path_params["categoryId"], "Category")
    return JSONResponse(_fields_view(_find(ctx, ix.SPECFIELD_BY_CATEGORY, category["Id"])))


@rule_errors("catalog")
async def fields_tree_by_category(request: Request) -> Response:
    ctx = sandbox(request)
    category = _get(ctx, "category", request.path_params["categoryId"], "Category")
    return JSONResponse(_fields_view(_chain_fields(ctx, int(category["Id"]))))


def _chain_fields(ctx: SandboxContext, category_id: int) -> list[Doc]:
    """The specification fields of the category and its ancestors, in table order."""
    chain = rules.category_chain(ctx.table("category"), category_id)
    return ctx.table("specfield").find_any(ix.SPECFIELD_BY_CATEGORY, (c["Id"] for c in chain))


def _write_spec_value(ctx: SandboxContext, value_id: int, body: Doc, base: Doc | None) -> Doc:
    doc = rules.coerce(body, rules.SPECVALUE_FIELDS, base=base, required=("FieldId", "Name"))
    if str(doc["FieldId"]) not in ctx.table("specfield"):
        raise RuleError(400, f"The specification field {doc['FieldId']} does not exist.")
    values = ctx.table("specvalue")
    if "Position" not in body and base is None:
        doc["Position"] = _next_position(values.find(ix.SPECVALUE_BY_FIELD, doc["FieldId"]))
    doc = {"FieldValueId": value_id, **doc}
    values[str(value_id)] = doc
    return doc


@rule_errors("catalog")
async def create_spec_value(request: Request) -> Response:
    return JSONResponse(await _create(request, "specvalue", _write_spec_value))


@rule_errors("catalog")
async def get_spec_value(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _get(ctx, "specvalue", request.path_params["specificationValueId"], "Specification value")
    return JSONResponse({**doc, "Text": doc.get("Text") or ""})  # Text is non-nullable in this answer


@rule_errors("catalog")
async def update_spec_value(request: Request) -> Response:
    what = "Specification value"
    _, doc = await _update(
        request, "specvalue", "specificationValueId", what, _write_spec_value, "FieldValueId"
    )
    return JSONResponse(doc)


@rule_errors("catalog")
async def get_spec_value_legacy(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _get(ctx, "specvalue", request.path_params["fieldValueId"], "Field value")
    return JSONResponse({**doc, "Text": doc.get("Text") or ""})


@rule_errors("catalog")
async def values_by_field(request: Request) -> Response:
    ctx = sandbox(request)
    field = _get(ctx, "specfield", request.path_params["fieldId"], "Field")
    docs = _sorted(_find(ctx, ix.SPECVALUE_BY_FIELD, field["Id"]), "FieldValueId")
    return JSONResponse(
        [
            {
                "FieldValueId": d["FieldValueId"],
                "Value": d["Name"],
                "IsActive": d["IsActive"],
                "Position": d["Position"],
            }
            for d in docs
        ]
    )


# --- products ---------------------------------------------------------------------------------


def _named(docs: Iterable[Doc], name: str) -> Doc | None:
    return next((d for d in docs if d["Name"] == name), None)


def _find_or_create_category_path(ctx: SandboxContext, path: str) -> int:
    """``CategoryPath`` ("A/B/C"): find each level by name under its parent, creating missing ones."""
    parent: int | None = None
    for name in (p.strip() for p in path.split("/")):
        if not name:
            continue
        match = _named(_subcategories(ctx, parent), name)
        if match is None:
            new_id = _new_id(ctx, "category", {}, "Category")
            _write_category(ctx, new_id, {"Name": name, "FatherCategoryId": parent}, None)
            parent = new_id
        else:
            parent = int(match["Id"])
    if parent is None:
        raise RuleError(400, "CategoryPath names no category.")
    return parent


def _find_or_create_brand(ctx: SandboxContext, name: str) -> int:
    brands = ctx.table("brand")
    match = brands.first(ix.BRAND_BY_NAME, name)
    if match is not None:
        return int(match["Id"])
    brand_id = _new_id(ctx, "brand", {}, "Brand")
    _write_brand(ctx, brand_id, {"Name": name}, None)
    return brand_id


def _write_product(ctx: SandboxContext, product_id: int, body: Doc, base: Doc | None) -> Doc:
    body = dict(body)
    if base is None and body.get("CategoryId") is None and body.get("CategoryPath"):
        body["CategoryId"] = _find_or_create_category_path(ctx, str(body["CategoryPath"]))
    if base is None and body.get("BrandId") is None and body.get("BrandName"):
        body["BrandId"] = _find_or_create_brand(ctx, str(body["BrandName"]))
    required = ("Name", "CategoryId", "BrandId")
    doc = rules.coerce(body, rules.PRODUCT_FIELDS, base=base, required=required)
    rules.check_product(doc)
    categories = ctx.table("category")
    if str(doc["CategoryId"]) not in categories:
        raise RuleError(400, f"The category {doc['CategoryId']} does not exist.")
    if str(doc["BrandId"]) not in ctx.table("brand"):
        raise RuleError(400, f"The brand {doc['BrandId']} does not exist.")
    _check_refid_free(ctx, ix.PRODUCT_BY_REFID, product_id, doc["RefId"], "A product")
    doc["DepartmentId"] = int(rules.category_chain(categories, doc["CategoryId"])[0]["Id"])
    if not doc["LinkId"]:
        doc["LinkId"] = rules.slugify(doc["Name"])
    if not doc["Title"]:
        doc["Title"] = doc["Name"]
    if not doc["ReleaseDate"]:
        doc["ReleaseDate"] = _now(ctx)
    doc = {"Id": product_id, **doc}
    ctx.table("product")[str(product_id)] = doc
    return doc


@rule_errors("catalog")
async def create_product(request: Request) -> Response:
    return JSONResponse(await _create(request, "product", _write_product, "Product"))


@rule_errors("catalog")
async def get_product(request: Request) -> Response:
    return JSONResponse(_product(sandbox(request), request))


@rule_errors("catalog")
async def update_product(request: Request) -> Response:
    return await _update_then_activate(request, "product", "productId", "Product", _write_product)


def _check_refid_free(ctx: SandboxContext, index: Index, own_id: int, ref: str, what: str) -> None:
    """409 when another document of ``index.kind`` has the RefId ``ref`` (an empty RefId is free)."""
    if not ref:
        return
    clash = next((d for d in _find(ctx, index, ref) if d["Id"] != own_id), None)
    if clash is not None:
        raise RuleError(409, f"{what} with RefId {ref!r} already exists (Id {clash['Id']}).")


def _store_ids(ctx: SandboxContext, product_id: int) -> list[int]:
    return sorted(int(d["StoreId"]) for d in _find(ctx, ix.SALESPOLICY_BY_PRODUCT, product_id))


@rule_errors("catalog")
async def product_get_system(request: Request) -> Response:
    ctx = sandbox(request)
    doc = _product(ctx, request)
    return JSONResponse(rules.product_system_view(doc, _store_ids(ctx, int(doc["Id"]))))


@rule_errors("catalog")
async def product_by_refid(request: Request) -> Response:
    ctx = sandbox(request)
    doc = ctx.table("product").first(ix.PRODUCT_BY_REFID, request.path_params["refId"])
    if doc is None:
        raise RuleError(404, "Product not found.")
    return JSONResponse(rules.product_system_view(doc, _store_ids(ctx, int(doc["Id"]))))


# --- product and SKU specifications -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Specs:
    """Where the specifications of one kind of owner (product or SKU) live and how its routes find it."""

    kind: str  # the specifications' table
    owner_key: str  # their field naming the owner
    index: Index  # ``kind`` by ``owner_key``
    owner_kind: str
    path_param: str  # the owner's id in the route's path
    what: str  # the owner in messages
    sku_level: bool  # SKU specifications: the field is marked IsStockKeepingUnit, activation re-checked
    not_found: Callable[[], Response]  # DELETE of one specification the owner does not have

    def owner(self, ctx: SandboxContext, request: Request) -> Doc:
        return _get(ctx, self.owner_kind, request.path_params[self.path_param], self.what)

    def of(self, ctx: SandboxContext, owner_id: int) -> list[Doc]:
        """The owner's specifications, in table order."""
        return _find(ctx, self.index, owner_id)

    def of_field(self, ctx: SandboxContext, owner_id: int, field_id: int) -> list[Doc]:
        return [d for d in self.of(ctx, owner_id) if d["FieldId"] == field_id]

    def views(self, ctx: SandboxContext, owner_id: int) -> list[Doc]:
        return [_spec_view(d) for d in _sorted(self.of(ctx, owner_id))]

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
            _refresh_activation(ctx, [owner_id])


PRODUCT_SPECS = _Specs(
    "productspec",
    "ProductId",
    ix.PRODUCTSPEC_BY_PRODUCT,
    "product",
    "productId",
    "Product",
    sku_level=False,
    not_found=lambda: Response("Specification not found.", status_code=404, media_type="text/plain"),
)
SKU_SPECS = _Specs(
    "skuspec",
    "SkuId",
    ix.SKUSPEC_BY_SKU,
    "sku",
    "skuId",
    "SKU",
    sku_level=True,
    not_found=lambda: catalog_error(404, "SKU specification not found."),
)
SpecHandler = Callable[[Request, _Specs], Awaitable[Response]]


def _for(specs: _Specs, fn: SpecHandler) -> Handler:
    """The route handler running ``fn`` for ``specs`` (the same routes serve products and SKUs)."""

    async def handler(request: Request) -> Response:
        return await fn(request, specs)

    handler.__name__ = handler.__qualname__ = f"{fn.__name__.strip('_')}_{specs.owner_kind}"
    return rule_errors("catalog")(handler)


def _owned(ctx: SandboxContext, kind: str, raw_key: str, owner_key: str, owner_id: Any) -> Doc | None:
    """The ``kind`` document with key ``raw_key`` when it belongs to the owner, else ``None``."""
    doc = ctx.table(kind).get(raw_key)
    return doc if doc is not None and doc[owner_key] == owner_id else None


def _spec_link(ctx: SandboxContext, body: Doc) -> tuple[Doc, int | None, str]:
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


def _put_spec(ctx: SandboxContext, specs: _Specs, owner_id: int, body: Doc) -> Doc:
    """Create (or, for a single-valued field, replace) the owner's specification for a field."""
    field, value_id, text = _spec_link(ctx, body)
    existing = specs.of_field(ctx, owner_id, field["Id"])
    if field["FieldTypeId"] == 7:  # checkbox: several values, one row each
        existing = [d for d in existing if d.get("FieldValueId") == value_id]
    spec_id = int(existing[0]["Id"]) if existing else ctx.store.next_id(ctx.account, specs.kind)
    return specs.write(ctx, spec_id, owner_id, field, value_id, text)


def _spec_view(doc: Doc) -> Doc:
    return {**doc, "FieldValueId": doc.get("FieldValueId") or 0, "Text": doc.get("Text") or ""}


async def _list_specs(request: Request, specs: _Specs) -> Response:
    ctx = sandbox(request)
    owner = specs.owner(ctx, request)
    return JSONResponse(specs.views(ctx, owner["Id"]))


async def _create_spec(request: Request, specs: _Specs) -> Response:
    ctx = sandbox(request)
    owner_id = int(specs.owner(ctx, request)["Id"])
    body = await _body(request)
    doc = _put_spec(ctx, specs, owner_id, body)
    specs.activate(ctx, owner_id)
    return JSONResponse(_spec_view(doc))


async def _delete_specs(request: Request, specs: _Specs) -> Response:
    ctx = sandbox(request)
    owner = specs.owner(ctx, request)
    return _delete_docs(ctx, specs.kind, specs.of(ctx, owner["Id"]))


async def _delete_spec(request: Request, specs: _Specs) -> Response:
    ctx = sandbox(request)
    owner = specs.owner(ctx, request)
    spec = _owned(ctx, specs.kind, request.path_params["specificationId"], specs.owner_key, owner["Id"])
    if spec is None:
        return specs.not_found()
    return _delete_docs(ctx, specs.kind, [spec])


def _spec_by_names(ctx: SandboxContext, category_id: int, body: Doc) -> tuple[Doc, list[int]]:
    """``PUT .../specificationvalue``: find or create group, field and values by name."""
    for name in ("FieldName", "GroupName"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise RuleError(400, f"The field {name} is required.")
    values = body.get("FieldValues")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise RuleError(400, "FieldValues must be a non-empty list of strings.")
    root = bool(body.get("RootLevelSpecification"))
    group_category: int | None = None if root else category_id
    same = _find(ctx, ix.SPECGROUP_BY_CATEGORY, group_category)
    group = _named(same, body["GroupName"])
    if group is None:
        group_id = ctx.store.next_id(ctx.account, "specgroup")
        group = {
            "Id": group_id,
            "CategoryId": group_category,
            "Name": body["GroupName"],
            "Position": _next_position(same),
        }
        ctx.table("specgroup")[str(group_id)] = group
    field = _named(_find(ctx, ix.SPECFIELD_BY_GROUP, group["Id"]), body["FieldName"])
    if field is None:
        field = _write_spec_field(
            ctx,
            ctx.store.next_id(ctx.account, "specfield"),
            {
                "FieldTypeId": 7 if len(values) > 1 else 5,
                "FieldGroupId": group["Id"],
                "CategoryId": group_category or 0,
                "Name": body["FieldName"],
            },
            None,
        )
    value_ids = []
    for name in values:
        existing = _named(_find(ctx, ix.SPECVALUE_BY_FIELD, field["Id"]), name)
        if existing is None:
            existing = _write_spec_value(
                ctx, ctx.store.next_id(ctx.account, "specvalue"), {"FieldId": field["Id"], "Name": name}, None
            )
        value_ids.append(int(existing["FieldValueId"]))
    return field, value_ids


async def _specs_by_names(request: Request, specs: _Specs) -> Response:
    """``PUT .../specificationvalue`` of a product or SKU: replaces the owner's values of the field."""
    ctx = sandbox(request)
    owner = specs.owner(ctx, request)
    product = _get(ctx, "product", str(owner["ProductId"]), "Product") if specs.sku_level else owner
    body = await _body(request)
    field, value_ids = _spec_by_names(ctx, int(product["CategoryId"]), body)
    if specs.sku_level and not field["IsStockKeepingUnit"]:
        ctx.table("specfield")[str(field["Id"])] = {**field, "IsStockKeepingUnit": True}
    owner_id = int(owner["Id"])
    _delete_docs(ctx, specs.kind, specs.of_field(ctx, owner_id, field["Id"]))
    out = []
    for value_id in value_ids:
        spec_id = ctx.store.next_id(ctx.account, specs.kind)
        name = ctx.table("specvalue")[str(value_id)]["Name"]
        out.append(_spec_view(specs.write(ctx, spec_id, owner_id, field, value_id, name)))
    specs.activate(ctx, owner_id)
    return JSONResponse(out)


# --- trade policies ---------------------------------------------------------------------------


def _sales_channels(ctx: SandboxContext) -> dict[int, Doc]:
    channels = {int(k): v for k, v in ctx.table("saleschannel").items()}
    channels.setdefault(1, rules.default_sales_channel())
    return dict(sorted(channels.items()))


@rule_errors("catalog")
async def list_sales_channels(request: Request) -> Response:
    return JSONResponse(list(_sales_channels(sandbox(request)).values()))


@rule_errors("catalog")
async def get_sales_channel(request: Request) -> Response:
    ctx = sandbox(request)
    channel_id = rules.path_id(request.path_params["salesChannelId"], "Trade policy")
    doc = _sales_channels(ctx).get(channel_id)
    if doc is None:
        raise RuleError(404, "Trade policy not found.")
    return JSONResponse(doc)


@rule_errors("catalog")
async def list_product_policies(request: Request) -> Response:
    ctx = sandbox(request)
    product = _product(ctx, request)
    return JSONResponse(
        [{"ProductId": product["Id"], "StoreId": s} for s in _store_ids(ctx, int(product["Id"]))]
    )


@rule_errors("catalog")
async def add_product_policy(request: Request) -> Response:
    ctx = sandbox(request)
    product = _product(ctx, request)
    policy = rules.path_id(request.path_params["tradepolicyId"], "Trade policy")
    if policy not in _sales_channels(ctx):
        raise RuleError(404, f"Trade policy {policy} not found.")
    ctx.table("salespolicy")[f"{product['Id']}:{policy}"] = {"ProductId": product["Id"], "StoreId": policy}
    return _ok()


@rule_errors("catalog")
async def remove_product_policy(request: Request) -> Response:
    ctx = sandbox(request)
    product = _product(ctx, request)
    policy = rules.path_id(request.path_params["tradepolicyId"], "Trade policy")
    ctx.table("salespolicy").pop(f"{product['Id']}:{policy}", None)
    return _ok()


# --- SKUs -------------------------------------------------------------------------------------


def _eans(ctx: SandboxContext, sku_id: int) -> list[str]:
    return list(ctx.table("skuean").get(str(sku_id), {}).get("Eans", []))


def _files(ctx: SandboxContext, sku_id: int) -> list[Doc]:
    files = _find(ctx, ix.SKUFILE_BY_SKU, sku_id)
    return sorted(files, key=lambda f: (int(f.get("Position") or 0), int(f["Id"])))


def _missing_required_specs(ctx: SandboxContext, sku: Doc, product: Doc | None) -> list[str]:
    if product is None:
        return []
    required = [
        f
        for f in _chain_fields(ctx, int(product["CategoryId"]))
        if f["IsStockKeepingUnit"] and f["IsRequired"] and f["IsActive"]
    ]
    filled = {s["FieldId"] for s in _find(ctx, ix.SKUSPEC_BY_SKU, sku["Id"])}
    return [f["Name"] for f in required if f["Id"] not in filled]


def _activation_problems(ctx: SandboxContext, sku: Doc) -> list[str]:
    product = ctx.table("product").get(str(sku["ProductId"]))
    brand = ctx.table("brand").get(str(product["BrandId"])) if product else None
    category = ctx.table("category").get(str(product["CategoryId"])) if product else None
    return rules.activation_problems(
        sku,
        eans=_eans(ctx, int(sku["Id"])),
        images=len(_files(ctx, int(sku["Id"]))),
        product=product,
        brand=brand,
        category=category,
        missing_specs=_missing_required_specs(ctx, sku, product),
    )


def _refresh_activation(ctx: SandboxContext, sku_ids: Iterable[int]) -> None:
    """Activate every given SKU that asked for it (``ActivateIfPossible``) and now qualifies."""
    skus = ctx.table("sku")
    for sku_id in sku_ids:
        sku = skus.get(str(sku_id))
        if sku is None or sku["IsActive"] or not sku["ActivateIfPossible"]:
            continue
        if not _activation_problems(ctx, sku):
            skus[str(sku_id)] = {**sku, "IsActive": True}


def _skus_where(
    ctx: SandboxContext,
    *,
    product_id: int | None = None,
    brand_id: int | None = None,
    category_id: int | None = None,
) -> list[int]:
    """The SKUs (in table order) of the product, of the brand's products, of the category's subtree."""
    products = ctx.table("product")
    wanted: set[int] = set()
    if product_id is not None:
        wanted.add(product_id)
    if brand_id is not None:
        wanted.update(int(p["Id"]) for p in products.find(ix.PRODUCT_BY_BRAND, brand_id))
    if category_id is not None:
        subtree = _category_subtree(ctx, category_id)
        wanted.update(int(p["Id"]) for p in products.find_any(ix.PRODUCT_BY_CATEGORY, subtree))
    return [int(s["Id"]) for s in ctx.table("sku").find_any(ix.SKU_BY_PRODUCT, wanted)]


@rule_errors("catalog")
async def create_sku(request: Request) -> Response:
    ctx = sandbox(request)
    body = await _body(request)
    ean = body.get("Ean") or body.get("EAN")
    doc = rules.coerce(body, rules.SKU_FIELDS, required=("ProductId", "Name"))
    rules.check_sku(doc, creating=True, has_ean=bool(ean))
    if str(doc["ProductId"]) not in ctx.table("product"):
        raise RuleError(400, f"The product {doc['ProductId']} does not exist.")
    sku_id = rules.caller_id(body)
    if sku_id is not None and str(sku_id) in ctx.table("sku"):
        raise RuleError(409, f"SKU with Id {sku_id} already exists.")
    _check_refid_free(ctx, ix.SKU_BY_REFID, sku_id or 0, doc["RefId"], "A SKU")
    if ean:
        _check_ean_free(ctx, str(ean), sku_id or 0)
    sku_id = _new_id(ctx, "sku", body, "SKU")
    if not doc["CreationDate"]:
        doc["CreationDate"] = _now(ctx)
    doc = {"Id": sku_id, **doc}
    ctx.table("sku")[str(sku_id)] = doc
    if ean:
        ctx.table("skuean")[str(sku_id)] = {"SkuId": sku_id, "Eans": [str(ean)]}
    _refresh_activation(ctx, [sku_id])
    return JSONResponse(dict(ctx.table("sku")[str(sku_id)]))


@rule_errors("catalog")
async def get_sku(request: Request) -> Response:
    return JSONResponse(dict(_sku(sandbox(request), request)))


@rule_errors("catalog")
async def update_sku(request: Request) -> Response:
    ctx = sandbox(request)
    current = _sku(ctx, request)
    body = await _body(request)
    doc = rules.coerce(body, rules.SKU_FIELDS, base=current, required=("ProductId", "Name"))
    sku_id = int(current["Id"])
    rules.check_sku(doc, creating=False, has_ean=bool(_eans(ctx, sku_id)))
    if str(doc["ProductId"]) not in ctx.table("product"):
        raise RuleError(400, f"The product {doc['ProductId']} does not exist.")
    _check_refid_free(ctx, ix.SKU_BY_REFID, sku_id, doc["RefId"], "A SKU")
    doc = {"Id": sku_id, **doc}
    if doc["IsActive"] and not current["IsActive"]:
        problems = _activation_problems(ctx, doc)
        if problems:
            raise RuleError(400, f"The SKU {sku_id} cannot be activated: {'; '.join(problems)}.")
    ctx.table("sku")[str(sku_id)] = doc
    if not current["IsActive"]:
        # A SKU deactivated by this PUT stays inactive; one that was inactive may now qualify.
        _refresh_activation(ctx, [sku_id])
    return JSONResponse(dict(ctx.table("sku")[str(sku_id)]))


def _sku_by_refid(ctx: SandboxContext, ref: str) -> Doc:
    sku = ctx.table("sku").first(ix.SKU_BY_REFID, ref)
    if sku is None:
        raise RuleError(404, "SKU not found.")
    return sku


@rule_errors("catalog")
async def get_sku_by_refid_query(request: Request) -> Response:
    ctx = sandbox(request)
    ref = request.query_params.get("RefId") or request.query_params.get("refId")
    if not ref:
        raise RuleError(400, "The query parameter RefId is required.")
    sku = _sku_by_refid(ctx, ref)
    eans = _eans(ctx, int(sku["Id"]))
    return JSONResponse({**dict(sku), "Ean": eans[0] if eans else ""})


@rule_errors("catalog")
async def sku_id_by_refid(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(str(_sku_by_refid(ctx, request.path_params["refId"])["Id"]))


@rule_errors("catalog")
async def sku_ids_by_refids(request: Request) -> Response:
    ctx = sandbox(request)
    body = await read_json(request, catalog=True)
    if not isinstance(body, list) or not all(isinstance(r, str) for r in body):
        raise RuleError(400, "The body must be a JSON list of RefIds.")
    # Unknown RefIds are left out of the answer (every value in VTEX's schema is a SKU id string).
    skus = ctx.table("sku").find_any(ix.SKU_BY_REFID, set(body))
    return JSONResponse({s["RefId"]: str(s["Id"]) for s in skus})


@rule_errors("catalog")
async def list_sku_ids(request: Request) -> Response:
    ctx = sandbox(request)
    page = _query_int(request, "page", 1, minimum=1)
    size = _query_int(request, "pagesize", 1000, minimum=1, maximum=1000)
    ids = ctx.table("sku").sorted_int_keys()
    return JSONResponse(ids[(page - 1) * size : page * size])


@rule_errors("catalog")
async def skus_by_product(request: Request) -> Response:
    ctx = sandbox(request)
    product = _product(ctx, request)
    skus = _sorted(_find(ctx, ix.SKU_BY_PRODUCT, product["Id"]))
    now = _now(ctx)
    return JSONResponse([rules.sku_by_product_view(s, i + 1, now) for i, s in enumerate(skus)])


def _sku_context(ctx: SandboxContext, sku: Doc, request: Request) -> Response:
    product = ctx.table("product").get(str(sku["ProductId"]))
    if product is None:
        raise RuleError(404, "SKU not found.")
    channels = _store_ids(ctx, int(product["Id"]))
    sc = request.query_params.get("sc")
    if sc and (not sc.isdigit() or int(sc) not in channels):
        raise RuleError(404, f"SKU not found in trade policy {sc}.")
    fields, values = ctx.table("specfield"), ctx.table("specvalue")
    parts = rules.SkuContextParts(
        sku=sku,
        product=product,
        brand=ctx.table("brand").get(str(product["BrandId"])),
        categories=rules.category_chain(ctx.table("category"), int(product["CategoryId"])),
        files=_files(ctx, int(sku["Id"])),
        eans=_eans(ctx, int(sku["Id"])),
        sku_specs=rules.grouped_specs(_find(ctx, ix.SKUSPEC_BY_SKU, sku["Id"]), fields, values),
        product_specs=rules.grouped_specs(
            _find(ctx, ix.PRODUCTSPEC_BY_PRODUCT, product["Id"]), fields, values
        ),
        sales_channels=channels,
    )
    return JSONResponse(rules.sku_context_view(parts))


@rule_errors("catalog")
async def sku_and_context(request: Request) -> Response:
    ctx = sandbox(request)
    return _sku_context(ctx, _sku(ctx, request), request)


@rule_errors("catalog")
async def sku_by_ean(request: Request) -> Response:
    ctx = sandbox(request)
    owner = _ean_owner(ctx, request.path_params["ean"])
    sku = ctx.table("sku").get(str(owner["SkuId"])) if owner else None
    if sku is None:
        raise RuleError(404, "SKU not found.")
    return _sku_context(ctx, sku, request)


# --- SKU specifications -----------------------------------------------------------------------


@rule_errors("catalog")
async def update_sku_spec(request: Request) -> Response:
    ctx = sandbox(request)
    sku = _sku(ctx, request)
    body = await _body(request)
    spec_id = rules.coerce_value(rules.Field("Id", "int"), body.get("Id"))
    if _owned(ctx, "skuspec", str(spec_id), "SkuId", sku["Id"]) is None:
        raise RuleError(404, f"SKU specification {spec_id} not found.")
    field, value_id, text = _spec_link(ctx, body)
    SKU_SPECS.write(ctx, spec_id, sku["Id"], field, value_id, text)
    return JSONResponse(SKU_SPECS.views(ctx, sku["Id"]))


# --- SKU files --------------------------------------------------------------------------------


def _file_doc(ctx: SandboxContext, sku_id: int, file_id: int, body: Doc, base: Doc | None) -> Doc:
    doc = rules.coerce(body, rules.FILE_FIELDS, base=base, required=("Name", "Url"))
    rules.check_image_url(doc["Url"])
    files = [f for f in _files(ctx, sku_id) if f["Id"] != file_id]
    if "Position" not in body and base is None:
        doc["Position"] = _next_position(files)
    if not files:
        doc["IsMain"] = True
    table = ctx.table("skufile")
    if doc["IsMain"]:
        for other in files:
            if other.get("IsMain"):
                table[str(other["Id"])] = {**other, "IsMain": False}
    archive = base["ArchiveId"] if base else ctx.store.next_id(ctx.account, "archive", start=100_000)
    out = {
        "Id": file_id,
        "ArchiveId": archive,
        "SkuId": sku_id,
        "Name": doc["Name"],
        "IsMain": doc["IsMain"],
        "Text": doc["Text"],
        "Label": doc["Label"],
        "Url": doc["Url"],
        "FileLocation": f"{ctx.account}.vteximg.com.br",
        "Position": doc["Position"],
    }
    table[str(file_id)] = out
    return out


def _sku_file(ctx: SandboxContext, request: Request, sku: Doc) -> Doc:
    """The SKU's file of the path's ``{skuFileId}``, or 404."""
    current = _owned(ctx, "skufile", request.path_params["skuFileId"], "SkuId", sku["Id"])
    if current is None:
        raise RuleError(404, "SKU file not found.")
    return current


@rule_errors("catalog")
async def list_sku_files(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(_files(ctx, _sku_id(ctx, request)))


@rule_errors("catalog")
async def create_sku_file(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(ctx, request)
    body = await _body(request)
    doc = _file_doc(ctx, sku_id, ctx.store.next_id(ctx.account, "skufile"), body, None)
    _refresh_activation(ctx, [sku_id])
    return JSONResponse([doc])


@rule_errors("catalog")
async def update_sku_file(request: Request) -> Response:
    ctx = sandbox(request)
    sku = _sku(ctx, request)
    current = _sku_file(ctx, request, sku)
    body = await _body(request)
    return JSONResponse([_file_doc(ctx, int(sku["Id"]), int(current["Id"]), body, current)])


@rule_errors("catalog")
async def delete_sku_file(request: Request) -> Response:
    ctx = sandbox(request)
    return _delete_docs(ctx, "skufile", [_sku_file(ctx, request, _sku(ctx, request))])


@rule_errors("catalog")
async def delete_sku_files(request: Request) -> Response:
    ctx = sandbox(request)
    return _delete_docs(ctx, "skufile", _files(ctx, _sku_id(ctx, request)))


@rule_errors("catalog")
async def reorder_sku_files(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(ctx, request)
    body = await read_json(request, catalog=True)
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise RuleError(400, "The body must be a JSON list of {Id, Position}.")
    files = {int(f["Id"]): f for f in _files(ctx, sku_id)}
    try:
        order = {int(i["Id"]): int(i["Position"]) for i in body}
    except (KeyError, TypeError, ValueError):
        raise RuleError(400, "Every item needs an integer Id and Position.") from None
    if set(order) != set(files):
        raise RuleError(400, "All files are required.")
    table = ctx.table("skufile")
    for file_id, position in order.items():
        table[str(file_id)] = {**files[file_id], "Position": position}
    return _ok()


# --- EANs -------------------------------------------------------------------------------------


def _ean_owner(ctx: SandboxContext, ean: str) -> Doc | None:
    return ctx.table("skuean").first(ix.SKUEAN_BY_EAN, ean)


def _check_ean_free(ctx: SandboxContext, ean: str, sku_id: int) -> None:
    owner = _ean_owner(ctx, ean)
    if owner is not None and owner["SkuId"] != sku_id:
        raise RuleError(409, f"The EAN {ean} is already used by SKU {owner['SkuId']}.")


@rule_errors("catalog")
async def list_eans(request: Request) -> Response:
    ctx = sandbox(request)
    return JSONResponse(_eans(ctx, _sku_id(ctx, request)))


@rule_errors("catalog")
async def add_ean(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(ctx, request)
    ean = request.path_params["ean"].strip()
    if not ean or len(ean) > 100:
        raise RuleError(400, "The EAN must have between 1 and 100 characters.")
    _check_ean_free(ctx, ean, sku_id)
    eans = _eans(ctx, sku_id)
    if ean not in eans:
        ctx.table("skuean")[str(sku_id)] = {"SkuId": sku_id, "Eans": [*eans, ean]}
    _refresh_activation(ctx, [sku_id])
    return _ok()


@rule_errors("catalog")
async def delete_ean(request: Request) -> Response:
    ctx = sandbox(request)
    sku_id = _sku_id(ctx, request)
    ean = request.path_params["ean"]
    eans = _eans(ctx, sku_id)
    if ean not in eans:
        raise RuleError(404, f"The SKU {sku_id} has no EAN {ean}.")
    ctx.table("skuean")[str(sku_id)] = {"SkuId": sku_id, "Eans": [e for e in eans if e != ean]}
    return _ok()


@rule_errors("catalog")
async def delete_eans(request: Request) -> Response:
    ctx = sandbox(request)
    sku = _sku(ctx, request)
    ctx.table("skuean").pop(str(sku["Id"]), None)
    return _ok()


def routes() -> list[BaseRoute]:
    pvt = "/api/catalog/pvt"
    sys = "/api/catalog_system"
    sku = f"{pvt}/stockkeepingunit/{{skuId}}"
    return [
        # categories
        Route(f"{pvt}/category", create_category, methods=["POST"]),
        Route(f"{pvt}/category/{{categoryId}}", get_category, methods=["GET"]),
        Route(f"{pvt}/category/{{categoryId}}", update_category, methods=["PUT"]),
        Route(f"{sys}/pub/category/tree/{{categoryLevels}}", category_tree, methods=["GET"]),
        # brands (literal paths before {brandId})
        Route(f"{pvt}/brand", create_brand, methods=["POST"]),
        Route(f"{pvt}/brand/{{brandId}}", get_brand, methods=["GET"]),
        Route(f"{pvt}/brand/{{brandId}}", update_brand, methods=["PUT"]),
        Route(f"{pvt}/brand/{{brandId}}", delete_brand, methods=["DELETE"]),
        Route(f"{sys}/pvt/brand/list", list_brands, methods=["GET"]),
        Route(f"{sys}/pvt/brand/pagedlist", paged_brands, methods=["GET"]),
        Route(f"{sys}/pvt/brand/{{brandId}}", get_brand_system, methods=["GET"]),
        # specification groups, fields, values
        Route(f"{pvt}/specificationgroup", create_spec_group, methods=["POST"]),
        Route(f"{pvt}/specificationgroup/{{groupId}}", update_spec_group, methods=["PUT"]),
        Route(f"{sys}/pub/specification/groupGet/{{groupId}}", get_spec_group, methods=["GET"]),
        Route(f"{sys}/pvt/specification/groupbycategory/{{categoryId}}", groups_by_category, methods=["GET"]),
        Route(f"{pvt}/specification", create_spec_field, methods=["POST"]),
        Route(f"{pvt}/specification/{{specificationId}}", get_spec_field, methods=["GET"]),
        Route(f"{pvt}/specification/{{specificationId}}", update_spec_field, methods=["PUT"]),
        Route(f"{sys}/pub/specification/fieldGet/{{fieldId}}", get_field_legacy, methods=["GET"]),
        Route(
            f"{sys}/pub/specification/field/listByCategoryId/{{categoryId}}",
            fields_by_category,
            methods=["GET"],
        ),
        Route(
            f"{sys}/pub/specification/field/listTreeByCategoryId/{{categoryId}}",
            fields_tree_by_category,
            methods=["GET"],
        ),
        Route(f"{pvt}/specificationvalue", create_spec_value, methods=["POST"]),
        Route(f"{pvt}/specificationvalue/{{specificationValueId}}", get_spec_value, methods=["GET"]),
        Route(f"{pvt}/specificationvalue/{{specificationValueId}}", update_spec_value, methods=["PUT"]),
        Route(f"{sys}/pub/specification/fieldvalue/{{fieldId}}", values_by_field, methods=["GET"]),
        Route(f"{sys}/pvt/specification/fieldValue/{{fieldValueId}}", get_spec_value_legacy, methods=["GET"]),
        # products
        Route(f"{pvt}/product", create_product, methods=["POST"]),
        Route(f"{pvt}/product/{{productId}}", get_product, methods=["GET"]),
        Route(f"{pvt}/product/{{productId}}", update_product, methods=["PUT"]),
        Route(f"{sys}/pvt/products/productget/{{productId}}", product_get_system, methods=["GET"]),
        Route(f"{sys}/pvt/products/productgetbyrefid/{{refId}}", product_by_refid, methods=["GET"]),
        Route(
            f"{pvt}/product/{{productId}}/specification", _for(PRODUCT_SPECS, _list_specs), methods=["GET"]
        ),
        Route(
            f"{pvt}/product/{{productId}}/specification", _for(PRODUCT_SPECS, _create_spec), methods=["POST"]
        ),
        Route(
            f"{pvt}/product/{{productId}}/specification",
            _for(PRODUCT_SPECS, _delete_specs),
            methods=["DELETE"],
        ),
        Route(
            f"{pvt}/product/{{productId}}/specification/{{specificationId}}",
            _for(PRODUCT_SPECS, _delete_spec),
            methods=["DELETE"],
        ),
        Route(
            f"{pvt}/product/{{productId}}/specificationvalue",
            _for(PRODUCT_SPECS, _specs_by_names),
            methods=["PUT"],
        ),
        # trade policies
        Route(f"{pvt}/product/{{productId}}/salespolicy", list_product_policies, methods=["GET"]),
        Route(
            f"{pvt}/product/{{productId}}/salespolicy/{{tradepolicyId}}", add_product_policy, methods=["POST"]
        ),
        Route(
            f"{pvt}/product/{{productId}}/salespolicy/{{tradepolicyId}}",
            remove_product_policy,
            methods=["DELETE"],
        ),
        Route(f"{sys}/pvt/saleschannel/list", list_sales_channels, methods=["GET"]),
        Route(f"{sys}/pub/saleschannel/{{salesChannelId}}", get_sales_channel, methods=["GET"]),
        # SKUs
        Route(f"{pvt}/stockkeepingunit", create_sku, methods=["POST"]),
        Route(f"{pvt}/stockkeepingunit", get_sku_by_refid_query, methods=["GET"]),
        Route(sku, get_sku, methods=["GET"]),
        Route(sku, update_sku, methods=["PUT"]),
        Route(f"{sys}/pvt/sku/stockkeepingunitidbyrefid/{{refId}}", sku_id_by_refid, methods=["GET"]),
        Route(f"{sys}/pub/sku/stockkeepingunitidsbyrefids", sku_ids_by_refids, methods=["POST"]),
        Route(f"{sys}/pvt/sku/stockkeepingunitids", list_sku_ids, methods=["GET"]),
        Route(f"{sys}/pvt/sku/stockkeepingunitByProductId/{{productId}}", skus_by_product, methods=["GET"]),
        Route(f"{sys}/pvt/sku/stockkeepingunitbyid/{{skuId}}", sku_and_context, methods=["GET"]),
        Route(f"{sys}/pvt/sku/stockkeepingunitbyean/{{ean}}", sku_by_ean, methods=["GET"]),
        # SKU specifications
        Route(f"{sku}/specification", _for(SKU_SPECS, _list_specs), methods=["GET"]),
        Route(f"{sku}/specification", _for(SKU_SPECS, _create_spec), methods=["POST"]),
        Route(f"{sku}/specification", update_sku_spec, methods=["PUT"]),
        Route(f"{sku}/specification", _for(SKU_SPECS, _delete_specs), methods=["DELETE"]),
        Route(f"{sku}/specification/{{specificationId}}", _for(SKU_SPECS, _delete_spec), methods=["DELETE"]),
        Route(f"{sku}/specificationvalue", _for(SKU_SPECS, _specs_by_names), methods=["PUT"]),
        # SKU files (reorder before {skuFileId})
        Route(f"{sku}/file", list_sku_files, methods=["GET"]),
        Route(f"{sku}/file", create_sku_file, methods=["POST"]),
        Route(f"{sku}/file", delete_sku_files, methods=["DELETE"]),
        Route(f"{sku}/file/reorder", reorder_sku_files, methods=["PUT"]),
        Route(f"{sku}/file/{{skuFileId}}", update_sku_file, methods=["PUT"]),
        Route(f"{sku}/file/{{skuFileId}}", delete_sku_file, methods=["DELETE"]),
        # EANs
        Route(f"{sku}/ean", list_eans, methods=["GET"]),
        Route(f"{sku}/ean", delete_eans, methods=["DELETE"]),
        Route(f"{sku}/ean/{{ean}}", add_ean, methods=["POST"]),
        Route(f"{sku}/ean/{{ean}}", delete_ean, methods=["DELETE"]),
    ]
