"""The demo acting as the shopper and as the ERP: orders placed in the sandbox, invoice and tracking
files dropped for the ERP, and the check in the sandbox that every order ended invoiced.

The calls here go to the sandbox's own admin API (``/_sandbox/...``), not to the VTEX API: see
:class:`~vtexbridge.cli.demo.admin.SandboxAdmin`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vtexbridge.cli._common import console
from vtexbridge.cli.demo.admin import SandboxAdmin
from vtexbridge.cli.demo.files import write_file
from vtexbridge.cli.demo.model import ORDERS_FILE, DemoError, DemoOrder, DemoState
from vtexbridge.state import StateStore

__all__ = ["action_file", "drop_actions", "place_orders", "verify"]


async def _sellable_skus(admin: SandboxAdmin, n: int) -> list[str]:
    """Active SKUs with the most stock available, deterministic."""
    catalog = await admin.json("GET", "/_sandbox/catalog")
    active = {str(s["Id"]) for s in catalog["skus"] if s.get("IsActive")}
    prices = {str(p.get("itemId")) for p in (await admin.json("GET", "/_sandbox/prices"))["prices"]}
    stock: dict[str, int] = {}
    for line in (await admin.json("GET", "/_sandbox/inventory"))["inventory"]:
        sku = str(line.get("skuId"))
        available = int(line.get("totalQuantity", line.get("quantity", 0)) or 0) - int(
            line.get("reservedQuantity", 0) or 0
        )
        if line.get("unlimitedQuantity"):
            available = 1_000_000
        stock[sku] = max(stock.get(sku, 0), available)
    ready = sorted((s for s in active & prices if stock.get(s, 0) > 0), key=lambda s: (-stock[s], int(s)))
    if len(ready) < n:
        raise DemoError(f"only {len(ready)} SKU(s) can be sold in the sandbox after the sync; {n} wanted")
    return ready[:n]


async def place_orders(state: DemoState, admin: SandboxAdmin) -> None:
    directory = state.options.directory
    saved = directory / ORDERS_FILE
    if saved.exists():
        kept = [DemoOrder(**o) for o in json.loads(saved.read_text(encoding="utf-8"))]
        known = [o for o in kept if await admin.has(f"/_sandbox/orders/{o.order_id}")]
        if len(known) == len(kept) and kept:
            state.orders = known
            console.print(f"  {len(known)} order(s) placed by an earlier run are still there: reusing them")
            return
    skus = await _sellable_skus(admin, state.options.orders)
    for sku in skus:
        order = await admin.json("POST", "/_sandbox/orders", {"items": [{"skuId": sku, "quantity": 1}]})
        state.orders.append(DemoOrder(str(order["orderId"]), sku, int(order.get("value", 0))))
        value = int(order.get("value", 0)) / 100
        console.print(f"  placed order [bold]{order['orderId']}[/bold]: 1 x SKU {sku}, {value:.2f}")
    write_file(saved, json.dumps([o.__dict__ for o in state.orders], indent=2) + "\n")


def action_file(order: DemoOrder, issued: str) -> dict[str, Any]:
    """What an ERP writes when it invoices and ships an order (docs/orders.md)."""
    number = f"NF-{order.order_id.split('-')[0]}"
    return {
        "actions": [
            {
                "type": "invoice",
                "orderId": order.order_id,
                "invoiceNumber": number,
                "issuanceDate": issued,
                "invoiceValueCents": order.value,
                "invoiceUrl": f"https://erp.example.com/invoices/{number}.pdf",
            },
            {
                "type": "tracking",
                "orderId": order.order_id,
                "invoiceNumber": number,
                "courier": "Correios",
                "trackingNumber": f"BR{order.order_id.split('-')[0][-9:]}BR",
                "trackingUrl": "https://rastreamento.correios.com.br/",
            },
        ]
    }


async def drop_actions(
    state: DemoState, admin: SandboxAdmin, folder: Path, store: StateStore, store_account: str
) -> None:
    for order in state.orders:
        dump = await admin.json("GET", f"/_sandbox/orders/{order.order_id}")
        doc = dump.get("order", dump)
        issued = str(doc.get("creationDate") or "2024-01-01T00:00:00Z")[:10]
        path = folder / f"order-{order.order_id}.json"
        number = action_file(order, issued)["actions"][0]["invoiceNumber"]
        earlier = store.actions.find(store_account, f"invoice:{number}")
        if earlier is not None and earlier.state == "done":
            console.print(f"  invoice {number} of {order.order_id} was accepted by VTEX in an earlier run")
            continue
        write_file(path, json.dumps(action_file(order, issued), indent=2) + "\n")
        console.print(f"  wrote {path}")


async def verify(state: DemoState, admin: SandboxAdmin, store: StateStore) -> None:
    account = state.settings.vtex.account if state.settings else "sandbox"
    for order in state.orders:
        dump = await admin.json("GET", f"/_sandbox/orders/{order.order_id}")
        doc = dump.get("order", dump)
        order.status = str(doc.get("status"))
        invoices = (doc.get("packageAttachment") or {}).get("packages") or []
        if invoices:
            order.invoice = str(invoices[-1].get("invoiceNumber"))
            order.tracking = invoices[-1].get("trackingNumber") or None
        delivery = store.orders.get_delivery(account, order.order_id, "ready-for-handling")
        order.erp_file = delivery.erp_ref if delivery else None
    for o in state.orders:  # under 80 columns; the ERP file is listed by step 5
        mark = "[green]✓[/green]" if o.status == "invoiced" and o.tracking else "[red]✗[/red]"
        console.print(
            f"  {mark} {o.order_id} {o.value / 100:>9.2f}  {o.invoice or '-'}  {o.tracking or '-'}"
            f"  VTEX: [bold]{o.status}[/bold]",
            soft_wrap=True,
            highlight=False,
        )
    late = [o.order_id for o in state.orders if o.status != "invoiced" or not o.tracking]
    if late:
        raise DemoError(
            f"not invoiced with tracking in VTEX: {', '.join(late)} (see `vtexbridge orders status`)"
        )
