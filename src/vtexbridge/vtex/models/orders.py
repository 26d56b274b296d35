"""Orders (OMS) bodies (``VTEX - Orders API.json``): orders, invoices, tracking, cancellation and
order changes (the v2 ``/api/order-system`` API).

Money in OMS is **integer cents** (``2499`` is 24.99): the invoice takes ``invoiceValue`` and item
``price`` in cents, and ``invoiceValue`` travels as a string of digits, as the spec types it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainSerializer

from vtexbridge.vtex.models.base import RequestModel, ResponseModel

Cents = Annotated[int, Field(ge=0)]
"""An amount in cents of the order's currency."""

CentsString = Annotated[int, Field(gt=0), PlainSerializer(str, return_type=str)]
"""Cents, serialised as a string of digits (``invoiceValue``)."""

DeliveredDate = Annotated[datetime, PlainSerializer(lambda d: d.strftime("%Y-%m-%d %H:%M"), return_type=str)]
"""``deliveredDate`` travels as ``yyyy-mm-dd hh:mm``."""

# --- reading orders ---------------------------------------------------------------------------


class OrderTotal(ResponseModel):
    id: str
    name: str | None = None
    value: int


class OrderItem(ResponseModel):
    uniqueId: str | None = None
    id: str
    productId: str | None = None
    ean: str | None = None
    refId: str | None = None
    quantity: int
    seller: str | None = None
    name: str | None = None
    price: int | None = None
    listPrice: int | None = None
    sellingPrice: int | None = None
    measurementUnit: str | None = None
    unitMultiplier: float | None = None


class ClientProfile(ResponseModel):
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    documentType: str | None = None
    document: str | None = None
    phone: str | None = None
    corporateName: str | None = None
    isCorporate: bool | None = None
    userProfileId: str | None = None


class Package(ResponseModel):
    """An invoice (and its tracking) attached to the order."""

    invoiceNumber: str | None = None
    invoiceValue: int | None = None
    invoiceKey: str | None = None
    invoiceUrl: str | None = None
    issuanceDate: str | None = None
    type: str | None = None
    courier: str | None = None
    trackingNumber: str | None = None
    trackingUrl: str | None = None
    items: list[dict[str, Any]] = Field(default_factory=list)


class PackageAttachment(ResponseModel):
    packages: list[Package] = Field(default_factory=list)


class Order(ResponseModel):
    """``GET /api/oms/pvt/orders/{orderId}``. The typed fields are those the middleware reads;
    everything else (shipping, payment, marketing …) stays available in ``model_extra``."""

    orderId: str
    sequence: str | None = None
    marketplaceOrderId: str | None = None
    marketplaceServicesEndpoint: str | None = None
    sellerOrderId: str | None = None
    origin: str | None = None
    affiliateId: str | None = None
    salesChannel: str | None = None
    merchantName: str | None = None
    status: str
    statusDescription: str | None = None
    workflowIsInError: bool | None = None
    value: int | None = None
    creationDate: str | None = None
    lastChange: str | None = None
    orderGroup: str | None = None
    isCompleted: bool | None = None
    allowCancellation: bool | None = None
    allowEdition: bool | None = None
    authorizedDate: str | None = None
    invoicedDate: str | None = None
    cancelReason: str | None = None
    totals: list[OrderTotal] = Field(default_factory=list)
    items: list[OrderItem] = Field(default_factory=list)
    clientProfileData: ClientProfile | None = None
    packageAttachment: PackageAttachment | None = None
    shippingData: dict[str, Any] | None = None
    paymentData: dict[str, Any] | None = None
    customData: dict[str, Any] | None = None


class OrderSummary(ResponseModel):
    """An order as listed by ``GET /api/oms/pvt/orders`` (no items)."""

    orderId: str
    creationDate: str | None = None
    clientName: str | None = None
    totalValue: int | None = None
    paymentNames: str | None = None
    status: str
    statusDescription: str | None = None
    marketPlaceOrderId: str | None = None
    sequence: str | None = None
    salesChannel: str | None = None
    affiliateId: str | None = None
    origin: str | None = None
    workflowInErrorState: bool | None = None
    orderIsComplete: bool | None = None
    authorizedDate: str | None = None
    totalItems: int | None = None
    currencyCode: str | None = None


class OrderPaging(ResponseModel):
    total: int
    pages: int
    currentPage: int
    perPage: int


class OrderList(ResponseModel):
    orders: list[OrderSummary] = Field(alias="list")
    paging: OrderPaging
    facets: list[Any] = Field(default_factory=list)


# --- invoice, tracking, cancel ----------------------------------------------------------------


class InvoiceItem(RequestModel):
    id: str
    """The SKU id."""
    price: Cents
    """Unit price in cents."""
    description: str | None = None
    quantity: int = Field(ge=1)


class Invoice(RequestModel):
    """``POST /api/oms/pvt/orders/{orderId}/invoice``. ``Output`` is a sale, ``Input`` a return.

    Sending the same ``invoiceNumber`` again only yields a new receipt, so the call is safe to repeat.
    """

    type: Literal["Output", "Input"]
    issuanceDate: datetime
    invoiceNumber: str = Field(min_length=1)
    invoiceValue: CentsString
    invoiceKey: str | None = None
    invoiceUrl: str | None = None
    embeddedInvoice: str | None = None
    courier: str | None = None
    trackingNumber: str | None = None
    trackingUrl: str | None = None
    dispatchedDate: datetime | None = None
    items: list[InvoiceItem] = Field(min_length=1)


class InvoiceTracking(RequestModel):
    """``PATCH /api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}``: the tracking number of an
    invoice already sent (the spec requires every key, ``null`` allowed but for the number)."""

    send_null: ClassVar[frozenset[str]] = frozenset({"trackingUrl", "dispatchedDate", "courier"})

    trackingNumber: str = Field(min_length=1)
    trackingUrl: str | None = None
    dispatchedDate: datetime | None = None
    courier: str | None = None


class TrackingEvent(RequestModel):
    city: str
    state: str
    description: str
    date: datetime | date


class TrackingStatus(RequestModel):
    """``PUT …/invoice/{invoiceNumber}/tracking``: only for an invoice that has a tracking number."""

    send_null: ClassVar[frozenset[str]] = frozenset({"deliveredDate"})

    isDelivered: bool
    deliveredDate: DeliveredDate | None = None
    events: list[TrackingEvent]


class OrderCancellation(RequestModel):
    reason: str | None = None


class Receipt(ResponseModel):
    """What OMS answers to invoice, tracking and cancel requests."""

    date: str | None = None
    orderId: str | None = None
    receipt: str | None = None


# --- order changes (v2) -----------------------------------------------------------------------


class ChangeItemFrom(RequestModel):
    id: str
    uniqueId: str | None = None
    quantity: int = Field(ge=0)
    price: Cents | None = None


class ChangeItemTo(RequestModel):
    id: str
    uniqueId: str | None = None
    quantity: int = Field(ge=0)
    measurementUnit: str | None = None
    unitMultiplier: float | None = None
    manualDiscountValue: Cents | None = None
    manualIncrementValue: Cents | None = None


class ChangeLogisticsInfo(RequestModel):
    itemIndex: int = Field(ge=0)
    selectedSla: str
    selectedDeliveryChannel: Literal["delivery", "pickup-in-point"]
    addressId: str
    price: Cents


class ChangeShippingData(RequestModel):
    logisticsInfo: list[ChangeLogisticsInfo]


class ChangeFrom(RequestModel):
    items: list[ChangeItemFrom]
    customData: dict[str, Any] | None = None


class ChangeTo(RequestModel):
    items: list[ChangeItemTo]
    customData: dict[str, Any] | None = None
    shippingData: ChangeShippingData | None = None


class ChangeReplacement(RequestModel):
    from_: ChangeFrom = Field(alias="from")
    to: ChangeTo


class OrderChange(RequestModel):
    """A change of an order (``PATCH`` and ``POST …/preview`` of ``/api/order-system/orders/
    {changeOrderId}/changes``). Allowed while the order is ``handling``, ``waiting-for-fulfillment``
    or ready for invoicing; stock is not adjusted by VTEX."""

    reason: str = Field(min_length=1)
    replace: list[ChangeReplacement] = Field(min_length=1)
    settings: dict[str, Any] | None = None


class OrderChangeRequest(ResponseModel):
    """A change request as VTEX answers it (create: ``202``; history; detail; preview)."""

    requestId: str | None = None
    workflowId: str | None = None
    status: str | None = None
    inProgress: bool | None = None
    reason: str | None = None
    manualDiscountValue: int | None = None
    manualIncrementValue: int | None = None
    totalChangeValue: int | None = None
    date: str | None = None


class OrderChangeHistory(ResponseModel):
    requests: list[OrderChangeRequest] = Field(default_factory=list)
    actions: list[Any] = Field(default_factory=list)
