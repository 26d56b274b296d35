"""Continuous sync (#13), push intake: a change pushed over HTTP reaches the sandbox with exactly one
write; bad records are refused by name and field while the rest is applied; batch ids are idempotent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.sync.continuous_support import Rig, synced_rig, writes_of
from tests.sync.sync_harness import Sandbox


@pytest.fixture
async def rig(sandbox: Sandbox, state_url: str) -> AsyncIterator[Rig]:
    async for r in synced_rig(sandbox, state_url):
        yield r


async def test_a_pushed_stock_change_is_one_write(rig: Rig) -> None:
    since = await rig.sandbox.cursor()
    r = await rig.push(
        {"records": {"inventory": [{"sku_key": "P0001-01", "warehouse_key": "cd-sao-paulo", "quantity": 7}]}}
    )
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 1
    assert await rig.drain() == 1
    writes = writes_of(await rig.sandbox.requests(since))
    print(writes)
    assert len(writes) == 1
    assert await rig.stock("P0001-01", "cd-sao-paulo") == 7


async def test_a_bad_record_is_refused_by_name_and_field_and_the_rest_is_applied(rig: Rig) -> None:
    since = await rig.sandbox.cursor()
    r = await rig.push(
        {
            "records": {
                "inventory": [
                    {"sku_key": "P0001-01", "warehouse_key": "cd-sao-paulo", "quantity": "many"},
                    {"sku_key": "P0001-02", "warehouse_key": "cd-sao-paulo", "quantity": 3},
                ],
                "prices": [{"sku_key": "P0001-03", "base_price": -1}],
            }
        }
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["accepted"] == 1
    refused = {(e["entity"], e["index"], e["key"], e["field"]) for e in body["refused"]}
    assert refused == {
        ("inventory", 1, "P0001-01|cd-sao-paulo", "quantity"),
        ("prices", 1, "P0001-03", "base_price"),
    }
    assert await rig.drain() == 1
    assert len(writes_of(await rig.sandbox.requests(since))) == 1
    assert await rig.stock("P0001-02", "cd-sao-paulo") == 3
    assert await rig.stock("P0001-01", "cd-sao-paulo") == 60  # unchanged


async def test_a_batch_id_sent_again_queues_nothing_and_gets_the_first_answer(rig: Rig) -> None:
    body = {
        "batchId": "erp-0001",
        "records": {"inventory": [{"sku_key": "P0001-01", "warehouse_key": "cd-sao-paulo", "quantity": 9}]},
    }
    first = await rig.push(body)
    again = await rig.push(body)
    assert first.status_code == again.status_code == 202
    assert again.json()["duplicate"] is True
    assert again.json()["accepted"] == first.json()["accepted"] == 1
    assert (await asyncio.to_thread(rig.queue.stats, "sandbox")).depth == 1
    since = await rig.sandbox.cursor()
    assert await rig.drain() == 1
    assert len(writes_of(await rig.sandbox.requests(since))) == 1


async def test_a_burst_of_1000_updates_to_10_skus_is_one_write_per_sku_with_the_last_value(rig: Rig) -> None:
    skus = [f"P000{p}-0{v}" for p in range(1, 6) for v in (1, 2)]
    since = await rig.sandbox.cursor()
    last: dict[str, int] = {}
    for b in range(10):  # 10 batches of 100, 1000 updates in all
        rows = []
        for i in range(100):
            sku = skus[i % 10]
            last[sku] = b * 100 + i
            rows.append({"sku_key": sku, "warehouse_key": "cd-sao-paulo", "quantity": last[sku]})
        r = await rig.push({"records": {"inventory": rows}})
        assert r.status_code == 202, r.text
    assert await rig.drain() == 100  # coalesced within each batch: 10 per batch
    writes = writes_of(await rig.sandbox.requests(since))
    assert len(writes) == 10, [w["path"] for w in writes]
    for sku in skus:
        assert await rig.stock(sku, "cd-sao-paulo") == last[sku]


async def test_only_what_the_delta_names_is_written_and_deletions_are_explicit(rig: Rig) -> None:
    since = await rig.sandbox.cursor()
    r = await rig.push(
        {
            "records": {"prices": [{"sku_key": "P0001-02", "base_price": "600.00", "list_price": "800.00"}]},
            "deleted": {"inventory": ["P0001-01|cd-curitiba", "P0001-02|cd-curitiba"]},
        }
    )
    assert r.status_code == 202, r.text
    assert await rig.drain() == 3
    writes = writes_of(await rig.sandbox.requests(since))
    # the price PUT, and each deleted stock line set to zero (so the SKU is not sold from there)
    assert sorted(w["route"] for w in writes) == [
        "/api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}",
        "/api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}",
        "/pricing/prices/{itemId}",
    ], writes
    assert (await rig.price("P0001-02"))["basePrice"] == 600.0
    assert await rig.stock("P0001-02", "cd-curitiba") == 0
    # nothing else was deactivated: a second drain of nothing, and a full plan finds no change
    assert await rig.drain() == 0


async def test_the_intake_needs_its_token_and_bounds_its_input(rig: Rig) -> None:
    one = {
        "records": {"inventory": [{"sku_key": "P0001-01", "warehouse_key": "cd-sao-paulo", "quantity": 1}]}
    }
    assert (await rig.http.post("/erp/changes", json=one)).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await rig.http.post("/erp/changes", json=one, headers=wrong)).status_code == 401
    r = await rig.push({"records": {"gadgets": []}})
    assert r.status_code == 400 and "gadgets" in r.json()["error"]
    r = await rig.push({"batchId": "x" * 300, **one})
    assert r.status_code == 400 and r.json()["field"] == "batchId"
    r = await rig.push({"records": {"skus": [{"key": "K" * 300, "product_key": "P0001", "name": "n"}]}})
    assert r.status_code == 422 and r.json()["refused"][0]["field"] == "key"
    many = {"records": {"inventory": one["records"]["inventory"] * 5001}}
    assert (await rig.push(many)).status_code == 413
    assert (await asyncio.to_thread(rig.queue.stats, "sandbox")).depth == 0
