"""Orders API (OMS, ``VTEX - Orders API.json``): read orders, start handling, invoice, tracking,
cancel, and change orders through the current v2 API (``/api/order-system/orders/{changeOrderId}/
changes``; the old ``POST /api/oms/pvt/orders/{orderId}/changes`` is deprecated and not offered).

Money is in integer cents. Listing orders is for people, not integrations (VTEX indexes with a few
minutes' delay and stops at 30 pages): integrations follow the feed or the hook (``feed.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from vtexbridge.errors import RecordRef
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.orders import (
    Invoice,
    InvoiceTracking,
    Order,
    OrderCancellation,
    OrderChange,
    OrderChangeHistory,
    OrderChangeRequest,
    OrderList,
    Receipt,
    TrackingStatus,
)
from vtexbridge.vtex.paths import segments
from vtexbridge.vtex.transport import Transport

ORDERS = "/api/oms/pvt/orders"
ORDER = "/api/oms/pvt/orders/{orderId}"
START_HANDLING = "/api/oms/pvt/orders/{orderId}/start-handling"
INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"
INVOICE_TRACKING = "/api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}"
TRACKING_STATUS = "/api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}/tracking"
CANCEL = "/api/oms/pvt/orders/{orderId}/cancel"
ORDER_CHANGES = "/api/order-system/orders/{changeOrderId}/changes"
ORDER_CHANGE_PREVIEW = "/api/order-system/orders/{changeOrderId}/changes/preview"
ORDER_CHANGE = "/api/order-system/orders/{changeOrderId}/changes/{changeRequestId}"

LIST_PER_PAGE_MAX = 100
LIST_PAGES_MAX = 30


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("creation date bounds must carry a time zone")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class OrdersAPI:
    """The OMS of one account."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def get_order(self, order_id: str, *, record: RecordRef | None = None) -> Order:
        r = await self._t.request(Api.ORDERS, "GET", ORDER, path=segments(orderId=order_id), record=record)
        return Order.model_validate(r.json())

    async def list_orders(
        self,
        *,
        status: Sequence[str] | str | None = None,
        created_between: tuple[datetime, datetime] | None = None,
        page: int = 1,
        per_page: int = 15,
        order_by: str | None = None,
        record: RecordRef | None = None,
    ) -> OrderList:
        """One page of orders, newest indexed first unless ``order_by`` says otherwise
        (``"creationDate,asc"``). ``status`` filters by one or more statuses; ``created_between`` by
        creation date (both bounds with a time zone)."""
        if not 1 <= per_page <= LIST_PER_PAGE_MAX or not 1 <= page <= LIST_PAGES_MAX:
            raise ValueError(f"per_page is 1..{LIST_PER_PAGE_MAX} and page 1..{LIST_PAGES_MAX}")
        created = None
        if created_between is not None:
            created = f"creationDate:[{_utc(created_between[0])} TO {_utc(created_between[1])}]"
        statuses = status if status is None or isinstance(status, str) else ",".join(status)
        r = await self._t.request(
            Api.ORDERS,
            "GET",
            ORDERS,
            params={
                "f_status": statuses,
                "f_creationDate": created,
                "orderBy": order_by,
                "page": page,
                "per_page": per_page,
            },
            record=record,
        )
        return OrderList.model_validate(r.json())

    async def start_handling(self, order_id: str, *, record: RecordRef | None = None) -> None:
        """Move a ``ready-for-handling`` order to ``handling`` (VTEX answers 409 from any other status).

        Safe to repeat (a repeat is answered 409 ``OMS003``), so it is retried like a read; the caller
        resolves a 409 by reading the order's status."""
        await self._t.request(
            Api.ORDERS,
            "POST",
            START_HANDLING,
            path=segments(orderId=order_id),
            idempotent=True,
            record=record,
        )

    async def invoice_order(
        self, order_id: str, invoice: Invoice, *, record: RecordRef | None = None
    ) -> Receipt:
        """Send an invoice (amounts in cents). A full invoice moves the order to ``invoiced``; the
        same ``invoiceNumber`` sent again only yields a new receipt."""
        r = await self._t.request(
            Api.ORDERS,
            "POST",
            INVOICE,
            path=segments(orderId=order_id),
            json=invoice.body(),
            idempotent=True,
            record=record,
        )
        return Receipt.model_validate(r.json())

    async def update_invoice_tracking(
        self,
        order_id: str,
        invoice_number: str,
        tracking: InvoiceTracking,
        *,
        record: RecordRef | None = None,
    ) -> Receipt:
        """Add the carrier's tracking number to an invoice already sent."""
        r = await self._t.request(
            Api.ORDERS,
            "PATCH",
            INVOICE_TRACKING,
            path=segments(orderId=order_id, invoiceNumber=invoice_number),
            json=tracking.body(),
            idempotent=True,
            record=record,
        )
        return Receipt.model_validate(r.json())

    async def update_tracking_status(
        self,
        order_id: str,
        invoice_number: str,
        status: TrackingStatus,
        *,
        record: RecordRef | None = None,
    ) -> Receipt:
        """Report the tracking events (and delivery) of an invoice that has a tracking number."""
        r = await self._t.request(
            Api.ORDERS,
            "PUT",
            TRACKING_STATUS,
            path=segments(orderId=order_id, invoiceNumber=invoice_number),
            json=status.body(),
            record=record,
        )
        return Receipt.model_validate(r.json())

    async def cancel_order(
        self, order_id: str, *, reason: str | None = None, record: RecordRef | None = None
    ) -> Receipt:
        """Cancel an order that is not (even partially) invoiced. Irreversible."""
        r = await self._t.request(
            Api.ORDERS,
            "POST",
            CANCEL,
            path=segments(orderId=order_id),
            json=OrderCancellation(reason=reason).body(),
            record=record,
        )
        return Receipt.model_validate(r.json())

    # --- order changes (v2) -------------------------------------------------------------------

    async def create_order_change(
        self, order_id: str, change: OrderChange, *, record: RecordRef | None = None
    ) -> OrderChangeRequest:
        """Request a change of items, prices or shipping; VTEX accepts it (202) and works on it."""
        r = await self._t.request(
            Api.ORDERS,
            "PATCH",
            ORDER_CHANGES,
            path=segments(changeOrderId=order_id),
            params={"accountName": self._t.settings.account},
            json=change.body(),
            idempotent=False,
            record=record,
        )
        return OrderChangeRequest.model_validate(r.json())

    async def preview_order_change(
        self, order_id: str, change: OrderChange, *, record: RecordRef | None = None
    ) -> OrderChangeRequest:
        """What a change would do (new totals), without applying it."""
        r = await self._t.request(
            Api.ORDERS,
            "POST",
            ORDER_CHANGE_PREVIEW,
            path=segments(changeOrderId=order_id),
            params={"an": self._t.settings.account},
            json=change.body(),
            idempotent=True,
            record=record,
        )
        return OrderChangeRequest.model_validate(r.json())

    async def list_order_changes(
        self, order_id: str, *, record: RecordRef | None = None
    ) -> OrderChangeHistory:
        r = await self._t.request(
            Api.ORDERS,
            "GET",
            ORDER_CHANGES,
            path=segments(changeOrderId=order_id),
            params={"an": self._t.settings.account},
            record=record,
        )
        return OrderChangeHistory.model_validate(r.json())

    async def get_order_change(
        self, order_id: str, change_request_id: str, *, record: RecordRef | None = None
    ) -> OrderChangeRequest:
        r = await self._t.request(
            Api.ORDERS,
            "GET",
            ORDER_CHANGE,
            path=segments(changeOrderId=order_id, changeRequestId=change_request_id),
            params={"an": self._t.settings.account},
            record=record,
        )
        return OrderChangeRequest.model_validate(r.json())
