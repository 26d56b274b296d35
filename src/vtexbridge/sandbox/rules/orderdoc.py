"""The order document: built once at placement in the shape of ``GET /api/oms/pvt/orders/{orderId}``.

Pure: the caller resolves catalog, price, stock and customer data into an :class:`OrderDraft`;
:func:`build_order` turns it into the full OMS document (money in integer cents), and
:func:`recompute_totals` keeps ``totals`` and ``value`` consistent after items change.
The ``GET /api/oms/pvt/orders`` list shapes are in :mod:`.orderlist`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vtexbridge.sandbox.rules.orders import refresh_flags, vtex_time

__all__ = [
    "Address",
    "Customer",
    "Dimension",
    "LineItem",
    "OrderDraft",
    "StoreInfo",
    "build_order",
    "item_document",
    "recompute_totals",
]

SLA_NAME = "Normal"
COURIER = "Sandbox Transportes"
SHIPPING_ESTIMATE_DAYS = 5


@dataclass(frozen=True, slots=True)
class Dimension:
    height: float = 0.0
    length: float = 0.0
    width: float = 0.0
    weight: float = 0.0
    cubicweight: float = 0.0


@dataclass(frozen=True, slots=True)
class LineItem:
    """One order line; unit prices in cents (``price`` before, ``selling_price`` after discounts)."""

    sku_id: str
    product_id: str
    name: str
    sku_name: str
    ref_id: str
    quantity: int
    price: int
    list_price: int
    warehouse_id: str
    dock_id: str
    selling_price: int | None = None
    ean: str | None = None
    seller: str = "1"
    brand_id: str = ""
    brand_name: str = ""
    category_ids: str = ""
    image_url: str = ""
    detail_url: str = ""
    measurement_unit: str = "un"
    unit_multiplier: int = 1
    dimension: Dimension = field(default_factory=Dimension)

    @property
    def unit_selling_price(self) -> int:
        return self.price if self.selling_price is None else self.selling_price


@dataclass(frozen=True, slots=True)
class Customer:
    email: str
    first_name: str
    last_name: str
    document: str
    phone: str = ""
    document_type: str = "cpf"
    user_profile_id: str = ""
    is_corporate: bool = False
    corporate_name: str | None = None
    trade_name: str | None = None
    corporate_document: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    address_id: str
    receiver_name: str
    postal_code: str
    city: str
    state: str
    street: str
    number: str
    neighborhood: str = ""
    complement: str = ""
    country: str = "BRA"
    reference: str | None = None
    geo: tuple[float, float] | None = None
    address_type: str = "residential"

    def to_json(self) -> dict[str, Any]:
        return {
            "addressType": self.address_type,
            "receiverName": self.receiver_name,
            "addressId": self.address_id,
            "versionId": None,
            "entityId": None,
            "postalCode": self.postal_code,
            "city": self.city,
            "state": self.state,
            "country": self.country,
            "street": self.street,
            "number": self.number,
            "neighborhood": self.neighborhood,
            "complement": self.complement,
            "reference": self.reference,
            "geoCoordinates": list(self.geo) if self.geo else [],
        }


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """``storePreferencesData``: the trade policy's currency and locale."""

    currency_code: str = "BRL"
    currency_symbol: str = "R$"
    currency_locale: int = 1046
    country_code: str = "BRA"
    locale: str = "pt-BR"
    time_zone: str = "E. South America Standard Time"
    decimal_digits: int = 2


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """Everything an order is built from; ids are chosen by the caller (see ``Store.next_id``)."""

    order_id: str
    sequence: str
    order_group: str
    account: str
    sales_channel: str
    items: tuple[LineItem, ...]
    customer: Customer
    address: Address
    shipping: int = 0
    seller_id: str = "1"
    seller_name: str = ""
    origin: str = "Marketplace"
    affiliate_id: str = ""
    marketplace_order_id: str = ""
    marketplace_services_endpoint: str = ""
    marketplace_name: str | None = None
    store: StoreInfo = field(default_factory=StoreInfo)
    payment_system: str = "2"
    payment_system_name: str = "Visa"
    payment_group: str = "creditCard"


def _new_id() -> str:
    return uuid.uuid4().hex.upper()


def _split(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` cents across lines proportionally to ``weights``; the first line takes the rest."""
    if not weights:
        return []
    whole = sum(weights)
    parts = [total * w // whole if whole else 0 for w in weights]
    if not whole:
        parts = [0] * len(weights)
    parts[0] += total - sum(parts)
    return parts


def item_document(line: LineItem, order_id: str, new_id: Callable[[], str] = _new_id) -> dict[str, Any]:
    """One entry of the order's ``items`` (also used by order modifications)."""
    selling = line.unit_selling_price
    dim = line.dimension
    return {
        "uniqueId": new_id(),
        "id": line.sku_id,
        "productId": line.product_id,
        "ean": line.ean,
        "lockId": f"00-{order_id}",
        "itemAttachment": {"content": {}, "name": None},
        "attachments": [],
        "quantity": line.quantity,
        "seller": line.seller,
        "name": line.name,
        "refId": line.ref_id,
        "price": line.price,
        "listPrice": line.list_price,
        "manualPrice": None,
        "priceTags": [],
        "imageUrl": line.image_url,
        "detailUrl": line.detail_url,
        "components": [],
        "bundleItems": [],
        "params": [],
        "offerings": [],
        "attachmentOfferings": [],
        "sellerSku": line.sku_id,
        "priceValidUntil": None,
        "commission": 0,
        "tax": 0,
        "preSaleDate": None,
        "additionalInfo": {
            "brandName": line.brand_name,
            "brandId": line.brand_id,
            "categoriesIds": line.category_ids,
            "productClusterId": "",
            "commercialConditionId": "1",
            "dimension": {
                "cubicweight": float(dim.cubicweight),
                "height": math.ceil(dim.height),
                "length": math.ceil(dim.length),
                "weight": math.ceil(dim.weight),
                "width": math.ceil(dim.width),
            },
            "offeringInfo": None,
            "offeringType": None,
            "offeringTypeId": None,
        },
        "measurementUnit": line.measurement_unit,
        "unitMultiplier": line.unit_multiplier,
        "sellingPrice": selling,
        "isGift": False,
        "shippingPrice": None,
        "rewardValue": 0,
        "freightCommission": 0,
        "priceDefinitions": {
            "sellingPrices": [{"value": selling, "quantity": line.quantity}],
            "calculatedSellingPrice": selling,
            "total": selling * line.quantity,
        },
        "taxCode": None,
        "parentItemIndex": None,
        "parentAssemblyBinding": None,
        "callCenterOperator": None,
        "serialNumbers": None,
        "assemblies": [],
        "costPrice": selling,
    }


def _logistics(index: int, line: LineItem, price: int, address_id: str, now: datetime) -> dict[str, Any]:
    estimate = f"{SHIPPING_ESTIMATE_DAYS}bd"
    delivery_id = {
        "courierId": "1",
        "courierName": COURIER,
        "dockId": line.dock_id,
        "quantity": line.quantity,
        "warehouseId": line.warehouse_id,
        "accountCarrierName": "",
        "kitItemDetails": [],
    }
    return {
        "itemIndex": index,
        "selectedSla": SLA_NAME,
        "lockTTL": "10d",
        "price": price,
        "listPrice": price,
        "sellingPrice": price,
        "deliveryWindow": None,
        "deliveryCompany": COURIER,
        "shippingEstimate": estimate,
        "shippingEstimateDate": vtex_time(now + timedelta(days=SHIPPING_ESTIMATE_DAYS + 2)),
        "slas": [
            {
                "id": SLA_NAME,
                "name": SLA_NAME,
                "shippingEstimate": estimate,
                "deliveryWindow": None,
                "price": price,
                "deliveryChannel": "delivery",
                "pickupStoreInfo": {
                    "additionalInfo": None,
                    "address": None,
                    "dockId": None,
                    "friendlyName": None,
                    "isPickupStore": False,
                },
                "polygonName": None,
                "lockTTL": "10d",
                "transitTime": "3d",
                "pickupDistance": 0.0,
            }
        ],
        "shipsTo": ["BRA"],
        "deliveryIds": [delivery_id],
        "deliveryChannels": [{"id": "delivery", "stockBalance": 0}],
        "deliveryChannel": "delivery",
        "selectedDeliveryChannel": "delivery",
        "pickupStoreInfo": {
            "additionalInfo": None,
            "address": None,
            "dockId": None,
            "friendlyName": None,
            "isPickupStore": False,
        },
        "addressId": address_id,
        "versionId": None,
        "entityId": None,
        "polygonName": None,
        "pickupPointId": None,
        "transitTime": "3d",
    }


def recompute_totals(order: dict[str, Any]) -> None:
    """``totals`` (Items, Discounts, Shipping, Tax) and ``value`` from the items and logistics."""
    items = order.get("items") or []
    items_total = sum(int(i["price"]) * int(i["quantity"]) for i in items)
    discounts = sum((int(i["sellingPrice"]) - int(i["price"])) * int(i["quantity"]) for i in items)
    shipping = sum(
        int(li.get("price") or 0) for li in (order.get("shippingData") or {}).get("logisticsInfo") or []
    )
    tax = sum(int(i.get("tax") or 0) * int(i["quantity"]) for i in items)
    order["totals"] = [
        {"id": "Items", "name": "Total dos Itens", "value": items_total},
        {"id": "Discounts", "name": "Total dos Descontos", "value": discounts},
        {"id": "Shipping", "name": "Total do Frete", "value": shipping},
        {"id": "Tax", "name": "Total da Taxa", "value": tax},
    ]
    order["value"] = items_total + discounts + shipping + tax


def build_order(draft: OrderDraft, now: datetime, new_id: Callable[[], str] = _new_id) -> dict[str, Any]:
    """The full OMS document of a new order, with status ``null`` (the caller walks the flow)."""
    lines = list(draft.items)
    items = [item_document(line, draft.order_id, new_id) for line in lines]
    transaction_id = new_id()
    order: dict[str, Any] = {
        **_header(draft, vtex_time(now), new_id),
        **_preferences(draft, lines),
        **_fulfilment(draft, lines, items, now),
    }
    recompute_totals(order)
    order["paymentData"]["transactions"] = [
        {
            "isActive": True,
            "transactionId": transaction_id,
            "merchantName": draft.account.upper(),
            "payments": [_payment(draft, order["value"], new_id)],
        }
    ]
    refresh_flags(order)
    return order


def _header(draft: OrderDraft, created: str, new_id: Callable[[], str]) -> dict[str, Any]:
    """The order's identity, dates and seller (``orderId`` .. ``sellers``)."""
    return {
        "orderId": draft.order_id,
        "sequence": draft.sequence,
        "marketplaceOrderId": draft.marketplace_order_id,
        "marketplaceServicesEndpoint": draft.marketplace_services_endpoint,
        "sellerOrderId": f"00-{draft.order_id}",
        "origin": draft.origin,
        "affiliateId": draft.affiliate_id,
        "salesChannel": draft.sales_channel,
        "merchantName": None,
        "status": "",
        "workflowIsInError": False,
        "statusDescription": "",
        "value": 0,
        "creationDate": created,
        "lastChange": created,
        "orderGroup": draft.order_group,
        "followUpEmail": f"{uuid.uuid5(uuid.NAMESPACE_URL, draft.order_id).hex}@ct.vtex.com.br",
        "lastMessage": None,
        "hostname": draft.account,
        "isCompleted": False,
        "roundingError": 0,
        "orderFormId": new_id().lower(),
        "allowCancellation": False,
        "allowEdition": False,
        "isCheckedIn": False,
        "authorizedDate": None,
        "invoicedDate": None,
        "cancelReason": None,
        "checkedInPickupPointId": None,
        "totals": [],
        "sellers": [
            {
                "id": draft.seller_id,
                "name": draft.seller_name or draft.account,
                "logo": "",
                "fulfillmentEndpoint": f"http://fulfillment.vtexcommerce.com.br/api/fulfillment?an={draft.account}",
            }
        ],
    }


def _preferences(draft: OrderDraft, lines: list[LineItem]) -> dict[str, Any]:
    """Client and store preferences, item metadata, the marketplace (``clientPreferencesData`` ..)."""
    return {
        "clientPreferencesData": {"locale": draft.store.locale, "optinNewsLetter": False},
        "cancellationData": None,
        "taxData": None,
        "subscriptionData": None,
        "itemMetadata": {
            "Items": [
                {
                    "Id": line.sku_id,
                    "Seller": line.seller,
                    "Name": line.name,
                    "SkuName": line.sku_name,
                    "ProductId": line.product_id,
                    "RefId": line.ref_id,
                    "Ean": line.ean or "",
                    "ImageUrl": line.image_url,
                    "DetailUrl": line.detail_url,
                    "AssemblyOptions": [],
                }
                for line in lines
            ]
        },
        "marketplace": (
            {
                "baseURL": draft.marketplace_services_endpoint,
                "isCertified": None,
                "name": draft.marketplace_name,
            }
            if draft.marketplace_name
            else None
        ),
        "storePreferencesData": {
            "countryCode": draft.store.country_code,
            "currencyCode": draft.store.currency_code,
            "currencyFormatInfo": {
                "CurrencyDecimalDigits": draft.store.decimal_digits,
                "CurrencyDecimalSeparator": ",",
                "CurrencyGroupSeparator": ".",
                "CurrencyGroupSize": 3,
                "StartsWithCurrencySymbol": True,
            },
            "currencyLocale": draft.store.currency_locale,
            "currencySymbol": draft.store.currency_symbol,
            "timeZone": draft.store.time_zone,
        },
    }


def _fulfilment(
    draft: OrderDraft, lines: list[LineItem], items: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """Payment, shipping, client profile and items (``customData`` .. ``authorizationPolicyData``)."""
    shipping_parts = _split(draft.shipping, [max(1, li.unit_selling_price * li.quantity) for li in lines])
    customer = draft.customer
    address = draft.address.to_json()
    return {
        "customData": None,
        "commercialConditionData": None,
        "openTextField": None,
        "invoiceData": None,
        "changesAttachment": None,
        "callCenterOperatorData": None,
        "packageAttachment": {"packages": []},
        "paymentData": {"giftCards": [], "transactions": []},
        "shippingData": {
            "id": "shippingData",
            "address": address,
            "logisticsInfo": [
                _logistics(i, line, shipping_parts[i], draft.address.address_id, now)
                for i, line in enumerate(lines)
            ],
            "trackingHints": None,
            "selectedAddresses": [address],
        },
        "ratesAndBenefitsData": {"id": "ratesAndBenefitsData", "rateAndBenefitsIdentifiers": []},
        "marketingData": None,
        "giftRegistryData": None,
        "clientProfileData": {
            "id": "clientProfileData",
            "email": customer.email,
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "documentType": customer.document_type,
            "document": customer.document,
            "phone": customer.phone,
            "corporateName": customer.corporate_name,
            "tradeName": customer.trade_name,
            "corporateDocument": customer.corporate_document,
            "stateInscription": None,
            "corporatePhone": None,
            "isCorporate": customer.is_corporate,
            "userProfileId": customer.user_profile_id,
            "userProfileVersion": None,
            "customerClass": None,
            "customerCode": None,
        },
        "items": items,
        "marketplaceItems": [],
        "authorizationPolicyData": [],
    }


def _payment(draft: OrderDraft, value: int, new_id: Callable[[], str]) -> dict[str, Any]:
    tid = new_id()[:20]
    return {
        "id": new_id(),
        "paymentSystem": draft.payment_system,
        "paymentSystemName": draft.payment_system_name,
        "value": value,
        "installments": 1,
        "referenceValue": value,
        "cardHolder": None,
        "cardNumber": None,
        "firstDigits": "411111",
        "lastDigits": "1111",
        "cvv2": None,
        "expireMonth": None,
        "expireYear": None,
        "url": None,
        "giftCardId": None,
        "giftCardName": None,
        "giftCardCaption": None,
        "redemptionCode": None,
        "group": draft.payment_group,
        "tid": tid,
        "dueDate": None,
        "connectorResponses": {"Tid": tid, "ReturnCode": None, "Message": None, "authId": tid[:6]},
        "giftCardProvider": None,
        "giftCardAsDiscount": None,
        "koinUrl": None,
        "accountId": None,
        "parentAccountId": None,
        "bankIssuedInvoiceIdentificationNumber": None,
        "bankIssuedInvoiceIdentificationNumberFormatted": None,
        "bankIssuedInvoiceBarCodeNumber": None,
        "bankIssuedInvoiceBarCodeType": None,
        "billingAddress": None,
        "paymentOrigin": None,
    }
