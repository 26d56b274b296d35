"""Fulfillment simulation of the external seller: a cart in, prices (cents), stock and SLAs out.

VTEX gives the seller 2.5 s to answer ``POST /pvt/orderForms/simulation``; it calls it to index every
SKU after a price or stock notification, for every storefront view and at checkout. So the answer is
computed from an in-memory :class:`OfferIndex` (one :class:`Offer` per seller SKU, loaded from the ERP
snapshot by :func:`load_offers` and replaced as a whole on refresh), and :func:`simulate` is a pure
function of (request, index, options, now): no I/O, nothing to await, a few microseconds per item.

What the answer says (``responseFulfillmentSimulation`` of the External Seller Fulfillment spec):

- an item the seller does not sell (unknown, inactive or without a price) is left out of ``items``
  and ``logisticsInfo``: the marketplace treats a missing item as unavailable;
- ``quantity`` is the requested quantity, or the stock when less (0 when out of stock);
- ``price``/``listPrice`` in cents: the applicable fixed price of the configured trade policy (highest
  ``minQuantity`` not above the quantity, date range containing now), else the base price;
- ``merchantName`` is ``null`` when the marketplace processes payments, else the seller's merchant
  name (that is how VTEX routes the payment to the seller);
- ``logisticsInfo[].slas`` are the configured shipping options, offered when the item is in stock;
  ``stockBalance`` is the available stock (unlimited stock is reported as 1,000,000, as VTEX does).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from vtexbridge.erp.readers import Reader
from vtexbridge.erp.records import Entity, FixedPrice, Price, Sku, StockLevel, Warehouse
from vtexbridge.marketplace.settings import SellerSettings

__all__ = [
    "UNLIMITED_BALANCE",
    "FixedOffer",
    "Offer",
    "OfferIndex",
    "Reservation",
    "SimulationError",
    "SimulationOptions",
    "base_price",
    "cents",
    "diff_offers",
    "load_offers",
    "simulate",
    "snapshot_time",
    "snapshot_version",
]

UNLIMITED_BALANCE = 1_000_000


class SimulationError(ValueError):
    """The simulation request is malformed (answered 400)."""


def cents(amount: Decimal | int | float | str) -> int:
    """A currency amount as integer cents, rounded half up: ``Decimal("19.995")`` -> ``2000``."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class FixedOffer:
    """A fixed price of the trade policy: applies from ``min_quantity`` units within its dates."""

    value: int
    list_price: int | None
    min_quantity: int = 1
    starts: float | None = None
    ends: float | None = None
    ends_text: str | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """What the seller sells of one SKU: prices in cents, stock (``None`` = unlimited)."""

    sku_id: str
    price: int | None
    list_price: int | None
    stock: int | None
    measurement_unit: str = "un"
    unit_multiplier: int = 1
    fixed: tuple[FixedOffer, ...] = ()

    def unit_prices(self, quantity: int, now: float) -> tuple[int, int, str | None] | None:
        """(price, list price, valid until) for ``quantity`` units at ``now``; None without a price."""
        best: FixedOffer | None = None
        for f in self.fixed:
            if f.min_quantity > quantity:
                continue
            if (f.starts is not None and now < f.starts) or (f.ends is not None and now > f.ends):
                continue
            # Highest minimum quantity wins; at the same minimum, a dated price (a promotion) wins.
            if best is None or (f.min_quantity, f.starts is not None or f.ends is not None) > (
                best.min_quantity,
                best.starts is not None or best.ends is not None,
            ):
                best = f
        if best is not None:
            listed = best.list_price if best.list_price is not None else self.list_price
            return best.value, max(best.value, listed or 0), best.ends_text
        if self.price is None:
            return None
        return self.price, max(self.price, self.list_price or 0), None


@dataclass(frozen=True, slots=True)
class Reservation:
    """Units one order placed through our endpoint holds, and when it was placed (epoch seconds)."""

    order_id: str
    placed_at: float
    items: tuple[tuple[str, int], ...]


@dataclass(slots=True)
class OfferIndex:
    """Offers by seller SKU id, plus units reserved by orders the ERP snapshot does not show yet.

    The rule for reservations (docs/marketplace.md, "Stock reserved by orders"):

    - an order placed through our ``/pvt/orders`` reserves its units at once (:meth:`reserve`),
      stamped with the time it was placed;
    - a reload (:meth:`replace`) keeps every reservation the new snapshot cannot be assumed to
      account for: those placed after ``snapshot_at - grace_s`` (``snapshot_at`` = when the ERP's
      stock was exported: the inventory file's mtime for the folder reader, the read time for SQL
      and plugin readers; ``grace_s`` = ``marketplace.seller.reservation_grace_s``, the time the ERP
      takes to import an order into the stock it exports). Older ones are dropped: the ERP's stock
      already has those units out;
    - a cancellation releases the order's units (:meth:`release`) whenever it happens.

    So a unit sold through us is never offered again by a reload that predates the order (no
    double-sell window), and never held back once the ERP's own stock reflects it.
    """

    offers: dict[str, Offer] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)
    """Units reserved per SKU (the sum over :attr:`reservations`)."""
    reservations: dict[str, Reservation] = field(default_factory=dict)
    """Reservations by order id."""
    loaded_at: float | None = None
    snapshot_at: float | None = None

    def replace(
        self,
        offers: Iterable[Offer],
        *,
        at: float | None = None,
        snapshot_at: float | None = None,
        grace_s: float = 0.0,
    ) -> list[str]:
        """Install a new snapshot's offers; returns the orders whose reservations it released.

        ``snapshot_at`` None (the snapshot's age is unknown) keeps every reservation.
        """
        self.offers = {o.sku_id: o for o in offers}
        self.loaded_at = at
        self.snapshot_at = snapshot_at
        if snapshot_at is None:
            return []
        cutoff = snapshot_at - grace_s
        released = [r.order_id for r in self.reservations.values() if r.placed_at < cutoff]
        for order_id in released:
            del self.reservations[order_id]
        if released:
            self._total()
        return released

    def put(self, offer: Offer) -> None:
        self.offers[offer.sku_id] = offer

    def get(self, sku_id: str) -> Offer | None:
        return self.offers.get(sku_id)

    def available(self, offer: Offer) -> int | None:
        """Units that can still be sold (``None`` = unlimited)."""
        if offer.stock is None:
            return None
        return max(0, offer.stock - self.reserved.get(offer.sku_id, 0))

    def reserve(self, order_id: str, items: Iterable[tuple[str, int]], *, placed_at: float) -> None:
        """Hold ``items`` (SKU id, quantity) for ``order_id`` (placing it again changes nothing)."""
        if order_id in self.reservations:
            return
        lines = tuple((str(sku), int(quantity)) for sku, quantity in items if int(quantity) > 0)
        self.reservations[order_id] = Reservation(order_id, placed_at, lines)
        for sku, quantity in lines:
            self.reserved[sku] = self.reserved.get(sku, 0) + quantity

    def release(self, order_id: str) -> bool:
        """Give back what ``order_id`` holds (a cancellation); False when it holds nothing."""
        if self.reservations.pop(order_id, None) is None:
            return False
        self._total()
        return True

    def _total(self) -> None:
        totals: dict[str, int] = {}
        for r in self.reservations.values():
            for sku, quantity in r.items:
                totals[sku] = totals.get(sku, 0) + quantity
        self.reserved = totals

    def __len__(self) -> int:
        return len(self.offers)


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    """The parts of the seller's settings a simulation needs, with SLA prices already in cents."""

    merchant_name: str | None = None
    ships_to: tuple[str, ...] = ("BRA",)
    slas: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_settings(cls, settings: SellerSettings) -> SimulationOptions:
        slas: tuple[dict[str, Any], ...] = tuple(
            {
                "id": s.id,
                "deliveryChannel": s.delivery_channel,
                "name": s.name or s.id,
                "price": cents(s.price),
                "shippingEstimate": s.shipping_estimate,
                "availableDeliveryWindows": [],
                "pickupStoreInfo": None,
            }
            for s in settings.slas
        )
        merchant = settings.merchant_name if settings.payment == "seller" else None
        return cls(merchant_name=merchant, ships_to=tuple(settings.ships_to), slas=slas)


def _items(request: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    raw = request.get("items")
    if not isinstance(raw, list) or not raw:
        raise SimulationError("items is required: a non-empty list of {id, quantity, seller}")
    out = []
    for n, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise SimulationError(f"items[{n}] must be an object")
        sku = item.get("id")
        if isinstance(sku, bool) or not isinstance(sku, str | int) or str(sku) == "":
            raise SimulationError(f"items[{n}].id is required (the seller's SKU id)")
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise SimulationError(f"items[{n}].quantity must be a non-negative integer")
        seller = item.get("seller")
        out.append((str(sku), quantity, "" if seller is None else str(seller)))
    return out


def simulate(
    request: Mapping[str, Any], index: OfferIndex, options: SimulationOptions, now: datetime
) -> dict[str, Any]:
    """The simulation answer for ``request`` (the decoded JSON body).

    Raises:
        SimulationError: the request has no usable ``items``.
    """
    wanted = _items(request)
    moment = now.timestamp()
    postal_code = request.get("postalCode")
    country = request.get("country")
    items: list[dict[str, Any]] = []
    logistics: list[dict[str, Any]] = []
    for request_index, (sku_id, quantity, seller) in enumerate(wanted):
        offer = index.offers.get(sku_id)
        if offer is None:
            continue
        prices = offer.unit_prices(max(quantity, 1), moment)
        if prices is None:
            continue
        price, list_price, valid_until = prices
        room = index.available(offer)
        balance = UNLIMITED_BALANCE if room is None else room
        granted = quantity if room is None else min(quantity, room)
        item_index = len(items)
        items.append(
            {
                "id": sku_id,
                "requestIndex": request_index,
                "quantity": granted,
                "seller": seller,
                "price": price,
                "listPrice": list_price,
                "priceValidUntil": valid_until,
                "merchantName": options.merchant_name,
                "offerings": [],
                "priceTags": [],
                "measurementUnit": offer.measurement_unit,
                "unitMultiplier": offer.unit_multiplier,
            }
        )
        logistics.append(
            {
                "itemIndex": item_index,
                "quantity": granted,
                "shipsTo": list(options.ships_to),
                "slas": [dict(s) for s in options.slas] if granted > 0 else [],
                "stockBalance": balance,
                "deliveryChannels": [
                    {"id": channel, "stockBalance": balance}
                    for channel in dict.fromkeys(s["deliveryChannel"] for s in options.slas)
                ],
            }
        )
    return {
        "country": country,
        "items": items,
        "logisticsInfo": logistics,
        "postalCode": postal_code,
        "allowMultipleDeliveries": True,
    }


def diff_offers(old: Mapping[str, Offer], new: Iterable[Offer]) -> tuple[list[str], list[str]]:
    """(SKUs whose price changed, SKUs whose stock changed) between two snapshots of offers.

    A SKU new in ``new`` counts as both; one gone from it as a stock change (it is no longer sold).
    """
    price: list[str] = []
    stock: list[str] = []
    seen: set[str] = set()
    for offer in new:
        seen.add(offer.sku_id)
        before = old.get(offer.sku_id)
        if before is None or (before.price, before.list_price, before.fixed) != (
            offer.price,
            offer.list_price,
            offer.fixed,
        ):
            price.append(offer.sku_id)
        if before is None or before.stock != offer.stock:
            stock.append(offer.sku_id)
    stock.extend(sku for sku in old if sku not in seen)
    return price, stock


# --- loading from the ERP snapshot -------------------------------------------------------------------


def _ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _multiplier(value: Decimal) -> int:
    return max(1, math.floor(value)) if value == value.to_integral_value() else 1


def base_price(price: Price) -> Decimal | None:
    """The selling price of a price record: ``base_price``, else ``cost_price * (1 + markup/100)``
    rounded half up to cents (VTEX's own arithmetic)."""
    if price.base_price is not None:
        return price.base_price
    if price.cost_price is None or price.markup is None:
        return None
    value = price.cost_price * (1 + Decimal(price.markup) / 100)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def load_offers(reader: Reader, *, trade_policy: str = "1") -> list[Offer]:
    """Offers of every active SKU of the ERP snapshot (records the reader cannot read are skipped).

    Stock is the sum over active warehouses; a SKU with an unlimited stock level in one is unlimited.
    """
    provided = reader.entities()

    def records(entity: Entity) -> Iterable[Any]:
        if entity not in provided:
            return ()
        return (r for r in reader.read(entity) if not isinstance(r, Exception))

    inactive_warehouses = {
        w.key for w in records(Entity.WAREHOUSES) if isinstance(w, Warehouse) and not w.is_active
    }
    prices: dict[str, Price] = {p.sku_key: p for p in records(Entity.PRICES) if isinstance(p, Price)}
    fixed: dict[str, list[FixedOffer]] = {}
    for f in records(Entity.FIXED_PRICES):
        if isinstance(f, FixedPrice) and f.trade_policy == trade_policy:
            fixed.setdefault(f.sku_key, []).append(
                FixedOffer(
                    value=cents(f.value),
                    list_price=None if f.list_price is None else cents(f.list_price),
                    min_quantity=f.min_quantity,
                    starts=_ts(f.date_from),
                    ends=_ts(f.date_to),
                    ends_text=None if f.date_to is None else f.date_to.isoformat(),
                )
            )
    stock: dict[str, int | None] = {}
    for level in records(Entity.INVENTORY):
        if not isinstance(level, StockLevel) or level.warehouse_key in inactive_warehouses:
            continue
        current = stock.get(level.sku_key, 0)
        if current is None or level.unlimited:
            stock[level.sku_key] = None
        else:
            stock[level.sku_key] = current + max(0, level.quantity or 0)
    offers = []
    for sku in records(Entity.SKUS):
        if not isinstance(sku, Sku) or not sku.is_active:
            continue
        price = prices.get(sku.key)
        base = None if price is None else base_price(price)
        listed = None if price is None or price.list_price is None else cents(price.list_price)
        offers.append(
            Offer(
                sku_id=sku.key,
                price=None if base is None else cents(base),
                list_price=listed,
                stock=stock.get(sku.key, 0),
                measurement_unit=sku.measurement_unit,
                unit_multiplier=_multiplier(sku.unit_multiplier),
                fixed=tuple(fixed.get(sku.key, ())),
            )
        )
    return offers


def snapshot_time(reader: Reader, read_at: float) -> float:
    """When the stock a reader serves was exported (epoch seconds).

    The folder reader's inventory file modification time (the ERP wrote it then); for the SQL and
    plugin readers, which read the live ERP, ``read_at`` (the time the read started).
    """
    file_of = getattr(reader, "file_of", None)
    path = file_of(Entity.INVENTORY) if callable(file_of) else None
    if path is not None:
        try:
            return float(os.stat(path).st_mtime)
        except OSError:
            return read_at
    return read_at


def snapshot_version(reader: Reader, read_at: float) -> float:
    """How new a snapshot is as a whole: the newest modification time of the folder reader's files
    (a price change touches ``prices.csv`` only), else ``read_at``. Two processes reading the same
    ERP compare versions to know whether one has loaded what the other read."""
    file_of = getattr(reader, "file_of", None)
    if not callable(file_of):
        return read_at
    times = []
    for entity in Entity:
        path = file_of(entity)
        if path is not None:
            try:
                times.append(float(os.stat(path).st_mtime))
            except OSError:
                continue
    return max(times) if times else read_at
