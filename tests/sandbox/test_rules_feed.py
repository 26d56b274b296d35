"""Pure rules of the feed queue and of feed/hook configuration."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from vtexbridge.sandbox.rules.feed import (
    EventFilter,
    FeedOptions,
    FeedRuleError,
    commit,
    enqueue,
    parse_feed_config,
    parse_filter,
    parse_maxlot,
    queue_stats,
    receive,
)
from vtexbridge.sandbox.rules.hook import RetryPolicy, parse_hook_config

RETENTION = 345_600


def _ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"m{next(counter)}"


def _handles() -> Any:
    counter = itertools.count(1)
    return lambda: f"h{next(counter)}"


def _queue(n: int, now: float = 0.0, options: FeedOptions | None = None) -> dict[str, dict[str, Any]]:
    queue: dict[str, dict[str, Any]] = {}
    new_id = _ids()
    for i in range(n):
        enqueue(queue, {"eventId": f"e{i}", "state": "s"}, now=now + i, new_id=new_id, options=options)
    return queue


def _receive(
    queue: dict[str, dict[str, Any]], now: float, maxlot: int = 10, **kw: Any
) -> list[dict[str, Any]]:
    return receive(
        queue,
        now=now,
        maxlot=maxlot,
        visibility=30,
        retention=RETENTION,
        new_handle=kw.pop("handles", _handles()),
        **kw,
    )


def test_receive_hides_items_for_the_visibility_timeout() -> None:
    queue = _queue(3)
    handles = _handles()
    first = _receive(queue, 10, maxlot=2, handles=handles)
    assert [i["eventId"] for i in first] == ["e0", "e1"]
    assert [i["eventId"] for i in _receive(queue, 11, handles=handles)] == ["e2"]
    assert _receive(queue, 39, handles=handles) == []
    back = _receive(queue, 40, handles=handles)
    assert [i["eventId"] for i in back] == ["e0", "e1"]
    assert {i["handle"] for i in back}.isdisjoint({i["handle"] for i in first})


def test_commit_uses_the_latest_handle_only() -> None:
    queue = _queue(1)
    handles = _handles()
    [old] = _receive(queue, 0, handles=handles)
    [new] = _receive(queue, 31, handles=handles)
    assert commit(queue, [old["handle"], "unknown"]) == 0 and len(queue) == 1
    assert commit(queue, [new["handle"]]) == 1 and queue == {}


def test_retention_drops_old_messages() -> None:
    queue = _queue(2)
    assert [i["eventId"] for i in _receive(queue, RETENTION + 0.5)] == ["e1"]
    assert len(queue) == 1


def test_duplicates_and_shuffle_are_seeded() -> None:
    options = FeedOptions(duplicate_rate=1.0, rng=random.Random(1))
    queue = _queue(2, options=options)
    assert len(queue) == 4
    assert sorted(m["event"]["eventId"] for m in queue.values()) == ["e0", "e0", "e1", "e1"]
    plain = [i["eventId"] for i in _receive(_queue(10), 100)]
    shuffled = [
        i["eventId"]
        for i in _receive(_queue(10), 100, options=FeedOptions(shuffle=True, rng=random.Random(4)))
    ]
    assert plain == [f"e{i}" for i in range(10)] and sorted(shuffled) == sorted(plain) and shuffled != plain


def test_queue_stats() -> None:
    assert queue_stats({}, now=5) == (0, 0.0)
    assert queue_stats(_queue(3, now=10), now=20) == (3, 10.0)


@pytest.mark.parametrize(("raw", "value"), [(None, 1), ("", 1), ("1", 1), ("10", 10)])
def test_maxlot(raw: str | None, value: int) -> None:
    assert parse_maxlot(raw) == value


@pytest.mark.parametrize("raw", ["0", "11", "-1", "x"])
def test_bad_maxlot(raw: str) -> None:
    with pytest.raises(FeedRuleError) as e:
        parse_maxlot(raw)
    assert e.value.status == 400


def test_filters() -> None:
    workflow = parse_filter({"type": "FromWorkflow", "status": ["invoiced"]})
    assert workflow.wants("invoiced", "status", {}) and not workflow.wants("handling", "status", {})
    assert not workflow.wants("invoiced", "change", {})
    assert EventFilter().wants("anything", "status", {})
    orders = parse_filter({"type": "FromOrders", "expression": "value > 100"})
    assert (
        orders.single_fire
        and orders.wants("x", "change", {"value": 101})
        and not orders.wants("x", "status", {"value": 5})
    )
    assert orders.to_json() == {"type": "FromOrders", "expression": "value > 100", "disableSingleFire": False}
    assert not parse_filter({"type": "FromOrders", "disableSingleFire": True}).single_fire
    with pytest.raises(FeedRuleError) as e:
        parse_filter({"type": "FromOrders", "status": []})
    assert e.value.status == 409


def test_feed_config_validation() -> None:
    flt, queue = parse_feed_config(
        {
            "filter": {"type": "FromWorkflow"},
            "queue": {"visibilityTimeoutInSeconds": 1, "MessageRetentionPeriodInSeconds": 1_209_600},
        }
    )
    assert flt.type == "FromWorkflow" and queue["MessageRetentionPeriodInSeconds"] == 1_209_600
    with pytest.raises(FeedRuleError, match="visibilityTimeoutInSeconds"):
        parse_feed_config(
            {
                "filter": {"type": "FromWorkflow"},
                "queue": {"visibilityTimeoutInSeconds": 0, "MessageRetentionPeriodInSeconds": 345_600},
            }
        )


def test_hook_config_and_retry_policy() -> None:
    flt, url, headers = parse_hook_config(
        {"filter": {"type": "FromWorkflow"}, "hook": {"url": "https://x.example/h", "headers": {"a": "b"}}}
    )
    assert (flt.type, url, headers) == ("FromWorkflow", "https://x.example/h", {"a": "b"})
    with pytest.raises(FeedRuleError, match="headers"):
        parse_hook_config(
            {"filter": {"type": "FromWorkflow"}, "hook": {"url": "https://x.example", "headers": {"a": 1}}}
        )
    policy = RetryPolicy(base_delay=1, factor=2, max_attempts=5, max_delay=5)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, None]
    assert RetryPolicy.from_json({"maxAttempts": 2}, policy).max_attempts == 2
    with pytest.raises(FeedRuleError):
        RetryPolicy.from_json({"timeoutSeconds": 0})
