"""Every route of the sandbox's orders, feed, Master Data and marketplace modules answers what the spec says.

One scenario calls every route of those modules (enumerated from their ``routes()``, so a new route
without a call makes ``test_every_route_is_exercised`` fail) and every answer with a documented body is
validated against the operation's response schema in the official OpenAPI file (documented error
answers too, e.g. the 409 of start-handling). Spec quirks that make a faithful answer fail are listed
in ``ALLOWED`` with the reason; the checker itself is never loosened. Admin routes (``/_sandbox/...``)
are outside VTEX's contract and are listed in ``ADMIN`` so that adding one is a conscious act.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from vtexbridge.clock import FakeClock
from vtexbridge.sandbox.app import create_app, route_template
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.orderflow import orders_runtime
from vtexbridge.sandbox.routes import (
    admin_orders,
    feed,
    marketplace,
    masterdata,
    masterdata_v2,
    order_changes,
    orders,
)
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store
from vtexbridge.testing.openapi import ContractBook

MODULES: tuple[ModuleType, ...] = (
    orders,
    order_changes,
    feed,
    masterdata,
    masterdata_v2,
    marketplace,
    admin_orders,
)
ORDERS_SPEC = "VTEX - Orders API"
MD_SPEC = "VTEX - MasterData API - v10.2"
MD2_SPEC = "VTEX - Master Data API - v2"
V2_ENTITIES = ("Newsletter",)  # the scenario's v2 entity: its answers are checked against the v2 spec
HEADERS = {
    "X-VTEX-API-AppKey": DEFAULT_APP_KEY,
    "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN,
    "Host": "sandbox.vtexcommercestable.com.br",
    "Accept": "application/json",
}


def spec_of(template: str, path: str = "") -> str:
    """The OpenAPI file that documents a route (Master Data: v1 or v2 by the entity of ``path``)."""
    if template.startswith("/api/dataentities/") and (
        template.endswith(("/schemas", "/schemas/{schemaName}"))
        or any(path.startswith(f"/api/dataentities/{name}/") for name in V2_ENTITIES)
    ):
        return MD2_SPEC
    if template.startswith(("/api/oms/", "/api/orders/", "/api/order-system/")):
        return ORDERS_SPEC
    if template.startswith("/api/dataentities/"):
        return MD_SPEC
    if template.startswith("/api/notificator/"):
        return "VTEX - Marketplace APIs"
    if template.startswith("/suggestions/"):
        return "VTEX - Marketplace APIs - Suggestions"
    if template.startswith("/api/catalog_system/"):
        return "VTEX - Catalog API"
    if template.startswith(("/api/checkout/", "/api/fulfillment/")):
        return "VTEX - Marketplace Protocol - External Marketplace Orders"
    raise AssertionError(f"no spec known for {template}")


ADMIN = {
    ("POST", "/_sandbox/orders"),
    ("GET", "/_sandbox/orders"),
    ("GET", "/_sandbox/orders/{orderId}"),
    ("POST", "/_sandbox/orders/{orderId}/advance"),
    ("GET", "/_sandbox/documents/{entity}"),
    ("GET", "/_sandbox/feed/options"),
    ("POST", "/_sandbox/feed/options"),
    ("GET", "/_sandbox/feeds"),
    ("GET", "/_sandbox/hook/deliveries"),
    ("GET", "/_sandbox/hook/options"),
    ("POST", "/_sandbox/hook/options"),
    ("GET", "/_sandbox/marketplace/notifications"),
    ("POST", "/_sandbox/marketplace/skusellers"),
    ("GET", "/_sandbox/order-changes/options"),
    ("POST", "/_sandbox/order-changes/options"),
    ("GET", "/_sandbox/masterdata/entities"),
    ("POST", "/_sandbox/masterdata/entities"),
}

# (METHOD, route template) -> (substring every tolerated problem contains, why the spec is wrong).
ALLOWED: dict[tuple[str, str], tuple[str, str]] = {
    # The 202 schema of "Request order modification" types totals[] as strings, while the same request
    # read back (GET .../changes, GET .../changes/{id}, POST .../preview) types it as {id, name, value}
    # objects, which is what the spec's examples show: the sandbox answers objects everywhere.
    ("PATCH", "/api/order-system/orders/{changeOrderId}/changes"): (
        "is not of type 'string'",
        "totals[] declared as strings in the 202 schema only",
    ),
    # GET .../changes (the history) and POST .../preview type replace[].from.items[].price as "string
    # null", while the 202 answer and GET .../changes/{id} of the same request (and every other money
    # field of the Orders API) use integer cents.
    ("GET", "/api/order-system/orders/{changeOrderId}/changes"): (
        "from/items/0/price: 4990 is not of type 'string'",
        "price declared as a string in the history schemas only",
    ),
    ("POST", "/api/order-system/orders/{changeOrderId}/changes/preview"): (
        "from/items/0/price: 4990 is not of type 'string'",
        "price declared as a string in the preview schema too",
    ),
}


def declared() -> set[tuple[str, str]]:
    found = set()
    for module in MODULES:
        for route in module.routes():
            assert isinstance(route, Route)
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method, route_template(route)))
    return found


@dataclass(frozen=True)
class Exchange:
    method: str
    template: str
    path: str
    status: int
    body: Any


class Recorder:
    """Calls the sandbox and records (method, route template, path, status, JSON body) of every answer."""

    def __init__(self, client: httpx.AsyncClient, app: Starlette) -> None:
        self.client = client
        self.app = app
        self.exchanges: list[Exchange] = []

    async def __call__(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        expect: int,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> Any:
        response = await self.client.request(method, url, json=body, headers=headers, params=params or None)
        assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
        decoded = None
        if response.content and response.headers.get("content-type", "").startswith("application/json"):
            decoded = response.json()
        path = httpx.URL(url).path
        if not path.startswith("/_sandbox"):
            entry = self.app.state.sandbox.request_log.entries()[-1]
            self.exchanges.append(Exchange(method, entry.route, path, response.status_code, decoded))
        return decoded


def _catalog(store: Store) -> None:
    account = "sandbox"
    seed(store, account, "demo")
    store.table(account, "brand")["2000001"] = {"Id": 2000001, "Name": "Marca"}
    for sku, price in ((100, 49.9), (200, 10.0)):
        store.table(account, "product")[str(sku * 10)] = {
            "Id": sku * 10,
            "Name": f"Produto {sku}",
            "DepartmentId": 1,
            "CategoryId": 2,
            "BrandId": 2000001,
            "LinkId": f"p-{sku}",
            "IsActive": True,
        }
        store.table(account, "sku")[str(sku)] = {
            "Id": sku,
            "ProductId": sku * 10,
            "IsActive": True,
            "Name": "M",
            "RefId": f"R{sku}",
            "MeasurementUnit": "un",
            "UnitMultiplier": 1,
        }
        store.table(account, "price")[str(sku)] = {
            "itemId": str(sku),
            "listPrice": price + 10,
            "costPrice": price,
            "markup": 0,
            "basePrice": price,
            "fixedPrices": [],
        }
        store.table(account, "inventory")[f"{sku}:1_1"] = {
            "skuId": str(sku),
            "warehouseId": "1_1",
            "quantity": 100,
            "unlimitedQuantity": False,
            "leadTime": "00:00:00",
            "reservedQuantity": 0,
        }


@pytest.fixture
async def recorded() -> AsyncIterator[list[Exchange]]:
    store = Store()
    _catalog(store)
    app = create_app(SandboxOptions(limits="off"), store=store, clock=FakeClock(start=1_700_000_000.0))

    async def hook_receiver(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    deliverer = orders_runtime(app.state.sandbox).deliverer
    deliverer.transport = httpx.MockTransport(hook_receiver)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.vtexcommercestable.com.br", headers=HEADERS
    ) as client:
        call = Recorder(client, app)
        await _scenario(call)
        await deliverer.drain()
        yield call.exchanges
    store.close()


async def _scenario(call: Recorder) -> None:
    oms = "/api/oms/pvt/orders"
    queue = {"visibilityTimeoutInSeconds": 60, "MessageRetentionPeriodInSeconds": 345_600}
    # Feed and hook configuration, then orders flowing into them.
    await call(
        "POST", "/api/orders/feed/config", {"filter": {"type": "FromWorkflow"}, "queue": queue}, expect=200
    )
    hook = {
        "filter": {"type": "FromWorkflow", "status": ["ready-for-handling"]},
        "hook": {"url": "https://erp.example/hook", "headers": {"k": "v"}},
    }
    await call("POST", "/api/orders/hook/config", hook, expect=200)
    await call("GET", "/api/orders/hook/config", expect=200)
    order = await call(
        "POST", "/_sandbox/orders", {"items": [{"skuId": "100", "quantity": 2}], "shipping": 500}, expect=201
    )
    oid = order["orderId"]
    await call("POST", "/_sandbox/orders", {"items": [{"skuId": "200", "quantity": 1}]}, expect=201)
    await call("GET", "/api/orders/feed/config", expect=200)
    items = await call("GET", "/api/orders/feed", expect=200, maxlot=10)
    await call("POST", "/api/orders/feed", {"handles": [i["handle"] for i in items]}, expect=200)
    await call(
        "POST",
        "/api/orders/expressions/jsonata",
        {"Expression": "value > 1", "Document": '{"value": 2}'},
        expect=200,
    )
    await call("GET", f"{oms}/{oid}", expect=200)
    await call("GET", oms, expect=200, f_status="ready-for-handling", per_page=10)
    await call("POST", f"{oms}/{oid}/start-handling", expect=204)
    await call("POST", f"{oms}/{oid}/start-handling", expect=409)  # documented OMS003 body
    # Order modification while handling.
    changes = f"/api/order-system/orders/{oid}/changes"
    change = {
        "reason": "troca",
        "replace": [
            {
                "from": {"items": [{"id": "100", "quantity": 1}]},
                "to": {"items": [{"id": "200", "quantity": 1}]},
            }
        ],
    }
    await call("POST", f"{changes}/preview", change, expect=200)
    record = await call("PATCH", changes, change, expect=202)
    await call("GET", changes, expect=200)
    await call("GET", f"{changes}/{record['requestId']}", expect=200)
    # Invoice, tracking, a second order canceled.
    value = (await call("GET", f"{oms}/{oid}", expect=200))["value"]
    invoice = {
        "type": "Output",
        "issuanceDate": "2024-05-01T10:00:00Z",
        "invoiceNumber": "NF-1",
        "invoiceValue": str(value),
        "items": [{"id": "100", "price": 4990, "quantity": 1}, {"id": "200", "price": 1000, "quantity": 1}],
    }
    await call("POST", f"{oms}/{oid}/invoice", invoice, expect=200)
    tracking = {
        "trackingNumber": "BR1",
        "trackingUrl": "https://t.example/BR1",
        "dispatchedDate": None,
        "courier": "Correios",
    }
    await call("PATCH", f"{oms}/{oid}/invoice/NF-1", tracking, expect=200)
    delivered = {
        "isDelivered": True,
        "deliveredDate": "2024-05-03 10:00",
        "events": [{"city": "Recife", "state": "PE", "description": "Entregue", "date": "2024-05-03"}],
    }
    await call("PUT", f"{oms}/{oid}/invoice/NF-1/tracking", delivered, expect=200)
    await call("GET", f"{oms}/{oid}", expect=200)  # invoiced, with a package
    other = await call("POST", "/_sandbox/orders", {"items": [{"skuId": "100", "quantity": 1}]}, expect=201)
    await call("POST", f"{oms}/{other['orderId']}/cancel", {"reason": "cliente"}, expect=200)
    await call("GET", f"{oms}/{other['orderId']}", expect=200)
    await _change_flows(call)
    await call("DELETE", "/api/orders/hook/config", expect=200)
    await call("DELETE", "/api/orders/feed/config", expect=200)
    # Master Data.
    md = "/api/dataentities"
    await call("POST", "/_sandbox/masterdata/entities", {"name": "PE"}, expect=201)  # a v1 entity
    created = await call("POST", f"{md}/PE/documents", {"firstName": "Maria", "age": 30}, expect=201)
    doc_id = created["documentId"]
    await call("PATCH", f"{md}/PE/documents", {"id": doc_id, "age": 31}, expect=201)
    await call("PATCH", f"{md}/PE/documents", {"id": doc_id, "age": 31}, expect=304)
    await call("GET", f"{md}/PE/documents/{doc_id}", expect=200, _fields="_all")
    await call("PUT", f"{md}/PE/documents/{doc_id}", {"firstName": "Marta"}, expect=204)
    await call("PATCH", f"{md}/PE/documents/{doc_id}", {"age": 40}, expect=204)
    ranged = {"REST-Range": "resources=0-10"}
    await call("GET", f"{md}/PE/search", expect=200, headers=ranged, _fields="_all", _where="age>1")
    await call("GET", f"{md}/PE/search", expect=400)  # REST-Range is required
    await call("GET", f"{md}/PE/scroll", expect=200, _size=10, _fields="firstName")
    await call("DELETE", f"{md}/PE/documents/{doc_id}", expect=204)
    customer = await call(
        "POST", f"{md}/CL/documents", {"email": "x@example.com", "firstName": "X"}, expect=200
    )
    await call("PATCH", f"{md}/CL/documents/{customer['DocumentId']}", {"lastName": "Y"}, expect=200)
    address = await call(
        "POST",
        f"{md}/AD/documents",
        {"userId": customer["DocumentId"], "city": "Recife", "addressType": "commercial"},
        expect=200,
    )
    await call(
        "GET", f"{md}/AD/documents/{address['DocumentId']}", expect=200, _fields="userId,city,addressType"
    )
    await call("DELETE", f"{md}/AD/documents/{address['DocumentId']}", expect=204)
    await _masterdata_v2(call)
    # Marketplace.
    await call("POST", "/api/notificator/seller1/changenotification/100/price", expect=202)
    await call("POST", "/api/notificator/seller1/changenotification/100/inventory", expect=202)
    suggestion = {
        "ProductName": "P",
        "ProductId": "1",
        "ProductDescription": "D",
        "BrandName": "B",
        "SkuName": "S",
        "SellerId": "seller1",
        "Height": 1,
        "Width": 1,
        "Length": 1,
        "Weight": 1,
        "RefId": "R",
        "EAN": "7891234567895",
        "CategoryFullPath": "A/B",
        "Images": [{"imageName": "i", "imageUrl": "https://img.example/i.jpg"}],
        "AvailableQuantity": 1,
        "Pricing": {"Currency": "BRL", "SalePrice": 100, "CurrencySymbol": "R$"},
    }
    await call("PUT", "/suggestions/seller1/77", suggestion, expect=200)
    await call("GET", "/suggestions/seller1/77", expect=200)
    await call(
        "POST",
        "/_sandbox/marketplace/skusellers",
        {"sellerId": "seller1", "sellerSkuId": "77", "skuId": 100},
        expect=201,
    )
    await call("POST", "/api/catalog_system/pvt/skuseller/changenotification/seller1/77", expect=204)
    simulation = {
        "items": [{"id": "100", "quantity": 1, "seller": "1"}],
        "postalCode": "01310-100",
        "country": "BRA",
    }
    await call("POST", "/api/checkout/pub/orderForms/simulation", simulation, expect=200, sc="1")
    placement = {
        "marketplaceOrderId": "MKP-1",
        "marketplaceServicesEndpoint": "https://mkp.example/api",
        "marketplacePaymentValue": 4990,
        "items": [{"id": "100", "quantity": 1, "seller": "1", "price": 4990}],
        "clientProfileData": {
            "email": "b@example.com",
            "firstName": "B",
            "lastName": "C",
            "documentType": "cpf",
            "document": "52998224725",
        },
        "shippingData": {
            "address": {
                "addressType": "residential",
                "receiverName": "B C",
                "postalCode": "01310-100",
                "city": "São Paulo",
                "state": "SP",
                "country": "BRA",
                "street": "Rua A",
                "number": "1",
            },
            "logisticsInfo": [{"itemIndex": 0, "selectedSla": "Normal", "price": 0}],
        },
    }
    placed = await call("POST", "/api/fulfillment/pvt/orders", placement, expect=200, affiliateId="MKP")
    await call(
        "POST",
        f"/api/fulfillment/pvt/orders/{placed['orderId']}/fulfill",
        {"marketplaceOrderId": "MKP-1"},
        expect=201,
    )


async def _masterdata_v2(call: Recorder) -> None:
    """A v2 entity: schemas, then documents answered in the v2 shapes (checked against the v2 spec)."""
    md = "/api/dataentities/Newsletter"
    schema = {
        "properties": {"email": {"type": "string"}, "optIn": {"type": "boolean"}},
        "v-indexed": ["email", "optIn"],
    }
    await call("PUT", f"{md}/schemas/v1", schema, expect=200)
    await call("GET", f"{md}/schemas", expect=200)
    await call("GET", f"{md}/schemas/v1", expect=200)
    created = await call("POST", f"{md}/documents", {"email": "a@example.com", "optIn": True}, expect=201)
    doc_id = created["DocumentId"]
    await call("PATCH", f"{md}/documents", {"id": doc_id, "optIn": False}, expect=200)
    await call("GET", f"{md}/documents/{doc_id}", expect=200, _schema="v1", _fields="_all")
    await call("GET", f"{md}/documents/{doc_id}", expect=400, _fields="_all")  # _schema required
    ranged = {"REST-Range": "resources=0-10"}
    await call("GET", f"{md}/search", expect=200, headers=ranged, _schema="v1", _where="optIn=false")
    await call("GET", f"{md}/search", expect=400, headers=ranged, _where="optIn=false")
    await call("GET", f"{md}/scroll", expect=200, _schema="v1", _fields="_all")
    await call("PUT", f"{md}/documents/{doc_id}", {"email": "b@example.com"}, expect=204)
    await call("PATCH", f"{md}/documents/{doc_id}", {"optIn": True}, expect=204)
    await call("DELETE", f"{md}/documents/{doc_id}", expect=204)
    await call("DELETE", f"{md}/schemas/v1", expect=204)
    await call("GET", "/api/dataentities/NEVER/documents/x", expect=404)  # an entity never created


async def _change_flows(call: Recorder) -> None:
    """Legacy changes, and v2 changes that stop unprocessed, then are retried or canceled."""
    order = await call("POST", "/_sandbox/orders", {"items": [{"skuId": "100", "quantity": 4}]}, expect=201)
    oid = order["orderId"]
    await call("POST", f"/api/oms/pvt/orders/{oid}/start-handling", expect=204)
    legacy = {
        "requestId": "change-request-0123",
        "reason": "Stock shortage",
        "discountValue": 100,
        "incrementValue": 0,
        "itemsRemoved": [{"id": "100", "price": 4990, "quantity": 1}],
        "itemsAdded": [],
    }
    await call("POST", f"/api/oms/pvt/orders/{oid}/changes", legacy, expect=200)
    await call("POST", f"/api/oms/pvt/orders/{oid}/changes", {"reason": "x"}, expect=400)
    changes = f"/api/order-system/orders/{oid}/changes"
    await call("POST", "/_sandbox/order-changes/options", {"failNext": 2}, expect=200)
    change = {
        "reason": "troca",
        "replace": [{"from": {"items": [{"id": "100", "quantity": 1}]}, "to": {"items": []}}],
    }
    failed = await call("PATCH", changes, change, expect=202)
    await call(
        "POST", f"{changes}/{failed['requestId']}/retry", {"reason": "again"}, expect=204, an="sandbox"
    )
    await call(
        "POST", f"{changes}/{failed['requestId']}/cancel", {"reason": "late"}, expect=409, an="sandbox"
    )
    second = await call("PATCH", changes, change, expect=202)
    await call("POST", f"{changes}/{second['requestId']}/cancel", {"reason": "no"}, expect=200, an="sandbox")
    await call("POST", f"{changes}/{second['requestId']}/retry", {"reason": "x"}, expect=409, an="sandbox")


def test_every_route_is_exercised_or_declared_admin() -> None:
    routes = declared()
    admin = {r for r in routes if r[1].startswith("/_sandbox")}
    assert admin == ADMIN, "an admin route was added or removed: update ADMIN"
    for _method, template in routes - admin:
        spec_of(template)  # every VTEX route belongs to a known spec


async def test_every_route_is_exercised(recorded: list[Exchange]) -> None:
    vtex_routes = {r for r in declared() if not r[1].startswith("/_sandbox")}
    exercised = {(e.method, e.template) for e in recorded}
    assert vtex_routes - exercised == set(), "routes without a call in the scenario"


async def test_responses_match_the_spec(recorded: list[Exchange]) -> None:
    book = ContractBook.load()
    problems: list[str] = []
    used: set[tuple[str, str]] = set()
    for e in recorded:
        assert book.find(spec_of(e.template, e.path), e.method, e.path) is not None, (
            f"{e.method} {e.path} is not in the spec"
        )
        found = book.check_response(spec_of(e.template, e.path), e.method, e.path, e.status, e.body)
        allowed = ALLOWED.get((e.method, e.template))
        if allowed is not None and any(allowed[0] in p for p in found):
            used.add((e.method, e.template))
            found = [p for p in found if allowed[0] not in p]
        problems.extend(found)
    assert problems == [], "\n".join(problems)
    assert used == set(ALLOWED), "an allow-list entry is no longer needed: remove it"
