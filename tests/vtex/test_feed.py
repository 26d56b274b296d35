"""FeedAPI: feed and hook configuration (filters that cannot mix), reading and committing events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from tests.vtex.client_cases import Case, run_case
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.models.feed import (
    FeedConfigUpdate,
    FeedQueue,
    HookConfigUpdate,
    HookEndpoint,
    OrdersFilter,
    WorkflowFilter,
)
from vtexbridge.vtex.settings import VtexSettings

STORE = "https://acme.vtexcommercestable.com.br"
QUEUE = FeedQueue(visibilityTimeoutInSeconds=250, MessageRetentionPeriodInSeconds=345_600)
QUEUE_JSON = {"visibilityTimeoutInSeconds": 250, "MessageRetentionPeriodInSeconds": 345_600}
EVENT = {
    "eventId": "ev-1",
    "handle": "h-1",
    "domain": "Fulfillment",
    "state": "ready-for-handling",
    "lastState": "window-to-cancel",
    "orderId": "1300000000001-01",
    "lastChange": "2026-03-01T12:00:00Z",
    "currentChange": "2026-03-01T12:00:01Z",
}


CASES = [
    Case(
        "get_feed_config",
        lambda c: c.feed.get_feed_config(),
        "GET",
        "/api/orders/feed/config",
        answer={
            "filter": {"type": "FromWorkflow", "status": ["ready-for-handling"]},
            "queue": QUEUE_JSON,
            "quantity": 3,
            "approximateAgeOfOldestMessageInSeconds": 12.5,
        },
        check=lambda r: r.filter.status == ["ready-for-handling"] and r.quantity == 3,
    ),
    Case(
        "set_feed_config",
        lambda c: c.feed.set_feed_config(
            FeedConfigUpdate(filter=WorkflowFilter(status=["ready-for-handling", "canceled"]), queue=QUEUE)
        ),
        "POST",
        "/api/orders/feed/config",
        body={
            "filter": {"type": "FromWorkflow", "status": ["ready-for-handling", "canceled"]},
            "queue": QUEUE_JSON,
        },
    ),
    Case("delete_feed_config", lambda c: c.feed.delete_feed_config(), "DELETE", "/api/orders/feed/config"),
    Case(
        "get_feed_items",
        lambda c: c.feed.get_feed_items(max_lot=5),
        "GET",
        "/api/orders/feed",
        query={"maxlot": "5"},
        answer=[EVENT],
        check=lambda r: (r[0].handle, r[0].state) == ("h-1", "ready-for-handling"),
    ),
    Case(
        "commit_feed_items",
        lambda c: c.feed.commit_feed_items(["h-1", "h-2"]),
        "POST",
        "/api/orders/feed",
        body={"handles": ["h-1", "h-2"]},
    ),
    Case(
        "get_hook_config",
        lambda c: c.feed.get_hook_config(),
        "GET",
        "/api/orders/hook/config",
        answer={
            "filter": {"type": "FromOrders", "expression": "status = 'invoiced'"},
            "hook": {"url": "https://erp.example.com/hook", "headers": {"X-Secret": "s"}},
        },
        check=lambda r: r.hook.url == "https://erp.example.com/hook",
    ),
    Case(
        "set_hook_config",
        lambda c: c.feed.set_hook_config(
            HookConfigUpdate(
                filter=OrdersFilter(expression="status = 'invoiced'", disableSingleFire=False),
                hook=HookEndpoint(url="https://erp.example.com/hook", headers={"X-Secret": "s"}),
            )
        ),
        "POST",
        "/api/orders/hook/config",
        body={
            "filter": {"type": "FromOrders", "expression": "status = 'invoiced'", "disableSingleFire": False},
            "hook": {"url": "https://erp.example.com/hook", "headers": {"X-Secret": "s"}},
        },
    ),
    Case("delete_hook_config", lambda c: c.feed.delete_hook_config(), "DELETE", "/api/orders/hook/config"),
]


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=STORE, assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_method_sends_vtex_request_and_reads_answer(
    case: Case, mock: respx.MockRouter, vtex: VtexClient
) -> None:
    await run_case(case, mock, vtex)


def test_every_public_method_has_a_case() -> None:
    public = {n for n in dir(VtexClient.from_settings(VtexSettings()).feed) if not n.startswith("_")}
    assert public == {c.name for c in CASES}


async def test_no_feed_or_hook_configured_reads_as_none(mock: respx.MockRouter, vtex: VtexClient) -> None:
    mock.get("/api/orders/feed/config").mock(return_value=httpx.Response(404))
    mock.get("/api/orders/hook/config").mock(return_value=httpx.Response(404))
    assert await vtex.feed.get_feed_config() is None
    assert await vtex.feed.get_hook_config() is None


@pytest.mark.parametrize("max_lot", [0, 11])
async def test_max_lot_is_one_to_ten(max_lot: int, vtex: VtexClient) -> None:
    with pytest.raises(ValueError, match="max_lot"):
        await vtex.feed.get_feed_items(max_lot=max_lot)


async def test_committing_nothing_is_refused_before_sending(vtex: VtexClient) -> None:
    with pytest.raises(ValidationError, match="handles"):
        await vtex.feed.commit_feed_items([])


@pytest.mark.parametrize(
    "bad_filter",
    [
        {"type": "FromWorkflow", "expression": "status = 'x'"},
        {"type": "FromWorkflow", "disableSingleFire": True},
        {"type": "FromOrders", "expression": "x", "status": ["invoiced"]},
        {"type": "FromOrders"},
        {"type": "FromAnywhere"},
    ],
    ids=["workflow_expression", "workflow_single_fire", "orders_status", "orders_no_expression", "unknown"],
)
def test_filters_that_vtex_refuses_cannot_be_built(bad_filter: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FeedConfigUpdate.model_validate({"filter": bad_filter, "queue": QUEUE_JSON})


@pytest.mark.parametrize("retention", [345_599, 1_209_601])
def test_retention_is_four_to_fourteen_days(retention: int) -> None:
    with pytest.raises(ValidationError, match="MessageRetentionPeriodInSeconds"):
        FeedQueue(visibilityTimeoutInSeconds=250, MessageRetentionPeriodInSeconds=retention)
