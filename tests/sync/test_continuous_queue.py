"""The change queue (#13): coalescing claims, retries that never overtake a newer change, claims put
back for the lease's next holder, idempotent batch ids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from vtexbridge.state import StateStore
from vtexbridge.state.changes import ChangeQueue, QueuedUnit
from vtexbridge.sync.continuous.plan import coalesce


@pytest.fixture
def queue(state_url: str) -> Iterator[ChangeQueue]:
    store = StateStore.open(state_url)
    yield store.changes
    store.close()


def _unit(key: str, value: int, kind: str = "inventory", priority: int = 0) -> QueuedUnit:
    return QueuedUnit(kind, key, "upsert", {"value": value}, priority)


def test_a_claim_takes_every_pending_change_of_its_units_and_the_last_wins(queue: ChangeQueue) -> None:
    queue.put_batch("a", [_unit("S1|W", 1), _unit("S2|W", 1)], source="push")
    queue.put_batch("a", [_unit("S1|W", 2)], source="push")
    claimed = queue.claim("a", "me", 1)  # one unit: S1|W, with both of its changes
    assert [(c.erp_key, c.payload) for c in claimed] == [("S1|W", {"value": 1}), ("S1|W", {"value": 2})]
    delta = coalesce(claimed)
    assert delta.latest[("inventory", "S1|W")].payload == {"value": 2}
    assert sorted(delta.ids_of(("inventory", "S1|W"))) == sorted(c.id for c in claimed)


def test_stock_and_prices_are_claimed_before_catalog(queue: ChangeQueue) -> None:
    queue.put_batch("a", [_unit("P1", 1, kind="product", priority=1)], source="push")
    queue.put_batch("a", [_unit("S1", 1, kind="price", priority=0)], source="push")
    assert [c.kind for c in queue.claim("a", "me", 1)] == ["price"]


def test_a_retried_change_never_lands_after_a_newer_one(queue: ChangeQueue) -> None:
    queue.put_batch("a", [_unit("S1|W", 1)], source="push")
    old = queue.claim("a", "me", 10)
    queue.retry([c.id for c in old], error="VTEX busy", at=queue.db.now() + timedelta(hours=1))
    queue.put_batch("a", [_unit("S1|W", 2)], source="push")
    claimed = queue.claim("a", "me", 10)  # the newer one is ready: the waiting older one comes along
    assert len(claimed) == 2
    assert coalesce(claimed).latest[("inventory", "S1|W")].payload == {"value": 2}


def test_claims_of_a_dead_holder_are_put_back(queue: ChangeQueue) -> None:
    queue.put_batch("a", [_unit("S1|W", 1)], source="push")
    assert len(queue.claim("a", "dead:1", 10)) == 1
    assert queue.claim("a", "me", 10) == []
    assert queue.release_claims("a") == 1
    (again,) = queue.claim("a", "me", 10)
    assert again.attempts == 2
    assert queue.finish([again.id]) == 1
    assert queue.stats("a").depth == 0


def test_a_batch_id_is_taken_once(queue: ChangeQueue) -> None:
    new, answer = queue.put_batch("a", [_unit("S1|W", 1)], source="push", batch_id="b1", answer={"n": 1})
    assert new and answer == {"n": 1}
    new, answer = queue.put_batch("a", [_unit("S1|W", 9)], source="push", batch_id="b1", answer={"n": 2})
    assert not new and answer == {"n": 1}
    assert queue.stats("a").depth == 1
    new, _ = queue.put_batch("b", [_unit("S1|W", 9)], source="push", batch_id="b1")  # another account
    assert new
