"""What the external seller tells the VTEX marketplace: changes, new SKUs, invoices and tracking.

- :func:`notify_changes` — the hook the sync engine calls after it detected price or stock changes
  (and only then): one ``POST /api/notificator/{sellerId}/changenotification/{skuId}/price`` (or
  ``/inventory``) per changed SKU; the marketplace answers 202 and then asks our simulation.
- :func:`offer_new_skus` — for SKUs the marketplace may not know: the catalog change notification
  first (200/204: it sells the SKU and will fetch it), a SKU suggestion on 404.
- :class:`MarketplaceServices` — invoice, tracking, tracking events and the seller's cancellation,
  posted to the ``marketplaceServicesEndpoint`` the marketplace sent with the order. That endpoint
  is any URL (VTEX sends e.g. ``http://oms.vtexinternal.com.br/api/oms?an=store``): the protocol
  path is appended to its path and its query string is kept.

All calls carry the seller's VTEX credentials (``vtex.app_key``/``app_token``), and only to a host
that ``vtex.credential_hosts`` allows, over https (loopback excepted). They go through the one
transport: network failures, 429 and 5xx are retried a few times with its backoff (an invoice posted
twice is the same invoice to VTEX: it only regenerates the receipt).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.errors import Category
from vtexbridge.marketplace.errors import ProtocolError
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import CredentialsWithheld, VtexError
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.models.marketplace import SkuSuggestion
from vtexbridge.vtex.retry import RetryPolicy
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call, Transport

__all__ = [
    "INVOICE",
    "ORDER_CANCEL",
    "TRACKING",
    "TRACKING_EVENTS",
    "MarketplaceServices",
    "NotifyReport",
    "ServicesEndpointRefused",
    "SkuOffer",
    "notify_changes",
    "offer_new_skus",
    "services_url",
]

INVOICE = "/pvt/orders/{marketplaceOrderId}/invoice"
TRACKING = "/pvt/orders/{marketplaceOrderId}/invoice/{invoiceNumber}"
TRACKING_EVENTS = "/pvt/orders/{marketplaceOrderId}/invoice/{invoiceNumber}/tracking"
ORDER_CANCEL = "/pvt/orders/{marketplaceOrderId}/cancel"


@dataclass(slots=True)
class NotifyReport:
    """What a notification round did: SKUs notified per kind, and the failures (SKU, kind, error)."""

    price: list[str] = field(default_factory=list)
    inventory: list[str] = field(default_factory=list)
    suggested: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    causes: dict[tuple[str, str], VtexError] = field(default_factory=dict, repr=False)
    """VTEX's refusal behind a failure, by (SKU, kind), when there was one (status, code, message)."""

    def fail(self, sku_id: str, kind: str, error: VtexError | str) -> None:
        if isinstance(error, VtexError):
            self.failed.append((sku_id, kind, error.user_message))
            self.causes[(sku_id, kind)] = error
        else:
            self.failed.append((sku_id, kind, error))

    @property
    def ok(self) -> bool:
        return not self.failed


async def _bounded(jobs: Sequence[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(run(j) for j in jobs))


async def notify_changes(
    client: VtexClient,
    seller_id: str,
    sku_ids_price_changed: Iterable[str],
    sku_ids_stock_changed: Iterable[str],
    *,
    concurrency: int = 8,
) -> NotifyReport:
    """Notify the marketplace of the SKUs whose price or stock changed (seller SKU ids).

    One notification per SKU and kind, whatever the number of changes it had; a SKU in both lists
    gets both. Failures are reported per SKU, never raised, so one refused SKU does not stop the
    others (the caller keeps them for the next round).
    """
    report = NotifyReport()
    price_ids = list(dict.fromkeys(str(s) for s in sku_ids_price_changed))
    stock_ids = list(dict.fromkeys(str(s) for s in sku_ids_stock_changed))

    def job(kind: str, sku_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                if kind == "price":
                    await client.marketplace.notify_price_change(seller_id, sku_id)
                    report.price.append(sku_id)
                else:
                    await client.marketplace.notify_inventory_change(seller_id, sku_id)
                    report.inventory.append(sku_id)
            except VtexError as e:
                report.fail(sku_id, kind, e)

        return run

    jobs = [job("price", s) for s in price_ids] + [job("inventory", s) for s in stock_ids]
    await _bounded(jobs, concurrency)
    return report


@dataclass(frozen=True, slots=True)
class SkuOffer:
    """A seller SKU to offer to the marketplace, with the suggestion to send if it is unknown there.

    ``suggestion`` None: none can be built from the snapshot (``reason`` says why); the catalog
    notification is still sent, and a 404 is then a failure naming the reason.
    """

    seller_sku_id: str
    suggestion: SkuSuggestion | None
    reason: str | None = None


async def offer_new_skus(
    client: VtexClient, seller_id: str, offers: Iterable[SkuOffer], *, concurrency: int = 4
) -> NotifyReport:
    """Catalog change notification per SKU; a SKU suggestion for each one the marketplace answers 404."""
    report = NotifyReport()

    def job(offer: SkuOffer) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                known = await client.skus.notify_seller_sku_change(seller_id, offer.seller_sku_id)
                if known:
                    report.known.append(offer.seller_sku_id)
                    return
                if offer.suggestion is None:
                    why = offer.reason or "no suggestion could be built"
                    report.fail(
                        offer.seller_sku_id,
                        "suggestion",
                        f"the marketplace does not know SKU {offer.seller_sku_id} and no suggestion "
                        f"can be sent: {why}",
                    )
                    return
                await client.marketplace.save_sku_suggestion(seller_id, offer.seller_sku_id, offer.suggestion)
                report.suggested.append(offer.seller_sku_id)
            except VtexError as e:
                report.fail(offer.seller_sku_id, "suggestion", e)

        return run

    await _bounded([job(o) for o in offers], concurrency)
    return report


def services_url(endpoint: str, route: str, path: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """(URL, query) of a protocol route under a ``marketplaceServicesEndpoint``.

    >>> services_url("http://oms.example/api/oms?an=store", INVOICE, {"marketplaceOrderId": "1-01"})
    ('http://oms.example/api/oms/pvt/orders/1-01/invoice', {'an': 'store'})
    """
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"marketplaceServicesEndpoint {endpoint!r} is not an http(s) URL")
    rendered = route
    for name, value in path.items():
        rendered = rendered.replace("{" + name + "}", quote(str(value), safe=""))
    url = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + rendered, "", ""))
    return url, dict(parse_qsl(parts.query))


class ServicesEndpointRefused(ProtocolError):
    """The order's services endpoint is not a URL our VTEX credentials may go to: nothing was sent."""

    category: ClassVar[Category] = "config"
    status: ClassVar[int] = 403
    code: ClassVar[str] = "MKP403"


class MarketplaceServices:
    """Posts to a marketplace's services endpoint with the seller's VTEX credentials, through the
    one :class:`~vtexbridge.vtex.transport.Transport` (its retries, breaker and metrics, as target
    ``marketplace-services``).

    The credentials go only to an endpoint whose host ``vtex.credential_hosts`` allows, over https
    (loopback, the local sandbox, over http too); any other endpoint is refused with
    :class:`ServicesEndpointRefused` and nothing is sent.

    Args:
        settings: the seller's VTEX settings (credentials, allowed hosts, timeouts, retry figures).
        http_transport: replaces the network (a mock, or an ASGI app in process).
        clock: time and sleeping for the backoff.
        attempts: tries per call (network errors, 429, 5xx).
        metrics: where the calls are counted (``/metrics``); the VTEX client's, so that one process
            has one set.
    """

    target = "marketplace-services"

    def __init__(
        self,
        settings: VtexSettings,
        *,
        http_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        attempts: int = 4,
        metrics: TransportMetrics | None = None,
    ) -> None:
        clock = clock or SystemClock()
        policy = RetryPolicy.from_settings(settings, clock, attempts=attempts)
        self._transport = Transport(
            settings, http_transport=http_transport, clock=clock, metrics=metrics, retry_policy=policy
        )

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def post(self, endpoint: str, route: str, path: Mapping[str, str], body: Any) -> dict[str, Any]:
        """POST ``body`` to ``route`` under ``endpoint``; the decoded answer (``{}`` when empty).

        Every call is idempotent for the marketplace (an invoice posted twice is the same invoice, a
        second cancellation changes nothing), so network errors, 429 and 5xx are retried.

        Raises:
            ServicesEndpointRefused: our credentials may not go to ``endpoint`` (nothing was sent).
            VtexError: the marketplace refused the call (4xx) or kept failing.
            ValueError: ``endpoint`` is not an http(s) URL.
        """
        services_url(endpoint, route, path)  # the endpoint's own check, with its message
        parts = urlsplit(endpoint)
        base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        call = Call(
            Api.EXTERNAL,
            "POST",
            route,
            path,
            params=dict(parse_qsl(parts.query)) or None,
            json=body,
            idempotent=True,
            base_url=base,
            target=self.target,
        )
        try:
            response = await self._transport.send(call)
        except CredentialsWithheld as e:
            raise ServicesEndpointRefused(
                f"the marketplace services endpoint of this order was refused: {e.message}; allow its host "
                "in vtex.credential_hosts if it is the marketplace's"
            ) from None
        data = response.json() if response.content else {}
        return data if isinstance(data, dict) else {"data": data}

    async def send_invoice(
        self, endpoint: str, marketplace_order_id: str, invoice: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``POST .../pvt/orders/{marketplaceOrderId}/invoice`` (type, invoiceNumber, items ... in cents)."""
        return await self.post(endpoint, INVOICE, {"marketplaceOrderId": marketplace_order_id}, dict(invoice))

    async def send_tracking(
        self, endpoint: str, marketplace_order_id: str, invoice_number: str, tracking: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``POST .../invoice/{invoiceNumber}``: courier, trackingNumber, trackingUrl, dispatchedDate."""
        path = {"marketplaceOrderId": marketplace_order_id, "invoiceNumber": invoice_number}
        return await self.post(endpoint, TRACKING, path, dict(tracking))

    async def send_tracking_events(
        self, endpoint: str, marketplace_order_id: str, invoice_number: str, events: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``POST .../invoice/{invoiceNumber}/tracking``: isDelivered and the carrier's events."""
        path = {"marketplaceOrderId": marketplace_order_id, "invoiceNumber": invoice_number}
        return await self.post(endpoint, TRACKING_EVENTS, path, dict(events))

    async def cancel_order(self, endpoint: str, marketplace_order_id: str, reason: str) -> dict[str, Any]:
        """``POST .../pvt/orders/{marketplaceOrderId}/cancel``: the seller cancels (before invoicing)."""
        return await self.post(
            endpoint, ORDER_CANCEL, {"marketplaceOrderId": marketplace_order_id}, {"reason": reason}
        )
