"""Orders feed v3 and hook (``VTEX - Orders API.json``): the durable queue of order events.

One feed and one hook per app key. Events read from the feed are hidden for the configured
visibility timeout and come back unless their handles are committed, so a consumer commits only
after the order has been handed over. The feed answers 404 while no feed is configured for the key.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter

from vtexbridge.errors import RecordRef
from vtexbridge.vtex.errors import NotFound
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.feed import (
    FEED_MAX_LOT,
    FeedCommit,
    FeedConfig,
    FeedConfigUpdate,
    FeedEvent,
    HookConfig,
    HookConfigUpdate,
)
from vtexbridge.vtex.transport import Transport

FEED = "/api/orders/feed"
FEED_CONFIG = "/api/orders/feed/config"
HOOK_CONFIG = "/api/orders/hook/config"

_EVENTS = TypeAdapter(list[FeedEvent])


class FeedAPI:
    """The orders feed and hook of one app key."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def get_feed_config(self, *, record: RecordRef | None = None) -> FeedConfig | None:
        """The feed configuration, or None when the app key has no feed."""
        try:
            r = await self._t.request(Api.ORDERS, "GET", FEED_CONFIG, record=record)
        except NotFound:
            return None
        return FeedConfig.model_validate(r.json())

    async def set_feed_config(self, config: FeedConfigUpdate, *, record: RecordRef | None = None) -> None:
        """Create or replace the feed configuration. Events already queued stay until committed."""
        await self._t.request(
            Api.ORDERS, "POST", FEED_CONFIG, json=config.body(), idempotent=True, record=record
        )

    async def delete_feed_config(self, *, record: RecordRef | None = None) -> None:
        await self._t.request(Api.ORDERS, "DELETE", FEED_CONFIG, record=record)

    async def get_feed_items(
        self, *, max_lot: int = FEED_MAX_LOT, record: RecordRef | None = None
    ) -> list[FeedEvent]:
        """Up to ``max_lot`` (1..10) events; possibly fewer, duplicated or out of order."""
        if not 1 <= max_lot <= FEED_MAX_LOT:
            raise ValueError(f"max_lot must be 1..{FEED_MAX_LOT}")
        r = await self._t.request(Api.ORDERS, "GET", FEED, params={"maxlot": max_lot}, record=record)
        return _EVENTS.validate_python(r.json())

    async def commit_feed_items(self, handles: Sequence[str], *, record: RecordRef | None = None) -> None:
        """Remove the events with these handles from the queue (every event, even an ignored one,
        must be committed)."""
        await self._t.request(
            Api.ORDERS,
            "POST",
            FEED,
            json=FeedCommit(handles=list(handles)).body(),
            idempotent=True,
            record=record,
        )

    async def get_hook_config(self, *, record: RecordRef | None = None) -> HookConfig | None:
        """The hook configuration, or None when the app key has no hook."""
        try:
            r = await self._t.request(Api.ORDERS, "GET", HOOK_CONFIG, record=record)
        except NotFound:
            return None
        return HookConfig.model_validate(r.json()) if r.content else None

    async def set_hook_config(self, config: HookConfigUpdate, *, record: RecordRef | None = None) -> None:
        """Create or replace the hook; VTEX pings the URL first and answers 400 if it does not reply 200."""
        await self._t.request(
            Api.ORDERS, "POST", HOOK_CONFIG, json=config.body(), idempotent=True, record=record
        )

    async def delete_hook_config(self, *, record: RecordRef | None = None) -> None:
        await self._t.request(Api.ORDERS, "DELETE", HOOK_CONFIG, record=record)
