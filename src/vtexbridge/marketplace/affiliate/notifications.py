"""VTEX's affiliate notifications, and keeping the marketplace-side catalog current with them.

VTEX posts one notification per changed SKU to the affiliate's endpoint
(``https://{affiliateEndpoint}/api/notification/``): ``IdSku``, ``ProductId``, ``An`` (the seller's
account), ``IdAffiliate``, ``DateModified``, ``IsActive``, ``StockModified``, ``PriceModified``,
``HasStockKeepingUnitModified``, ``HasStockKeepingUnitRemovedFromAffiliate`` — the guides spell the keys
in several casings (``idSKU``, ``an``, ``idAffiliate`` ...), so keys are read case-insensitively.

The endpoint answers at once; the SKU is marked pending (merged with any earlier pending change of
the same SKU) and :class:`CatalogFollower` fetches it afterwards from the seller: catalog data
(``GET /api/catalog/pvt/stockkeepingunit/{skuId}`` and its product) when the SKU itself changed or is
new to us, price and availability through the seller's fulfillment simulation (``affiliateId`` and
``sc``), and writes one entry to the :class:`~.catalog_sink.CatalogSink`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from vtexbridge.marketplace.affiliate.catalog_sink import CatalogSink
from vtexbridge.marketplace.errors import BadProtocolRequest
from vtexbridge.marketplace.settings import AffiliateSettings
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import NotFound, VtexError
from vtexbridge.vtex.models.marketplace import FulfillmentSimulation, SimulationItem

__all__ = ["CatalogFollower", "FollowReport", "SkuChange", "parse_notification"]

SCOPE = "marketplace.affiliate"
MAX_SKU_ID_DIGITS = 18
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SkuChange:
    """What one notification says about one SKU (flags merge with ``|``)."""

    sku_id: str
    product_id: str | None = None
    account: str | None = None
    affiliate_id: str | None = None
    modified_at: str | None = None
    is_active: bool = True
    price: bool = True
    stock: bool = True
    sku: bool = True
    removed: bool = False

    def __or__(self, other: SkuChange) -> SkuChange:
        return SkuChange(
            sku_id=self.sku_id,
            product_id=other.product_id or self.product_id,
            account=other.account or self.account,
            affiliate_id=other.affiliate_id or self.affiliate_id,
            modified_at=other.modified_at or self.modified_at,
            is_active=other.is_active,
            price=self.price or other.price,
            stock=self.stock or other.stock,
            sku=self.sku or other.sku,
            removed=other.removed,
        )


def _flag(fields: Mapping[str, Any], name: str, default: bool) -> bool:
    value = fields.get(name.lower())
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _text(fields: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = fields.get(name.lower())
        if value not in (None, ""):
            return str(value)
    return None


def sku_id_problem(sku_id: Any) -> str | None:
    """Why ``sku_id`` is not a VTEX SKU id (a positive integer of at most 18 digits), or None."""
    text = str(sku_id).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_SKU_ID_DIGITS or int(text) == 0:
        shown = text if len(text) <= 40 else f"{text[:37]}..."
        return (
            f"must be a VTEX SKU id (a positive integer of at most {MAX_SKU_ID_DIGITS} digits), got {shown!r}"
        )
    return None


def parse_notification(body: Any) -> SkuChange:
    """The change a notification announces.

    Raises:
        BadProtocolRequest: not an object, or no valid SKU id.
    """
    if not isinstance(body, Mapping):
        raise BadProtocolRequest("the notification must be a JSON object")
    fields = {str(k).lower(): v for k, v in body.items()}
    sku_id = _text(fields, "IdSku", "SkuId")
    if sku_id is None:
        raise BadProtocolRequest("IdSku is required")
    if (problem := sku_id_problem(sku_id)) is not None:
        raise BadProtocolRequest(f"IdSku {problem}")
    sku_id = str(int(sku_id.strip()))  # one spelling per SKU ("017" is SKU 17)
    any_flag = any(
        k in fields
        for k in (
            "stockmodified",
            "pricemodified",
            "hasstockkeepingunitmodified",
            "hasstockkeepingunitremovedfromaffiliate",
        )
    )
    return SkuChange(
        sku_id=sku_id,
        product_id=_text(fields, "ProductId"),
        account=_text(fields, "An"),
        affiliate_id=_text(fields, "IdAffiliate"),
        modified_at=_text(fields, "DateModified"),
        is_active=_flag(fields, "IsActive", True),
        # without any flag (a bare notification), fetch everything
        price=_flag(fields, "PriceModified", not any_flag),
        stock=_flag(fields, "StockModified", not any_flag),
        sku=_flag(fields, "HasStockKeepingUnitModified", not any_flag),
        removed=_flag(fields, "HasStockKeepingUnitRemovedFromAffiliate", False),
    )


@dataclass(slots=True)
class FollowReport:
    fetched: int = 0
    written: int = 0
    removed: int = 0
    failed: int = 0  # could not be fetched now: still pending
    refused: int = 0  # invalid (a non-numeric SKU id ...): dropped from the pending set, logged


class CatalogFollower:
    """Pending SKU changes (kept in the state store) and their fetch from the VTEX seller.

    Args:
        settings: the ``[marketplace.affiliate]`` section.
        account: the seller's account (state keys).
        client: the VTEX client of the seller's account.
        state: keeps the pending changes until fetched (a restart loses nothing).
        sink: the marketplace-side catalog.
    """

    def __init__(
        self,
        settings: AffiliateSettings,
        account: str,
        client: VtexClient,
        state: StateStore,
        sink: CatalogSink,
    ) -> None:
        self.settings = settings
        self.account = account
        self.client = client
        self.state = state
        self.sink = sink
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    @property
    def _key(self) -> str:
        return f"{self.account}:pending"

    async def _pending(self) -> dict[str, dict[str, Any]]:
        value = await asyncio.to_thread(self.state.values.get, SCOPE, self._key, {})
        return dict(value) if isinstance(value, Mapping) else {}

    async def receive(self, change: SkuChange) -> None:
        """Mark the SKU pending (merged with an earlier pending change); durable before returning."""
        async with self._lock:
            pending = await self._pending()
            earlier = pending.get(change.sku_id)
            merged = SkuChange(**earlier) | change if earlier else change
            pending[change.sku_id] = asdict(merged)
            await asyncio.to_thread(self.state.values.put, SCOPE, self._key, pending)
        self._wake.set()

    async def receive_all(self, sku_ids: Iterable[str]) -> None:
        """Mark SKUs pending for a full fetch (the initial load of the marketplace-side catalog)."""
        async with self._lock:
            pending = await self._pending()
            for sku_id in sku_ids:
                pending[str(sku_id)] = asdict(SkuChange(sku_id=str(sku_id)))
            await asyncio.to_thread(self.state.values.put, SCOPE, self._key, pending)
        self._wake.set()

    async def full_sync(self) -> int:
        """Every SKU id of the seller (catalog listing), fetched and written; returns how many."""
        ids: list[str] = []
        async for page in self.client.skus.iter_sku_ids():
            ids.extend(str(i) for i in page)
        await self.receive_all(ids)
        await self.drain()
        return len(ids)

    async def drain(self) -> FollowReport:
        """Fetch every pending SKU (at most ``fetch_concurrency`` at once); failures stay pending."""
        report = FollowReport()
        async with self._lock:
            pending = await self._pending()
        if not pending:
            return report
        gate = asyncio.Semaphore(self.settings.fetch_concurrency)
        done: dict[str, dict[str, Any]] = {}

        async def one(key: str, raw: dict[str, Any]) -> None:
            async with gate:
                try:
                    change = SkuChange(**raw)
                    if (problem := sku_id_problem(change.sku_id)) is not None:
                        raise ValueError(f"IdSku {problem}")
                    await self._follow(change, report)
                    done[key] = raw
                except VtexError as e:
                    report.failed += 1
                    _log.warning("affiliate: SKU %s could not be fetched: %s", key, e.user_message)
                except (ValueError, TypeError) as e:  # this one change is invalid: refused, the rest goes on
                    report.refused += 1
                    done[key] = raw
                    _log.error("affiliate: the change of SKU %r is refused and dropped: %s", key[:40], e)
                except Exception as e:  # the sink failed (disk full ...): kept pending, the rest goes on
                    report.failed += 1
                    _log.error(
                        "affiliate: SKU %s could not be written: %s: %s", key[:40], type(e).__name__, e
                    )

        await asyncio.gather(*(one(key, raw) for key, raw in pending.items()))
        async with self._lock:
            current = await self._pending()
            for sku_id, raw in done.items():
                if current.get(sku_id) == raw:  # unchanged since we read it: nothing new arrived
                    del current[sku_id]
            await asyncio.to_thread(self.state.values.put, SCOPE, self._key, current)
        return report

    async def run(self, stop: asyncio.Event, *, every_s: float = 1.0) -> None:
        """Drain whenever a notification arrives (and every ``every_s``) until ``stop``."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=every_s)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.drain()
            except Exception as e:  # keep following
                _log.error("affiliate: catalog follow-up failed: %s", e)

    async def _follow(self, change: SkuChange, report: FollowReport) -> None:
        if change.removed or not change.is_active:
            if await self.sink.remove_sku(
                change.sku_id, reason="removed from the affiliate" if change.removed else "inactive"
            ):
                report.removed += 1
            return
        report.fetched += 1
        current = await self.sink.get_sku(change.sku_id)
        entry: dict[str, Any] = dict(current) if current and not current.get("removed") else {}
        if change.sku or not entry:
            try:
                entry.update(await self._catalog_data(change.sku_id))
            except NotFound:
                if await self.sink.remove_sku(change.sku_id, reason="not found in the seller's catalog"):
                    report.removed += 1
                return
        entry.update(await self._offer(change.sku_id))
        entry.update(skuId=change.sku_id, removed=False, sellerAccount=self.account)
        if change.modified_at:
            entry["dateModified"] = change.modified_at
        if await self.sink.put_sku(entry):
            report.written += 1

    async def _catalog_data(self, sku_id: str) -> dict[str, Any]:
        sku = await self.client.skus.get_sku(int(sku_id))
        product = await self.client.catalog.get_product(sku.ProductId) if sku.ProductId else None
        return {
            "productId": str(sku.ProductId) if sku.ProductId is not None else None,
            "name": sku.Name,
            "productName": product.Name if product else None,
            "description": product.Description if product else None,
            "refId": sku.RefId,
            "isActive": bool(sku.IsActive),
            "measurementUnit": sku.MeasurementUnit or "un",
            "unitMultiplier": sku.UnitMultiplier or 1,
            "dimensions": {
                "height": sku.PackagedHeight,
                "length": sku.PackagedLength,
                "width": sku.PackagedWidth,
                "weightKg": sku.PackagedWeightKg,
            },
        }

    async def _offer(self, sku_id: str) -> dict[str, Any]:
        simulation = FulfillmentSimulation(items=[SimulationItem(id=sku_id, quantity=1, seller="1")])
        result = await self.client.marketplace.simulate_fulfillment(
            simulation,
            affiliate_id=self.settings.affiliate_id,
            sales_channel=int(self.settings.sales_channel) if self.settings.sales_channel.isdigit() else None,
        )
        item = next((i for i in result.items if i.id == sku_id), None)
        logistics = next(
            (li for li in result.logisticsInfo if item is not None and li.get("itemIndex") == 0), None
        )
        stock = int(logistics.get("stockBalance") or 0) if isinstance(logistics, Mapping) else 0
        available = item is not None and (item.availability in (None, "available")) and stock > 0
        return {
            "price": item.sellingPrice
            if item is not None and item.sellingPrice is not None
            else (item.price if item else None),
            "listPrice": item.listPrice if item else None,
            "priceValidUntil": item.priceValidUntil if item else None,
            "availability": item.availability if item else "unavailable",
            "available": available,
            "stock": stock,
        }
