"""Orders of the external marketplace on the VTEX seller, and what the seller sends back.

Outbound (through the seller's VTEX client, ``affiliateId`` and ``sc`` on every call):

- :meth:`AffiliateOrders.simulate` — ``POST /api/checkout/pub/orderForms/simulation``;
- :meth:`AffiliateOrders.place` — ``POST /api/fulfillment/pvt/orders`` with our
  ``marketplaceServicesEndpoint``; idempotent per ``marketplaceOrderId`` (the seller order id is kept
  in the state store and answered again; VTEX itself answers an existing order too). With
  ``payment = "seller"``, the marketplace then creates the payment transaction in the seller through
  the configured :class:`~vtexbridge.marketplace.seller.payment.PaymentHandler` (stage
  ``transaction``); the payment data is never logged nor stored;
- :meth:`AffiliateOrders.authorize_dispatch` — ``POST /api/fulfillment/pvt/orders/{orderId}/fulfill``
  once the marketplace has the money;
- :meth:`AffiliateOrders.cancel` — ``POST /api/oms/pvt/orders/{orderId}/cancel`` on the seller.

Inbound (our marketplace services endpoint, spec ``External Seller Marketplace``, under
``{path}/services``): invoice, tracking, tracking events, the seller's cancellation and the seller's
agreements to order modifications (``Acknowledgment``, then ``Confirmation`` once applied; kept per
change request under ``changes``) are recorded on the order and written to the catalog sink's
``orders/`` (the marketplace side).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

from vtexbridge.clock import Clock
from vtexbridge.marketplace.affiliate.catalog_sink import CatalogSink
from vtexbridge.marketplace.errors import BadProtocolRequest, ProtocolConflict, ProtocolError, UnknownOrder
from vtexbridge.marketplace.seller.payment import PaymentError, PaymentEvent, PaymentHandler
from vtexbridge.marketplace.settings import AffiliateSettings
from vtexbridge.state import StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.models.marketplace import (
    FulfillmentOrder,
    FulfillmentSimulation,
    SimulationItem,
    SimulationResult,
)

__all__ = ["AGREEMENT_TYPES", "SCOPE", "AffiliateOrders"]

SCOPE = "marketplace.affiliate.orders"
AGREEMENT_TYPES = ("Acknowledgment", "Confirmation")
MAX_CHANGE_ID = 100


class AffiliateOrders:
    """The affiliate's orders on one VTEX seller (``client`` is the seller's account)."""

    def __init__(
        self,
        settings: AffiliateSettings,
        account: str,
        client: VtexClient,
        state: StateStore,
        sink: CatalogSink,
        clock: Clock,
        payment: PaymentHandler | None = None,
    ) -> None:
        self.settings = settings
        self.account = account
        self.client = client
        self.state = state
        self.sink = sink
        self.clock = clock
        self.payment = payment
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def _sc(self) -> str | None:
        return self.settings.sales_channel or None

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def load(self, marketplace_order_id: str) -> dict[str, Any] | None:
        value = await asyncio.to_thread(
            self.state.values.get, SCOPE, f"{self.account}:{marketplace_order_id}"
        )
        return dict(value) if isinstance(value, Mapping) else None

    async def _save(self, record: dict[str, Any]) -> None:
        record["updatedAt"] = self.clock.now().isoformat()
        key = f"{self.account}:{record['marketplaceOrderId']}"
        await asyncio.to_thread(self.state.values.put, SCOPE, key, record)
        await self.sink.put_order(record)

    async def _require(self, order_id: str) -> dict[str, Any]:
        """The record of a marketplace order id, or of the seller's order id (VTEX's OMS may use it)."""
        record = await self.load(order_id)
        if record is None:
            alias = await asyncio.to_thread(self.state.values.get, SCOPE, f"{self.account}:seller:{order_id}")
            record = await self.load(str(alias)) if alias else None
        if record is None:
            raise UnknownOrder(f"marketplace order {order_id} not found")
        return record

    # --- outbound -------------------------------------------------------------------------------

    async def simulate(
        self, items: list[tuple[str, int]], *, postal_code: str | None = None
    ) -> SimulationResult:
        """Prices, availability and SLAs of ``[(skuId, quantity)]`` for this affiliate."""
        simulation = FulfillmentSimulation(
            items=[SimulationItem(id=sku, quantity=qty, seller="1") for sku, qty in items],
            postalCode=postal_code,
            country="BRA" if postal_code else None,
        )
        sc = int(self.settings.sales_channel) if self.settings.sales_channel.isdigit() else None
        return await self.client.marketplace.simulate_fulfillment(
            simulation, affiliate_id=self.settings.affiliate_id, sales_channel=sc
        )

    async def place(
        self, order: FulfillmentOrder, *, payment_data: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Place ``order`` on the seller (its ``marketplaceServicesEndpoint`` is set to ours).

        ``payment_data`` (``payment = "seller"``) goes to the payment handler after the placement,
        never to the seller's order nor to the state store.
        """
        mkp_id = order.marketplaceOrderId
        async with self._lock(mkp_id):
            record = await self.load(mkp_id)
            if record is None:
                body = order.model_copy(
                    update={"marketplaceServicesEndpoint": self.settings.services_endpoint()}
                )
                result = await self.client.marketplace.place_fulfillment_order(
                    body, affiliate_id=self.settings.affiliate_id, sales_channel=self._sc
                )
                if not result.orderId:
                    raise ProtocolError(f"the seller did not create order {mkp_id}: {result.message}")
                record = {
                    "marketplaceOrderId": mkp_id,
                    "sellerOrderId": result.orderId,
                    "status": "placed",
                    "sellerStatus": result.status,
                    "value": order.marketplacePaymentValue,
                    "items": [{"id": i.id, "quantity": i.quantity, "price": i.price} for i in order.items],
                    "invoices": [],
                    "tracking": [],
                    "createdAt": self.clock.now().isoformat(),
                }
                await self._save(record)
                alias = f"{self.account}:seller:{result.orderId}"
                await asyncio.to_thread(self.state.values.put, SCOPE, alias, mkp_id)
            if self.settings.payment == "seller" and not record.get("paymentReference"):
                if payment_data is None:
                    raise BadProtocolRequest("payment = 'seller': the order's payment data is required")
                await self._create_transaction(record, payment_data)
            return record

    async def _create_transaction(self, record: dict[str, Any], payment_data: Mapping[str, Any]) -> None:
        if self.payment is None:
            raise ProtocolError("no payment handler is configured (marketplace.affiliate.payment_handler)")
        event = PaymentEvent(
            stage="transaction",
            order_id=record["sellerOrderId"],
            marketplace_order_id=record["marketplaceOrderId"],
            value=record.get("value"),
            payment_data=payment_data,
        )
        try:
            outcome = await self.payment.handle(event)
        except PaymentError as e:
            raise BadProtocolRequest(f"the payment transaction was refused: {e.message}") from None
        record["paymentReference"] = (outcome.reference if outcome else None) or "created"
        await self._save(record)

    async def authorize_dispatch(self, marketplace_order_id: str) -> dict[str, Any]:
        """The marketplace has the payment: the seller may fulfil (idempotent)."""
        async with self._lock(marketplace_order_id):
            record = await self._require(marketplace_order_id)
            if record["status"] == "canceled":
                raise ProtocolConflict(f"marketplace order {marketplace_order_id} is canceled")
            if self.settings.payment == "seller" and not record.get("paymentReference"):
                raise ProtocolConflict(
                    f"marketplace order {marketplace_order_id} has no payment transaction yet"
                )
            if record["status"] == "placed":
                result = await self.client.marketplace.authorize_dispatch(
                    record["sellerOrderId"],
                    marketplace_order_id,
                    affiliate_id=self.settings.affiliate_id,
                    sales_channel=self._sc,
                )
                record.update(status="dispatch-authorized", sellerStatus=result.status)
                await self._save(record)
            return record

    async def cancel(self, marketplace_order_id: str, reason: str) -> dict[str, Any]:
        """Cancel the order on the seller (before it is invoiced)."""
        async with self._lock(marketplace_order_id):
            record = await self._require(marketplace_order_id)
            if record["status"] == "canceled":
                return record
            if record["invoices"]:
                raise ProtocolConflict(f"marketplace order {marketplace_order_id} is invoiced")
            receipt = await self.client.orders.cancel_order(record["sellerOrderId"], reason=reason)
            record.update(status="canceled", cancelReason=reason, cancelReceipt=receipt.receipt)
            await self._save(record)
            return record

    # --- inbound: the marketplace services endpoint ---------------------------------------------

    def _receipt(self, marketplace_order_id: str) -> dict[str, Any]:
        return {
            "date": self.clock.now().isoformat(),
            "orderId": marketplace_order_id,
            "receipt": uuid.uuid4().hex,
        }

    @staticmethod
    def _require_fields(body: Any, names: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise BadProtocolRequest("the body must be a JSON object")
        missing = [n for n in names if body.get(n) in (None, "")]
        if missing:
            raise BadProtocolRequest(f"missing required fields: {', '.join(missing)}")
        return dict(body)

    async def receive_invoice(self, order_id: str, body: Any) -> dict[str, Any]:
        """The seller invoiced (``type`` Output) or took a return (Input); re-posting a number replaces it."""
        invoice = self._require_fields(body, ("invoiceNumber",))
        marketplace_order_id = (await self._require(order_id))["marketplaceOrderId"]
        async with self._lock(marketplace_order_id):
            record = await self._require(marketplace_order_id)
            number = str(invoice["invoiceNumber"])
            kept = [i for i in record["invoices"] if i.get("invoiceNumber") != number]
            previous: dict[str, Any] = next(
                (i for i in record["invoices"] if i.get("invoiceNumber") == number), {}
            )
            record["invoices"] = [*kept, {**previous, **invoice, "receivedAt": self.clock.now().isoformat()}]
            if invoice.get("type", "Output") == "Output" and record["status"] != "canceled":
                record["status"] = "invoiced"
            if invoice.get("trackingNumber"):
                record["tracking"].append(
                    {
                        "invoiceNumber": number,
                        **{k: invoice.get(k) for k in ("courier", "trackingNumber", "trackingUrl")},
                    }
                )
            await self._save(record)
        return self._receipt(marketplace_order_id)

    async def receive_tracking(
        self, marketplace_order_id: str, invoice_number: str, body: Any
    ) -> dict[str, Any]:
        """Courier, tracking number and URL, dispatch date of an invoice."""
        tracking = self._require_fields(body, ("trackingNumber",))
        return await self._track(marketplace_order_id, invoice_number, tracking)

    async def receive_tracking_events(
        self, marketplace_order_id: str, invoice_number: str, body: Any
    ) -> dict[str, Any]:
        """Delivery progress of an invoice (``isDelivered``, ``events[]``)."""
        events = self._require_fields(body, ())
        if not isinstance(events.get("isDelivered"), bool):
            raise BadProtocolRequest("isDelivered is required (true or false)")
        return await self._track(marketplace_order_id, invoice_number, events)

    async def _track(self, order_id: str, invoice_number: str, data: dict[str, Any]) -> dict[str, Any]:
        marketplace_order_id = (await self._require(order_id))["marketplaceOrderId"]
        async with self._lock(marketplace_order_id):
            record = await self._require(marketplace_order_id)
            if not any(i.get("invoiceNumber") == invoice_number for i in record["invoices"]):
                raise UnknownOrder(f"invoice {invoice_number} of {marketplace_order_id} not found")
            record["tracking"].append(
                {"invoiceNumber": invoice_number, **data, "receivedAt": self.clock.now().isoformat()}
            )
            if data.get("isDelivered") is True:
                record["status"] = "delivered"
            await self._save(record)
        return self._receipt(marketplace_order_id)

    async def receive_cancellation(self, order_id: str, body: Any) -> dict[str, Any]:
        """The seller canceled the order (before invoicing)."""
        request = self._require_fields(body, ("reason",))
        marketplace_order_id = (await self._require(order_id))["marketplaceOrderId"]
        async with self._lock(marketplace_order_id):
            record = await self._require(marketplace_order_id)
            if any(i.get("type", "Output") == "Output" for i in record["invoices"]):
                raise BadProtocolRequest(
                    f"marketplace order {marketplace_order_id} is invoiced: send a return invoice"
                )
            record.update(status="canceled", cancelReason=request["reason"], canceledBy="seller")
            await self._save(record)
        return self._receipt(marketplace_order_id)

    async def receive_change_agreement(self, order_id: str, change_id: str, body: Any) -> dict[str, Any]:
        """The seller acknowledges an order modification (``Acknowledgment``) or confirms it applied it
        (``Confirmation``); a repeated agreement is recorded once. Answers ``{orderId, changeRequestId,
        agreementType}``."""
        kind = self._require_fields(body, ("agreementType",))["agreementType"]
        if kind not in AGREEMENT_TYPES:
            raise BadProtocolRequest(
                f"agreementType must be one of {', '.join(AGREEMENT_TYPES)}, not {kind!r}"
            )
        if not change_id or len(change_id) > MAX_CHANGE_ID:
            raise BadProtocolRequest(f"the change request id must have 1 to {MAX_CHANGE_ID} characters")
        marketplace_order_id = (await self._require(order_id))["marketplaceOrderId"]
        async with self._lock(marketplace_order_id):
            record = await self._require(marketplace_order_id)
            changes: list[dict[str, Any]] = record.setdefault("changes", [])
            entry = next((c for c in changes if c.get("changeRequestId") == change_id), None)
            if entry is None:
                entry = {"changeRequestId": change_id, "agreements": [], "status": "requested"}
                changes.append(entry)
            if all(a.get("agreementType") != kind for a in entry["agreements"]):
                entry["agreements"].append(
                    {"agreementType": kind, "receivedAt": self.clock.now().isoformat()}
                )
            if kind == "Confirmation":
                entry["status"] = "applied"
            elif entry["status"] != "applied":
                entry["status"] = "acknowledged"
            await self._save(record)
        return {"orderId": order_id, "changeRequestId": change_id, "agreementType": kind}
