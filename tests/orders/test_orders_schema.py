"""The ERP order document (vtexbridge.order/1) built from VTEX's order."""

from __future__ import annotations

from typing import Any

from vtexbridge.erp.order_document import SCHEMA, build_document, cents_to_decimal, delivery_key
from vtexbridge.erp.sinks import render_json

ORDER: dict[str, Any] = {
    "orderId": "1300000000042-01",
    "sequence": "500042",
    "orderGroup": "1300000000042",
    "status": "ready-for-handling",
    "statusDescription": "Pronto para o manuseio",
    "salesChannel": "1",
    "origin": "Marketplace",
    "marketplaceOrderId": "",
    "value": 10480,
    "creationDate": "2024-05-01T10:00:00.0000000+00:00",
    "lastChange": "2024-05-01T10:00:01.0000000+00:00",
    "totals": [
        {"id": "Items", "value": 9980},
        {"id": "Discounts", "value": -500},
        {"id": "Shipping", "value": 1000},
        {"id": "Tax", "value": 0},
    ],
    "items": [
        {
            "id": "100",
            "refId": "SKU-100",
            "ean": "7890000000100",
            "productId": "10100",
            "name": "Shoe",
            "quantity": 2,
            "price": 4990,
            "listPrice": 5990,
            "sellingPrice": 4740,
            "priceDefinitions": {"total": 9480},
            "measurementUnit": "un",
            "unitMultiplier": 1.0,
            "seller": "1",
        }
    ],
    "clientProfileData": {"email": "a@b.c", "firstName": "Ana", "lastName": "Lima", "document": "1", "x": 1},
    "shippingData": {
        "address": {"receiverName": "Ana", "street": "Rua A", "number": "1", "postalCode": "01000-000"},
        "logisticsInfo": [
            {
                "itemIndex": 0,
                "selectedSla": "Normal",
                "selectedDeliveryChannel": "delivery",
                "price": 1000,
                "shippingEstimate": "5bd",
                "deliveryIds": [{"courierName": "Correios", "warehouseId": "wh1"}],
            }
        ],
    },
    "paymentData": {
        "transactions": [
            {
                "transactionId": "T1",
                "payments": [
                    {"paymentSystemName": "Visa", "group": "creditCard", "value": 10480, "installments": 3}
                ],
            }
        ]
    },
    "packageAttachment": {"packages": [{"invoiceNumber": "NF-1", "invoiceValue": 10480, "type": "Output"}]},
    "storePreferencesData": {"currencyCode": "BRL"},
}


def test_money_comes_in_cents_and_as_a_two_digit_decimal() -> None:
    doc = build_document(ORDER, status="ready-for-handling", account="acme")
    assert doc["totals"] == {
        "itemsCents": 9980,
        "items": "99.80",
        "discountsCents": -500,
        "discounts": "-5.00",
        "shippingCents": 1000,
        "shipping": "10.00",
        "taxCents": 0,
        "tax": "0.00",
        "totalCents": 10480,
        "total": "104.80",
    }
    [item] = doc["items"]
    assert item["sellingPriceCents"] == 4740 and item["sellingPrice"] == "47.40"
    assert item["totalCents"] == 9480 and item["total"] == "94.80"
    assert item["listPrice"] == "59.90" and item["quantity"] == 2 and item["skuId"] == "100"


def test_document_has_identity_customer_address_shipping_payments_invoices() -> None:
    doc = build_document(ORDER, status="ready-for-handling", account="acme")
    assert doc["schema"] == SCHEMA == "vtexbridge.order/1"
    assert doc["key"] == delivery_key("1300000000042-01", "ready-for-handling")
    assert doc["account"] == "acme" and doc["currency"] == "BRL"
    assert doc["marketplaceOrderId"] is None  # "" in VTEX's answer
    assert doc["customer"]["email"] == "a@b.c" and "x" not in doc["customer"]
    assert doc["shippingAddress"]["street"] == "Rua A"
    assert doc["shipping"] == [
        {
            "itemIndex": 0,
            "sla": "Normal",
            "deliveryChannel": "delivery",
            "priceCents": 1000,
            "price": "10.00",
            "shippingEstimate": "5bd",
            "shippingEstimateDate": None,
            "courier": "Correios",
            "warehouseId": "wh1",
        }
    ]
    assert doc["payments"] == [
        {
            "method": "Visa",
            "group": "creditCard",
            "valueCents": 10480,
            "value": "104.80",
            "installments": 3,
            "transactionId": "T1",
        }
    ]
    assert doc["invoices"][0]["number"] == "NF-1" and doc["invoices"][0]["value"] == "104.80"


def test_the_delivered_status_is_the_one_given_not_the_event() -> None:
    doc = build_document({**ORDER, "status": "canceled"}, status="canceled", account="acme")
    assert doc["status"] == "canceled" and doc["key"].endswith(":canceled")


def test_same_order_same_bytes() -> None:
    a = render_json(build_document(ORDER, status="ready-for-handling", account="acme"))
    b = render_json(build_document(dict(ORDER), status="ready-for-handling", account="acme"))
    assert a == b and a.endswith(b"\n")


def test_a_sparse_order_does_not_break_the_document() -> None:
    doc = build_document({"orderId": "X-1", "status": "canceled"}, status="canceled", account="acme")
    assert doc["items"] == [] and doc["payments"] == [] and doc["shippingAddress"] is None
    assert doc["totals"]["totalCents"] is None and doc["totals"]["total"] is None


def test_cents_to_decimal() -> None:
    assert cents_to_decimal(0) == "0.00"
    assert cents_to_decimal(1) == "0.01"
    assert cents_to_decimal(123456789) == "1234567.89"
    assert cents_to_decimal(-5) == "-0.05"
    assert cents_to_decimal(None) is None
