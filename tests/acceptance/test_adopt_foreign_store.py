"""Acceptance (#12): adopt a store that something else filled, through plain HTTP calls.

Part of the ERP's catalog, logistics and customers is written to the sandbox with raw ``httpx``
requests (no vtexbridge client, no state), some of it different from the ERP, plus a brand and a
customer the ERP does not have. ``adopt --dry-run`` reports the exact counts per kind; ``adopt``
records the matches; ``sync`` then makes VTEX equal to the ERP with no duplicate and writes only
the differing and missing records; the sync after it sends nothing. Writes are counted in the
sandbox's request log.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sync_acceptance_support import (
    Sandbox,
    assert_matches_erp,
    copy_store,
    migrated_sqlite,
    settings_for,
    sync,
)
from test_adopt_state_lost import _duplicates, _writes

from vtexbridge.erp import FolderReader
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN
from vtexbridge.state import StateStore
from vtexbridge.sync.adopt_run import run_adopt
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Mapper, Ref
from vtexbridge.sync.plan import make_plan
from vtexbridge.sync.stateview import MemoryState
from vtexbridge.sync.steps import Action, Step

PRODUCTS = {f"P{n:04d}" for n in range(1, 11)}  # the part of the catalog the other system wrote
CUSTOMERS = 8
CATALOG = "/api/catalog/pvt"


def _owner(step: Step) -> str | None:
    """The product a catalog record belongs to (None: taxonomy, logistics, customers)."""
    if step.kind is Kind.PRODUCT:
        return step.key
    if step.kind in (Kind.PRODUCT_SPEC, Kind.TRADE_POLICY):
        return step.key.split("|", 1)[0]
    if step.kind in (Kind.SKU, Kind.SKU_SPEC, Kind.IMAGE, Kind.EAN, Kind.PRICE, Kind.INVENTORY):
        return step.key.split("|", 1)[0].rsplit("-", 1)[0]
    return None


class Foreign:
    """Writes ERP records to the sandbox with plain HTTP, the way another integration would."""

    def __init__(self, http: httpx.AsyncClient, mapper: Mapper) -> None:
        self.http = http
        self.mapper = mapper
        self.ids: dict[tuple[str, str], Any] = {}
        self.sent: Counter[Kind] = Counter()
        self.customers: list[str] = []

    def resolve(self, ref: Ref) -> Any:
        return self.ids[(ref.kind, ref.key)]

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        r = await self.http.request(method, path, json=body)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    async def write(self, step: Step, change: dict[str, Any] | None = None) -> None:
        kind = step.kind
        body = self.mapper.body(kind, step.values, self.resolve) if step.values is not None else {}
        body.update(change or {})
        owner = step.key.split("|", 1)[0]
        self.sent[kind] += step.main is None
        if kind is Kind.CATEGORY:
            made = await self.call("POST", f"{CATALOG}/category", body)
        elif kind is Kind.BRAND:
            made = await self.call("POST", f"{CATALOG}/brand", {"Id": 500 + len(self.ids), **body})
        elif kind is Kind.SPEC_GROUP:
            made = await self.call("POST", f"{CATALOG}/specificationgroup", body)
        elif kind is Kind.SPEC_FIELD:
            made = await self.call("POST", f"{CATALOG}/specification", body)
        elif kind is Kind.SPEC_VALUE:
            made = await self.call("POST", f"{CATALOG}/specificationvalue", body)
            made = {"Id": made["FieldValueId"]}
        elif kind is Kind.PRODUCT:
            made = await self.call("POST", f"{CATALOG}/product", body)
        elif kind is Kind.PRODUCT_SPEC:
            product = self.ids[("product", owner)]
            for value in body["FieldValueIds"] or [None]:
                spec = {"FieldId": body["FieldId"], "FieldValueId": value, "Text": body["Text"]}
                await self.call("POST", f"{CATALOG}/product/{product}/specification", spec)
            return
        elif kind is Kind.TRADE_POLICY:
            policy = step.key.split("|", 1)[1]
            await self.call("POST", f"{CATALOG}/product/{self.ids[('product', owner)]}/salespolicy/{policy}")
            return
        elif kind is Kind.SKU and step.action is Action.ACTIVATE:
            sku = self.ids[("sku", step.key)]
            await self.call("PUT", f"{CATALOG}/stockkeepingunit/{sku}", {**body, "IsActive": True})
            return
        elif kind is Kind.SKU:
            made = await self.call("POST", f"{CATALOG}/stockkeepingunit", {**body, "IsActive": False})
        else:
            await self._leaf(step, body, owner)
            return
        self.ids[(kind.value, step.key)] = made["Id"]

    async def _leaf(self, step: Step, body: dict[str, Any], owner: str) -> None:
        kind = step.kind
        sku = self.ids.get(("sku", owner))
        if kind is Kind.SKU_SPEC:
            await self.call("POST", f"{CATALOG}/stockkeepingunit/{sku}/specification", body)
        elif kind is Kind.IMAGE:
            await self.call("POST", f"{CATALOG}/stockkeepingunit/{sku}/file", body)
        elif kind is Kind.EAN:
            await self.call("POST", f"{CATALOG}/stockkeepingunit/{sku}/ean/{step.key.split('|', 1)[1]}")
        elif kind is Kind.PRICE:
            await self.call("PUT", f"/pricing/prices/{sku}", body)
        elif kind is Kind.DOCK:
            await self.call("POST", "/api/logistics/pvt/configuration/docks", body)
            self.ids[("dock", step.key)] = step.key
        elif kind is Kind.WAREHOUSE:
            await self.call("POST", "/api/logistics/pvt/configuration/warehouses", body)
            self.ids[("warehouse", step.key)] = step.key
        elif kind is Kind.INVENTORY:
            warehouse = step.key.split("|", 1)[1]
            path = f"/api/logistics/pvt/inventory/skus/{sku}/warehouses/{warehouse}"
            await self.call("PUT", path, body)
        elif kind is Kind.CUSTOMER:
            made = await self.call("POST", "/api/dataentities/CL/documents", body)
            self.ids[("customer", step.key)] = made["DocumentId"]
        elif kind is Kind.ADDRESS:
            await self.call("POST", "/api/dataentities/AD/documents", body)
        else:
            raise AssertionError(f"no route for {kind}")


# what the other system holds differently from the ERP: (kind, key) -> fields
DIFFERENT: dict[tuple[Kind, str], dict[str, Any]] = {
    (Kind.PRODUCT, "P0002"): {"Name": "Old name of P0002"},
    (Kind.SKU, "P0003-01"): {"ManufacturerCode": "OLD-CODE"},
    (Kind.PRICE, "P0004-01"): {"listPrice": 1.5},
    (Kind.BRAND, "serra-alta"): {"SiteTitle": "Old title"},
}


def _wanted(step: Step, customers: list[str]) -> bool:
    if step.kind is Kind.CUSTOMER:
        return step.key in customers
    if step.kind is Kind.ADDRESS:
        return step.parent_key in customers
    owner = _owner(step)
    return owner is None or owner in PRODUCTS


async def _fill(sandbox: Sandbox, erp: Path) -> tuple[Counter[Kind], Counter[Kind]]:
    """Write part of the ERP with plain HTTP; returns (records written, written different) per kind."""
    mapper = Mapper()
    plan = make_plan(FolderReader(erp), MemoryState(), mapper=mapper)
    customers = sorted(s.key for s in plan.steps if s.kind is Kind.CUSTOMER)[:CUSTOMERS]
    headers = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
    async with httpx.AsyncClient(
        transport=sandbox.transport, base_url="http://sandbox.test", headers=headers
    ) as http:
        foreign = Foreign(http, mapper)
        different: Counter[Kind] = Counter()
        steps = sorted(plan.steps, key=lambda s: s.action is Action.ACTIVATE)  # SKUs on at the end
        for step in steps:  # in dependency order
            if not _wanted(step, customers):
                continue
            change = DIFFERENT.get((step.kind, step.key))
            different[step.kind] += change is not None and step.main is None
            await foreign.write(step, change)
        # what the ERP does not have: left alone
        await foreign.call("POST", f"{CATALOG}/brand", {"Id": 999, "Name": "Not in the ERP", "Active": True})
        await foreign.call("POST", "/api/dataentities/CL/documents", {"email": "walk-in@example.com"})
    return foreign.sent, different


async def test_adopt_a_store_filled_by_plain_http(tmp_path: Path) -> None:
    sandbox = Sandbox()
    erp = copy_store(tmp_path)
    sent, different = await _fill(sandbox, erp)
    totals = make_plan(FolderReader(erp), MemoryState()).counts
    settings = settings_for(erp, migrated_sqlite(tmp_path / "state.db"))

    cursor = await sandbox.cursor()
    dry = await run_adopt(settings, dry_run=True, http_transport=sandbox.transport, clock=sandbox.clock)
    assert await _writes(sandbox, cursor) == {}
    assert dry.errors == []
    for kind, counts in totals.items():
        erp_n = counts.get(Action.CREATE, 0) + counts.get(Action.LINK, 0)
        t = dry.tallies[kind]
        assert (t.unchanged, t.updated, t.created) == (
            sent[kind] - different[kind],
            different[kind],
            erp_n - sent[kind],
        ), kind
    assert dry.tallies[Kind.BRAND].left_alone == 1
    assert dry.tallies[Kind.CUSTOMER].left_alone == 1
    assert dry.tallies[Kind.CATEGORY].left_alone == 0
    with StateStore(settings.state.url) as store:
        assert not any(store.entities.count("sandbox").values())  # a dry run records nothing
    [product_diff] = dry.diffs("P0002")
    assert [(r["field"], r["current"]) for r in product_diff["fields"]] == [("Name", "Old name of P0002")]

    live = await run_adopt(settings, http_transport=sandbox.transport, clock=sandbox.clock)
    assert {k: t.to_json() for k, t in live.tallies.items()} == {
        k: t.to_json() for k, t in dry.tallies.items()
    }
    assert await _writes(sandbox, cursor) == {}

    cursor = await sandbox.cursor()
    outcome = await sync(sandbox, settings)
    assert outcome.exit_code == 0, outcome.report.errors
    writes = await _writes(sandbox, cursor)

    def new(kind: Kind) -> int:
        counts = totals[kind]
        return counts.get(Action.CREATE, 0) + counts.get(Action.LINK, 0) - sent[kind]

    sku = f"{CATALOG}/stockkeepingunit"
    expected = {
        f"POST {CATALOG}/product": new(Kind.PRODUCT),
        f"POST {CATALOG}/product/{{productId}}/salespolicy/{{tradepolicyId}}": new(Kind.TRADE_POLICY),
        f"POST {sku}": new(Kind.SKU),
        f"POST {sku}/{{skuId}}/ean/{{ean}}": new(Kind.EAN),
        f"POST {sku}/{{skuId}}/file": new(Kind.IMAGE),
        f"POST {sku}/{{skuId}}/specification": new(Kind.SKU_SPEC),
        f"PUT {CATALOG}/brand/{{brandId}}": 1,  # serra-alta's title
        f"PUT {CATALOG}/product/{{productId}}": 1,  # P0002's name
        f"PUT {sku}/{{skuId}}": 1,  # P0003-01's manufacturer code
        "PUT /api/dataentities/{acronym}/documents/{id}": new(Kind.CUSTOMER) + new(Kind.ADDRESS),
        "PUT /api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}": new(Kind.INVENTORY),
        "PUT /pricing/prices/{itemId}": new(Kind.PRICE) + 1,  # and P0004-01's list price
    }
    product_specs = writes.pop(f"POST {CATALOG}/product/{{productId}}/specification")
    first = make_plan(FolderReader(erp), MemoryState())
    values = [
        max(1, len(s.values[1]))  # one POST per value of a new product's field (or its text)
        for s in first.steps
        if s.kind is Kind.PRODUCT_SPEC and s.values is not None and _owner(s) not in PRODUCTS
    ]
    assert product_specs == sum(values)
    assert writes == expected
    dump = await sandbox.dump()
    assert set(_duplicates(dump).values()) == {0}
    assert_matches_erp(
        erp,
        {**dump, "brands": [b for b in dump["brands"] if b["Id"] != 999]}
        | {"CL": [d for d in dump["CL"] if d.get("email") != "walk-in@example.com"]},
    )
    assert any(b["Id"] == 999 and b["Active"] for b in dump["brands"])  # left alone, not deactivated

    cursor = await sandbox.cursor()
    again = await sync(sandbox, settings)
    assert again.exit_code == 0 and await _writes(sandbox, cursor) == {}
    json.dumps(dry.to_json())  # serialisable


async def test_two_vtex_entities_with_one_natural_key_are_an_error_naming_both(tmp_path: Path) -> None:
    sandbox = Sandbox()
    erp = copy_store(tmp_path)
    headers = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
    async with httpx.AsyncClient(
        transport=sandbox.transport, base_url="http://sandbox.test", headers=headers
    ) as http:
        for brand_id in (701, 702):  # two brands named like the ERP's "Serra Alta"
            r = await http.post(
                f"{CATALOG}/brand", json={"Id": brand_id, "Name": "Serra Alta", "Active": True}
            )
            assert r.status_code == 200, r.text
    cursor = await sandbox.cursor()
    outcome = await sync(sandbox, settings_for(erp, migrated_sqlite(tmp_path / "state.db")))
    assert outcome.exit_code == 1
    [error] = [e for e in outcome.report.errors if "more than one" in str(e.get("message"))]
    assert "701" in error["message"] and "702" in error["message"] and error["key"] == "serra-alta"
    writes = await _writes(sandbox, cursor)
    assert writes[f"POST {CATALOG}/brand"] == 5  # the other five brands, not a third Serra Alta
    dump = await sandbox.dump()
    assert [b["Id"] for b in dump["brands"] if b["Name"] == "Serra Alta"] == [701, 702]
    assert not any(p["BrandId"] in (701, 702) for p in dump["products"])  # its products held back
    held = [e for e in outcome.report.errors if e.get("kind") == "product"]
    assert held and all("held back" in str(e["message"]) for e in held)
