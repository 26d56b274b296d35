"""Helpers of the provider protocol tests: the spec's examples, a served app, a request helper."""

from __future__ import annotations

import json
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from vtexbridge.providers.runtime import ProvidersRuntime, attach
from vtexbridge.providers.settings import ProvidersSettings
from vtexbridge.serving import Served
from vtexbridge.testing.openapi import ContractBook, Spec
from vtexbridge.web.routes.providers import provider_routes

KEY, TOKEN = "vtexappkey-providers-TEST", "providers-test-token"
GATEWAY_KEY, GATEWAY_TOKEN = "vtexappkey-retailer-CALLBACK", "retailer-callback-token"  # vtex.app_key/token
GIFTCARD_SPEC = "VTEX - Giftcard Provider Protocol"
PAYMENT_SPEC = "VTEX - Payment Provider Protocol"
ANTIFRAUD_SPEC = "VTEX - Antifraud Provider API"
VND = "application/vnd.vtex.giftcards.v1+json"
SPEC_METHODS = ["Diners", "Pix", "Visa", "BankInvoice", "CustomPay", "FakePay", "RedirectPay"]
CARD_CODE = "BAHD-ASDB-ADQW-ASDQ"  # the spec's example redemption code
CARD_TOKEN = "b2dac6f2-f365-48cd-82a9-0b376a55557a"  # the spec's example redemption token


@dataclass
class Served_:
    """The protocols served over real HTTP."""

    url: str
    runtime: ProvidersRuntime
    served: Served

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30)


def provider_app(runtime: ProvidersRuntime, providers: ProvidersSettings) -> FastAPI:
    """The routes ``serve`` mounts for ``providers``, with ``runtime`` attached."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.router.routes.extend(provider_routes(providers))
    attach(app, runtime)
    return app


def example_from_schema(spec: Spec, schema: Any) -> Any:
    """An instance built from the schema's own ``example`` values (the spec's example request)."""
    schema = spec.resolve(schema)
    if "example" in schema:
        return deepcopy(schema["example"])
    if schema.get("type") == "object" or "properties" in schema:
        return {name: example_from_schema(spec, sub) for name, sub in schema.get("properties", {}).items()}
    if schema.get("type") == "array":
        return [example_from_schema(spec, schema.get("items", {}))]
    return {"string": "x", "integer": 1, "number": 1, "boolean": True}.get(schema.get("type", "string"))


def request_example(book: ContractBook, spec_name: str, method: str, template: str) -> tuple[Any, str]:
    """(the operation's example request body, the schema pointer it validates against)."""
    spec = book.spec(spec_name)
    op = spec.doc["paths"][template][method]
    body = spec.resolve(op["requestBody"])
    ctype, media = next(iter(body["content"].items()))
    pointer = f"/paths/{template.replace('/', '~1')}/{method}/requestBody/content/{ctype.replace('/', '~1')}"
    if "example" in media:
        return deepcopy(media["example"]), pointer + "/schema"
    return example_from_schema(spec, media["schema"]), pointer + "/schema"


def headers(*, family: str = "VTEX", content_type: str = "application/json") -> dict[str, str]:
    return {
        "Accept": "application/json",
        "Content-Type": content_type,
        f"X-{family}-API-AppKey": KEY,
        f"X-{family}-API-AppToken": TOKEN,
    }


def check_response(book: ContractBook, spec: str, method: str, path: str, response: httpx.Response) -> None:
    """The response's body validates against the operation's schema (``path`` relative to the spec)."""
    body = response.json() if response.content else None
    problems = book.check_response(spec, method, path, response.status_code, body)
    assert problems == [], problems


class Recorder:
    """A callback receiver: records every request (method, path with query, headers, body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.status = 200
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(request: Request) -> Response:
            raw = await request.body()
            body = json.loads(raw) if raw else None
            self.requests.append((request.method, str(request.url), dict(request.headers), body))
            return Response(status_code=self.status)

        self.app = app
