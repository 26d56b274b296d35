"""Catalog sellers (``VTEX - Catalog API``): the marketplace's list of sellers, one seller, create, update.

- ``GET /api/catalog_system/pvt/seller/list?sc=&sellerType=&isBetterScope=``: every seller, main seller
  ``"1"`` (the account itself) first, then the catalog's sellers and the external sellers registered
  with the sandbox marketplace (``POST /_sandbox/marketplace/sellers``, never their credentials);
  ``sellerType`` (1 regular, 2 white label), ``isBetterScope`` and
  ``sc`` (trade policy the seller sells in) filter it.
- ``GET /api/catalog_system/pvt/seller/{sellerId}`` and ``GET .../pvt/sellers/{sellerId}``: one seller,
  404 ``{"Message"}`` when unknown.
- ``POST /api/catalog_system/pvt/seller``: creates the seller of the body's ``SellerId`` (409 when it
  exists: a sandbox choice, the spec is silent); ``PUT /api/catalog_system/pvt/seller``: replaces the
  fields the body gives of an existing seller (404 when unknown). Both answer the stored seller.
  ``SellerId`` (at most 100 characters) and ``Name`` are required; a field of the wrong type answers 400.

Sellers live in kind ``seller`` (key = seller id), shared with the seller register
(:mod:`.seller_register`): a document keeps the register's lower-camel fields (``id``, ``name``,
``isActive``, ...) and the catalog's own fields under ``catalog``. ``Password`` is never stored nor
answered (``null``, as VTEX answers it).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, read_json, rule_errors, sandbox
from vtexbridge.sandbox.marketplace_seller import EXT_SELLER
from vtexbridge.sandbox.routes.seller_register import SELLER, main_seller
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules

__all__ = ["SELLER_FIELDS", "catalog_view", "routes"]

Doc = dict[str, Any]
SELLER_ID_MAX = 100
_f = rules.Field
SELLER_FIELDS = (
    _f("Name", "str"),
    _f("Email", "str"),
    _f("Description", "str"),
    _f("ExchangeReturnPolicy", "str"),
    _f("DeliveryPolicy", "str"),
    _f("UseHybridPaymentOptions", "bool"),
    _f("UserName", "str", True),
    _f("SecutityPrivacyPolicy", "str"),
    _f("CNPJ", "str"),
    _f("CSCIdentification", "str"),
    _f("ArchiveId", "int", True),
    _f("UrlLogo", "str"),
    _f("ProductCommissionPercentage", "number"),
    _f("FreightCommissionPercentage", "number"),
    _f("CategoryCommissionPercentage", "str", default="[]"),
    _f("FulfillmentEndpoint", "str", True),
    _f("CatalogSystemEndpoint", "str"),
    _f("IsActive", "bool", default=True),
    _f("MerchantName", "str"),
    _f("FulfillmentSellerId", "int", True),
    _f("SellerType", "int", default=1),
    _f("IsBetterScope", "bool"),
    _f("TrustPolicy", "str", default="Default"),
)


def catalog_view(doc: Doc) -> Doc:
    """The Catalog's view of a stored seller (a register-only seller gets its fields derived)."""
    stored = doc.get("catalog")
    if isinstance(stored, dict):
        fields = dict(stored)
    else:
        fields = rules.coerce(
            {
                "Name": doc.get("name") or "",
                "IsActive": bool(doc.get("isActive", True)),
                "IsBetterScope": bool(doc.get("isBetterScope", False)),
                "SellerType": int(doc.get("sellerType") or 1),
                "FulfillmentEndpoint": doc.get("fulfillmentEndpoint"),
                "MerchantName": doc.get("name") or "",
            },
            SELLER_FIELDS,
        )
    return {"SellerId": str(doc["id"]), **fields, "Password": None}


def _sellers(ctx: SandboxContext) -> dict[str, Doc]:
    """Main seller ``1``, the catalog's sellers, and the external sellers registered with the
    marketplace (``POST /_sandbox/marketplace/sellers``; their credentials are never answered)."""
    stored = {
        str(d["sellerId"]): _external_seller(d) for d in ctx.table(EXT_SELLER).values() if d.get("sellerId")
    }
    stored.update(ctx.table(SELLER).items())
    stored.setdefault("1", main_seller(ctx.account))
    return stored


def _external_seller(doc: Doc) -> Doc:
    return {
        "id": str(doc["sellerId"]),
        "name": str(doc.get("name") or doc["sellerId"]),
        "isActive": True,
        "isBetterScope": False,
        "sellerType": 1,
        "fulfillmentEndpoint": str(doc.get("fulfillmentEndpoint") or ""),
    }


def _register_fields(seller_id: str, fields: Doc, current: Doc | None) -> Doc:
    """The seller register's fields of a catalog seller (kept in step with the catalog's)."""
    base = {k: v for k, v in (current or {}).items() if k != "catalog"}
    channels = base.get("availableSalesChannels") or [{"id": 1}]
    return {
        **base,
        "id": seller_id,
        "name": fields["Name"],
        "isActive": fields["IsActive"],
        "isVtex": bool(base.get("isVtex", False)),
        "isBetterScope": fields["IsBetterScope"],
        "sellerType": fields["SellerType"],
        "fulfillmentEndpoint": fields["FulfillmentEndpoint"] or "",
        "availableSalesChannels": channels,
        "email": fields["Email"],
        "description": fields["Description"],
        "catalog": fields,
    }


async def _write(request: Request, *, creating: bool) -> Response:
    ctx = sandbox(request)
    body = rules.body_object(await read_json(request, catalog=True))
    seller_id = body.get("SellerId")
    if not isinstance(seller_id, str) or not seller_id.strip():
        raise RuleError(400, "The field SellerId is required (a string).")
    if len(seller_id) > SELLER_ID_MAX or "/" in seller_id:
        raise RuleError(400, f"SellerId must have at most {SELLER_ID_MAX} characters and no '/'.")
    current = _sellers(ctx).get(seller_id)
    if creating and current is not None:
        raise RuleError(409, f"Seller {seller_id} already exists.")
    if not creating and current is None:
        raise RuleError(404, f"Seller {seller_id} not found.")
    base = catalog_view(current) if current is not None else None
    fields = rules.coerce(body, SELLER_FIELDS, base=base, required=("Name",))
    doc = _register_fields(seller_id, fields, current)
    ctx.table(SELLER)[seller_id] = doc
    return JSONResponse(catalog_view(doc))


@rule_errors("catalog")
async def create_seller(request: Request) -> Response:
    return await _write(request, creating=True)


@rule_errors("catalog")
async def update_seller(request: Request) -> Response:
    return await _write(request, creating=False)


@rule_errors("catalog")
async def get_seller(request: Request) -> Response:
    seller_id = request.path_params["sellerId"]
    doc = _sellers(sandbox(request)).get(seller_id)
    if doc is None:
        raise RuleError(404, f"Seller {seller_id} not found.")
    return JSONResponse(catalog_view(doc))


def _flag(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in ("true", "false"):
        raise RuleError(400, f"{name} must be true or false.")
    return raw.lower() == "true"


def _number(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise RuleError(400, f"{name} must be a number.")
    return int(raw)


def _sells_in(doc: Doc, sales_channel: int) -> bool:
    channels = doc.get("availableSalesChannels") or [{"id": 1}]
    return any(isinstance(c, dict) and str(c.get("id")) == str(sales_channel) for c in channels)


@rule_errors("catalog")
async def list_sellers(request: Request) -> Response:
    ctx = sandbox(request)
    seller_type, sc = _number(request, "sellerType"), _number(request, "sc")
    better_scope = _flag(request, "isBetterScope")
    out = []
    sellers = _sellers(ctx)
    for key in sorted(sellers, key=lambda k: (k != "1", k)):
        doc = sellers[key]
        view = catalog_view(doc)
        if seller_type is not None and view["SellerType"] != seller_type:
            continue
        if better_scope is not None and view["IsBetterScope"] is not better_scope:
            continue
        if sc is not None and not _sells_in(doc, sc):
            continue
        out.append(view)
    return JSONResponse(out)


def routes() -> list[BaseRoute]:
    sys = "/api/catalog_system/pvt"
    return [
        Route(f"{sys}/seller/list", list_sellers, methods=["GET"]),
        Route(f"{sys}/seller", create_seller, methods=["POST"]),
        Route(f"{sys}/seller", update_seller, methods=["PUT"]),
        Route(f"{sys}/seller/{{sellerId}}", get_seller, methods=["GET"]),
        Route(f"{sys}/sellers/{{sellerId}}", get_seller, methods=["GET"]),
    ]
