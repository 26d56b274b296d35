"""The spec's example request of every route the sandbox serves, replayed against the sandbox.

For each operation of the vendored OpenAPI files that the sandbox's router serves, the example request
(:mod:`spec_examples`) is sent over plain HTTP to a fresh sandbox in which the entities it names were
created first; the answer must be a success and validate against the operation's response schema.
An example that cannot succeed because the spec itself is wrong is listed in ``ALLOWED`` with the
defect; every entry must still be needed (``test_every_allowance_is_still_needed``). Sandbox routes
with no operation in any vendored spec are listed in ``NO_SPEC`` with the reason.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.sandbox.spec_examples import BOOK, PREFIX, Example, Seeder, served_examples
from vtexbridge.sandbox.app import create_app, discover_routes, route_template
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.orderflow import orders_runtime
from vtexbridge.sandbox.store import Store

AUTH = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
HOST = "sandbox.vtexcommercestable.com.br"

# (spec, METHOD, template) -> (substring every tolerated problem contains, the spec defect).
CATALOG, ORDERS = "VTEX - Catalog API", "VTEX - Orders API"
MD1, MD2 = "VTEX - MasterData API - v10.2", "VTEX - Master Data API - v2"
ALLOWED: dict[tuple[str, str, str], tuple[str, str]] = {
    # productget/productgetbyrefid type SupplierId as a non-nullable integer, while GET
    # /api/catalog/pvt/product/{productId} declares the same field of the same product nullable.
    (CATALOG, "GET", "/api/catalog_system/pvt/products/productget/{productId}"): (
        "SupplierId: None",
        "SupplierId nullable in one product route, not in two others",
    ),
    (CATALOG, "GET", "/api/catalog_system/pvt/products/productgetbyrefid/{refId}"): (
        "SupplierId: None",
        "SupplierId nullable in one product route, not in two others",
    ),
    (CATALOG, "PUT", "/api/catalog/pvt/specification/{specificationId}"): (
        "The specification group 0 does not exist",
        "the example's FieldGroupId is 0, which names no specification group (a field needs one)",
    ),
    ("VTEX - Marketplace APIs - Suggestions", "PUT", "/suggestions/{sellerId}/{sellerSkuId}"): (
        "differs from the seller in the path",
        "the example body's SellerId is the placeholder 'string', not the path's sellerId",
    ),
    ("VTEX - Marketplace Protocol - External Marketplace Orders", "POST", "/api/fulfillment/pvt/orders"): (
        "orderData/paymentData",
        "the answer's orderData.paymentData is typed as a string, the request's paymentData as an object",
    ),
    **{
        (spec, "GET", f"/api/dataentities/{{{name}}}/scroll"): (
            "scroll token is invalid",
            "the example sends _token 123456, which no scroll issued (tokens come from X-VTEX-MD-TOKEN)",
        )
        for spec, name in ((MD1, "acronym"), (MD2, "dataEntityName"))
    },
    **{
        (spec, "GET", f"/api/dataentities/{{{name}}}/documents/{{id}}"): (
            "is a required property",
            "the example asks _fields=email,firstName,document but the answer schema is the _fields=_all one",
        )
        for spec, name in ((MD1, "acronym"), (MD2, "dataEntityName"))
    },
    (ORDERS, "GET", "/api/oms/pvt/orders"): (
        "orderBy must be",
        "the examples of orderBy ('v502556llux-01,asc') and q (a bullet list of descriptions) are no values",
    ),
    (ORDERS, "GET", "/api/orders/feed"): (
        "{{maxLot}}",
        "the example of maxlot is the placeholder '{{maxLot}}'",
    ),
    (ORDERS, "POST", "/api/orders/expressions/jsonata"): (
        "Document is not valid JSON",
        "the example's Document is escaped twice (backslashes left inside the JSON string)",
    ),
    (ORDERS, "POST", "/api/oms/pvt/orders/{orderId}/changes"): (
        "SKU 0 is not an item",
        "the example removes and adds item id '0', which is no SKU id",
    ),
    # The 202 schema of "Create order modifications" types totals[] as strings; the same request read
    # back and the spec's examples use {id, name, value} objects.
    (ORDERS, "PATCH", "/api/order-system/orders/{changeOrderId}/changes"): (
        "is not of type 'string'",
        "order-change totals typed as strings while the examples use objects",
    ),
    (ORDERS, "POST", "/api/order-system/orders/{changeOrderId}/changes/preview"): (
        "price: 4990 is not of type 'string'",
        "order-change prices typed as strings while the spec's examples use numbers",
    ),
}

# Sandbox routes that no vendored spec documents: (METHOD, template) -> why.
NO_SPEC: dict[tuple[str, str], str] = {
    (method, template): "VTEX's Payment Gateway API (transactions) is not among the vendored OpenAPI files"
    for method, template in (
        ("POST", "/api/pvt/transactions"),
        ("POST", "/api/pub/transactions/{transactionId}/payments"),
        ("POST", "/api/pvt/transactions/{transactionId}/authorization-request"),
        ("GET", "/api/pvt/transactions/{transactionId}"),
    )
} | {
    (method, template): "the Payment Gateway's callbackUrl a provider answers later: VTEX documents it as an "
    "opaque URL it hands the provider, with no OpenAPI operation of its own"
    for method, template in (
        ("POST", "/api/pvt/payment-provider/transactions/{transactionId}/payments/{paymentId}/callback"),
        ("POST", "/api/pvt/antifraud-provider/transactions/{transactionId}/hook"),
    )
}


def _router() -> Any:
    return create_app(SandboxOptions(limits="off")).router


EXAMPLES = served_examples(BOOK, _router())
USED: set[tuple[str, str, str]] = set()
RAN: set[str] = set()


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[httpx.AsyncClient, Store, Starlette]]:
    store = Store()
    app = create_app(SandboxOptions(limits="off", inventory_lock_ms=0), store=store)
    # Hook URLs of the examples (https://endpoint.example/...) answer the sandbox's ping and deliveries.
    orders_runtime(app.state.sandbox).deliverer.transport = httpx.MockTransport(lambda r: httpx.Response(200))
    transport = httpx.ASGITransport(app=app)
    headers = {**AUTH, "Host": HOST}
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}", headers=headers) as client:
        yield client, store, app
    store.close()


def _problems(example: Example, response: httpx.Response) -> list[str]:
    body = None
    if response.content and response.headers.get("content-type", "").split(";")[0].endswith("json"):
        body = response.json()
    problems = []
    if response.status_code >= 400:
        problems.append(f"answered {response.status_code}: {response.text[:300]}")
    relative = example.path.removeprefix(PREFIX.get(example.spec, ""))
    problems += BOOK.check_response(example.spec, example.op.method, relative, response.status_code, body)
    return problems


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.label for e in EXAMPLES])
async def test_spec_example_is_served(
    sandbox: tuple[httpx.AsyncClient, Store, Starlette], example: Example
) -> None:
    client, store, _app = sandbox
    await Seeder(client, store).for_example(example)
    content = json.dumps(example.body).encode() if example.has_body and example.body is not None else None
    response = await client.request(
        example.op.method.upper(),
        example.path,
        params=example.query,
        headers=example.headers,
        content=content,
    )
    problems = _problems(example, response)
    allowed = ALLOWED.get(example.key)
    if allowed is not None and any(allowed[0] in p for p in problems):
        USED.add(example.key)
        problems = [p for p in problems if allowed[0] not in p]
    RAN.add(example.label)
    assert problems == [], (
        f"{example.label}\n  request: {example.query} {json.dumps(example.body)[:300]}\n  "
        + "\n  ".join(problems)
    )


def test_every_sandbox_route_replays_an_example_or_has_no_spec() -> None:
    router = _router()
    covered = set()
    for example in EXAMPLES:
        scope = {
            "type": "http",
            "method": example.op.method.upper(),
            "path": example.path,
            "headers": [],
            "query_string": b"",
        }
        covered.add((example.op.method.upper(), router.template_of(router.resolve(scope))))
    served = {
        (method, route_template(route))
        for route in discover_routes()
        for method in (getattr(route, "methods", None) or ())
        if method != "HEAD" and not route_template(route).startswith("/_sandbox")
    }
    assert sorted(served - covered - set(NO_SPEC)) == [], (
        "routes without a spec example: add one or a NO_SPEC entry"
    )
    assert set(NO_SPEC) <= served, "a NO_SPEC entry names a route the sandbox no longer serves"


def test_every_allowance_is_still_needed() -> None:
    """Runs last in this module (pytest keeps file order)."""
    if len(RAN) < len(EXAMPLES):
        pytest.skip("meaningful only when every example ran")
    assert set(ALLOWED) - USED == set(), "allow-list entries no longer needed: remove them"
