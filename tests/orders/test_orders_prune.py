"""The order worker prunes old feed event keys and finished hook inbox items, and nothing else."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from vtexbridge.clock import FakeClock
from vtexbridge.orders.service import OrdersService
from vtexbridge.state import InboxState, StateStore
from vtexbridge.state.tables import hook_inbox
from vtexbridge.testing.orders import harness_settings

DAY = 86_400.0


def _inbox_states(store: StateStore, ids: list[int]) -> dict[int, str | None]:
    """The state of each inbox item (None: deleted), read from the table."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(hook_inbox.c.id, hook_inbox.c.state).where(hook_inbox.c.id.in_(ids)))
        found = {int(r.id): str(r.state) for r in rows}
    return {i: found.get(i) for i in ids}


def _old_rows(url: str, days: float) -> tuple[list[int], list[int]]:
    """Rows written ``days`` ago: a processed feed event key ``old-<days>``, a finished inbox item, an
    inbox item another worker claimed and never finished, and one of another account nobody claimed.

    Returns:
        (finished inbox ids, unfinished inbox ids).
    """
    store = StateStore.open(url, create=True, clock=FakeClock(start=time.time() - days * DAY))
    try:
        store.feed.mark("sandbox", [f"old-{days}"], committed=True)
        done = store.inbox.put("sandbox", {"OrderId": "1-01", "State": "canceled"})
        store.inbox.claim(10, "old-worker", account="sandbox")
        store.inbox.finish([done], worker="old-worker")
        claimed = store.inbox.put("sandbox", {"OrderId": "2-01", "State": "canceled"})
        store.inbox.claim(10, "dead-worker", account="sandbox", visibility=timedelta(days=days * 2))
        waiting = store.inbox.put("elsewhere", {"OrderId": "3-01", "State": "canceled"})
        return [done], [claimed, waiting]
    finally:
        store.close()


async def test_old_processed_rows_go_and_the_rest_stays(tmp_path: Path) -> None:
    settings = harness_settings(tmp_path, orders={"feed": {"enabled": False}, "prune_after_s": 7 * DAY})
    assert settings.state.url
    old_done, old_open = _old_rows(settings.state.url, days=8)
    recent_done, _ = _old_rows(settings.state.url, days=2)
    store = StateStore.open(settings.state.url)
    try:
        store.feed.mark("sandbox", ["fresh"])
        async with OrdersService(settings, store=store) as service:
            report = await service.prune()
        assert (report.feed_events, report.inbox_items) == (1, 1)
        assert store.feed.seen("sandbox", ["old-8", "old-2", "fresh"]) == {"old-2", "fresh"}
        assert _inbox_states(store, old_done + recent_done) == {
            old_done[0]: None,
            recent_done[0]: InboxState.DONE.value,
        }
        assert all(state is not None for state in _inbox_states(store, old_open).values())
    finally:
        store.close()


async def test_feed_keys_are_kept_as_long_as_vtex_may_show_their_event_again(tmp_path: Path) -> None:
    settings = harness_settings(
        tmp_path,
        orders={"feed": {"enabled": False, "retention_s": 10 * int(DAY)}, "prune_after_s": 7 * DAY},
    )
    assert settings.state.url
    _old_rows(settings.state.url, days=8)
    _old_rows(settings.state.url, days=11)
    store = StateStore.open(settings.state.url)
    try:
        async with OrdersService(settings, store=store) as service:
            report = await service.prune()
        assert report.feed_events == 1  # 11 days; 8 days is within the feed's 10-day retention
        assert store.feed.seen("sandbox", ["old-8", "old-11"]) == {"old-8"}
        assert report.inbox_items == 2  # finished inbox items go after prune_after_s
    finally:
        store.close()


async def test_the_worker_prunes_on_a_schedule(tmp_path: Path) -> None:
    settings = harness_settings(tmp_path, orders={"feed": {"enabled": False}, "prune_interval_s": 0.05})
    assert settings.state.url
    _old_rows(settings.state.url, days=8)
    store = StateStore.open(settings.state.url)
    stop = asyncio.Event()
    try:
        async with OrdersService(settings, store=store) as service:
            worker = asyncio.create_task(service.run(stop))
            await _until(lambda: not store.feed.seen("sandbox", ["old-8"]))
            _old_rows(settings.state.url, days=9)  # written after the first pruning: the next one takes it
            await _until(lambda: not store.feed.seen("sandbox", ["old-9"]))
            stop.set()
            await worker
    finally:
        store.close()


async def _until(check: object, within: float = 20.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "the worker did not prune"
        await asyncio.sleep(0.02)
