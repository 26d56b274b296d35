"""Orders a VTEX marketplace places on the external seller: placement, dispatch, cancellation, invoice.

The seller's order id is ``{order_id_prefix}-{marketplaceOrderId}``: one marketplace order is one
seller order whatever the number of times VTEX sends it, across processes (no id to allocate, no
race). The order's protocol record (endpoint, items, status, receipts; never payment data) is kept
in the state store's ``kv`` (scope ``marketplace.seller``); the ERP receives it through the orders
sink as a ``vtexbridge.order/1`` document, like any other order, in three statuses:

- ``order-accepted``: placed by the marketplace, not yet paid: reserve the stock, do not ship;
- ``ready-for-handling``: the marketplace authorised the fulfillment (``/fulfill``): ship it;
- ``canceled``; and ``cancellation-requested`` when the marketplace asks to cancel an order the ERP
  may already be preparing (the ERP then confirms with :meth:`SellerOrders.confirm_cancellation`
  or refuses by invoicing).

Each delivery is made once per (order, status) (``order_delivery`` of the state store; the sink is
idempotent too). Cancellation follows the protocol's two calls: an empty answer means "evaluating",
``{date, marketplaceOrderId, orderId, receipt}`` confirms; a cancellation of an order still waiting
for the marketplace's authorisation is confirmed at once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from vtexbridge.clock import Clock
from vtexbridge.erp.sinks import OrderDelivery, Sink, SinkError
from vtexbridge.marketplace.errors import BadProtocolRequest, ProtocolConflict, ProtocolError, UnknownOrder
from vtexbridge.marketplace.seller.outbound import MarketplaceServices
from vtexbridge.marketplace.seller.payment import PaymentError, PaymentEvent, PaymentHandler
from vtexbridge.marketplace.seller.simulation import OfferIndex
from vtexbridge.marketplace.settings import SellerSettings
from vtexbridge.orders.schema import build_document
from vtexbridge.state import StateStore
from vtexbridge.untrusted import MAX_ID, UntrustedInput, check_id

__all__ = [
    "ACCEPTED",
    "CANCELED",
    "CANCEL_REQUESTED",
    "READY",
    "SCOPE",
    "SellerOrders",
    "seller_order_id",
]

SCOPE = "marketplace.seller"
ACCEPTED = "order-accepted"
READY = "ready-for-handling"
CANCEL_REQUESTED = "cancellation-requested"
CANCELED = "canceled"
INVOICED = "invoiced"
_log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def seller_order_id(prefix: str, marketplace_order_id: str) -> str:
    """The seller's id of a marketplace order: ``VB-1138342255777-01``."""
    return f"{prefix}-{marketplace_order_id}"


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 0:
        raise BadProtocolRequest(f"{where} must be a non-negative integer amount in cents")
    return int(value)


def _map(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


@dataclass
class SellerOrders:
    """The external seller's order endpoints, over the ERP sink and the state store.

    Args:
        settings: the ``[marketplace.seller]`` section.
        account: the marketplace's VTEX account (the ERP documents carry it).
        sink: the orders sink the ERP reads.
        state: the state store (order records, deliveries).
        index: the simulation's offers (stock is reserved there at placement).
        clock: timestamps.
        payment: the handler of payment data (``payment = "seller"``).
        services: posts invoices and tracking to the marketplace (:meth:`send_invoice` ...).
    """

    settings: SellerSettings
    account: str
    sink: Sink
    state: StateStore
    index: OfferIndex
    clock: Clock
    payment: PaymentHandler | None = None
    services: MarketplaceServices | None = None
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, init=False, repr=False)

    async def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))

    def _lock(self, order_id: str) -> asyncio.Lock:
        lock = self._locks.get(order_id)
        if lock is None:
            lock = self._locks[order_id] = asyncio.Lock()
        return lock

    def _key(self, order_id: str) -> str:
        return f"{self.account}:{order_id}"

    async def load(self, order_id: str) -> dict[str, Any] | None:
        """The protocol record of a seller order, or None."""
        record = await self._call(self.state.values.get, SCOPE, self._key(order_id))
        return dict(record) if isinstance(record, Mapping) else None

    async def _save(self, record: dict[str, Any]) -> None:
        await self._call(self.state.values.put, SCOPE, self._key(record["orderId"]), record)

    def _now(self) -> str:
        return self.clock.now().isoformat()

    # --- placement ------------------------------------------------------------------------------

    async def place(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /pvt/orders``: the order lands in the ERP sink (once per marketplace order id).

        Raises:
            ProtocolError: 400 for an unusable body or a SKU the seller does not sell; 500 when the
                ERP did not accept the order (VTEX tries again).
        """
        order_id = seller_order_id(self.settings.order_id_prefix, self._marketplace_id(body))
        async with self._lock(order_id):
            record = await self.load(order_id)
            if record is None:
                record = self._new_record(order_id, body)
                self._checked_document(record)  # refused before anything is kept: a retry starts afresh
                if self.settings.payment == "seller" and isinstance(body.get("paymentData"), Mapping):
                    await self._pay("placement", record, body["paymentData"])
                self.index.reserve(
                    order_id,
                    ((item["id"], item["quantity"]) for item in record["items"]),
                    placed_at=self.clock.now().timestamp(),
                )
                try:
                    await self._save(record)
                except BaseException:
                    self.index.release(order_id)
                    raise
            await self._deliver(record, ACCEPTED)
            return dict(record["response"])

    def _marketplace_id(self, body: Mapping[str, Any]) -> str:
        """``marketplaceOrderId``, checked: the seller order id it makes is an id of at most 64
        characters (the state database's and the ERP's)."""
        room = MAX_ID - len(self.settings.order_id_prefix) - 1
        if not isinstance(body.get("marketplaceOrderId"), str):
            raise BadProtocolRequest("marketplaceOrderId is required (a string)")
        try:
            return check_id(body.get("marketplaceOrderId"), "marketplaceOrderId", max_length=room)
        except UntrustedInput as e:
            raise BadProtocolRequest(str(e)) from None

    def _checked_document(self, record: Mapping[str, Any]) -> None:
        try:
            self._document(record, ACCEPTED)
        except (TypeError, ValueError, KeyError) as e:
            raise BadProtocolRequest(f"the order cannot be handed to the ERP: {e}") from None

    def _new_record(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        raw_items = body.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise BadProtocolRequest("items is required")
        items: list[dict[str, Any]] = []
        for n, raw in enumerate(raw_items):
            if not isinstance(raw, Mapping):
                raise BadProtocolRequest(f"items[{n}] must be an object")
            sku_id = raw.get("id")
            if isinstance(sku_id, bool) or not isinstance(sku_id, str | int) or str(sku_id) == "":
                raise BadProtocolRequest(f"items[{n}].id is required")
            quantity = raw.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                raise BadProtocolRequest(f"items[{n}].quantity must be a positive integer")
            offer = self.index.get(str(sku_id))
            if offer is None:
                raise BadProtocolRequest(f"SKU {sku_id} is not sold by this seller")
            price = raw.get("price")
            unit = _int(price, f"items[{n}].price") if price is not None else offer.price or 0
            items.append(
                {
                    "id": str(sku_id),
                    "quantity": quantity,
                    "price": unit,
                    "seller": str(raw.get("seller") or self.settings.seller_id),
                    "measurementUnit": raw.get("measurementUnit") or offer.measurement_unit,
                    "unitMultiplier": raw.get("unitMultiplier") or offer.unit_multiplier,
                }
            )
        payment_value = body.get("marketplacePaymentValue")
        value = (
            _int(payment_value, "marketplacePaymentValue")
            if payment_value is not None
            else sum(int(i["price"]) * int(i["quantity"]) for i in items)
        )
        shipping = _map(body.get("shippingData"))
        logistics = shipping.get("logisticsInfo")
        for n, info in enumerate(logistics if isinstance(logistics, list) else []):
            if isinstance(info, Mapping) and info.get("price") is not None:
                _int(info["price"], f"shippingData.logisticsInfo[{n}].price")
        response = {
            "marketplaceOrderId": body["marketplaceOrderId"],
            "orderId": order_id,
            "followUpEmail": self.settings.follow_up_email or "",
            "items": raw_items,
            "clientProfileData": _map(body.get("clientProfileData")),
            "shippingData": {k: v for k, v in shipping.items() if k in ("address", "logisticsInfo")},
            "customData": {
                "openTextField": body.get("openTextField"),
                "marketingData": body.get("marketingData"),
            },
            "paymentData": None,
            "allowMultipleDeliveries": True,
        }
        return {
            "orderId": order_id,
            "marketplaceOrderId": body["marketplaceOrderId"],
            "marketplaceServicesEndpoint": body.get("marketplaceServicesEndpoint"),
            "value": value,
            "items": items,
            "status": ACCEPTED,
            "createdAt": self._now(),
            "clientProfileData": response["clientProfileData"],
            "shippingData": response["shippingData"],
            "response": response,
            "receipts": {},
            "invoices": [],
        }

    async def _pay(self, stage: str, record: Mapping[str, Any], payment_data: Mapping[str, Any]) -> None:
        if self.payment is None:
            raise ProtocolError("no payment handler is configured (marketplace.seller.payment_handler)")
        event = PaymentEvent(
            stage="placement" if stage == "placement" else "fulfillment",
            order_id=record["orderId"],
            marketplace_order_id=record["marketplaceOrderId"],
            value=record.get("value"),
            payment_data=payment_data,
        )
        try:
            await self.payment.handle(event)
        except PaymentError as e:
            raise BadProtocolRequest(f"payment refused: {e.message}") from None

    def _document(self, record: Mapping[str, Any], status: str) -> dict[str, Any]:
        items_total = sum(int(i["price"]) * int(i["quantity"]) for i in record["items"])
        logistics = record["shippingData"].get("logisticsInfo") or []
        freight = sum(int(li.get("price") or 0) for li in logistics if isinstance(li, Mapping))
        order = {
            "orderId": record["orderId"],
            "marketplaceOrderId": record["marketplaceOrderId"],
            "sellerOrderId": record["orderId"],
            "origin": "Marketplace",
            "salesChannel": self.settings.trade_policy,
            "status": status,
            "creationDate": record["createdAt"],
            "lastChange": record.get("updatedAt") or record["createdAt"],
            "value": record["value"],
            "totals": [{"id": "Items", "value": items_total}, {"id": "Shipping", "value": freight}],
            "items": [
                {
                    "id": i["id"],
                    "refId": i["id"],
                    "quantity": i["quantity"],
                    "price": i["price"],
                    "sellingPrice": i["price"],
                    "seller": i["seller"],
                    "measurementUnit": i["measurementUnit"],
                    "unitMultiplier": i["unitMultiplier"],
                }
                for i in record["items"]
            ],
            "clientProfileData": record["clientProfileData"],
            "shippingData": record["shippingData"],
            "storePreferencesData": {"currencyCode": self.settings.currency},
            "cancelReason": record.get("cancelReason"),
        }
        return build_document(order, status=status, account=self.account)

    async def _deliver(self, record: Mapping[str, Any], status: str) -> None:
        order_id = record["orderId"]
        if await self._call(self.state.orders.get_delivery, self.account, order_id, status) is not None:
            return
        delivery = OrderDelivery(self.account, order_id, status, self._document(record, status))
        try:
            result = await self.sink.deliver(delivery)
        except SinkError as e:
            raise ProtocolError(f"the ERP did not accept order {order_id} ({status}): {e.message}") from e
        await self._call(
            self.state.orders.record_delivery,
            self.account,
            order_id,
            status,
            sink=self.sink.name,
            erp_ref=result.erp_ref,
        )

    async def _require(self, order_id: str) -> dict[str, Any]:
        record = await self.load(order_id)
        if record is None:
            raise UnknownOrder(f"order {order_id} not found")
        return record

    def _receipt(self, record: dict[str, Any], kind: str) -> dict[str, Any]:
        receipts = record.setdefault("receipts", {})
        if kind not in receipts:
            receipts[kind] = {
                "date": self._now(),
                "marketplaceOrderId": record["marketplaceOrderId"],
                "orderId": record["orderId"],
                "receipt": uuid.uuid4().hex,
            }
        return dict(receipts[kind])

    def _check_marketplace_id(self, record: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        given = body.get("marketplaceOrderId")
        if given is not None and str(given) != record["marketplaceOrderId"]:
            raise BadProtocolRequest(
                f"marketplaceOrderId {given} is not the marketplace order of {record['orderId']}"
            )

    # --- authorize fulfillment ------------------------------------------------------------------

    async def authorize_fulfillment(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /pvt/orders/{sellerOrderId}/fulfill``: paid; the ERP may ship (idempotent).

        Raises:
            ProtocolError: 404 unknown order, 400 another marketplace order id, 409 canceled.
        """
        async with self._lock(order_id):
            record = await self._require(order_id)
            self._check_marketplace_id(record, body)
            if record["status"] in (CANCELED, CANCEL_REQUESTED):
                raise ProtocolConflict(f"order {order_id} is {record['status']}")
            if record["status"] == ACCEPTED:
                payment = body.get("paymentData")
                if self.settings.payment == "seller" and isinstance(payment, Mapping):
                    await self._pay("fulfillment", record, payment)
                record["status"] = READY
                record["updatedAt"] = self._now()
                receipt = self._receipt(record, "fulfill")
                await self._save(record)
            else:
                receipt = self._receipt(record, "fulfill")
            await self._deliver(record, READY)
            return receipt

    # --- cancellation ---------------------------------------------------------------------------

    async def cancel(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """``POST /pvt/orders/{orderId}/cancel``: the receipt confirms, ``None`` (empty body) = evaluating.

        An order not yet authorised is canceled at once. One the ERP may be preparing is handed to
        the ERP (``cancellation-requested``); VTEX asks again, and gets the receipt once the ERP
        confirmed. An invoiced order is never canceled here: the invoice is the refusal.
        """
        async with self._lock(order_id):
            record = await self._require(order_id)
            self._check_marketplace_id(record, body)
            status = record["status"]
            if status == CANCELED:
                return self._receipt(record, "cancel")
            if record.get("invoices") or status == INVOICED:
                return None
            reason = body.get("reason")
            record["cancelReason"] = str(reason) if reason is not None else record.get("cancelReason")
            if status == ACCEPTED:
                return await self._cancel_now(record)
            if status != CANCEL_REQUESTED:
                record["status"] = CANCEL_REQUESTED
                record["updatedAt"] = self._now()
                await self._save(record)
            await self._deliver(record, CANCEL_REQUESTED)
            return None

    async def _cancel_now(self, record: dict[str, Any]) -> dict[str, Any]:
        record["status"] = CANCELED
        record["updatedAt"] = self._now()
        self.index.release(record["orderId"])
        receipt = self._receipt(record, "cancel")
        await self._save(record)
        await self._deliver(record, CANCELED)
        return receipt

    async def confirm_cancellation(self, order_id: str, reason: str | None = None) -> dict[str, Any]:
        """The ERP agrees to cancel (after ``cancellation-requested``, or on its own before invoicing).

        The next cancellation call of the marketplace gets the receipt. When the ERP cancels an
        order the marketplace did not ask to cancel, the marketplace is told too (the seller's
        ``/pvt/orders/{marketplaceOrderId}/cancel`` on its services endpoint) with ``reason``, else
        the recorded one, else "Canceled by the seller".
        """
        async with self._lock(order_id):
            record = await self._require(order_id)
            if record["status"] == CANCELED:
                return self._receipt(record, "cancel")
            if record.get("invoices"):
                raise ProtocolConflict(f"order {order_id} is invoiced and cannot be canceled")
            asked = record["status"] == CANCEL_REQUESTED
            receipt = await self._cancel_now(record)
        if not asked and self.services is not None and record.get("marketplaceServicesEndpoint"):
            await self.services.cancel_order(
                record["marketplaceServicesEndpoint"],
                record["marketplaceOrderId"],
                reason or record.get("cancelReason") or "Canceled by the seller",
            )
        return receipt

    # --- invoice and tracking back to the marketplace -------------------------------------------

    def _services(self, record: Mapping[str, Any]) -> tuple[MarketplaceServices, str]:
        endpoint = record.get("marketplaceServicesEndpoint")
        if self.services is None or not endpoint:
            raise ProtocolError(f"order {record['orderId']} has no marketplace services endpoint to post to")
        return self.services, str(endpoint)

    async def send_invoice(self, order_id: str, invoice: Mapping[str, Any]) -> dict[str, Any]:
        """Post the ERP's invoice of a seller order to the marketplace (idempotent by invoice number).

        ``invoice`` is the protocol body: ``type``, ``invoiceNumber``, ``items[{id, quantity, price}]``
        (cents), ``invoiceValue``, ``issuanceDate`` and optionally courier/tracking.
        """
        record = await self._require(order_id)
        if record["status"] == CANCELED:
            raise ProtocolConflict(f"order {order_id} is canceled")
        services, endpoint = self._services(record)
        answer = await services.send_invoice(endpoint, record["marketplaceOrderId"], invoice)
        async with self._lock(order_id):
            record = await self._require(order_id)
            number = str(invoice.get("invoiceNumber"))
            if number not in record["invoices"]:
                record["invoices"].append(number)
            if invoice.get("type", "Output") == "Output":
                record["status"] = INVOICED
            record["updatedAt"] = self._now()
            await self._save(record)
        return answer

    async def send_tracking(
        self, order_id: str, invoice_number: str, tracking: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Post courier, tracking number/URL and dispatch date of an invoice to the marketplace."""
        record = await self._require(order_id)
        services, endpoint = self._services(record)
        return await services.send_tracking(endpoint, record["marketplaceOrderId"], invoice_number, tracking)

    async def send_tracking_events(
        self, order_id: str, invoice_number: str, events: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Post delivery progress (``isDelivered``, ``events[]``) of an invoice to the marketplace."""
        record = await self._require(order_id)
        services, endpoint = self._services(record)
        return await services.send_tracking_events(
            endpoint, record["marketplaceOrderId"], invoice_number, events
        )
