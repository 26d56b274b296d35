"""Seller register (``Marketplace APIs``, server ``https://{account}.vtexcommercestable.com.br/api``).

- ``GET /api/seller-register/pvt/sellers?from=&to=&isActive=&keyword=``: the account's sellers as
  ``{"paging": {"from", "to", "total"}, "items": [seller]}`` (the spec gives no body schema; this is
  the shape VTEX documents in its guides). ``to`` is exclusive, at most 100 per page.
- ``GET /api/seller-register/pvt/sellers/{sellerId}``: one seller, 404 when unknown.

Sellers live in kind ``seller`` keyed by id. Every account has seller ``"1"``, the account itself
(VTEX's main seller), even before anything is stored.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import abort, sandbox

__all__ = ["SELLER", "main_seller", "routes"]

SELLER = "seller"
MAX_PAGE = 100


def main_seller(account: str) -> dict[str, Any]:
    return {
        "id": "1",
        "name": account,
        "isActive": True,
        "isVtex": True,
        "isBetterScope": False,
        "sellerType": 1,
        "fulfillmentEndpoint": f"http://fulfillment.vtexcommerce.com.br/api/fulfillment?an={account}",
        "availableSalesChannels": [{"id": 1}],
        "salesChannel": "1",
    }


def _sellers(request: Request) -> dict[str, dict[str, Any]]:
    ctx = sandbox(request)
    stored = {k: _register_view(v) for k, v in ctx.table(SELLER).items()}
    stored.setdefault("1", main_seller(ctx.account))
    return stored


def _register_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored seller without the Catalog's own fields (kept under ``catalog`` by ``catalog_sellers``)."""
    return {k: v for k, v in doc.items() if k != "catalog"}


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(float(raw))
    except ValueError:
        abort(400, f"query parameter {name!r} must be a number, got {raw!r}")
    if value < 0:
        abort(400, f"query parameter {name!r} must not be negative")
    return value


async def list_sellers(request: Request) -> Response:
    start = _int_param(request, "from", 0)
    end = _int_param(request, "to", MAX_PAGE)
    if end < start:
        abort(400, "'to' must not be smaller than 'from'")
    if end - start > MAX_PAGE:
        abort(400, f"at most {MAX_PAGE} sellers per page")
    items = sorted(_sellers(request).values(), key=lambda s: str(s["id"]))
    active = request.query_params.get("isActive")
    if active is not None and active != "":
        wanted = active.lower() == "true"
        items = [s for s in items if bool(s.get("isActive")) is wanted]
    keyword = (request.query_params.get("keyword") or "").lower()
    if keyword:
        items = [
            s for s in items if keyword in str(s.get("name", "")).lower() or keyword in str(s["id"]).lower()
        ]
    page = items[start:end]
    return JSONResponse(
        {"paging": {"from": start, "to": start + len(page), "total": len(items)}, "items": page}
    )


async def get_seller(request: Request) -> Response:
    seller_id = request.path_params["sellerId"]
    seller = _sellers(request).get(seller_id)
    if seller is None:
        abort(404, f"Seller {seller_id} not found")
    return JSONResponse(seller)


def routes() -> list[BaseRoute]:
    return [
        Route("/api/seller-register/pvt/sellers", list_sellers, methods=["GET"]),
        Route("/api/seller-register/pvt/sellers/{sellerId}", get_seller, methods=["GET"]),
    ]
