"""Orders feed v3: configuration rules, event filters and the queue (an SQS standard queue, as VTEX's is).

Configuration (``POST /api/orders/feed/config``; the same filter rules apply to the hook):

- ``filter.type`` is ``FromWorkflow`` (the default, also when ``filter`` is absent: status changes,
  optionally only the ``status[]`` listed; the list is not validated, as VTEX does not validate it
  either) or ``FromOrders`` (every change of an order whose document matches the JSONata
  ``expression``, see :mod:`.jsonata`); mixing
  ``FromWorkflow`` with ``expression``/``disableSingleFire`` or ``FromOrders`` with ``status`` is 409;
- ``FromOrders`` with ``disableSingleFire`` false (the default) reports an order only the first time
  it matches;
- ``queue.visibilityTimeoutInSeconds`` (1..43200, SQS's range) and
  ``queue.MessageRetentionPeriodInSeconds`` (345600..1209600) are required integers (400); property
  names are bound without regard to case by the routes (:mod:`.binding`), so the guide's
  ``messageRetentionPeriodInSeconds`` is the same property.

Queue (one per app key; messages are documents of a ``MutableMapping`` so the store can persist them):

- ``receive`` returns at most ``maxlot`` (1..10) visible messages, each with a fresh ``handle``, and
  hides them for the visibility timeout; uncommitted messages come back after it;
- ``commit`` deletes the messages whose *current* handle is given; a handle from an earlier delivery
  of a message that was delivered again since is stale and ignored (SQS semantics);
- messages older than the retention period are dropped, committed or not;
- no ordering guarantee: with ``shuffle`` the visible messages are returned in random order; with a
  duplicate rate an event is enqueued twice (two copies with the same ``eventId`` and independent
  handles), as SQS's at-least-once delivery does.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules.jsonata import Expression, JsonataError, compile_expression

__all__ = [
    "FILTER_TYPES",
    "MAX_LOT",
    "MAX_RETENTION",
    "MAX_VISIBILITY",
    "MIN_RETENTION",
    "EventFilter",
    "FeedOptions",
    "FeedRuleError",
    "commit",
    "enqueue",
    "parse_feed_config",
    "parse_filter",
    "parse_maxlot",
    "purge_expired",
    "queue_stats",
    "receive",
]

FILTER_TYPES = ("FromWorkflow", "FromOrders")
MIN_RETENTION = 345_600
MAX_RETENTION = 1_209_600
MAX_VISIBILITY = 43_200
MAX_LOT = 10

Message = dict[str, Any]


class FeedRuleError(RuleError):
    """A configuration or request VTEX refuses, with the HTTP status it answers."""


@dataclass(frozen=True, slots=True)
class EventFilter:
    """A feed's or hook's ``filter``."""

    type: str = "FromWorkflow"
    status: tuple[str, ...] = ()
    expression: Expression | None = None
    disable_single_fire: bool = False

    def to_json(self) -> dict[str, Any]:
        if self.type == "FromWorkflow":
            return {"type": self.type, "status": list(self.status)}
        return {
            "type": self.type,
            "expression": self.expression.source if self.expression else "",
            "disableSingleFire": self.disable_single_fire,
        }

    def wants(self, state: str, kind: str, order: Mapping[str, Any]) -> bool:
        """Whether an event (``state``, ``kind``) of ``order`` passes; single-fire is the caller's job."""
        if self.type == "FromWorkflow":
            return kind == "status" and (not self.status or state in self.status)
        return self.expression is None or self.expression.matches(order)

    @property
    def single_fire(self) -> bool:
        """``FromOrders`` without ``disableSingleFire``: an order is reported once per feed."""
        return self.type == "FromOrders" and not self.disable_single_fire


def parse_filter(raw: Any) -> EventFilter:
    """Validate a ``filter`` object (400 malformed, 409 mixed types)."""
    if raw is None:
        return EventFilter("FromWorkflow")  # no filter: every status change (the Feed v3 guide)
    if not isinstance(raw, dict):
        raise FeedRuleError(400, "filter must be an object: {type: FromWorkflow|FromOrders, ...}")
    kind = raw.get("type")
    if kind is None:
        kind = "FromWorkflow"  # the guide: without a type, FromWorkflow is used
    if kind not in FILTER_TYPES:
        raise FeedRuleError(400, f"filter.type must be FromWorkflow or FromOrders, got {kind!r}")
    if kind == "FromWorkflow":
        if raw.get("expression") is not None or raw.get("disableSingleFire") is not None:
            raise FeedRuleError(
                409, "filter type FromWorkflow does not accept expression or disableSingleFire"
            )
        status = raw.get("status") or []
        if not isinstance(status, list) or not all(isinstance(s, str) for s in status):
            raise FeedRuleError(400, "filter.status must be a list of order statuses")
        return EventFilter("FromWorkflow", status=tuple(status))
    if raw.get("status") is not None:
        raise FeedRuleError(409, "filter type FromOrders does not accept status; use an expression")
    expression = raw.get("expression")
    single = raw.get("disableSingleFire", False)
    if not isinstance(single, bool):
        raise FeedRuleError(400, "filter.disableSingleFire must be a boolean")
    if expression is None or expression == "":
        return EventFilter("FromOrders", disable_single_fire=single)
    try:
        compiled = compile_expression(expression)
    except JsonataError as e:
        raise FeedRuleError(400, f"filter.expression is not supported by the sandbox: {e}") from None
    return EventFilter("FromOrders", expression=compiled, disable_single_fire=single)


def _positive_int(raw: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise FeedRuleError(400, f"queue.{name} is required (an integer number of seconds)")
    if not low <= value <= high:
        raise FeedRuleError(400, f"queue.{name} must be between {low} and {high}, got {value}")
    return value


def parse_feed_config(body: Any) -> tuple[EventFilter, dict[str, int]]:
    """Validate ``POST /api/orders/feed/config``: the filter and the ``queue`` settings."""
    if not isinstance(body, dict):
        raise FeedRuleError(400, "The feed configuration must be a JSON object")
    event_filter = parse_filter(body.get("filter"))
    queue = body.get("queue")
    if not isinstance(queue, dict):
        raise FeedRuleError(
            400, "queue is required: {visibilityTimeoutInSeconds, MessageRetentionPeriodInSeconds}"
        )
    return event_filter, {
        "visibilityTimeoutInSeconds": _positive_int(queue, "visibilityTimeoutInSeconds", 1, MAX_VISIBILITY),
        "MessageRetentionPeriodInSeconds": _positive_int(
            queue, "MessageRetentionPeriodInSeconds", MIN_RETENTION, MAX_RETENTION
        ),
    }


def parse_maxlot(raw: str | None) -> int:
    """``maxlot``: 1..10 (VTEX's maximum); absent means 1, as an SQS receive without a count."""
    if raw is None or raw == "":
        return 1
    if not raw.strip().isdigit() or int(raw) < 1:
        raise FeedRuleError(400, f"maxlot must be a positive integer, got {raw!r}")
    value = int(raw)
    if value > MAX_LOT:
        raise FeedRuleError(400, f"maxlot must be at most {MAX_LOT}, got {value}")
    return value


@dataclass(slots=True)
class FeedOptions:
    """Injected imperfections (``POST /_sandbox/feed/options``): duplicates and shuffled lots."""

    duplicate_rate: float = 0.0
    shuffle: bool = False
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random)

    def to_json(self) -> dict[str, Any]:
        return {"duplicateRate": self.duplicate_rate, "shuffle": self.shuffle, "seed": self.seed}


def enqueue(
    messages: MutableMapping[str, Message],
    event: dict[str, Any],
    *,
    now: float,
    new_id: Callable[[], str],
    options: FeedOptions | None = None,
) -> int:
    """Add ``event`` (``eventId``, ``domain``, ``state`` ...); returns the number of copies enqueued."""
    copies = (
        2
        if options is not None
        and options.duplicate_rate > 0
        and options.rng.random() < options.duplicate_rate
        else 1
    )
    for _ in range(copies):
        message_id = new_id()
        messages[message_id] = {
            "id": message_id,
            "event": event,
            "enqueuedAt": now,
            "visibleAt": now,
            "handle": None,
            "receiveCount": 0,
        }
    return copies


def purge_expired(messages: MutableMapping[str, Message], *, now: float, retention: int) -> int:
    """Drop messages older than the retention period; returns how many."""
    expired = [key for key, m in messages.items() if now - float(m["enqueuedAt"]) >= retention]
    for key in expired:
        del messages[key]
    return len(expired)


def receive(
    messages: MutableMapping[str, Message],
    *,
    now: float,
    maxlot: int,
    visibility: int,
    retention: int,
    new_handle: Callable[[], str],
    options: FeedOptions | None = None,
) -> list[dict[str, Any]]:
    """Up to ``maxlot`` visible feed items (``{eventId, handle, ...}``), hidden for ``visibility`` s."""
    purge_expired(messages, now=now, retention=retention)
    visible = [m for m in messages.values() if float(m["visibleAt"]) <= now]
    if options is not None and options.shuffle:
        options.rng.shuffle(visible)
    else:
        visible.sort(key=lambda m: float(m["enqueuedAt"]))
    items = []
    for message in visible[:maxlot]:
        handle = new_handle()
        updated = {
            **message,
            "handle": handle,
            "visibleAt": now + visibility,
            "receiveCount": int(message["receiveCount"]) + 1,
        }
        messages[message["id"]] = updated
        items.append({**message["event"], "handle": handle})
    return items


def commit(messages: MutableMapping[str, Message], handles: list[str]) -> int:
    """Delete the messages whose current handle is in ``handles``; stale or unknown handles are ignored."""
    wanted = set(handles)
    done = [key for key, m in messages.items() if m.get("handle") in wanted]
    for key in done:
        del messages[key]
    return len(done)


def queue_stats(messages: Mapping[str, Message], *, now: float) -> tuple[int, float]:
    """(number of messages, age in seconds of the oldest one) for the config's ``quantity`` fields."""
    if not messages:
        return 0, 0.0
    oldest = min(float(m["enqueuedAt"]) for m in messages.values())
    return len(messages), max(0.0, now - oldest)
