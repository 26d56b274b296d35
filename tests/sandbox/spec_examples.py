"""The spec's example request of each operation the sandbox serves, and the entities it names.

:func:`served_examples` walks every operation of every vendored OpenAPI file, builds its example
request (path and query parameters from their ``example``/``examples``/``default``, the required
headers, the body from the media type's ``example``/``examples`` or, failing those, from the schema's
own field examples) and keeps those the sandbox's router serves. :class:`Seeder` creates what an
example names before it is replayed (the product of ``{productId}``, the order of ``{orderId}``, the
category and brand a product body points at ...), through the public API where the sandbox lets a
caller choose the id, else by writing the store's documents.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from orders_support import add_sku
from starlette.routing import Match

from vtexbridge.sandbox.app import SandboxRouter
from vtexbridge.sandbox.orderflow import ORDER, ORDER_CHANGE
from vtexbridge.sandbox.routes.order_changes import CHANGE_REQUEST
from vtexbridge.sandbox.rules.masterdata import filtered_fields
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store
from vtexbridge.testing.openapi import ContractBook, Operation, Spec

ACCOUNT = "sandbox"
# Where a spec's paths live in the sandbox (its server URL's base path, as the sandbox serves it).
PREFIX = {
    "VTEX - Marketplace APIs": "/api",
    "VTEX - Marketplace Protocol - External Seller Marketplace": "/api/marketplace-services",
}
FALLBACK = {"string": "x", "integer": 1, "number": 1, "boolean": True}
ORDERS_PROTOCOL = "VTEX - Marketplace Protocol - External Marketplace Orders"
BOOK = ContractBook.load()


@dataclass
class Example:
    """One operation's example request, ready to send to the sandbox."""

    spec: str
    op: Operation
    path: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    has_body: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.spec, self.op.method.upper(), self.op.template)

    @property
    def label(self) -> str:
        return f"{self.op.method.upper()} {self.op.template} ({self.spec.removeprefix('VTEX - ')})"


def _example_value(spec: Spec, node: Any) -> Any:
    node = spec.resolve(node)
    for source in (node, spec.resolve(node.get("schema", {})) if isinstance(node, dict) else {}):
        if not isinstance(source, dict):
            continue
        if "example" in source:
            return deepcopy(source["example"])
        examples = source.get("examples")
        if isinstance(examples, dict) and examples:
            return deepcopy(spec.resolve(next(iter(examples.values()))).get("value"))
        if isinstance(examples, list) and examples:
            return deepcopy(examples[0])
        if "default" in source:
            return deepcopy(source["default"])
    return None


def from_schema(spec: Spec, schema: Any, depth: int = 0) -> Any:
    """An instance of ``schema`` built from the spec's own field examples."""
    schema = spec.resolve(schema)
    if not isinstance(schema, dict) or depth > 12:
        return None
    if "example" in schema:
        return deepcopy(schema["example"])
    for combinator in ("allOf", "oneOf", "anyOf"):
        if schema.get(combinator):
            parts = [from_schema(spec, s, depth + 1) for s in schema[combinator]]
            if combinator == "allOf" and all(isinstance(p, dict) for p in parts):
                return {k: v for p in parts for k, v in p.items()}
            return parts[0]
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object":
        return {k: from_schema(spec, v, depth + 1) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [from_schema(spec, schema.get("items", {}), depth + 1)]
    if "enum" in schema:
        return schema["enum"][0]
    return FALLBACK.get(str(kind))


def _body(spec: Spec, op: Operation) -> tuple[bool, Any]:
    raw = op.node.get("requestBody")
    if raw is None:
        return False, None
    body = spec.resolve(raw)
    for media in body.get("content", {}).values():
        value = _example_value(spec, media)
        if value is None and "schema" in media:
            value = from_schema(spec, media["schema"])
        return True, value
    return False, None


def build(spec_name: str, spec: Spec, op: Operation) -> Example:
    path = op.template
    path_params: dict[str, str] = {}
    query: dict[str, str] = {}
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    for param in op.parameters():
        value = _example_value(spec, param)
        where, name = param["in"], param["name"]
        if where == "path":
            path_params[name] = "1" if value is None else str(value)
        elif where == "query" and value is not None:
            query[name] = (
                json.dumps(value)
                if isinstance(value, dict | list)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        elif where == "header" and param.get("required") and name.lower() not in ("accept", "content-type"):
            headers[name] = str(value if value is not None else "")
    # Parameters declared under other names than the template's (a spec defect) fall back to "1".
    for name in re.findall(r"\{([^}]+)\}", path):
        path_params.setdefault(name, "1")
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    has_body, body = _body(spec, op)
    return Example(
        spec_name, op, PREFIX.get(spec_name, "") + path, path_params, query, headers, body, has_body
    )


def served_examples(book: ContractBook, router: SandboxRouter) -> list[Example]:
    """The example of every operation the sandbox's router serves (a full match of method and path)."""
    out = []
    for spec_name, spec in sorted(book.specs.items()):
        for op in spec.operations():
            example = build(spec_name, spec, op)
            scope = {
                "type": "http",
                "method": op.method.upper(),
                "path": example.path,
                "headers": [],
                "query_string": b"",
                "root_path": "",
            }
            resolved = router.resolve(scope)
            if resolved is None or resolved[0].matches(scope)[0] is not Match.FULL:
                continue
            if _same_shape(PREFIX.get(spec_name, "") + op.template, router.template_of(resolved)):
                out.append(example)
    return out


def _same_shape(spec_template: str, route_template: str) -> bool:
    """The sandbox route serves this operation, not merely a path that fits its parameters.

    A spec literal may stand where the sandbox has a parameter only for the entities Master Data
    specialises (``/api/dataentities/CL/...`` is the sandbox's ``/api/dataentities/{acronym}/...``).
    """
    spec_parts, route_parts = spec_template.split("/"), route_template.split("/")
    if len(spec_parts) != len(route_parts):
        return False
    for mine, theirs in zip(spec_parts, route_parts, strict=True):
        if theirs.startswith("{") and not mine.startswith("{") and mine not in ("CL", "AD"):
            return False
    return True


class Seeder:
    """Creates the entities an example names, in a fresh sandbox (account ``sandbox``)."""

    def __init__(self, client: httpx.AsyncClient, store: Store) -> None:
        self.client = client
        self.store = store
        self.done: set[tuple[str, str]] = set()

    def table(self, kind: str) -> Any:
        return self.store.table(ACCOUNT, kind)

    async def call(self, method: str, url: str, body: Any = None, **params: Any) -> Any:
        response = await self.client.request(method, url, json=body, params=params or None)
        assert response.status_code < 300, f"seeding {method} {url}: {response.status_code} {response.text}"
        if response.content and response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return None

    def _once(self, kind: str, key: Any) -> bool:
        marker = (kind, str(key))
        if marker in self.done:
            return False
        self.done.add(marker)
        return True

    # --- catalog ----------------------------------------------------------------------------------

    async def category(self, category_id: int) -> None:
        if self._once("category", category_id) and str(category_id) not in self.table("category"):
            await self.call(
                "POST", "/api/catalog/pvt/category", {"Id": category_id, "Name": f"Category {category_id}"}
            )

    async def brand(self, brand_id: int) -> None:
        if self._once("brand", brand_id) and str(brand_id) not in self.table("brand"):
            body = {"Id": brand_id, "Name": f"Brand {brand_id}", "Active": True}
            await self.call("POST", "/api/catalog/pvt/brand", body)

    async def product(self, product_id: int, ref: str | None = None) -> None:
        if not self._once("product", product_id) or str(product_id) in self.table("product"):
            return
        await self.category(1)
        await self.brand(2000001)
        body = {"Id": product_id, "Name": f"Product {product_id}", "CategoryId": 1, "BrandId": 2000001}
        body["RefId"] = ref or f"P-{product_id}"
        await self.call("POST", "/api/catalog/pvt/product", body)
        await self.call("POST", f"/api/catalog/pvt/product/{product_id}/salespolicy/1")

    async def sku(self, sku_id: int, product_id: int = 1, ref: str | None = None) -> None:
        if not self._once("sku", sku_id) or str(sku_id) in self.table("sku"):
            return
        await self.product(product_id)
        body = {
            "Id": sku_id,
            "ProductId": product_id,
            "Name": f"SKU {sku_id}",
            "RefId": ref or f"S-{sku_id}",
            "PackagedHeight": 10,
            "PackagedLength": 10,
            "PackagedWidth": 10,
            "PackagedWeightKg": 1,
            "ActivateIfPossible": True,
        }
        await self.call("POST", "/api/catalog/pvt/stockkeepingunit", body)
        url = f"/api/catalog/pvt/stockkeepingunit/{sku_id}/file"
        await self.call("POST", url, {"Name": "front", "Url": "https://img.example.com/front.jpg"})

    def _rekey(self, kind: str, doc: dict[str, Any], id_key: str, wanted: int) -> dict[str, Any]:
        table = self.table(kind)
        del table[str(doc[id_key])]
        moved = {**doc, id_key: wanted}
        table[str(wanted)] = moved
        self.store.bump_id(ACCOUNT, kind, wanted)
        return moved

    async def group(self, group_id: int, category_id: int = 1) -> None:
        if not self._once("specgroup", group_id) or str(group_id) in self.table("specgroup"):
            return
        await self.category(category_id)
        body = {"CategoryId": category_id, "Name": f"Group {group_id}"}
        doc = await self.call("POST", "/api/catalog/pvt/specificationgroup", body)
        self._rekey("specgroup", doc, "Id", group_id)

    async def field(self, field_id: int, type_id: int = 5) -> None:
        if not self._once("specfield", field_id) or str(field_id) in self.table("specfield"):
            return
        await self.group(1)
        body = {"FieldTypeId": type_id, "FieldGroupId": 1, "Name": f"Field {field_id}", "CategoryId": 1}
        doc = await self.call("POST", "/api/catalog/pvt/specification", body)
        self._rekey("specfield", doc, "Id", field_id)

    async def value(self, value_id: int, field_id: int = 1) -> None:
        if not self._once("specvalue", value_id) or str(value_id) in self.table("specvalue"):
            return
        await self.field(field_id)
        body = {"FieldId": field_id, "Name": f"Value {value_id}"}
        doc = await self.call("POST", "/api/catalog/pvt/specificationvalue", body)
        self._rekey("specvalue", doc, "FieldValueId", value_id)

    async def owned_spec(self, kind: str, owner: str, owner_id: int, spec_id: int) -> None:
        await self.value(1)
        url = f"/api/catalog/pvt/{owner}/{owner_id}/specification"
        doc = await self.call("POST", url, {"FieldId": 1, "FieldValueId": 1})
        self._rekey(kind, doc, "Id", spec_id)

    # --- everything an example names ----------------------------------------------------------------

    async def for_example(self, example: Example) -> None:
        seed(self.store, ACCOUNT, "demo")
        add_sku(self.store, 100, stock=1000)
        add_sku(self.store, 200, stock=1000)
        await self._path(example)
        await self._body_refs(example)
        await self._special(example)

    async def _path(self, example: Example) -> None:
        p = example.path_params
        template = example.op.template
        if p.get("categoryId", "").isdigit():
            await self.category(int(p["categoryId"]))
        if p.get("brandId", "").isdigit():
            await self.brand(int(p["brandId"]))
        product_id = int(p["productId"]) if p.get("productId", "").isdigit() else 1
        if "productId" in p:
            await self.product(product_id)
        if p.get("skuId", "").isdigit():
            await self.sku(int(p["skuId"]), product_id)
        await self._catalog_extras(template, p)
        await self._pricing_logistics(template, p)
        await self._orders(template, p, example)
        await self._marketplace(template, p, example)
        await self._masterdata(example)

    async def _catalog_extras(self, template: str, p: dict[str, str]) -> None:
        ints = {k: int(v) for k, v in p.items() if v.isdigit()}
        sku_id = ints.get("skuId", 1)
        await self._specification_extras(template, ints, sku_id)
        await self._sku_and_policy_extras(template, p, ints, sku_id)

    async def _specification_extras(self, template: str, ints: dict[str, int], sku_id: int) -> None:
        if "specificationId" in ints:
            if "/stockkeepingunit/" in template:
                await self.owned_spec("skuspec", "stockkeepingunit", sku_id, ints["specificationId"])
            elif "/product/" in template:
                await self.owned_spec(
                    "productspec", "product", ints.get("productId", 1), ints["specificationId"]
                )
            else:
                await self.field(ints["specificationId"])
        if "fieldId" in ints:
            await self.field(ints["fieldId"])
        if "groupId" in ints:
            await self.group(ints["groupId"])
        for name in ("specificationValueId", "fieldValueId"):
            if name in ints:
                await self.value(ints[name])

    async def _sku_and_policy_extras(
        self, template: str, p: dict[str, str], ints: dict[str, int], sku_id: int
    ) -> None:
        if "skuFileId" in ints:
            await self.sku(sku_id)
            url = f"/api/catalog/pvt/stockkeepingunit/{sku_id}/file"
            doc = (await self.call("POST", url, {"Name": "back", "Url": "https://img.example.com/back.jpg"}))[
                0
            ]
            self._rekey("skufile", doc, "Id", ints["skuFileId"])
        if "ean" in p:
            await self.sku(sku_id)
            await self.call("POST", f"/api/catalog/pvt/stockkeepingunit/{sku_id}/ean/{p['ean']}")
        if "refId" in p:
            await self.product(9_000_001, ref=p["refId"])
            await self.sku(9_000_001, 9_000_001, ref=p["refId"])
        for name in ("salesChannelId", "tradepolicyId"):
            if name in ints and ints[name] != 1:
                from vtexbridge.sandbox.rules.catalog import default_sales_channel

                self.table("saleschannel")[str(ints[name])] = {**default_sales_channel(), "Id": ints[name]}
        if "sellerId" in p and template.startswith("/api/catalog_system/pvt/seller"):
            await self.call(
                "POST", "/api/catalog_system/pvt/seller", {"SellerId": p["sellerId"], "Name": p["sellerId"]}
            )

    async def _pricing_logistics(self, template: str, p: dict[str, str]) -> None:
        if "itemId" in p:
            await self.call("PUT", f"/pricing/prices/{p['itemId']}", {"basePrice": 100, "listPrice": 120})
            if "priceTableId" in p:
                fixed = [{"value": 90, "listPrice": 110, "minQuantity": 1}]
                await self.call("POST", f"/pricing/prices/{p['itemId']}/fixed/{p['priceTableId']}", fixed)
        if "dockId" in p or "warehouseId" in p:
            dock_id = p.get("dockId", "dock-1")
            await self.call(
                "POST",
                "/api/logistics/pvt/configuration/docks",
                {"id": dock_id, "name": "Dock", "salesChannels": ["1"]},
            )
        if "warehouseId" in p:
            dock = {"dockId": p.get("dockId", "dock-1"), "name": "Dock", "time": "1.00:00:00", "cost": "0.00"}
            body = {"id": p["warehouseId"], "name": "Warehouse", "warehouseDocks": [dock]}
            await self.call("POST", "/api/logistics/pvt/configuration/warehouses", body)
            if p.get("skuId", "").isdigit():
                url = f"/api/logistics/pvt/inventory/skus/{p['skuId']}/warehouses/{p['warehouseId']}"
                await self.call("PUT", url, {"quantity": 10, "unlimitedQuantity": False})

    async def _place(self, extra: list[str]) -> str:
        items = [{"skuId": "100", "quantity": 2}, {"skuId": "200", "quantity": 1}]
        items += [{"skuId": sku, "quantity": 2} for sku in dict.fromkeys(extra) if sku not in ("100", "200")]
        body: dict[str, Any] = {"items": items}
        order = await self.call("POST", "/_sandbox/orders", body)
        order_id: str = order["orderId"]
        return order_id

    def _copy_order(self, source: str, wanted: str) -> None:
        doc = self.table(ORDER)[source]
        self.table(ORDER)[wanted] = {**doc, "orderId": wanted}

    async def _orders(self, template: str, p: dict[str, str], example: Example) -> None:
        wanted = p.get("orderId") or p.get("changeOrderId")
        if not wanted or not template.startswith(("/api/oms/", "/api/order-system/")):
            return
        named = _item_ids(example.body)
        for sku in named:
            if sku.isdigit() and 0 < int(sku) < 2**31 and sku not in self.table("sku"):
                add_sku(self.store, int(sku), stock=1000)
        removed = _removed_ids(example.body)
        oid = await self._place([s for s in removed if s.isdigit() and 0 < int(s) < 2**31])
        if "start-handling" not in template and template != "/api/oms/pvt/orders/{orderId}/cancel":
            await self.call("POST", f"/api/oms/pvt/orders/{oid}/start-handling")
        if "invoiceNumber" in p:
            value = self.table(ORDER)[oid]["value"]
            invoice = {
                "type": "Output",
                "issuanceDate": "2024-05-01T10:00:00Z",
                "invoiceNumber": p["invoiceNumber"],
                "invoiceValue": str(value),
                "items": [
                    {"id": "100", "price": 4990, "quantity": 2},
                    {"id": "200", "price": 1000, "quantity": 1},
                ],
            }
            await self.call("POST", f"/api/oms/pvt/orders/{oid}/invoice", invoice)
            if template.endswith("/tracking"):
                tracking = {
                    "trackingNumber": "BR1",
                    "trackingUrl": "https://t.example/BR1",
                    "courier": "Correios",
                }
                await self.call("PATCH", f"/api/oms/pvt/orders/{oid}/invoice/{p['invoiceNumber']}", tracking)
        self._copy_order(oid, wanted)
        self._line_ids(wanted, example.body)
        if "changeRequestId" in p:
            await self.call("POST", "/_sandbox/order-changes/options", {"failNext": 1})
            change = {
                "reason": "r",
                "replace": [{"from": {"items": [{"id": "100", "quantity": 1}]}, "to": {"items": []}}],
            }
            record = await self.call("PATCH", f"/api/order-system/orders/{wanted}/changes", change)
            key = f"{wanted}:{p['changeRequestId']}"
            self.table(ORDER_CHANGE)[key] = {**record, "requestId": p["changeRequestId"]}
            self.table(CHANGE_REQUEST)[key] = {"body": change}

    def _line_ids(self, order_id: str, body: Any) -> None:
        """Give the order's lines the ``uniqueId`` the example's change names for them."""
        if not isinstance(body, dict):
            return
        order = self.table(ORDER)[order_id]
        for entry in body.get("replace") or []:
            for item in ((entry or {}).get("from") or {}).get("items") or []:
                if isinstance(item, dict) and item.get("uniqueId"):
                    for line in order["items"]:
                        if line["id"] == str(item.get("id")):
                            line["uniqueId"] = item["uniqueId"]
        self.table(ORDER)[order_id] = order

    async def _marketplace(self, template: str, p: dict[str, str], example: Example) -> None:
        await self._fulfillment_orders(template, p, example)
        await self._marketplace_links(template, p, example)

    async def _fulfillment_orders(self, template: str, p: dict[str, str], example: Example) -> None:
        if template.startswith("/api/fulfillment/pvt/orders"):
            for sku in _item_ids(example.body):
                if sku.isdigit() and 0 < int(sku) < 2**31 and sku not in self.table("sku"):
                    add_sku(self.store, int(sku), stock=1000)
        if template.startswith("/api/fulfillment/pvt/orders/{orderId}"):
            # The placement is the spec's own example of "Place fulfillment order".
            spec = BOOK.spec(ORDERS_PROTOCOL)
            op = spec.find("post", "/api/fulfillment/pvt/orders")
            assert op is not None
            placement = build(ORDERS_PROTOCOL, spec, op).body
            for sku in _item_ids(placement):
                if sku.isdigit() and sku not in self.table("sku"):
                    add_sku(self.store, int(sku), stock=1000)
            placed = await self.call(
                "POST", "/api/fulfillment/pvt/orders", placement, affiliateId="MKP", sc="1"
            )
            self._copy_order(placed["orderId"], p["orderId"])
            if isinstance(example.body, dict) and example.body.get("marketplaceOrderId"):
                order = self.table(ORDER)[p["orderId"]]
                self.table(ORDER)[p["orderId"]] = {
                    **order,
                    "marketplaceOrderId": str(example.body["marketplaceOrderId"]),
                }

    async def _marketplace_links(self, template: str, p: dict[str, str], example: Example) -> None:
        if "marketplaceOrderId" in p:
            from vtexbridge.sandbox.marketplace_seller import MKP_ORDER

            invoices = []
            if "invoiceNumber" in p:
                invoices = [{"type": "Output", "invoiceNumber": p["invoiceNumber"], "items": []}]
            self.table(MKP_ORDER)[p["marketplaceOrderId"]] = {
                "marketplaceOrderId": p["marketplaceOrderId"],
                "sellerId": "seller1",
                "status": "dispatch-authorized",
                "invoices": invoices,
                "tracking": [],
            }
        if "affiliateId" in p and example.path.startswith("/api/fulfillment/pvt/affiliates"):
            body = {"id": p["affiliateId"], "searchURIEndpoint": "https://affiliate.example/search"}
            await self.call("POST", "/_sandbox/marketplace/affiliates", body)
        if "sellerSkuId" in p and "sellerId" in p:
            bound = {"sellerId": p["sellerId"], "sellerSkuId": p["sellerSkuId"], "skuId": 100}
            await self.call("POST", "/_sandbox/marketplace/skusellers", bound)
            if template.startswith("/suggestions/") and example.op.method == "get":
                await self.call(
                    "PUT", f"/suggestions/{p['sellerId']}/{p['sellerSkuId']}", _suggestion(p["sellerId"])
                )
        if template == "/api/catalog_system/pvt/skuseller/changenotification/{skuId}":
            bound = {"sellerId": "seller1", "sellerSkuId": "77", "skuId": int(p["skuId"])}
            await self.call("POST", "/_sandbox/marketplace/skusellers", bound)
        if template.startswith("/seller-register/") and "sellerId" in p:
            await self.call(
                "POST", "/api/catalog_system/pvt/seller", {"SellerId": p["sellerId"], "Name": p["sellerId"]}
            )

    async def _masterdata(self, example: Example) -> None:
        p = example.path_params
        entity = p.get("acronym") or p.get("dataEntityName")
        if not example.op.template.startswith("/api/dataentities/"):
            return
        if entity is None:
            entity = example.op.template.split("/")[3]  # the CL and AD routes name their entity
        v2 = example.spec.endswith("v2")
        if v2:
            schema_name = example.query.get("_schema") or p.get("schemaName") or "v1"
            # The schema indexes what the example filters and sorts by (v2 searches need v-indexed fields).
            indexed = filtered_fields(example.query)
            schema = {"properties": {"email": {"type": "string"}}, "v-indexed": indexed}
            await self.call(
                "PUT", f"/api/dataentities/{entity}/schemas/{quote(schema_name, safe='')}", schema
            )
        elif entity not in ("CL", "AD"):
            await self.call("POST", "/_sandbox/masterdata/entities", {"name": entity})
        doc_id = p.get("id") or p.get("addressId")
        if doc_id:
            bare = doc_id.removeprefix(f"{entity}-")
            await self.call(
                "PUT", f"/api/dataentities/{entity}/documents/{bare}", {"email": "seed@example.com"}
            )

    async def _special(self, example: Example) -> None:
        """What one operation's example needs beyond the ids it names."""
        template, method = example.op.template, example.op.method
        if template.startswith(("/api/orders/feed", "/api/orders/hook")) and not template.endswith("jsonata"):
            await self._feed_and_hook(template, method)
        else:
            await self._special_catalog(example)

    async def _feed_and_hook(self, template: str, method: str) -> None:
        queue = {"visibilityTimeoutInSeconds": 60, "MessageRetentionPeriodInSeconds": 345_600}
        if not (template == "/api/orders/feed/config" and method == "post"):
            await self.call(
                "POST", "/api/orders/feed/config", {"filter": {"type": "FromWorkflow"}, "queue": queue}
            )
        if template == "/api/orders/hook/config" and method != "post":
            hook = {"filter": {"type": "FromWorkflow"}, "hook": {"url": "https://hook.example/orders"}}
            await self.call("POST", "/api/orders/hook/config", hook)

    async def _special_catalog(self, example: Example) -> None:
        template, method, body = example.op.template, example.op.method, example.body
        p = example.path_params
        sku_id = int(p["skuId"]) if p.get("skuId", "").isdigit() else 1
        if template == "/api/catalog/pvt/stockkeepingunit" and method == "get":
            await self.product(9_000_001)
            await self.sku(9_000_001, 9_000_001, ref=example.query.get("RefId") or example.query.get("refId"))
        elif template == "/api/catalog_system/pvt/specification/field" and method == "put":
            await self.field(int(body["FieldId"]))
        elif template == "/api/catalog_system/pvt/specification/fieldValue" and method == "put":
            await self.field(int(body["FieldId"]))
            await self.call(
                "POST",
                "/api/catalog/pvt/specificationvalue",
                {"FieldId": body["FieldId"], "Name": body["Name"]},
            )
        elif template == "/api/catalog_system/pvt/seller" and method == "put":
            await self.call(
                "POST", "/api/catalog_system/pvt/seller", {"SellerId": body["SellerId"], "Name": "Seed"}
            )
        elif template == "/api/catalog_system/pvt/products/{productId}/specification" and method == "post":
            for item in body:
                if isinstance(item.get("Id"), int):
                    await self.field(item["Id"])
        elif template == "/api/catalog/pvt/stockkeepingunit/{skuId}/file/reorder":
            [only] = self.table("skufile").values()
            self._rekey("skufile", only, "Id", int(body[0]["Id"]))
        elif template == "/api/catalog/pvt/stockkeepingunit/{skuId}/specification" and method == "put":
            await self.value(int(body["FieldValueId"]), int(body["FieldId"]))
            await self._owned_spec_of(
                sku_id, int(body["Id"]), int(body["FieldId"]), int(body["FieldValueId"])
            )

    async def _owned_spec_of(self, sku_id: int, spec_id: int, field_id: int, value_id: int) -> None:
        url = f"/api/catalog/pvt/stockkeepingunit/{sku_id}/specification"
        doc = await self.call("POST", url, {"FieldId": field_id, "FieldValueId": value_id})
        self._rekey("skuspec", doc, "Id", spec_id)

    async def _body_refs(self, example: Example) -> None:
        """The entities the example's body points at (not the one it creates)."""
        body = example.body
        if not isinstance(body, dict):
            return
        ints = {k: v for k, v in body.items() if isinstance(v, int) and not isinstance(v, bool) and v > 0}
        if "FatherCategoryId" in ints:
            await self.category(ints["FatherCategoryId"])
        if "CategoryId" in ints and not example.op.template.endswith("/category"):
            await self.category(ints["CategoryId"])
        if "BrandId" in ints:
            await self.brand(ints["BrandId"])
        if "ProductId" in ints and not example.op.template.endswith("/product"):
            await self.product(ints["ProductId"])
        if "FieldGroupId" in ints:
            await self.group(ints["FieldGroupId"], ints.get("CategoryId", 1))
        if "FieldId" in ints and not example.op.template.endswith(("/specification/field",)):
            await self.field(ints["FieldId"])
        if "FieldValueId" in ints and "/specification/field" not in example.op.template:
            await self.value(ints["FieldValueId"], ints.get("FieldId", 1))
        for dock in body.get("warehouseDocks") or []:
            if isinstance(dock, dict) and dock.get("dockId"):
                await self.call(
                    "POST", "/api/logistics/pvt/configuration/docks", {"id": dock["dockId"], "name": "Dock"}
                )


def _item_ids(body: Any) -> list[str]:
    """Every SKU id an order body names (items, itemsAdded/Removed, replace[].from/to.items)."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key in ("items", "itemsAdded", "itemsRemoved") and isinstance(value, list):
                found += [str(i["id"]) for i in value if isinstance(i, dict) and i.get("id") is not None]
            elif isinstance(value, dict | list):
                found += _item_ids(value)
    elif isinstance(body, list):
        for value in body:
            found += _item_ids(value)
    return found


def _removed_ids(body: Any) -> list[str]:
    """The SKU ids an order body expects the order to have (invoice items, removed/replaced items)."""
    if not isinstance(body, dict):
        return []
    found = _item_ids({"items": body.get("items")}) + _item_ids({"items": body.get("itemsRemoved")})
    for entry in body.get("replace") or []:
        if isinstance(entry, dict):
            found += _item_ids({"items": (entry.get("from") or {}).get("items")})
    return found


def _suggestion(seller: str) -> dict[str, Any]:
    return {
        "ProductName": "P",
        "ProductId": "1",
        "ProductDescription": "D",
        "BrandName": "B",
        "SkuName": "S",
        "SellerId": seller,
        "Height": 1,
        "Width": 1,
        "Length": 1,
        "Weight": 1,
        "RefId": "R",
        "CategoryFullPath": "A/B",
        "Images": [{"imageName": "i", "imageUrl": "https://img.example/i.jpg"}],
        "AvailableQuantity": 1,
        "Pricing": {"Currency": "BRL", "SalePrice": 100, "CurrencySymbol": "R$"},
    }
