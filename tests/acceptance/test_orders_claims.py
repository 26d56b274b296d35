"""Workers sharing a PostgreSQL state store claim (order, status) before the sink: never two
hand-offs of one delivery at once, and the loser of the race finds the winner's record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from orders_kill_support import pg_schema

from vtexbridge.orders.pipeline import OrderEvent, Outcome, ProcessingError
from vtexbridge.testing.orders import OrdersHarness

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_state(pg_url: str) -> Iterator[str]:
    yield from pg_schema(pg_url, "vbclaims")


def event(order_id: str) -> OrderEvent:
    return OrderEvent(order_id, "ready-for-handling", None, "sweep", f"k-{order_id}")


async def test_a_delivery_claimed_by_another_worker_is_not_handed_over(tmp_path: Path, pg_state: str) -> None:
    async with OrdersHarness(tmp_path, state_url=pg_state) as h:
        [oid] = await h.place(1)
        name = f"orders.delivery:sandbox:{oid}:ready-for-handling"
        assert h.state.leases.acquire(name, "another-worker", timedelta(seconds=60))
        with pytest.raises(ProcessingError, match="another worker is delivering"):
            await h.service.pipeline.process(event(oid))
        assert h.order_files() == []  # not handed to the sink
        # the other worker delivers and records it, then lets go: this one finds the record
        h.state.orders.record_delivery("sandbox", oid, "ready-for-handling", sink="folder", erp_ref="theirs")
        h.state.leases.release(name, "another-worker")
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.ALREADY_DELIVERED and result.erp_ref == "theirs"
        assert h.order_files() == []
        assert h.state.leases.get(name) is None  # ours was released too


async def test_the_claim_is_released_after_a_delivery(tmp_path: Path, pg_state: str) -> None:
    async with OrdersHarness(tmp_path, state_url=pg_state) as h:
        [oid] = await h.place(1)
        result = await h.service.pipeline.process(event(oid))
        assert result.outcome is Outcome.DELIVERED and len(h.order_files()) == 1
        assert h.state.leases.get(f"orders.delivery:sandbox:{oid}:ready-for-handling") is None
