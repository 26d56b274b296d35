"""Orders feed v3 in the sandbox: configuration rules, visibility, commit, retention, faults, isolation."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.sandbox.orders_support import (
    CREDENTIALS,
    OTHER_HEADERS,
    QUEUE,
    add_sku,
    configure_feed,
    drain_feed,
    place,
    read_feed,
)
from vtexbridge.clock import FakeClock
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store

FEED = "/api/orders/feed"
CONFIG = "/api/orders/feed/config"
PLACEMENT = [
    "order-created",
    "on-order-completed",
    "payment-pending",
    "payment-approved",
    "window-to-cancel",
    "ready-for-handling",
]


@pytest.fixture
def sandbox_options() -> SandboxOptions:
    return SandboxOptions(credentials=CREDENTIALS)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_700_000_000.0)


@pytest.fixture
def sandbox_app(sandbox_options: SandboxOptions, sandbox_store: Store, clock: FakeClock) -> Starlette:
    seed(sandbox_store, "sandbox", "demo")
    add_sku(sandbox_store, 100, stock=1000)
    return create_app(sandbox_options, store=sandbox_store, clock=clock)


async def test_feed_without_configuration_is_404(sandbox_client: httpx.AsyncClient) -> None:
    assert (await sandbox_client.get(FEED, params={"maxlot": 1})).status_code == 404
    assert (await sandbox_client.get(CONFIG)).status_code == 404
    assert (await sandbox_client.post(FEED, json={"handles": ["x"]})).status_code == 404
    assert (await sandbox_client.delete(CONFIG)).status_code == 404


async def test_configuration_round_trip_and_delete(sandbox_client: httpx.AsyncClient) -> None:
    await configure_feed(sandbox_client, {"type": "FromWorkflow", "status": ["ready-for-handling"]})
    await place(sandbox_client)
    config = (await sandbox_client.get(CONFIG)).json()
    assert config["filter"] == {"type": "FromWorkflow", "status": ["ready-for-handling"]}
    assert config["queue"] == QUEUE
    assert config["quantity"] == 1 and config["approximateAgeOfOldestMessageInSeconds"] == 0
    assert (await sandbox_client.delete(CONFIG)).status_code == 200
    assert (await sandbox_client.get(FEED)).status_code == 404


@pytest.mark.parametrize(
    "flt",
    [
        {"type": "FromWorkflow", "expression": 'status = "invoiced"'},
        {"type": "FromWorkflow", "disableSingleFire": True},
        {"type": "FromOrders", "status": ["invoiced"]},
    ],
)
async def test_mixed_filter_types_are_409(sandbox_client: httpx.AsyncClient, flt: dict[str, object]) -> None:
    response = await sandbox_client.post(CONFIG, json={"filter": flt, "queue": QUEUE})
    assert response.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"filter": {"type": "FromEverything"}, "queue": QUEUE},
        {"filter": {"type": "FromWorkflow"}},
        {"filter": {"type": "FromWorkflow"}, "queue": {**QUEUE, "MessageRetentionPeriodInSeconds": 345_599}},
        {
            "filter": {"type": "FromWorkflow"},
            "queue": {**QUEUE, "MessageRetentionPeriodInSeconds": 1_209_601},
        },
        {"filter": {"type": "FromWorkflow"}, "queue": {**QUEUE, "visibilityTimeoutInSeconds": "250"}},
        {"filter": {"type": "FromOrders", "expression": "$sum(items.price) > 10"}, "queue": QUEUE},
    ],
)
async def test_invalid_configurations_are_400(
    sandbox_client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    assert (await sandbox_client.post(CONFIG, json=body)).status_code == 400


async def test_maxlot_is_at_most_10(sandbox_client: httpx.AsyncClient) -> None:
    await configure_feed(sandbox_client)
    for _ in range(2):
        await place(sandbox_client)
    assert (await sandbox_client.get(FEED, params={"maxlot": 11})).status_code == 400
    assert (await sandbox_client.get(FEED, params={"maxlot": "ten"})).status_code == 400
    assert len(await read_feed(sandbox_client, maxlot=10)) == 10
    assert len((await sandbox_client.get(FEED)).json()) == 1  # no maxlot: one item


async def test_a_feed_only_receives_events_after_it_is_configured(sandbox_client: httpx.AsyncClient) -> None:
    before = await place(sandbox_client)
    await configure_feed(sandbox_client)
    await sandbox_client.post(f"/api/oms/pvt/orders/{before['orderId']}/start-handling")
    items = await drain_feed(sandbox_client)
    assert [(i["state"], i["lastState"]) for i in items] == [
        ("start-handling", "ready-for-handling"),
        ("handling", "start-handling"),
    ]
    item = items[0]
    assert set(item) == {
        "eventId",
        "handle",
        "domain",
        "state",
        "lastState",
        "orderId",
        "lastChange",
        "currentChange",
    }
    assert item["domain"] == "Fulfillment" and item["orderId"] == before["orderId"]
    assert item["currentChange"].endswith("Z")


async def test_workflow_status_filter(sandbox_client: httpx.AsyncClient) -> None:
    await configure_feed(
        sandbox_client, {"type": "FromWorkflow", "status": ["payment-approved", "ready-for-handling"]}
    )
    await place(sandbox_client)
    assert [i["state"] for i in await drain_feed(sandbox_client)] == [
        "payment-approved",
        "ready-for-handling",
    ]


async def test_visibility_timeout_and_commit(sandbox_client: httpx.AsyncClient, clock: FakeClock) -> None:
    await configure_feed(sandbox_client, {"type": "FromWorkflow", "status": ["ready-for-handling"]})
    await place(sandbox_client)
    [first] = await read_feed(sandbox_client)
    assert await read_feed(sandbox_client) == []  # hidden while being processed
    clock.advance(249)
    assert await read_feed(sandbox_client) == []
    clock.advance(2)
    [again] = await read_feed(sandbox_client)  # not committed: it comes back, with a new handle
    assert again["eventId"] == first["eventId"] and again["handle"] != first["handle"]
    stale = await sandbox_client.post(FEED, json={"handles": [first["handle"]]})
    assert stale.status_code == 200  # a stale handle is accepted and ignored, as SQS does
    clock.advance(251)
    [third] = await read_feed(sandbox_client)
    assert third["eventId"] == first["eventId"]
    assert (await sandbox_client.post(FEED, json={"handles": [third["handle"]]})).status_code == 200
    clock.advance(1000)
    assert await read_feed(sandbox_client) == []
    assert (await sandbox_client.get(CONFIG)).json()["quantity"] == 0


async def test_commit_needs_a_list_of_handles(sandbox_client: httpx.AsyncClient) -> None:
    await configure_feed(sandbox_client)
    assert (await sandbox_client.post(FEED, json={"handles": "abc"})).status_code == 400
    assert (await sandbox_client.post(FEED, json={})).status_code == 400


async def test_retention_drops_uncommitted_events(
    sandbox_client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await configure_feed(sandbox_client, {"type": "FromWorkflow", "status": ["ready-for-handling"]})
    await place(sandbox_client)
    clock.advance(300_000)
    await place(sandbox_client)
    assert (await sandbox_client.get(CONFIG)).json()["quantity"] == 2
    clock.advance(45_601)  # the first event is now older than 345600 s
    items = await drain_feed(sandbox_client)
    assert len(items) == 1


async def test_an_idle_feed_configuration_is_deleted_after_its_retention(
    sandbox_client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await configure_feed(sandbox_client)
    clock.advance(345_601)
    assert (await sandbox_client.get(CONFIG)).status_code == 404


async def test_queues_are_isolated_by_app_key(sandbox_client: httpx.AsyncClient) -> None:
    await configure_feed(sandbox_client, {"type": "FromWorkflow", "status": ["ready-for-handling"]})
    assert (await sandbox_client.get(FEED, headers=OTHER_HEADERS)).status_code == 404
    await configure_feed(
        sandbox_client, {"type": "FromWorkflow", "status": ["ready-for-handling"]}, OTHER_HEADERS
    )
    order = await place(sandbox_client)
    mine = await read_feed(sandbox_client)
    theirs = await read_feed(sandbox_client, headers=OTHER_HEADERS)
    assert [i["orderId"] for i in mine] == [i["orderId"] for i in theirs] == [order["orderId"]]
    await sandbox_client.post(
        FEED, json={"handles": [mine[0]["handle"]]}, headers=OTHER_HEADERS
    )  # not theirs
    assert (await sandbox_client.get(CONFIG)).json()["quantity"] == 1
    await sandbox_client.delete(CONFIG, headers=OTHER_HEADERS)
    assert (await sandbox_client.get(CONFIG)).status_code == 200


async def test_injected_duplicates_carry_the_same_event_id(sandbox_client: httpx.AsyncClient) -> None:
    options = await sandbox_client.post("/_sandbox/feed/options", json={"duplicateRate": 1.0, "seed": 7})
    assert options.json() == {"duplicateRate": 1.0, "shuffle": False, "seed": 7}
    await configure_feed(sandbox_client, {"type": "FromWorkflow", "status": ["ready-for-handling"]})
    await place(sandbox_client)
    items = await drain_feed(sandbox_client)
    assert len(items) == 2 and items[0]["eventId"] == items[1]["eventId"]
    await sandbox_client.post(FEED, json={"handles": [items[0]["handle"]]})
    assert (await sandbox_client.get(CONFIG)).json()["quantity"] == 1  # the other copy stays until committed
    assert (await sandbox_client.post("/_sandbox/feed/options", json={"duplicateRate": 2})).status_code == 400


async def test_shuffle_returns_lots_out_of_order(sandbox_client: httpx.AsyncClient) -> None:
    await configure_feed(sandbox_client)
    for _ in range(3):
        await place(sandbox_client)
    [feed] = (await sandbox_client.get("/_sandbox/feeds")).json()["feeds"]
    assert feed["messages"] == 18 and feed["invisible"] == 0
    ordered = [i["state"] for i in await drain_feed(sandbox_client)]
    assert ordered == PLACEMENT * 3
    await sandbox_client.delete(CONFIG)
    await configure_feed(sandbox_client)
    await sandbox_client.post("/_sandbox/feed/options", json={"shuffle": True, "seed": 3})
    for _ in range(3):
        await place(sandbox_client)
    shuffled = await drain_feed(sandbox_client)
    assert len(shuffled) == len(ordered) == 18
    states = [i["state"] for i in shuffled]
    assert states != PLACEMENT * 3  # same events, not in placement order
    assert sorted(states) == sorted(PLACEMENT * 3)


async def test_from_orders_expression_and_single_fire(sandbox_client: httpx.AsyncClient) -> None:
    await configure_feed(
        sandbox_client, {"type": "FromOrders", "expression": 'status = "ready-for-handling"'}
    )
    order = await place(sandbox_client)
    [item] = await drain_feed(sandbox_client)
    assert item["state"] == "ready-for-handling" and item["orderId"] == order["orderId"]
    # disableSingleFire false: the order is reported once, even when it matches again later.
    await sandbox_client.post(f"/_sandbox/orders/{order['orderId']}/advance", json={"to": "request-cancel"})
    await sandbox_client.post(f"/api/oms/pvt/orders/{order['orderId']}/cancel")
    assert (await sandbox_client.get(CONFIG)).json()["quantity"] == 1


async def test_from_orders_without_single_fire_sees_every_change(sandbox_client: httpx.AsyncClient) -> None:
    flt = {
        "type": "FromOrders",
        "expression": 'value > 100 and status in ["handling", "start-handling"]',
        "disableSingleFire": True,
    }
    await configure_feed(sandbox_client, flt)
    order = await place(sandbox_client)
    await sandbox_client.post(f"/api/oms/pvt/orders/{order['orderId']}/start-handling")
    partial = {
        "type": "Output",
        "issuanceDate": "2024-05-01",
        "invoiceNumber": "NF-9",
        "invoiceValue": 4990,
        "items": [{"id": "100", "price": 4990, "quantity": 1}],
    }
    await sandbox_client.post(f"/api/oms/pvt/orders/{order['orderId']}/invoice", json=partial)
    states = [(i["state"], i["lastState"]) for i in await drain_feed(sandbox_client)]
    assert states == [
        ("start-handling", "ready-for-handling"),
        ("handling", "start-handling"),
        ("handling", "handling"),
    ]


async def test_jsonata_expression_endpoint(sandbox_client: httpx.AsyncClient) -> None:
    url = "/api/orders/expressions/jsonata"
    ok = await sandbox_client.post(
        url, json={"Expression": 'status = "canceled"', "Document": '{"status":"canceled"}'}
    )
    assert ok.status_code == 200 and ok.json() is True
    no = await sandbox_client.post(url, json={"Expression": "value > 100", "Document": '{"value": 50}'})
    assert no.json() is False
    assert (
        await sandbox_client.post(url, json={"Expression": "$map(x)", "Document": "{}"})
    ).status_code == 400
    assert (await sandbox_client.post(url, json={"Expression": "a = 1", "Document": "{"})).status_code == 400


# The Feed v3 guide's complete FromWorkflow example (developers.vtex.com, "Feed v3" > Configuration >
# Examples), written with straight quotes: the guide prints some statuses in typographic quotes, which
# no JSON parser accepts. It spells the retention property in lower camel case and carries the read-only
# quantity/age fields, as third-party clients copying it do.
GUIDE_FEED_CONFIG = {
    "filter": {
        "type": "FromWorkflow",
        "status": [
            "order-completed",
            "ready-for-handling",
            "start-handling",
            "handling",
            "waiting-ffmt-authorization",
            "cancel",
        ],
    },
    "queue": {"visibilityTimeoutInSeconds": 240, "messageRetentionPeriodInSeconds": 345600},
    "quantity": 1261,
    "aproximateAgeOfOldestMessageInSeconds": 1113.349305555555,
}


async def test_the_guides_feed_configuration_is_accepted(sandbox_client: httpx.AsyncClient) -> None:
    response = await sandbox_client.post(CONFIG, json=GUIDE_FEED_CONFIG)
    assert response.status_code == 200, response.text
    config = (await sandbox_client.get(CONFIG)).json()
    assert config["queue"] == {"visibilityTimeoutInSeconds": 240, "MessageRetentionPeriodInSeconds": 345600}
    assert config["filter"] == GUIDE_FEED_CONFIG["filter"]
    await place(sandbox_client)
    assert [e["state"] for e in await drain_feed(sandbox_client)] == ["ready-for-handling"]


async def test_property_names_are_bound_without_regard_to_case(sandbox_client: httpx.AsyncClient) -> None:
    body = {
        "Filter": {"TYPE": "FromWorkflow", "Status": ["ready-for-handling"]},
        "QUEUE": {"VisibilityTimeoutInSeconds": 60, "messageretentionperiodinseconds": 400_000},
    }
    assert (await sandbox_client.post(CONFIG, json=body)).status_code == 200
    config = (await sandbox_client.get(CONFIG)).json()
    assert config["queue"] == {"visibilityTimeoutInSeconds": 60, "MessageRetentionPeriodInSeconds": 400_000}
    assert config["filter"] == {"type": "FromWorkflow", "status": ["ready-for-handling"]}
    # The expected spelling wins over a differently cased duplicate.
    both = {"filter": {}, "queue": {**QUEUE, "messageRetentionPeriodInSeconds": 1}}
    assert (await sandbox_client.post(CONFIG, json=both)).status_code == 200
    assert (await sandbox_client.get(CONFIG)).json()["queue"] == QUEUE


@pytest.mark.parametrize("flt", [{"status": ["ready-for-handling"]}, None], ids=["no type", "no filter"])
async def test_a_filter_without_type_is_from_workflow(
    sandbox_client: httpx.AsyncClient, flt: dict[str, object] | None
) -> None:
    body = {"queue": QUEUE} if flt is None else {"filter": flt, "queue": QUEUE}
    assert (await sandbox_client.post(CONFIG, json=body)).status_code == 200
    stored = (await sandbox_client.get(CONFIG)).json()["filter"]
    assert stored["type"] == "FromWorkflow"
    await place(sandbox_client)
    states = [e["state"] for e in await drain_feed(sandbox_client)]
    assert states == (PLACEMENT if flt is None else ["ready-for-handling"])
    # An expression without a type is a FromOrders field on a FromWorkflow filter: 409, as the guide says.
    mixed = {"filter": {"expression": 'status = "invoiced"'}, "queue": QUEUE}
    assert (await sandbox_client.post(CONFIG, json=mixed)).status_code == 409
