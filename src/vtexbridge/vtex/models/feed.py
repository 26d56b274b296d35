"""Orders feed v3 and hook bodies (``VTEX - Orders API.json``, ``/api/orders/feed`` and
``/api/orders/hook``).

A filter is either ``FromWorkflow`` (order status changes, optionally only some ``status``) or
``FromOrders`` (any change matching a JSONata ``expression``). VTEX answers 409 to a mix of the two
(a workflow filter with an expression, an orders filter with statuses); here each filter is its own
model with only its own fields, so the mix cannot be written.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from vtexbridge.vtex.models.base import RequestModel, ResponseModel

FEED_MAX_LOT = 10
RETENTION_MIN_S = 345_600
RETENTION_MAX_S = 1_209_600


class WorkflowFilter(RequestModel):
    """Events on status changes; ``status`` limits them to those statuses (all when absent).

    VTEX does not validate status names: a typo silently never matches.
    """

    type: Literal["FromWorkflow"] = "FromWorkflow"
    status: list[str] | None = None


class OrdersFilter(RequestModel):
    """Events on any order change matching the JSONata ``expression``.

    ``disableSingleFire=False`` delivers an order once; ``True`` delivers it on every match.
    """

    type: Literal["FromOrders"] = "FromOrders"
    expression: str = Field(min_length=1)
    disableSingleFire: bool | None = None


FeedFilter = Annotated[WorkflowFilter | OrdersFilter, Field(discriminator="type")]


class FeedQueue(RequestModel):
    """How long a read event stays hidden, and how long unread events are kept (4 to 14 days)."""

    visibilityTimeoutInSeconds: int = Field(gt=0)
    MessageRetentionPeriodInSeconds: int = Field(ge=RETENTION_MIN_S, le=RETENTION_MAX_S)


class FeedConfigUpdate(RequestModel):
    """``POST /api/orders/feed/config``: one feed per app key."""

    filter: FeedFilter
    queue: FeedQueue


class HookEndpoint(RequestModel):
    """Where VTEX posts, and the headers it sends along (the only way to authenticate the hook)."""

    url: str = Field(pattern=r"^https?://")
    headers: dict[str, str] = Field(default_factory=dict)


class HookConfigUpdate(RequestModel):
    """``POST /api/orders/hook/config``. VTEX pings ``url`` with ``{"hookConfig": "ping"}`` first and
    refuses the configuration (400) unless it answers 200."""

    filter: FeedFilter
    hook: HookEndpoint


class FilterInfo(ResponseModel):
    type: str | None = None
    status: list[str] | None = None
    expression: str | None = None
    disableSingleFire: bool | None = None


class QueueInfo(ResponseModel):
    visibilityTimeoutInSeconds: int | None = None
    MessageRetentionPeriodInSeconds: int | None = None


class FeedConfig(ResponseModel):
    filter: FilterInfo | None = None
    queue: QueueInfo | None = None
    quantity: int | None = None
    approximateAgeOfOldestMessageInSeconds: float | None = None


class HookInfo(ResponseModel):
    url: str | None = None
    headers: dict[str, str] | None = None


class HookConfig(ResponseModel):
    filter: FilterInfo | None = None
    hook: HookInfo | None = None


class FeedEvent(ResponseModel):
    """One event of the feed: commit its ``handle`` once the order has been dealt with."""

    eventId: str
    handle: str
    domain: str | None = None
    state: str | None = None
    lastState: str | None = None
    orderId: str
    lastChange: str | None = None
    currentChange: str | None = None


class FeedCommit(RequestModel):
    handles: list[str] = Field(min_length=1)
