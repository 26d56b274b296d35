"""Continuous sync (#13), folder watch: delta files dropped into ``incoming/`` are queued and applied,
moved to ``done/``, or refused whole into ``rejected/`` with an ``.error.json`` naming row and field."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.sync.continuous_support import Rig, synced_rig, writes_of
from tests.sync.sync_harness import Sandbox, copy_store
from vtexbridge.sync.continuous.folder import FolderWatch, entity_of_name


@pytest.fixture
async def rig(sandbox: Sandbox, state_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    async for r in synced_rig(sandbox, state_url, copy_store(tmp_path)):
        yield r


def _watch(rig: Rig, tmp_path: Path) -> FolderWatch:
    watch = FolderWatch(tmp_path / "erp", rig.queue, "sandbox")
    for folder in (watch.incoming, watch.done, watch.rejected):
        folder.mkdir(exist_ok=True)
    return watch


def test_delta_file_names_give_their_entity() -> None:
    assert entity_of_name("inventory.csv") is not None
    assert entity_of_name("sku_images-20261208.jsonl").value == "sku_images"  # type: ignore[union-attr]
    assert entity_of_name("skus_2.csv").value == "skus"  # type: ignore[union-attr]
    assert entity_of_name("skusx.csv") is None
    assert entity_of_name("inventory.txt") is None


async def test_a_delta_file_is_applied_and_moved_to_done(rig: Rig, tmp_path: Path) -> None:
    watch = _watch(rig, tmp_path)
    (watch.incoming / "inventory-0001.csv").write_text(
        "sku_key,warehouse_key,quantity,_deleted\nP0001-01,cd-sao-paulo,13,\nP0001-02,cd-curitiba,,true\n"
    )
    since = await rig.sandbox.cursor()
    assert await asyncio.to_thread(watch.scan) == 1
    assert [p.name for p in watch.done.iterdir()] == ["inventory-0001.csv"]
    assert list(watch.incoming.iterdir()) == []
    assert await rig.drain() == 2
    assert len(writes_of(await rig.sandbox.requests(since))) == 2
    assert await rig.stock("P0001-01", "cd-sao-paulo") == 13
    assert await rig.stock("P0001-02", "cd-curitiba") == 0  # deleted: the line is set to zero


async def test_a_bad_delta_file_is_rejected_whole_with_its_error_file(rig: Rig, tmp_path: Path) -> None:
    watch = _watch(rig, tmp_path)
    (watch.incoming / "prices.jsonl").write_text(
        '{"sku_key": "P0001-01", "base_price": 10.5}\n{"sku_key": "P0001-02", "base_price": "cheap"}\n'
    )
    (watch.incoming / ".prices-2.jsonl").write_text('{"sku_key": "P0001-01", "base_price": 1}\n')  # partial
    assert await asyncio.to_thread(watch.scan) == 1
    assert sorted(p.name for p in watch.rejected.iterdir()) == ["prices.jsonl", "prices.jsonl.error.json"]
    report = json.loads((watch.rejected / "prices.jsonl.error.json").read_text())
    assert [(p["index"], p["key"], p["field"]) for p in report["problems"]] == [(2, "P0001-02", "base_price")]
    assert report["queued"] == 0
    assert (await asyncio.to_thread(rig.queue.stats, "sandbox")).depth == 0
    assert [p.name for p in watch.incoming.iterdir()] == [".prices-2.jsonl"]


async def test_the_watch_picks_a_file_up_as_it_arrives(rig: Rig, tmp_path: Path) -> None:
    watch = _watch(rig, tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(watch.run(stop, poll_s=0.2))
    try:
        await asyncio.sleep(0.3)
        (watch.incoming / "inventory.csv").write_text(
            "sku_key,warehouse_key,quantity\nP0001-01,cd-sao-paulo,4\n"
        )
        for _ in range(100):
            if (watch.done / "inventory.csv").exists():
                break
            await asyncio.sleep(0.1)
        assert (watch.done / "inventory.csv").exists()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert await rig.drain() == 1
    assert await rig.stock("P0001-01", "cd-sao-paulo") == 4
