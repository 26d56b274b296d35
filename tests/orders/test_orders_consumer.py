"""The feed consumer with a fake feed and a fake clock: polling, dedup, commits, config checks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vtexbridge.clock import FakeClock
from vtexbridge.config import Settings
from vtexbridge.orders.consumer import FeedConsumer, desired_feed_config, event_key
from vtexbridge.orders.pipeline import OrderEvent, Outcome, ProcessingError, Result
from vtexbridge.state import StateStore
from vtexbridge.vtex.errors import NotFound, ServerError
from vtexbridge.vtex.models.feed import FeedConfig, FeedConfigUpdate, FeedEvent


def ev(
    n: int, order: str | None = None, state: str = "ready-for-handling", event_id: str | None = None
) -> FeedEvent:
    return FeedEvent(
        eventId=event_id if event_id is not None else f"e{n}",
        handle=f"h{n}",
        orderId=order or f"O-{n}",
        state=state,
        currentChange=f"2024-05-01T10:00:{n:02d}.0000000Z",
    )


class FakeFeed:
    """Lots to return, one per read (then empty), and what was committed / configured."""

    def __init__(self, lots: list[list[FeedEvent] | Exception]) -> None:
        self.lots = list(lots)
        self.reads = 0
        self.committed: list[str] = []
        self.config: FeedConfigUpdate | None = None
        self.config_writes = 0

    async def get_feed_config(self) -> FeedConfig | None:
        if self.config is None:
            return None
        return FeedConfig.model_validate(self.config.body())

    async def set_feed_config(self, config: FeedConfigUpdate) -> None:
        self.config = config
        self.config_writes += 1

    async def get_feed_items(self, *, max_lot: int = 10) -> list[FeedEvent]:
        self.reads += 1
        if not self.lots:
            return []
        lot = self.lots.pop(0)
        if isinstance(lot, Exception):
            raise lot
        return lot

    async def commit_feed_items(self, handles: list[str]) -> None:
        self.committed.extend(handles)


class FakeClient:
    def __init__(self, feed: FakeFeed) -> None:
        self.feed = feed


class FakePipeline:
    def __init__(self, fail: set[str] | None = None, outcome: Outcome = Outcome.DELIVERED) -> None:
        self.events: list[OrderEvent] = []
        self.fail = fail or set()
        self.outcome = outcome

    async def process(self, event: OrderEvent) -> Result:
        self.events.append(event)
        if event.order_id in self.fail:
            raise ProcessingError("sink down", step="sink")
        return Result(event.order_id, self.outcome, event.state)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    yield s
    s.close()


def consumer(
    feed: FakeFeed, pipeline: FakePipeline, store: StateStore, clock: FakeClock, poll: float = 5.0
) -> FeedConsumer:
    settings = Settings()
    return FeedConsumer(
        pipeline=pipeline,  # type: ignore[arg-type]
        client=FakeClient(feed),  # type: ignore[arg-type]
        store=store,
        settings=settings.orders,
        account="acme",
        clock=clock,
        empty_poll_s=poll,
    )


async def run_until(c: FeedConsumer, clock: FakeClock, seconds: float) -> None:
    """Run the consumer until the fake clock has moved ``seconds``."""
    stop = asyncio.Event()
    start = clock.monotonic()
    task = asyncio.create_task(c.run(stop))
    while clock.monotonic() - start < seconds:
        await asyncio.sleep(0)
        if task.done():
            break
    stop.set()
    await task


async def test_an_empty_feed_is_read_every_5_s_and_a_busy_one_at_once(store: StateStore) -> None:
    clock = FakeClock()
    feed = FakeFeed([[ev(1)], [ev(2)], [ev(3)]])
    c = consumer(feed, FakePipeline(), store, clock)
    await run_until(c, clock, 60)
    # three lots back to back without sleeping, then one sleep of 5 s after every empty read
    assert clock.sleeps[:3] == [5.0, 5.0, 5.0]
    assert all(s >= 5.0 for s in clock.sleeps)
    assert feed.reads == 3 + len(clock.sleeps)
    assert feed.committed == ["h1", "h2", "h3"]


async def test_config_is_created_when_missing_and_left_alone_when_right(store: StateStore) -> None:
    feed = FakeFeed([])
    c = consumer(feed, FakePipeline(), store, FakeClock())
    assert await c.ensure_config() is True
    assert feed.config == desired_feed_config(Settings().orders)
    assert feed.config.body()["filter"] == {
        "type": "FromWorkflow",
        "status": ["ready-for-handling", "canceled"],
    }
    assert feed.config.body()["queue"] == {
        "visibilityTimeoutInSeconds": 250,
        "MessageRetentionPeriodInSeconds": 345600,
    }
    assert await c.ensure_config() is False
    assert feed.config_writes == 1


async def test_a_404_recreates_the_config_and_goes_on(store: StateStore) -> None:
    clock = FakeClock()
    feed = FakeFeed([NotFound("no feed"), [ev(1)]])
    c = consumer(feed, FakePipeline(), store, clock)
    await run_until(c, clock, 5)
    assert c.config_recreated == 1 and feed.config_writes == 2  # at start, then after the 404
    assert feed.committed == ["h1"]


async def test_duplicates_are_processed_once_and_all_copies_committed(store: StateStore) -> None:
    feed = FakeFeed([])
    pipeline = FakePipeline()
    c = consumer(feed, pipeline, store, FakeClock())
    dup = FeedEvent(eventId="e1", handle="h1-copy", orderId="O-1", state="ready-for-handling")
    report = await c.handle([ev(1), dup, ev(2)])
    assert [e.order_id for e in pipeline.events] == ["O-1", "O-2"]
    assert report.duplicates == 1 and report.processed == 2
    assert sorted(feed.committed) == ["h1", "h1-copy", "h2"]
    # the same event in a later lot (its commit was lost): committed, not processed again
    await c.handle([FeedEvent(eventId="e1", handle="h1-later", orderId="O-1", state="ready-for-handling")])
    assert len(pipeline.events) == 2 and feed.committed[-1] == "h1-later"
    assert store.feed.seen("acme", ["e1", "e2"]) == {"e1", "e2"}


async def test_events_of_one_order_in_a_lot_make_one_pipeline_call(store: StateStore) -> None:
    feed = FakeFeed([])
    pipeline = FakePipeline()
    c = consumer(feed, pipeline, store, FakeClock())
    await c.handle([ev(1, "O-1", "ready-for-handling"), ev(2, "O-1", "canceled")])
    [event] = pipeline.events
    assert event.state == "canceled"  # the latest change of the lot
    assert sorted(feed.committed) == ["h1", "h2"]


async def test_ignored_events_are_committed_too(store: StateStore) -> None:
    feed = FakeFeed([])
    c = consumer(feed, FakePipeline(outcome=Outcome.IGNORED), store, FakeClock())
    report = await c.handle([ev(1, state="payment-approved")])
    assert feed.committed == ["h1"] and report.outcomes == {"ignored": 1}


async def test_a_failed_event_is_not_committed(store: StateStore) -> None:
    feed = FakeFeed([])
    pipeline = FakePipeline(fail={"O-2"})
    c = consumer(feed, pipeline, store, FakeClock())
    report = await c.handle([ev(1), ev(2)])
    assert feed.committed == ["h1"] and report.failed == 1
    assert store.feed.seen("acme", ["e1", "e2"]) == {"e1"}


async def test_events_without_id_are_keyed_by_order_state_and_time() -> None:
    e = ev(7, event_id="")
    assert event_key(e) == "O-7:ready-for-handling:2024-05-01T10:00:07.0000000Z"


async def test_a_failing_read_waits_before_trying_again(store: StateStore) -> None:
    clock = FakeClock()
    feed = FakeFeed([ServerError("boom"), [ev(1)]])
    c = consumer(feed, FakePipeline(), store, clock)
    await run_until(c, clock, 20)
    assert clock.sleeps[0] == Settings().orders.feed.error_backoff_s
    assert feed.committed == ["h1"]


async def test_once_stops_at_the_first_empty_read(store: StateStore) -> None:
    clock = FakeClock()
    feed = FakeFeed([[ev(1)], [ev(2)]])
    c = consumer(feed, FakePipeline(), store, clock)
    await c.run(asyncio.Event(), once=True)
    # lots are read while earlier ones are in flight; it stops once a read finds nothing left
    assert feed.committed == ["h1", "h2"] and feed.reads in (3, 4) and clock.sleeps == []


def test_consumer_uses_the_real_config_shape(store: StateStore) -> None:
    body: dict[str, Any] = desired_feed_config(
        Settings.model_validate({"orders": {"statuses": ["invoiced"]}}).orders
    ).body()
    assert body["filter"]["status"] == ["invoiced"]
