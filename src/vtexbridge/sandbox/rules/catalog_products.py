"""Catalog product and SKU rules: products, trade policies, SKUs, EANs and SKU activation.

- Product: ``CategoryId`` + ``BrandId`` must exist (400), or ``CategoryPath`` + ``BrandName`` create what
  is missing; ``Name`` <= 150, ``RefId`` <= 100 and unique (409); ``DepartmentId``, ``LinkId``, ``Title``,
  ``ReleaseDate`` are derived when absent.
- SKU: created inactive (400 otherwise), ``RefId`` <= 50 and unique (409), a RefId or an EAN, packaged
  sizes > 0; an EAN belongs to one SKU (409).
- Activation: a SKU with ``ActivateIfPossible`` becomes active once :func:`activation_problems` is empty;
  re-checked (:func:`refresh_activation`) after every change to the SKU, its files, EANs,
  specifications, product, brand or category. SKUs are never deactivated automatically.
- Trade policy 1 always exists (:func:`vtexbridge.sandbox.rules.catalog.default_sales_channel`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules
from vtexbridge.sandbox.rules.catalog_images import files
from vtexbridge.sandbox.rules.catalog_tables import Doc, find, new_id, now
from vtexbridge.sandbox.rules.catalog_taxonomy import (
    category_chain,
    category_fields,
    category_subtree,
    find_or_create_brand,
    find_or_create_category_path,
)
from vtexbridge.sandbox.store import Index

if TYPE_CHECKING:
    from vtexbridge.sandbox.context import SandboxContext

SKU_REFID_MAX = 50
PRODUCT_REFID_MAX = 100
PRODUCT_NAME_MAX = 150

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


def write_product(ctx: SandboxContext, product_id: int, body: Doc, base: Doc | None) -> Doc:
    """Store the product (created or over ``base``); a new product may name its category and brand."""
    body = dict(body)
    if base is None and body.get("CategoryId") is None and body.get("CategoryPath"):
        body["CategoryId"] = find_or_create_category_path(ctx, str(body["CategoryPath"]))
    if base is None and body.get("BrandId") is None and body.get("BrandName"):
        body["BrandId"] = find_or_create_brand(ctx, str(body["BrandName"]))
    required = ("Name", "CategoryId", "BrandId")
    doc = rules.coerce(body, rules.PRODUCT_FIELDS, base=base, required=required)
    check_product(doc)
    categories = ctx.table("category")
    if str(doc["CategoryId"]) not in categories:
        raise RuleError(400, f"The category {doc['CategoryId']} does not exist.")
    if str(doc["BrandId"]) not in ctx.table("brand"):
        raise RuleError(400, f"The brand {doc['BrandId']} does not exist.")
    check_refid_free(ctx, ix.PRODUCT_BY_REFID, product_id, doc["RefId"], "A product")
    doc["DepartmentId"] = int(category_chain(categories, doc["CategoryId"])[0]["Id"])
    if not doc["LinkId"]:
        doc["LinkId"] = rules.slugify(doc["Name"])
    if not doc["Title"]:
        doc["Title"] = doc["Name"]
    if not doc["ReleaseDate"]:
        doc["ReleaseDate"] = now(ctx)
    doc = {"Id": product_id, **doc}
    ctx.table("product")[str(product_id)] = doc
    return doc


def check_refid_free(ctx: SandboxContext, index: Index, own_id: int, ref: str, what: str) -> None:
    """409 when another document of ``index.kind`` has the RefId ``ref`` (an empty RefId is free)."""
    if not ref:
        return
    clash = next((d for d in find(ctx, index, ref) if d["Id"] != own_id), None)
    if clash is not None:
        raise RuleError(409, f"{what} with RefId {ref!r} already exists (Id {clash['Id']}).")


def product_by_refid(ctx: SandboxContext, ref: str) -> Doc:
    doc = ctx.table("product").first(ix.PRODUCT_BY_REFID, ref)
    if doc is None:
        raise RuleError(404, "Product not found.")
    return doc


# --- trade policies ---------------------------------------------------------------------------


def store_ids(ctx: SandboxContext, product_id: int) -> list[int]:
    """The trade policies of the product."""
    return sorted(int(d["StoreId"]) for d in find(ctx, ix.SALESPOLICY_BY_PRODUCT, product_id))


def sales_channels(ctx: SandboxContext) -> dict[int, Doc]:
    """The account's trade policies by id (policy 1 always exists)."""
    channels = {int(k): v for k, v in ctx.table("saleschannel").items()}
    channels.setdefault(1, rules.default_sales_channel())
    return dict(sorted(channels.items()))


def sales_channel(ctx: SandboxContext, raw_id: str) -> Doc:
    doc = sales_channels(ctx).get(rules.path_id(raw_id, "Trade policy"))
    if doc is None:
        raise RuleError(404, "Trade policy not found.")
    return doc


def add_product_policy(ctx: SandboxContext, product: Doc, raw_policy: str) -> None:
    """Link the product to the trade policy (404 for an unknown policy)."""
    policy = rules.path_id(raw_policy, "Trade policy")
    if policy not in sales_channels(ctx):
        raise RuleError(404, f"Trade policy {policy} not found.")
    ctx.table("salespolicy")[f"{product['Id']}:{policy}"] = {"ProductId": product["Id"], "StoreId": policy}


def remove_product_policy(ctx: SandboxContext, product: Doc, raw_policy: str) -> None:
    policy = rules.path_id(raw_policy, "Trade policy")
    ctx.table("salespolicy").pop(f"{product['Id']}:{policy}", None)


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


def missing_required_specs(ctx: SandboxContext, sku: Doc, product: Doc | None) -> list[str]:
    """The required SKU specifications of the product's category chain the SKU has not filled."""
    if product is None:
        return []
    required = [
        f
        for f in category_fields(ctx, int(product["CategoryId"]))
        if f["IsStockKeepingUnit"] and f["IsRequired"] and f["IsActive"]
    ]
    filled = {s["FieldId"] for s in find(ctx, ix.SKUSPEC_BY_SKU, sku["Id"])}
    return [f["Name"] for f in required if f["Id"] not in filled]


def sku_activation_problems(ctx: SandboxContext, sku: Doc) -> list[str]:
    """:func:`activation_problems` of a SKU, with what it depends on read from the tables."""
    product = ctx.table("product").get(str(sku["ProductId"]))
    brand = ctx.table("brand").get(str(product["BrandId"])) if product else None
    category = ctx.table("category").get(str(product["CategoryId"])) if product else None
    return activation_problems(
        sku,
        eans=eans(ctx, int(sku["Id"])),
        images=len(files(ctx, int(sku["Id"]))),
        product=product,
        brand=brand,
        category=category,
        missing_specs=missing_required_specs(ctx, sku, product),
    )


def refresh_activation(ctx: SandboxContext, sku_ids: Iterable[int]) -> None:
    """Activate every given SKU that asked for it (``ActivateIfPossible``) and now qualifies."""
    skus = ctx.table("sku")
    for sku_id in sku_ids:
        sku = skus.get(str(sku_id))
        if sku is None or sku["IsActive"] or not sku["ActivateIfPossible"]:
            continue
        if not sku_activation_problems(ctx, sku):
            skus[str(sku_id)] = {**sku, "IsActive": True}


def skus_where(
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
        subtree = category_subtree(ctx, category_id)
        wanted.update(int(p["Id"]) for p in products.find_any(ix.PRODUCT_BY_CATEGORY, subtree))
    return [int(s["Id"]) for s in ctx.table("sku").find_any(ix.SKU_BY_PRODUCT, wanted)]


def activate_after_update(ctx: SandboxContext, kind: str, doc: Doc) -> None:
    """After a ``PUT`` of a category, brand or product: activate its SKUs that now qualify."""
    refresh_activation(ctx, skus_where(ctx, **{f"{kind}_id": int(doc["Id"])}))


def create_sku(ctx: SandboxContext, body: Doc) -> Doc:
    """``POST .../stockkeepingunit``: validate, store (with its ``Ean``), activate when it qualifies."""
    ean = body.get("Ean") or body.get("EAN")
    doc = rules.coerce(body, rules.SKU_FIELDS, required=("ProductId", "Name"))
    check_sku(doc, creating=True, has_ean=bool(ean))
    if str(doc["ProductId"]) not in ctx.table("product"):
        raise RuleError(400, f"The product {doc['ProductId']} does not exist.")
    sku_id = rules.caller_id(body)
    if sku_id is not None and str(sku_id) in ctx.table("sku"):
        raise RuleError(409, f"SKU with Id {sku_id} already exists.")
    check_refid_free(ctx, ix.SKU_BY_REFID, sku_id or 0, doc["RefId"], "A SKU")
    if ean:
        check_ean_free(ctx, str(ean), sku_id or 0)
    sku_id = new_id(ctx, "sku", body, "SKU")
    if not doc["CreationDate"]:
        doc["CreationDate"] = now(ctx)
    doc = {"Id": sku_id, **doc}
    ctx.table("sku")[str(sku_id)] = doc
    if ean:
        ctx.table("skuean")[str(sku_id)] = {"SkuId": sku_id, "Eans": [str(ean)]}
    refresh_activation(ctx, [sku_id])
    return dict(ctx.table("sku")[str(sku_id)])


def update_sku(ctx: SandboxContext, current: Doc, body: Doc) -> Doc:
    """``PUT .../stockkeepingunit/{skuId}``: activating needs every condition met (400 listing them)."""
    doc = rules.coerce(body, rules.SKU_FIELDS, base=current, required=("ProductId", "Name"))
    sku_id = int(current["Id"])
    check_sku(doc, creating=False, has_ean=bool(eans(ctx, sku_id)))
    if str(doc["ProductId"]) not in ctx.table("product"):
        raise RuleError(400, f"The product {doc['ProductId']} does not exist.")
    check_refid_free(ctx, ix.SKU_BY_REFID, sku_id, doc["RefId"], "A SKU")
    doc = {"Id": sku_id, **doc}
    if doc["IsActive"] and not current["IsActive"]:
        problems = sku_activation_problems(ctx, doc)
        if problems:
            raise RuleError(400, f"The SKU {sku_id} cannot be activated: {'; '.join(problems)}.")
    ctx.table("sku")[str(sku_id)] = doc
    if not current["IsActive"]:
        # A SKU deactivated by this PUT stays inactive; one that was inactive may now qualify.
        refresh_activation(ctx, [sku_id])
    return dict(ctx.table("sku")[str(sku_id)])


def sku_by_refid(ctx: SandboxContext, ref: str) -> Doc:
    sku = ctx.table("sku").first(ix.SKU_BY_REFID, ref)
    if sku is None:
        raise RuleError(404, "SKU not found.")
    return sku


def sku_ids_by_refids(ctx: SandboxContext, body: Any) -> dict[str, str]:
    """RefId -> SKU id (a string); unknown RefIds are left out (every value in VTEX's schema is an id)."""
    if not isinstance(body, list) or not all(isinstance(r, str) for r in body):
        raise RuleError(400, "The body must be a JSON list of RefIds.")
    skus = ctx.table("sku").find_any(ix.SKU_BY_REFID, set(body))
    return {s["RefId"]: str(s["Id"]) for s in skus}


# --- EANs -------------------------------------------------------------------------------------


def eans(ctx: SandboxContext, sku_id: int) -> list[str]:
    return list(ctx.table("skuean").get(str(sku_id), {}).get("Eans", []))


def ean_owner(ctx: SandboxContext, ean: str) -> Doc | None:
    return ctx.table("skuean").first(ix.SKUEAN_BY_EAN, ean)


def check_ean_free(ctx: SandboxContext, ean: str, sku_id: int) -> None:
    owner = ean_owner(ctx, ean)
    if owner is not None and owner["SkuId"] != sku_id:
        raise RuleError(409, f"The EAN {ean} is already used by SKU {owner['SkuId']}.")


def add_ean(ctx: SandboxContext, sku_id: int, raw_ean: str) -> None:
    """Give the SKU the EAN (1..100 characters, not another SKU's), then re-check its activation."""
    ean = raw_ean.strip()
    if not ean or len(ean) > 100:
        raise RuleError(400, "The EAN must have between 1 and 100 characters.")
    check_ean_free(ctx, ean, sku_id)
    current = eans(ctx, sku_id)
    if ean not in current:
        ctx.table("skuean")[str(sku_id)] = {"SkuId": sku_id, "Eans": [*current, ean]}
    refresh_activation(ctx, [sku_id])


def delete_ean(ctx: SandboxContext, sku_id: int, ean: str) -> None:
    current = eans(ctx, sku_id)
    if ean not in current:
        raise RuleError(404, f"The SKU {sku_id} has no EAN {ean}.")
    ctx.table("skuean")[str(sku_id)] = {"SkuId": sku_id, "Eans": [e for e in current if e != ean]}
