"""Continuous sync (#13), SQL watermark: rows changed since the stored watermark are read and applied;
the watermark advances only once VTEX accepted them (a re-read before that queues nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.sync.continuous_support import Rig, synced_rig, writes_of
from tests.sync.sync_harness import Sandbox
from vtexbridge.erp.records import Entity
from vtexbridge.sync.continuous.sqlwatch import SCOPE, SqlWatch


@pytest.fixture
async def rig(sandbox: Sandbox, state_url: str) -> AsyncIterator[Rig]:
    async for r in synced_rig(sandbox, state_url):
        yield r


@pytest.fixture
def erp_db(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'erp.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE stock (sku TEXT, wh TEXT, qty INTEGER, version INTEGER)"))
        rows = "('P0001-01', 'cd-sao-paulo', 60, 1), ('P0001-02', 'cd-sao-paulo', 35, 2)"
        conn.execute(sa.text(f"INSERT INTO stock VALUES {rows}"))
    yield engine
    engine.dispose()


def _bump(engine: sa.Engine, sku: str, qty: int, version: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE stock SET qty = :q, version = :v WHERE sku = :s"),
            {"q": qty, "v": version, "s": sku},
        )


async def test_rows_changed_since_the_watermark_reach_vtex_once(rig: Rig, erp_db: sa.Engine) -> None:
    query = "SELECT sku AS sku_key, wh AS warehouse_key, qty AS quantity, version FROM stock"
    watch = SqlWatch(erp_db, {Entity.INVENTORY: query}, {"inventory": "version"}, rig.store, "sandbox")
    assert await asyncio.to_thread(watch.poll) == 0  # the first poll only records where we start
    assert rig.store.values.get(SCOPE, "sandbox:inventory") == {"value": 2}
    _bump(erp_db, "P0001-01", 17, 3)
    assert await asyncio.to_thread(watch.poll) == 1
    _bump(erp_db, "P0001-02", 18, 4)
    assert await asyncio.to_thread(watch.poll) == 0  # not accepted yet: the watermark waits
    assert rig.store.values.get(SCOPE, "sandbox:inventory")["value"] == 2
    since = await rig.sandbox.cursor()
    assert await rig.drain() == 1
    assert len(writes_of(await rig.sandbox.requests(since))) == 1
    assert await rig.stock("P0001-01", "cd-sao-paulo") == 17
    assert await asyncio.to_thread(watch.poll) == 1  # accepted: advanced to 3, then row 4 is read
    assert rig.store.values.get(SCOPE, "sandbox:inventory")["pending"]["value"] == 4
    assert await rig.drain() == 1
    assert await rig.stock("P0001-02", "cd-sao-paulo") == 18
    assert await asyncio.to_thread(watch.poll) == 0
    assert rig.store.values.get(SCOPE, "sandbox:inventory") == {"value": 4}
