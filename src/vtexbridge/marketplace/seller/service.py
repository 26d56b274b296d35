"""The external seller's endpoints as plain async methods: auth, simulation, placement, dispatch, cancel.

:class:`SellerProtocol` is what the thin route module (``web/routes/seller_protocol.py``) calls and
what tests drive directly. It owns the in-memory offer index and refreshes it from the ERP snapshot
(:meth:`refresh`, :meth:`run_refresh`), so the simulation never waits for I/O.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.erp.readers import Reader
from vtexbridge.marketplace.auth import vtex_credentials_match
from vtexbridge.marketplace.errors import BadProtocolRequest, NotAuthorized
from vtexbridge.marketplace.seller.catalog import build_offers
from vtexbridge.marketplace.seller.orders import SCOPE, SellerOrders
from vtexbridge.marketplace.seller.outbound import NotifyReport, notify_changes, offer_new_skus
from vtexbridge.marketplace.seller.simulation import (
    Offer,
    OfferIndex,
    SimulationError,
    SimulationOptions,
    diff_offers,
    load_offers,
    simulate,
    snapshot_time,
    snapshot_version,
)
from vtexbridge.marketplace.settings import SellerSettings
from vtexbridge.vtex.client import VtexClient

__all__ = ["SellerProtocol", "index_key"]

_log = logging.getLogger(__name__)


def index_key(account: str, seller_id: str) -> str:
    """State ``kv`` key (scope ``marketplace.seller``) of the snapshot ``serve`` answers from."""
    return f"{account}:index:{seller_id}"


class SellerProtocol:
    """The fulfillment endpoint of one external seller.

    Args:
        settings: the ``[marketplace.seller]`` section.
        orders: placement, dispatch and cancellation over the ERP sink and the state store.
        index: the offers the simulation answers from (shared with ``orders``).
        reader: opens the ERP reader the offers are loaded from (``None``: the index is fed by the caller).
        clock: time.
        client: the marketplace's VTEX client (``notify_on_refresh`` notifies through it).
    """

    def __init__(
        self,
        settings: SellerSettings,
        orders: SellerOrders,
        index: OfferIndex,
        *,
        reader: Callable[[], Reader] | None = None,
        clock: Clock | None = None,
        client: VtexClient | None = None,
    ) -> None:
        self.settings = settings
        self.orders = orders
        self.index = index
        self.clock: Clock = clock or SystemClock()
        self.options = SimulationOptions.from_settings(settings)
        self._reader = reader
        self._client = client
        self._loading: asyncio.Lock | None = None
        self.last_report: NotifyReport | None = None

    def authorize(self, headers: Mapping[str, str]) -> None:
        """Raise :class:`NotAuthorized` unless VTEX's configured app key and token are presented."""
        if self.settings.app_key is None:
            raise NotAuthorized(
                "the fulfillment endpoint is closed: marketplace.seller.app_key/app_token are not set"
            )
        if not vtex_credentials_match(headers, self.settings.app_key, self.settings.app_token):
            raise NotAuthorized(
                "missing or wrong VTEX credentials (X-VTEX-API-AppKey/AppToken or Authorization)"
            )

    def simulate(self, body: Any) -> dict[str, Any]:
        """``POST /pvt/orderForms/simulation`` (pure and synchronous: answered from memory)."""
        if not isinstance(body, Mapping):
            raise BadProtocolRequest("the simulation body must be a JSON object")
        try:
            return simulate(body, self.index, self.options, self.clock.now())
        except SimulationError as e:
            raise BadProtocolRequest(str(e)) from None

    async def place_order(self, body: Any) -> dict[str, Any]:
        """``POST /pvt/orders``."""
        if not isinstance(body, Mapping):
            raise BadProtocolRequest("the order must be a JSON object")
        return await self.orders.place(body)

    async def authorize_fulfillment(self, order_id: str, body: Any) -> dict[str, Any]:
        """``POST /pvt/orders/{sellerOrderId}/fulfill``."""
        return await self.orders.authorize_fulfillment(order_id, body if isinstance(body, Mapping) else {})

    async def cancel(self, order_id: str, body: Any) -> dict[str, Any] | None:
        """``POST /pvt/orders/{orderId}/cancel``: the receipt, or None (answered with an empty body)."""
        return await self.orders.cancel(order_id, body if isinstance(body, Mapping) else {})

    async def refresh(self) -> int:
        """Reload prices and stock from the ERP snapshot (in a thread); returns the number of offers.

        With ``notify_on_refresh`` (and a client), the SKUs whose price or stock differ from the
        previous snapshot are notified to the marketplace (not on the first load).
        """
        if self._reader is None:
            return len(self.index)
        if self._loading is None:
            self._loading = asyncio.Lock()
        async with self._loading:
            opener = self._reader
            read_at = self.clock.now().timestamp()

            def load() -> tuple[list[Offer], float, float]:
                reader = opener()
                offers = load_offers(reader, trade_policy=self.settings.trade_policy)
                return offers, snapshot_time(reader, read_at), snapshot_version(reader, read_at)

            offers, taken_at, version = await asyncio.to_thread(load)
            previous = self.index.offers if self.index.loaded_at is not None else None
            released = self.index.replace(
                offers,
                at=self.clock.now().timestamp(),
                snapshot_at=taken_at,
                grace_s=self.settings.reservation_grace_s,
            )
        await self._publish(version)
        _log.info(
            "marketplace seller: %d offers loaded from the ERP snapshot (%d order reservation(s) "
            "released, %d kept)",
            len(offers),
            len(released),
            len(self.index.reservations),
        )
        if previous is not None and self.settings.notify_on_refresh and self._client is not None:
            await self._tell_marketplace(previous, offers, opener)
        return len(offers)

    async def _publish(self, version: float) -> None:
        """Say in the state store which snapshot the simulation answers from (the seller sync waits
        for it before notifying a change, so the marketplace never re-simulates a stale index)."""
        record = {"version": version, "loadedAt": self.clock.now().timestamp()}
        key = index_key(self.orders.account, self.settings.seller_id)
        try:
            await asyncio.to_thread(self.orders.state.values.put, SCOPE, key, record)
        except Exception as e:  # serving goes on; the sync then waits its bounded time
            _log.warning("marketplace seller: the loaded snapshot could not be recorded: %s", e)

    async def _tell_marketplace(
        self, previous: Mapping[str, Any], offers: list[Any], opener: Callable[[], Reader]
    ) -> None:
        """Notify price/stock changes; offer SKUs new in the snapshot (catalog notification, then a
        suggestion when the marketplace does not know them)."""
        assert self._client is not None
        price, stock = diff_offers(previous, offers)
        new = {o.sku_id for o in offers} - set(previous)
        price = [s for s in price if s not in new]
        stock = [s for s in stock if s not in new]
        report = NotifyReport()
        if price or stock:
            report = await notify_changes(self._client, self.settings.seller_id, price, stock)
        if new:
            built, skipped = await asyncio.to_thread(
                build_offers, opener(), self.settings, self.index, only=new
            )
            offered = await offer_new_skus(self._client, self.settings.seller_id, built)
            report.known, report.suggested = offered.known, offered.suggested
            report.failed += offered.failed + [(s.sku_key, "suggestion", s.reason) for s in skipped]
        for sku, kind, message in report.failed:
            _log.warning("marketplace seller: %s of %s failed: %s", kind, sku, message)
        self.last_report = report

    async def run_refresh(self, stop: asyncio.Event) -> None:
        """Refresh every ``index_refresh_s`` until ``stop`` is set (errors are logged, not raised)."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.settings.index_refresh_s)
                return
            except TimeoutError:
                pass
            try:
                await self.refresh()
            except Exception as e:  # keep serving the last snapshot
                _log.error("marketplace seller: the offers could not be reloaded: %s", e)
