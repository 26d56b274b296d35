"""Marketplace bodies: SKU suggestions (``VTEX - Marketplace APIs - Suggestions.json``) sent by an
external seller to a VTEX marketplace, and the fulfillment calls an external marketplace makes on a
VTEX seller (``VTEX - Marketplace Protocol - External Marketplace Orders.json``): simulation, order
placement, dispatch authorisation. Checkout and fulfillment amounts are integer cents.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from vtexbridge.vtex.models.base import JsonNumber, RequestModel, ResponseModel

# --- SKU suggestion ---------------------------------------------------------------------------


class SuggestionSpecification(RequestModel):
    fieldName: str
    fieldValues: list[str]


class SuggestionImage(RequestModel):
    imageName: str
    imageUrl: str = Field(pattern=r"^https?://")


class SuggestionPricing(RequestModel):
    """The seller's price. The spec types ``SalePrice`` as an integer "without decimal places" and does
    not name the unit (its example is ``399`` BRL): the mapping decides, the model keeps it whole."""

    Currency: str
    SalePrice: int = Field(ge=0)
    CurrencySymbol: str


class SkuSuggestion(RequestModel):
    """``PUT /suggestions/{sellerId}/{sellerSkuId}``: a new SKU offered to the marketplace. Sending
    it again replaces a suggestion not yet approved."""

    send_null: ClassVar[frozenset[str]] = frozenset({"Updated"})

    ProductName: str
    ProductId: str
    ProductDescription: str
    BrandName: str
    SkuName: str
    SellerId: str
    Height: JsonNumber = Field(ge=0)
    Width: JsonNumber = Field(ge=0)
    Length: JsonNumber = Field(ge=0)
    Weight: JsonNumber = Field(ge=0)
    Updated: str | None = None
    """Required by the spec's schema without a type; VTEX's own example sends ``null``."""
    RefId: str
    EAN: str
    SellerStockKeepingUnitId: int | None = None
    CategoryFullPath: str
    SkuSpecifications: list[SuggestionSpecification] | None = None
    ProductSpecifications: list[SuggestionSpecification] | None = None
    Images: list[SuggestionImage] = Field(min_length=1)
    MeasurementUnit: str | None = None
    UnitMultiplier: JsonNumber | None = None
    AvailableQuantity: int = Field(ge=0)
    Pricing: SuggestionPricing


# --- fulfillment simulation -------------------------------------------------------------------


class SimulationItem(RequestModel):
    id: str
    quantity: int = Field(ge=1)
    seller: str


class MarketingData(RequestModel):
    coupon: str | None = None
    utmSource: str | None = None
    utmMedium: str | None = None
    utmCampaign: str | None = None
    utmiPage: str | None = None
    utmiPart: str | None = None
    utmiCampaign: str | None = None


class FulfillmentSimulation(RequestModel):
    """``POST /api/checkout/pub/orderForms/simulation`` on a VTEX seller. Without ``postalCode`` and
    ``country`` it answers prices and availability only (the indexing case)."""

    items: list[SimulationItem] = Field(min_length=1)
    postalCode: str | None = None
    country: str | None = Field(default=None, min_length=3, max_length=3)
    geoCoordinates: list[float] | None = None
    selectedSla: str | None = None
    marketingData: MarketingData | None = None
    clientProfileData: dict[str, Any] | None = None
    isCheckedIn: bool | None = None
    storeId: str | None = None


class SimulatedItem(ResponseModel):
    id: str
    requestIndex: int | None = None
    quantity: int | None = None
    seller: str | None = None
    price: int | None = None
    listPrice: int | None = None
    sellingPrice: int | None = None
    priceValidUntil: str | None = None
    availability: str | None = None
    measurementUnit: str | None = None
    unitMultiplier: float | None = None


class SimulationResult(ResponseModel):
    items: list[SimulatedItem] = Field(default_factory=list)
    logisticsInfo: list[dict[str, Any]] = Field(default_factory=list)
    postalCode: str | None = None
    country: str | None = None


# --- fulfillment order ------------------------------------------------------------------------


class PriceTag(RequestModel):
    identifier: str | None = None
    isPercentual: bool | None = None
    name: str
    rawValue: int | None = None
    value: int


class FulfillmentOrderItem(RequestModel):
    id: str
    quantity: int = Field(ge=1)
    seller: str
    commission: int | None = None
    freightCommission: int | None = None
    price: int | None = Field(default=None, ge=0)
    priceTags: list[PriceTag] | None = None
    measurementUnit: str | None = None
    unitMultiplier: JsonNumber | None = None
    isGift: bool | None = None


class FulfillmentClientProfile(RequestModel):
    email: str
    firstName: str
    lastName: str
    documentType: str
    document: str
    phone: str | None = None
    corporateName: str | None = None
    tradeName: str | None = None
    corporateDocument: str | None = None
    stateInscription: str | None = None
    corporatePhone: str | None = None
    isCorporate: bool | None = None


class FulfillmentAddress(RequestModel):
    addressType: str
    receiverName: str
    addressId: str | None = None
    postalCode: str
    city: str
    state: str
    country: str
    street: str
    number: str
    neighborhood: str | None = None
    complement: str | None = None
    reference: str | None = None


class FulfillmentLogisticsInfo(RequestModel):
    itemIndex: int = Field(ge=0)
    selectedSla: str
    lockTTL: str | None = None
    shippingEstimate: str | None = None
    price: int = Field(ge=0)
    deliveryWindow: dict[str, Any] | None = None


class FulfillmentShippingData(RequestModel):
    address: FulfillmentAddress
    logisticsInfo: list[FulfillmentLogisticsInfo]
    updateStatus: str | None = None


class FulfillmentOrder(RequestModel):
    """``POST /api/fulfillment/pvt/orders``: an order placed by an external marketplace on a VTEX
    seller. ``marketplacePaymentValue`` and item prices are in cents."""

    marketplaceOrderId: str
    marketplaceServicesEndpoint: str
    marketplacePaymentValue: int = Field(ge=0)
    isCreatedAsync: bool | None = None
    items: list[FulfillmentOrderItem] = Field(min_length=1)
    clientProfileData: FulfillmentClientProfile
    shippingData: FulfillmentShippingData
    paymentData: dict[str, Any] | None = None
    marketingData: MarketingData | None = None
    openTextField: str | None = None


class FulfillmentOrderResult(ResponseModel):
    orderId: str | None = None
    marketplaceOrderId: str | None = None
    status: str | None = None
    message: str | None = None
    orderData: dict[str, Any] | None = None


class DispatchAuthorization(RequestModel):
    marketplaceOrderId: str


class DispatchResult(ResponseModel):
    status: str | None = None
    message: str | None = None
    orderId: str | None = None
    details: dict[str, Any] | None = None
