"""Continuous sync (#13), the loop: stock and prices before catalog, metrics and the dashboard's card,
and planning off the event loop (the server answers while a cycle plans)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.sync.continuous_support import Rig, synced_rig, writes_of
from tests.sync.sync_harness import Sandbox
from vtexbridge.state import StateStore
from vtexbridge.sync.continuous.loop import RECONCILE_SCOPE, request_reconciliation
from vtexbridge.sync.continuous.plan import Delta
from vtexbridge.sync.continuous.runtime import ReconcileTrigger
from vtexbridge.sync.steps import Plan


@pytest.fixture
async def rig(sandbox: Sandbox, state_url: str) -> AsyncIterator[Rig]:
    async for r in synced_rig(sandbox, state_url, claim_limit=1):
        yield r


async def test_stock_and_prices_go_before_catalog_changes(rig: Rig) -> None:
    r = await rig.push(
        {
            "records": {
                "skus": [
                    {"key": "P0001-01", "product_key": "P0001", "name": "Renamed jacket",
                     "packaged_height": 8, "packaged_length": 30, "packaged_width": 25,
                     "packaged_weight_kg": "0.460"}
                ],
                "inventory": [{"sku_key": "P0001-01", "warehouse_key": "cd-sao-paulo", "quantity": 11}],
            }
        }
    )  # fmt: skip
    assert r.status_code == 202, r.text
    since = await rig.sandbox.cursor()
    assert await rig.loop.cycle() == 1  # one unit per cycle here: the stock line first
    first = writes_of(await rig.sandbox.requests(since))
    assert [w["route"] for w in first] == [
        "/api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}"
    ]
    assert await rig.loop.cycle() == 1
    assert await rig.loop.cycle() == 0
    (sku,) = [s for s in (await rig.sandbox.dump())["skus"] if s["RefId"] == "P0001-01"]
    assert sku["Name"] == "Renamed jacket"


async def test_metrics_and_the_dashboard_show_the_queue(rig: Rig) -> None:
    line = {"sku_key": "P0001-01", "warehouse_key": "cd-sao-paulo"}
    assert (await rig.push({"records": {"inventory": [{**line, "quantity": 2}]}})).status_code == 202
    body = (await rig.http.get("/metrics")).text
    assert "vtexbridge_changes_queue_depth 1.0" in body
    page = (await rig.http.get("/dashboard/")).text
    assert 'data-testid="card-changes"' in page
    assert await rig.drain() == 1
    body = (await rig.http.get("/metrics")).text
    assert "vtexbridge_changes_queue_depth 0.0" in body
    assert 'vtexbridge_changes_applied_total{outcome="done"} 1.0' in body
    assert "vtexbridge_changes_latency_seconds_count 1.0" in body
    status = (await rig.http.get("/erp/changes", headers={"Authorization": "Bearer " + _token(rig)})).json()
    assert status["depth"] == 0 and status["failed"] == []


async def test_the_server_answers_while_a_cycle_plans(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    original = rig.loop._plan

    def slow_plan(delta: Delta) -> Plan:
        time.sleep(1.5)  # a large plan: it runs in a worker thread, never on the event loop
        return original(delta)

    monkeypatch.setattr(rig.loop, "_plan", slow_plan)
    line = {"sku_key": "P0001-01", "warehouse_key": "cd-sao-paulo", "quantity": 5}
    assert (await rig.push({"records": {"inventory": [line]}})).status_code == 202
    cycle = asyncio.create_task(rig.loop.cycle())
    await asyncio.sleep(0.2)
    latencies: list[float] = []
    while not cycle.done():
        started = time.monotonic()
        r = await rig.http.get("/health")
        latencies.append(time.monotonic() - started)
        assert r.status_code < 500
        await asyncio.sleep(0.05)
    assert await cycle == 1
    assert len(latencies) >= 5, latencies
    assert max(latencies) < 0.5, latencies


def _token(rig: Rig) -> Any:
    token = rig.settings.sync.continuous.intake_token
    assert token is not None
    return token.get_secret_value()


async def test_a_requested_reconciliation_runs_the_full_sync_and_the_loop_resumes(rig: Rig) -> None:
    runs = await asyncio.to_thread(rig.store.runs.list_recent, "sandbox", flow="sync")
    await asyncio.to_thread(request_reconciliation, rig.store, "sandbox")
    stop = asyncio.Event()
    task = asyncio.create_task(rig.loop.run(stop))
    try:
        for _ in range(600):
            now = await asyncio.to_thread(rig.store.runs.list_recent, "sandbox", flow="sync")
            if len(now) > len(runs) and now[0].status != "running":
                break
            await asyncio.sleep(0.1)
        assert len(now) == len(runs) + 1 and now[0].status == "succeeded", now[:2]
        value = await asyncio.to_thread(rig.store.values.get, RECONCILE_SCOPE, "reconcile:sandbox")
        assert value["requested"] is False
        line = {"sku_key": "P0001-01", "warehouse_key": "cd-sao-paulo", "quantity": 21}
        assert (await rig.push({"records": {"inventory": [line]}})).status_code == 202
        for _ in range(200):  # the loop took its lease back and applies changes again
            if await rig.stock("P0001-01", "cd-sao-paulo") == 21:
                break
            await asyncio.sleep(0.1)
        assert await rig.stock("P0001-01", "cd-sao-paulo") == 21
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_the_dashboard_retry_asks_the_loop_for_a_reconciliation(state_url: str) -> None:
    store = StateStore.open(state_url)
    try:
        wake = asyncio.Event()
        notice = await ReconcileTrigger(store, "sandbox", wake)(None)
        assert wake.is_set() and "reconciliation" in notice
        assert store.values.get(RECONCILE_SCOPE, "reconcile:sandbox")["requested"] is True
    finally:
        store.close()
