"""The orders area's plumbing shared by its route modules: runtime state, events, catalog and stock.

- :func:`orders_runtime` gives the per-app state of the area (feed options, the hook deliverer, scroll
  cursors), created on first use and cleared by ``POST /_sandbox/reset``;
- :func:`publish` records an order's events in its history and delivers them to every feed queue and
  hook of the account whose filter wants them (a feed only sees events after it was configured);
- :func:`resolve_line` turns (SKU, quantity) into a priced, stocked order line from the catalog,
  price and inventory tables; :func:`reserve` / :func:`release` move ``reservedQuantity``.

Store kinds owned here (key in brackets): ``order`` [orderId] (the OMS document), ``ordermeta``
[orderId] (``{orderId, events[], reservations[], reservationReleased}``), ``orderchange``
[``{orderId}:{requestId}``], ``feedconfig`` / ``hookconfig`` [app key], ``feedqueue:{appKey}``
[message id], ``feedfired:{appKey}`` / ``hookfired:{appKey}`` [orderId] (single-fire bookkeeping).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.requests import Request

from vtexbridge.sandbox.catalog_index import SKUFILE_BY_SKU
from vtexbridge.sandbox.context import SandboxContext, SandboxRuntime
from vtexbridge.sandbox.hookdelivery import Delivery, HookDeliverer
from vtexbridge.sandbox.rules import pricing
from vtexbridge.sandbox.rules.feed import EventFilter, FeedOptions, enqueue, parse_filter
from vtexbridge.sandbox.rules.hook import IDLE_SECONDS, notification
from vtexbridge.sandbox.rules.masterdata import ScrollCursor
from vtexbridge.sandbox.rules.orderdoc import Dimension, LineItem
from vtexbridge.sandbox.rules.orders import OrderEvent, OrderRuleError
from vtexbridge.sandbox.store import Table

__all__ = [
    "FEED_CONFIG",
    "HOOK_CONFIG",
    "ORDER",
    "ORDER_CHANGE",
    "ORDER_META",
    "OrdersRuntime",
    "app_key",
    "feed_queue",
    "new_order_ids",
    "orders_runtime",
    "publish",
    "release",
    "reserve",
    "resolve_line",
    "stock_of",
]

RUNTIME_KEY = "orders"
ORDER = "order"
ORDER_META = "ordermeta"
ORDER_CHANGE = "orderchange"
FEED_CONFIG = "feedconfig"
HOOK_CONFIG = "hookconfig"


def feed_queue(ctx: SandboxContext, key: str) -> Table:
    """The queue table of one app key's feed."""
    return ctx.table(f"feedqueue:{key}")


@dataclass(slots=True)
class OrdersRuntime:
    """Per-app, in-memory state of the orders area (kept in ``SandboxRuntime.app_state['orders']``)."""

    deliverer: HookDeliverer
    feed_options: FeedOptions = field(default_factory=FeedOptions)
    scrolls: dict[str, ScrollCursor] = field(default_factory=dict)
    failing_changes: int = 0  # the next N order changes (v2) stop unprocessed ("failed")
    _filters: dict[str, EventFilter] = field(default_factory=dict)

    def filter_of(self, raw: Mapping[str, Any]) -> EventFilter:
        """The compiled filter of a stored configuration (cached by its JSON)."""
        key = json.dumps(raw, sort_keys=True)
        found = self._filters.get(key)
        if found is None:
            found = self._filters[key] = parse_filter(dict(raw))
        return found

    def reset(self, account: str | None) -> None:
        """``POST /_sandbox/reset``: drop scroll cursors, pending hook deliveries and injected feed faults."""
        self.scrolls.clear()
        if account is None:
            self.deliverer.cancel()
            self.feed_options = FeedOptions()
            self.failing_changes = 0


def orders_runtime(runtime: SandboxRuntime) -> OrdersRuntime:
    """The orders area's state for this app, created (and registered for reset) on first use."""
    state = runtime.app_state.get(RUNTIME_KEY)
    if not isinstance(state, OrdersRuntime):
        state = OrdersRuntime(deliverer=HookDeliverer(clock=runtime.clock))
        runtime.app_state[RUNTIME_KEY] = state
        runtime.reset_hooks.append(state.reset)
    return state


def app_key(request: Request) -> str:
    """Who is calling: the app key (feeds and hooks are per app key), or a stable id of a user token."""
    key = request.headers.get("x-vtex-api-appkey")
    if key:
        return key
    token = request.headers.get("vtexidclientautcookie") or request.cookies.get("VtexIdclientAutCookie") or ""
    return "vtexid:" + hashlib.sha256(token.encode()).hexdigest()[:16]


def new_order_ids(ctx: SandboxContext) -> tuple[str, str, str]:
    """(orderId, sequence, orderGroup) of a new order: ``1300000000042-01``, ``500042``, ``1300000000042``."""
    n = ctx.store.next_id(ctx.account, ORDER)
    group = str(1_300_000_000_000 + n)
    return f"{group}-01", str(500_000 + n), group


def _wanted(flt: EventFilter, event: OrderEvent, order: Mapping[str, Any]) -> bool:
    if flt.type == "FromOrders" and order.get("status") != event.state:
        # A walk through several statuses is published at once: judge each event on its own status.
        order = {**order, "status": event.state}
    return flt.wants(event.state, event.kind, order)


def _deliver_to(
    fired: Table, flt: EventFilter, order: Mapping[str, Any], events: Sequence[OrderEvent], now: float
) -> list[int]:
    """Indexes of the events a feed or hook with filter ``flt`` receives (marks single-fire orders)."""
    picked: list[int] = []
    for n, event in enumerate(events):
        if not _wanted(flt, event, order):
            continue
        if flt.single_fire:
            if event.order_id in fired:
                continue
            fired[event.order_id] = {"at": now}
        picked.append(n)
    return picked


def publish(ctx: SandboxContext, order: Mapping[str, Any], events: Sequence[OrderEvent]) -> None:
    """Record ``events`` of ``order`` and hand them to every interested feed and hook of the account."""
    if not events:
        return
    state = orders_runtime(ctx.runtime)
    now = ctx.clock.now().timestamp()
    order_id = str(order["orderId"])
    bodies = [
        {
            "eventId": str(uuid.uuid4()),
            "domain": e.domain,
            "state": e.state,
            "lastState": e.last_state,
            "orderId": e.order_id,
            "lastChange": e.last_change,
            "currentChange": e.current_change,
        }
        for e in events
    ]
    metas = ctx.table(ORDER_META)
    meta = metas.get(order_id) or {
        "orderId": order_id,
        "events": [],
        "reservations": [],
        "reservationReleased": False,
    }
    history = [{**body, "kind": e.kind} for body, e in zip(bodies, events, strict=True)]
    metas[order_id] = {**meta, "events": [*meta["events"], *history]}

    configs = ctx.table(FEED_CONFIG)
    for key, config in list(configs.items()):
        if now - float(config["lastEventAt"]) > int(config["queue"]["MessageRetentionPeriodInSeconds"]):
            continue  # idle for its whole retention: VTEX deleted it (the feed routes drop it on next call)
        flt = state.filter_of(config["filter"])
        picked = _deliver_to(ctx.table(f"feedfired:{key}"), flt, order, events, now)
        if not picked:
            continue
        queue = feed_queue(ctx, key)
        for n in picked:
            enqueue(queue, bodies[n], now=now, new_id=lambda: uuid.uuid4().hex, options=state.feed_options)
        configs[key] = {**config, "lastEventAt": now}

    hooks = ctx.table(HOOK_CONFIG)
    for key, config in list(hooks.items()):
        if now - float(config["lastEventAt"]) > IDLE_SECONDS:
            del hooks[key]  # VTEX removes a hook that had no notification for 3 days
            continue
        flt = state.filter_of(config["filter"])
        picked = _deliver_to(ctx.table(f"hookfired:{key}"), flt, order, events, now)
        if not picked:
            continue
        for n in picked:
            body = notification(events[n], account=ctx.account, app_key=key)
            state.deliverer.submit(
                Delivery(config["hook"]["url"], dict(config["hook"]["headers"]), body, key, ctx.account)
            )
        hooks[key] = {**config, "lastEventAt": now}


# -- catalog, prices and stock ------------------------------------------------------------------------


def _cents(amount: Any) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def available(line: Mapping[str, Any]) -> int | None:
    """Units that can still be reserved on an inventory line (``None`` = unlimited)."""
    if line.get("unlimitedQuantity"):
        return None
    return int(line.get("quantity") or 0) - int(line.get("reservedQuantity") or 0)


def stock_of(ctx: SandboxContext, sku_id: str) -> int | None:
    """Units of ``sku_id`` available over every active warehouse (``None`` = unlimited)."""
    inventory = ctx.table("inventory")
    warehouses = ctx.table("warehouse")
    keys = (
        [f"{sku_id}:{wid}" for wid, w in warehouses.items() if w.get("isActive", True) is not False]
        if len(warehouses)
        else [k for k in inventory if k.startswith(f"{sku_id}:")]
    )
    total = 0
    for key in keys:
        line = inventory.get(key)
        if line is None:
            continue
        room = available(line)
        if room is None:
            return None
        total += max(0, room)
    return total


def _warehouse_for(ctx: SandboxContext, sku_id: str, quantity: int) -> tuple[str, str] | None:
    inventory = ctx.table("inventory")
    warehouses = ctx.table("warehouse")
    candidates: list[tuple[int, str, str]] = []
    for wid, warehouse in warehouses.items():
        if warehouse.get("isActive", True) is False:
            continue
        docks = warehouse.get("warehouseDocks") or []
        candidates.append(
            (-int(warehouse.get("priority") or 0), wid, str(docks[0]["dockId"]) if docks else "1")
        )
    if not candidates:
        prefix = f"{sku_id}:"
        candidates = [(0, k[len(prefix) :], "1") for k in inventory if k.startswith(prefix)]
    for _priority, wid, dock in sorted(candidates):
        line = inventory.get(f"{sku_id}:{wid}")
        if line is None:
            continue
        room = available(line)
        if room is None or room >= quantity:
            return wid, dock
    return None


def resolve_line(
    ctx: SandboxContext,
    sku_id: str,
    quantity: int,
    *,
    sales_channel: str,
    now: datetime,
    seller: str = "1",
    unit_price: int | None = None,
    allow_inactive: bool = False,
) -> LineItem:
    """An order line for ``quantity`` units of ``sku_id``: catalog data, price (cents) and a warehouse.

    Raises ``OrderRuleError(400)`` when the SKU is unknown, inactive (unless ``allow_inactive``), has
    no price in the trade policy (unless ``unit_price`` is given, as a marketplace does) or no
    warehouse with enough available stock.
    """
    sku = ctx.table("sku").get(str(sku_id))
    if sku is None:
        raise OrderRuleError(400, f"SKU {sku_id} not found")
    if not sku.get("IsActive") and not allow_inactive:
        raise OrderRuleError(400, f"SKU {sku_id} is not active and cannot be sold")
    product = ctx.table("product").get(str(sku.get("ProductId"))) or {}
    brand = ctx.table("brand").get(str(product.get("BrandId"))) or {}
    if unit_price is None:
        price_doc = ctx.table("price").get(str(sku_id))
        if price_doc is None:
            raise OrderRuleError(400, f"SKU {sku_id} has no price; set one with PUT /pricing/prices/{sku_id}")
        computed = pricing.computed_price(price_doc, sales_channel, quantity=quantity, now=now)
        selling = _cents(computed["sellingPrice"])
        listed = max(_cents(computed["listPrice"] if computed["listPrice"] is not None else 0), selling)
    else:
        selling = listed = unit_price
    place = _warehouse_for(ctx, str(sku_id), quantity)
    if place is None:
        raise OrderRuleError(400, f"SKU {sku_id} has no warehouse with {quantity} unit(s) available")
    eans = (ctx.table("skuean").get(str(sku_id)) or {}).get("Eans") or []
    files = ctx.table("skufile")
    images = files.find(SKUFILE_BY_SKU, int(sku_id)) if str(sku_id).isdigit() else []
    images.sort(key=lambda f: (not f.get("IsMain"), int(f.get("Position") or 0)))
    product_name = str(product.get("Name") or "")
    sku_name = str(sku.get("Name") or "")
    name = product_name if sku_name in ("", product_name) else f"{product_name} {sku_name}".strip()
    department, category = product.get("DepartmentId"), product.get("CategoryId")
    return LineItem(
        sku_id=str(sku_id),
        product_id=str(sku.get("ProductId") or ""),
        name=name or sku_name,
        sku_name=sku_name,
        ref_id=str(sku.get("RefId") or ""),
        quantity=quantity,
        price=selling,
        list_price=listed,
        warehouse_id=place[0],
        dock_id=place[1],
        ean=str(eans[0]) if eans else None,
        seller=seller,
        brand_id=str(product.get("BrandId") or ""),
        brand_name=str(brand.get("Name") or ""),
        category_ids="/" + "/".join(str(c) for c in (department, category) if c) + "/",
        image_url=str(images[0].get("Url") or "") if images else "",
        detail_url=f"/{product.get('LinkId') or sku_id}/p",
        measurement_unit=str(sku.get("MeasurementUnit") or "un"),
        unit_multiplier=max(1, round(float(sku.get("UnitMultiplier") or 1))),
        dimension=Dimension(
            height=float(sku.get("PackagedHeight") or sku.get("Height") or 0),
            length=float(sku.get("PackagedLength") or sku.get("Length") or 0),
            width=float(sku.get("PackagedWidth") or sku.get("Width") or 0),
            weight=float(sku.get("PackagedWeightKg") or sku.get("WeightKg") or 0),
            cubicweight=float(sku.get("CubicWeight") or 0),
        ),
    )


def reserve(ctx: SandboxContext, order_id: str, lines: Sequence[LineItem]) -> None:
    """Raise ``reservedQuantity`` for the lines and remember the reservation in the order's meta."""
    inventory = ctx.table("inventory")
    reservations = []
    for line in lines:
        key = f"{line.sku_id}:{line.warehouse_id}"
        current = inventory.get(key)
        if current is None:
            continue
        inventory[key] = {
            **current,
            "reservedQuantity": int(current.get("reservedQuantity") or 0) + line.quantity,
        }
        reservations.append(
            {"skuId": line.sku_id, "warehouseId": line.warehouse_id, "quantity": line.quantity}
        )
    metas = ctx.table(ORDER_META)
    meta = metas.get(order_id) or {
        "orderId": order_id,
        "events": [],
        "reservations": [],
        "reservationReleased": False,
    }
    metas[order_id] = {
        **meta,
        "reservations": [*meta["reservations"], *reservations],
        "reservationReleased": False,
    }


def release(ctx: SandboxContext, order_id: str) -> None:
    """Drop the order's reservation (at start-handling, or when canceled before it); idempotent."""
    metas = ctx.table(ORDER_META)
    meta = metas.get(order_id)
    if meta is None or meta.get("reservationReleased"):
        return
    inventory = ctx.table("inventory")
    for r in meta.get("reservations") or []:
        key = f"{r['skuId']}:{r['warehouseId']}"
        current = inventory.get(key)
        if current is not None:
            reserved = max(0, int(current.get("reservedQuantity") or 0) - int(r["quantity"]))
            inventory[key] = {**current, "reservedQuantity": reserved}
    metas[order_id] = {**meta, "reservationReleased": True}
