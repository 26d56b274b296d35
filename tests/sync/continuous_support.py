"""Test support of the continuous sync (#13): the example store synced into the in-process sandbox,
the web app's intake in front of the same state, and the loop's cycle run on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.sync.sync_harness import EXAMPLE_ERP, Sandbox, settings_for, sync
from vtexbridge.config import Settings
from vtexbridge.state import StateStore
from vtexbridge.state.changes import ChangeQueue
from vtexbridge.sync.continuous.loop import ContinuousLoop
from vtexbridge.sync.continuous.settings import ContinuousSettings
from vtexbridge.web.app import create_app

TOKEN = "intake-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Rig:
    sandbox: Sandbox
    settings: Settings
    store: StateStore
    loop: ContinuousLoop
    http: httpx.AsyncClient

    @property
    def queue(self) -> ChangeQueue:
        return self.store.changes

    async def push(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.http.post("/erp/changes", json=body, headers={**AUTH, **headers})

    async def drain(self) -> int:
        """Cycles until the queue has nothing ready; returns the changes claimed."""
        total = 0
        while n := await self.loop.cycle():
            total += n
        return total

    async def stock(self, sku_key: str, warehouse: str) -> Any:
        dump = await self.sandbox.dump()
        sku_ids = {s["RefId"]: s["Id"] for s in dump["skus"]}
        for line in dump["inventory"]:
            if str(line["skuId"]) == str(sku_ids[sku_key]) and line["warehouseId"] == warehouse:
                return line["quantity"]
        return None

    async def price(self, sku_key: str) -> Any:
        dump = await self.sandbox.dump()
        sku_ids = {s["RefId"]: s["Id"] for s in dump["skus"]}
        for p in dump["prices"]:
            if str(p["itemId"]) == str(sku_ids[sku_key]):
                return p
        return None


def continuous_settings(erp: Path, state_url: str, **continuous: Any) -> Settings:
    base = settings_for(erp, state_url)
    cfg = ContinuousSettings(intake_token=TOKEN, coalesce_s=0, **continuous)  # type: ignore[arg-type]
    return base.model_copy(update={"sync": base.sync.model_copy(update={"continuous": cfg})})


async def synced_rig(
    sandbox: Sandbox, state_url: str, erp: Path = EXAMPLE_ERP, **cfg: Any
) -> AsyncIterator[Rig]:
    """The example store synced in full, then the intake and the loop over the same state."""
    settings = continuous_settings(erp, state_url, **cfg)
    outcome = await sync(sandbox, settings)
    assert outcome.exit_code == 0, outcome.report.errors[:3]
    store = StateStore.open(state_url)
    app = create_app(settings, state=store)
    loop = ContinuousLoop(
        settings, store, http_transport=sandbox.transport, clock=sandbox.clock, metrics=app.state.metrics
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        yield Rig(sandbox, settings, store, loop, http)
    if loop._client is not None:
        await loop._client.aclose()
    store.close()


def writes_of(requests: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in requests["entries"] if e["method"] in ("POST", "PUT", "PATCH", "DELETE")]
