"""The order sweep's listing: a window holding more than VTEX lists (30 pages of 100) is split in
two until each half fits; every order is handed to the pipeline once; the watermark."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vtexbridge.clock import FakeClock
from vtexbridge.orders.pipeline import OrderEvent, Outcome, Result
from vtexbridge.orders.settings import OrdersSettings
from vtexbridge.orders.sweep import OrderSweep
from vtexbridge.state import StateStore
from vtexbridge.vtex.models.orders import OrderList

N = 3_500  # more than 30 pages of 100


class _Orders:
    """``GET /api/oms/pvt/orders`` over N orders, one a second from ``start``, filtered as VTEX does."""

    def __init__(self, start: datetime) -> None:
        self.orders = [(f"o{i}", start + timedelta(seconds=i)) for i in range(N)]
        self.calls: list[tuple[datetime, datetime, int]] = []

    async def list_orders(
        self, *, status: Any, created_between: Any, page: int, per_page: int, order_by: str
    ) -> OrderList:
        since, until = created_between
        self.calls.append((since, until, page))
        hits = [o for o in self.orders if since <= o[1] <= until]
        pages = -(-len(hits) // per_page)
        chunk = hits[(page - 1) * per_page : page * per_page]
        body = {
            "list": [
                {"orderId": oid, "status": "ready-for-handling", "creationDate": t.isoformat()}
                for oid, t in chunk
            ],
            "paging": {"total": len(hits), "pages": pages, "currentPage": page, "perPage": per_page},
        }
        return OrderList.model_validate(body)


class _Client:
    def __init__(self, orders: _Orders) -> None:
        self.orders = orders


class _Pipeline:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def process(self, event: OrderEvent) -> Result:
        self.seen.append(event.order_id)
        assert event.source == "sweep" and event.state == "ready-for-handling"
        return Result(event.order_id, Outcome.DELIVERED, event.state)


async def test_a_window_larger_than_vtex_lists_is_split(tmp_path: Path) -> None:
    clock = FakeClock(start=2_000_000_000.0)
    listing = _Orders(clock.now() - timedelta(days=2))
    pipeline = _Pipeline()
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", create=True) as store:
        sweep = OrderSweep(
            pipeline=pipeline,  # type: ignore[arg-type]
            client=_Client(listing),  # type: ignore[arg-type]
            store=store,
            settings=OrdersSettings(),
            account="acme",
            clock=clock,
        )
        report = await sweep.sweep()
        assert report.complete and report.listed == N and report.delivered == N
        assert sorted(pipeline.seen) == sorted(o for o, _t in listing.orders)  # each once
        assert max(page for _s, _u, page in listing.calls) <= 30
        assert any(until - since < timedelta(days=1) for since, until, _p in listing.calls)  # split
        since, until = await sweep.window()
        assert until == clock.now() and until - since == timedelta(seconds=OrdersSettings().sweep_lookback_s)
