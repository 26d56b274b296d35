"""The sandbox as a VTEX seller with an external marketplace (an *affiliate*) selling its SKUs.

- **Affiliates** (kind ``affiliate``, key = the 3-letter id): VTEX's own
  ``PUT|GET|DELETE /api/fulfillment/pvt/affiliates/{affiliateId}`` and ``GET .../affiliates``
  (``Marketplace APIs``), or the admin shortcut. ``searchURIEndpoint`` is the URL notifications are
  POSTed to (``https://{affiliateEndpoint}/api/notification/``).
- **Notifications**: when an affiliate is saved, the sandbox takes a snapshot of every SKU of the
  account (catalog data, computed price of the affiliate's trade policy, available stock, whether its
  product is in the trade policy); :func:`flush` compares the store with it and POSTs one
  notification per changed SKU (``IdSku``, ``ProductId``, ``An``, ``IdAffiliate``, ``DateModified``,
  ``IsActive``, ``StockModified``, ``PriceModified``, ``HasStockKeepingUnitModified``,
  ``HasStockKeepingUnitRemovedFromAffiliate``), then moves the snapshot forward for the SKUs that were
  delivered (a refused one is notified again by the next flush). A flush is run by the admin route
  ``POST /_sandbox/marketplace/affiliates/{id}/flush``, or every ``flushIntervalMs`` while the
  sandbox serves requests when the affiliate was saved with one (a sandbox choice: VTEX notifies
  on its own schedule).
- **Orders placed by the affiliate** (``origin: Fulfillment``, ``affiliateId``): the same flush tells
  the order's ``marketplaceServicesEndpoint`` about each new or changed invoice package
  (``POST .../pub/orders/{marketplaceOrderId}/invoice`` with number, value, key, URL, courier and
  tracking, as the guide describes), delivery (``.../pvt/orders/{id}/invoice/{number}/tracking`` with
  ``isDelivered``) and a cancellation by the seller (``.../pvt/orders/{id}/cancel``).

Every POST is recorded (kind ``affiliatecall``; ``GET /_sandbox/marketplace/affiliates/{id}/calls``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from vtexbridge.sandbox.context import SandboxContext, SandboxRuntime
from vtexbridge.sandbox.orderflow import ORDER, stock_of
from vtexbridge.sandbox.rules import RuleError, pricing
from vtexbridge.sandbox.rules.orders import vtex_time

__all__ = [
    "AFFILIATE",
    "AFFILIATE_CALL",
    "affiliate_doc",
    "delete_affiliate",
    "flush",
    "save_affiliate",
    "snapshot",
]

AFFILIATE = "affiliate"
AFFILIATE_SNAPSHOT = "affiliatesnapshot"
AFFILIATE_SENT = "affiliatesent"
AFFILIATE_CALL = "affiliatecall"
TRANSPORT_KEY = "marketplace.transport"
TASKS_KEY = "marketplace.affiliate.tasks"


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def save_affiliate(
    ctx: SandboxContext, affiliate_id: str, body: Any, *, baseline: bool = True
) -> dict[str, Any]:
    """Create or update an affiliate (``PUT .../affiliates/{affiliateId}`` body); snapshot on creation."""
    if len(affiliate_id) != 3 or not affiliate_id.isalpha() or any(c in "aeiouAEIOU" for c in affiliate_id):
        raise RuleError(400, "The affiliate id must have three letters and no vowels")
    if not isinstance(body, Mapping):
        raise RuleError(400, "The affiliate must be a JSON object")
    endpoint = str(body.get("searchURIEndpoint") or "")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise RuleError(400, "searchURIEndpoint must be an http(s) URL")
    current = ctx.table(AFFILIATE).get(affiliate_id) or {}
    doc = {
        "id": affiliate_id,
        "name": str(body.get("name") or current.get("name") or affiliate_id),
        "followUpEmail": str(body.get("followUpEmail") or current.get("followUpEmail") or ""),
        "salesChannel": str(body.get("salesChannel") or current.get("salesChannel") or "1"),
        "searchURIEndpoint": endpoint or current.get("searchURIEndpoint") or "",
        "searchURIEndpointVersion": str(body.get("searchURIEndpointVersion") or "1.x.x"),
        "searchURIEndpointAvailableVersions": ["1.x.x"],
        "useSellerPaymentMethod": bool(
            body.get("useSellerPaymentMethod", current.get("useSellerPaymentMethod", False))
        ),
        "minimumValueAccumulated": body.get(
            "minimumValueAccumulated", current.get("minimumValueAccumulated")
        ),
        "flushIntervalMs": body.get("flushIntervalMs", current.get("flushIntervalMs")),
    }
    ctx.table(AFFILIATE)[affiliate_id] = doc
    if baseline and not current:
        ctx.table(AFFILIATE_SNAPSHOT)[affiliate_id] = {"skus": snapshot(ctx, doc["salesChannel"])}
    interval = doc.get("flushIntervalMs")
    if isinstance(interval, int | float) and interval > 0:
        _start_auto_flush(ctx, affiliate_id, float(interval) / 1000.0)
    return doc


def affiliate_doc(ctx: SandboxContext, affiliate_id: str) -> dict[str, Any]:
    doc = ctx.table(AFFILIATE).get(affiliate_id)
    if doc is None:
        raise RuleError(404, f"Affiliate {affiliate_id} not found")
    return doc


def delete_affiliate(ctx: SandboxContext, affiliate_id: str) -> None:
    affiliate_doc(ctx, affiliate_id)
    del ctx.table(AFFILIATE)[affiliate_id]
    ctx.table(AFFILIATE_SNAPSHOT).pop(affiliate_id, None)


def snapshot(ctx: SandboxContext, sales_channel: str) -> dict[str, dict[str, Any]]:
    """Per SKU of the account: digests of its catalog data and price, its stock, its assortment."""
    now = ctx.clock.now()
    products = ctx.table("product")
    policies = ctx.table("salespolicy")
    prices = ctx.table("price")
    out: dict[str, dict[str, Any]] = {}
    for sku_id, sku in ctx.table("sku").items():
        product = products.get(str(sku.get("ProductId"))) or {}
        price_doc = prices.get(sku_id)
        price: Any = None
        if price_doc is not None:
            computed = pricing.computed_price(price_doc, sales_channel, quantity=1, now=now)
            price = [computed.get("sellingPrice"), computed.get("listPrice")]
        out[sku_id] = {
            "productId": str(sku.get("ProductId") or ""),
            "catalog": _digest(
                [sku, product.get("Name"), product.get("IsActive"), product.get("Description")]
            ),
            "price": _digest(price),
            "stock": stock_of(ctx, sku_id),
            "active": bool(sku.get("IsActive")),
            "inChannel": f"{sku.get('ProductId')}:{sales_channel}" in policies,
        }
    return out


def _join(endpoint: str, path: str) -> tuple[str, str]:
    parts = urlsplit(endpoint)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, "", "")), parts.query


async def _post(
    ctx: SandboxContext, affiliate_id: str, kind: str, url: str, query: str, body: Any
) -> int | None:
    transport = ctx.app_state.get(TRANSPORT_KEY)
    target = f"{url}?{query}" if query else url
    status: int | None
    try:
        async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
            response = await client.post(target, json=body, headers={"Content-Type": "application/json"})
        status, error = response.status_code, None
    except httpx.HTTPError as e:
        status, error = None, f"{type(e).__name__}: {e}"
    n = ctx.store.next_id(ctx.account, AFFILIATE_CALL)
    ctx.table(AFFILIATE_CALL)[str(n)] = {
        "id": n,
        "affiliateId": affiliate_id,
        "kind": kind,
        "url": url,
        "body": body,
        "status": status,
        "error": error,
        "at": vtex_time(ctx.clock.now()),
    }
    return status


async def flush(ctx: SandboxContext, affiliate_id: str) -> dict[str, Any]:
    """Notify the affiliate of every SKU change since its snapshot, and its orders' invoices/tracking."""
    affiliate = affiliate_doc(ctx, affiliate_id)
    notified = await _flush_catalog(ctx, affiliate)
    orders = await _flush_orders(ctx, affiliate)
    return {"affiliateId": affiliate_id, "notifications": notified, "orderCalls": orders}


async def _flush_catalog(ctx: SandboxContext, affiliate: Mapping[str, Any]) -> list[dict[str, Any]]:
    affiliate_id = str(affiliate["id"])
    endpoint = str(affiliate.get("searchURIEndpoint") or "")
    snapshots = ctx.table(AFFILIATE_SNAPSHOT)
    old: dict[str, dict[str, Any]] = dict((snapshots.get(affiliate_id) or {}).get("skus") or {})
    new = snapshot(ctx, str(affiliate["salesChannel"]))
    sent: list[dict[str, Any]] = []
    moved = dict(old)
    for sku_id in sorted(set(old) | set(new), key=lambda s: (len(s), s)):
        before, after = old.get(sku_id), new.get(sku_id)
        if before == after:
            continue
        gone = after is None or (not after["inChannel"] and bool(before and before["inChannel"]))
        if after is not None and not after["inChannel"] and not gone:
            moved[sku_id] = after  # not in the affiliate's assortment, never was: nothing to say
            continue
        current = after or before or {}
        body = {
            "IdSku": sku_id,
            "ProductId": current.get("productId"),
            "An": ctx.account,
            "IdAffiliate": affiliate_id,
            "DateModified": vtex_time(ctx.clock.now()),
            "IsActive": bool(after and after["active"]),
            "StockModified": before is None or after is None or before["stock"] != after["stock"],
            "PriceModified": before is None or after is None or before["price"] != after["price"],
            "HasStockKeepingUnitModified": before is None
            or after is None
            or before["catalog"] != after["catalog"]
            or before["active"] != after["active"],
            "HasStockKeepingUnitRemovedFromAffiliate": gone,
        }
        status = await _post(ctx, affiliate_id, "notification", endpoint, "", body) if endpoint else None
        sent.append({**body, "status": status})
        if status is not None and 200 <= status < 300:
            if after is None:
                moved.pop(sku_id, None)
            else:
                moved[sku_id] = after
    snapshots[affiliate_id] = {"skus": moved}
    return sent


def _package_state(package: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: package.get(k)
        for k in (
            "invoiceNumber",
            "invoiceValue",
            "trackingNumber",
            "trackingUrl",
            "courier",
            "invoiceKey",
            "invoiceUrl",
        )
    }


async def _flush_orders(ctx: SandboxContext, affiliate: Mapping[str, Any]) -> list[dict[str, Any]]:
    affiliate_id = str(affiliate["id"])
    sent_table = ctx.table(AFFILIATE_SENT)
    calls: list[dict[str, Any]] = []
    for order_id, order in list(ctx.table(ORDER).items()):
        endpoint = order.get("marketplaceServicesEndpoint")
        if order.get("affiliateId") != affiliate_id or not endpoint:
            continue
        mkp_id = str(order.get("marketplaceOrderId") or order_id)
        record = dict(sent_table.get(order_id) or {"packages": {}, "delivered": [], "canceled": False})
        packages = (order.get("packageAttachment") or {}).get("packages") or []
        for package in packages:
            number = str(package.get("invoiceNumber"))
            state = _package_state(package)
            if record["packages"].get(number) != _digest(state):
                body = {
                    "type": package.get("type") or "Output",
                    "issuanceDate": package.get("issuanceDate"),
                    "items": [
                        {"id": str(i.get("id") or ""), "quantity": i.get("quantity"), "price": i.get("price")}
                        for i in package.get("items") or []
                    ],
                    "embeddedInvoice": package.get("embeddedInvoice") or "",
                    **state,
                }
                url, query = _join(str(endpoint), f"/pub/orders/{quote(mkp_id, safe='')}/invoice")
                status = await _post(ctx, affiliate_id, "invoice", url, query, body)
                calls.append(
                    {"kind": "invoice", "orderId": order_id, "invoiceNumber": number, "status": status}
                )
                if status is not None and 200 <= status < 300:
                    record["packages"][number] = _digest(state)
            courier = package.get("courierStatus") or {}
            if courier.get("finished") and number not in record["delivered"]:
                body = {
                    "isDelivered": True,
                    "events": [
                        {
                            "city": e.get("city"),
                            "state": e.get("state"),
                            "description": e.get("description"),
                            "date": e.get("createDate"),
                        }
                        for e in courier.get("data") or []
                    ],
                }
                path = f"/pvt/orders/{quote(mkp_id, safe='')}/invoice/{quote(number, safe='')}/tracking"
                url, query = _join(str(endpoint), path)
                status = await _post(ctx, affiliate_id, "tracking", url, query, body)
                calls.append(
                    {"kind": "tracking", "orderId": order_id, "invoiceNumber": number, "status": status}
                )
                if status is not None and 200 <= status < 300:
                    record["delivered"] = [*record["delivered"], number]
        if order.get("status") == "canceled" and not record["canceled"]:
            url, query = _join(str(endpoint), f"/pvt/orders/{quote(mkp_id, safe='')}/cancel")
            reason = str(
                (order.get("cancellationData") or {}).get("Reason")
                or order.get("cancelReason")
                or "Canceled by the seller"
            )
            status = await _post(ctx, affiliate_id, "cancel", url, query, {"reason": reason})
            calls.append({"kind": "cancel", "orderId": order_id, "status": status})
            record["canceled"] = status is not None and 200 <= status < 300
        sent_table[order_id] = record
    return calls


def _start_auto_flush(ctx: SandboxContext, affiliate_id: str, every_s: float) -> None:
    runtime: SandboxRuntime = ctx.runtime
    tasks: dict[tuple[str, str], asyncio.Task[None]] = runtime.app_state.setdefault(TASKS_KEY, {})
    key = (ctx.account, affiliate_id)
    if key in tasks and not tasks[key].done():
        return
    if not tasks:
        runtime.reset_hooks.append(lambda account: _stop(runtime, account))

    async def loop() -> None:
        while ctx.table(AFFILIATE).get(affiliate_id) is not None:
            await asyncio.sleep(every_s)
            try:
                await flush(ctx, affiliate_id)
            except RuleError:
                return

    tasks[key] = asyncio.get_running_loop().create_task(loop())


def _stop(runtime: SandboxRuntime, account: str | None) -> None:
    tasks: dict[tuple[str, str], asyncio.Task[None]] = runtime.app_state.get(TASKS_KEY, {})
    for (acct, aff), task in list(tasks.items()):
        if account is None or acct == account:
            task.cancel()
            del tasks[(acct, aff)]
