"""Catalog taxonomy rules: categories (parents, the tree, the path by names) and brands.

A category's ``LinkId`` is the slug of its name and ``Title`` defaults to the name; a parent must exist
and may not make a cycle (400). A brand takes a caller-chosen ``Id`` (required); a brand with products
cannot be deleted (400). ``CategoryPath`` ("A/B/C") and ``BrandName`` on a product create what is
missing, level by level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules
from vtexbridge.sandbox.rules.catalog_tables import Doc, find, named, new_id

if TYPE_CHECKING:
    from vtexbridge.sandbox.context import SandboxContext

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


def write_category(ctx: SandboxContext, category_id: int, body: Doc, base: Doc | None) -> Doc:
    """Store the category (created or over ``base``) and answer its view."""
    categories = ctx.table("category")
    doc = rules.coerce(body, rules.CATEGORY_FIELDS, base=base, required=("Name",))
    check_category_parent(categories, category_id, doc["FatherCategoryId"])
    doc = {"Id": category_id, **doc}
    doc["LinkId"] = rules.slugify(doc["Name"])
    if not doc["Title"]:
        doc["Title"] = doc["Name"]
    categories[str(category_id)] = doc
    return category_view_of(ctx, doc)


def category_view_of(ctx: SandboxContext, doc: Doc) -> Doc:
    """:func:`category_view` of a stored category."""
    categories = ctx.table("category")
    has_children = categories.count(ix.CATEGORY_BY_PARENT, doc["Id"]) > 0
    return category_view(categories, doc, has_children=has_children)


def subcategories(ctx: SandboxContext, parent: int | None) -> list[Doc]:
    return find(ctx, ix.CATEGORY_BY_PARENT, parent)


def category_subtree(ctx: SandboxContext, category_id: int) -> list[int]:
    """The category and all its descendants (the categories whose ancestor chain contains it)."""
    seen = {category_id}
    pending = [category_id]
    while pending:
        for child in subcategories(ctx, pending.pop()):
            if int(child["Id"]) not in seen:
                seen.add(int(child["Id"]))
                pending.append(int(child["Id"]))
    return sorted(seen)


def require_category(ctx: SandboxContext, category_id: int | None) -> None:
    """400 unless the category exists (``None``: no category, nothing to check)."""
    if category_id is not None and str(category_id) not in ctx.table("category"):
        raise RuleError(400, f"The category {category_id} does not exist.")


def category_fields(ctx: SandboxContext, category_id: int) -> list[Doc]:
    """The specification fields of the category and its ancestors, in table order."""
    chain = category_chain(ctx.table("category"), category_id)
    return ctx.table("specfield").find_any(ix.SPECFIELD_BY_CATEGORY, (c["Id"] for c in chain))


def find_or_create_category_path(ctx: SandboxContext, path: str) -> int:
    """``CategoryPath`` ("A/B/C"): find each level by name under its parent, creating missing ones."""
    parent: int | None = None
    for name in (p.strip() for p in path.split("/")):
        if not name:
            continue
        match = named(subcategories(ctx, parent), name)
        if match is None:
            new = new_id(ctx, "category", {}, "Category")
            write_category(ctx, new, {"Name": name, "FatherCategoryId": parent}, None)
            parent = new
        else:
            parent = int(match["Id"])
    if parent is None:
        raise RuleError(400, "CategoryPath names no category.")
    return parent


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


def write_brand(ctx: SandboxContext, brand_id: int, body: Doc, base: Doc | None) -> Doc:
    doc = {"Id": brand_id, **rules.coerce(body, rules.BRAND_FIELDS, base=base, required=("Name",))}
    if not doc["LinkId"]:
        doc["LinkId"] = rules.slugify(doc["Name"])
    ctx.table("brand")[str(brand_id)] = doc
    return doc


def delete_brand(ctx: SandboxContext, doc: Doc) -> None:
    """Delete the brand; 400 while it has products."""
    if ctx.table("product").count(ix.PRODUCT_BY_BRAND, doc["Id"]):
        raise RuleError(400, f"The brand {doc['Id']} has products and cannot be deleted.")
    del ctx.table("brand")[str(doc["Id"])]


def find_or_create_brand(ctx: SandboxContext, name: str) -> int:
    brands = ctx.table("brand")
    match = brands.first(ix.BRAND_BY_NAME, name)
    if match is not None:
        return int(match["Id"])
    brand_id = new_id(ctx, "brand", {}, "Brand")
    write_brand(ctx, brand_id, {"Name": name}, None)
    return brand_id
