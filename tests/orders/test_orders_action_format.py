"""The ERP's action format: decimals to cents, required fields, clear errors, dedup keys."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from vtexbridge.orders.action_format import Problems, dedup_key, parse_action, to_cents
from vtexbridge.orders.action_sources import read_action_file
from vtexbridge.state import ActionKind

INVOICE: dict[str, Any] = {
    "type": "invoice",
    "orderId": "1300000000001-01",
    "invoiceNumber": "NF-1",
    "issuanceDate": "2024-05-01",
    "invoiceValue": "99.80",
    "items": [{"id": "100", "price": "49.90", "quantity": 2}],
}


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        ("199.90", 19990),
        ("199.9", 19990),
        (199.9, 19990),
        (Decimal("0.01"), 1),
        (5, 500),
        ("12,5", 1250),
        ("1.234,50", 123450),  # refused before: the ERP reader and the actions share one parser
        ("1,234.50", 123450),
        ("0", 0),
    ],
)
def test_to_cents(value: Any, cents: int) -> None:
    assert to_cents(value) == cents


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("19.999", "more than two decimal places"),
        ("-1", "negative"),
        ("abc", "decimal amount"),
        ("1,234", "ambiguous"),
        (True, "decimal amount"),
    ],
)
def test_to_cents_refuses(value: Any, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        to_cents(value)


def test_invoice_is_converted_to_cents_and_keyed_by_number() -> None:
    req = parse_action(INVOICE, source="inv.json")
    assert req.kind is ActionKind.INVOICE and req.order_id == "1300000000001-01"
    assert req.payload["invoiceValue"] == 9980
    assert req.payload["items"] == [{"id": "100", "price": 4990, "quantity": 2}]
    assert req.payload["issuanceDate"] == "2024-05-01T00:00:00+00:00"
    assert req.payload["type"] == "Output"
    assert req.dedup_key == "invoice:NF-1"
    assert req.source_ref == "inv.json"


def test_cents_fields_are_taken_as_they_are() -> None:
    raw = {
        **INVOICE,
        "invoiceValue": None,
        "invoiceValueCents": 9980,
        "items": [{"id": "100", "priceCents": 4990, "quantity": 2}],
    }
    assert parse_action(raw).payload["invoiceValue"] == 9980
    assert parse_action(raw).payload["items"][0]["price"] == 4990


def test_an_invoice_without_items_is_a_full_invoice() -> None:
    raw = {k: v for k, v in INVOICE.items() if k not in ("items", "invoiceValue")}
    req = parse_action(raw)
    assert "items" not in req.payload and "invoiceValue" not in req.payload


def test_every_problem_names_source_row_order_and_field() -> None:
    raw = {
        "type": "invoice",
        "orderId": "O-1",
        "invoiceValue": "10.001",
        "items": [{"price": "1", "quantity": 0}],
    }
    with pytest.raises(Problems) as e:
        parse_action(raw, source="batch.json", row=3)
    fields = {p.field for p in e.value.problems}
    assert fields == {"invoiceNumber", "issuanceDate", "invoiceValue", "items[0].id", "quantity"}
    text = str(e.value)
    assert "batch.json:3 (action O-1) field 'invoiceValue': 10.001 has more than two decimal places" in text
    assert e.value.as_json()[0]["source"] == "batch.json" and e.value.as_json()[0]["row"] == 3


def test_type_and_order_are_required() -> None:
    with pytest.raises(Problems, match="type"):
        parse_action({"orderId": "O-1"})
    with pytest.raises(Problems, match="orderId"):
        parse_action({"type": "cancel"})
    with pytest.raises(Problems, match="JSON object"):
        parse_action(["not", "an", "object"])


def test_tracking_needs_a_number_or_events() -> None:
    with pytest.raises(Problems, match="trackingNumber"):
        parse_action({"type": "tracking", "orderId": "O-1", "invoiceNumber": "NF-1"})
    req = parse_action(
        {
            "type": "tracking",
            "orderId": "O-1",
            "invoiceNumber": "NF-1",
            "events": [{"city": "SP", "state": "SP", "description": "left", "date": "2024-05-02T08:00:00Z"}],
            "isDelivered": "false",
        }
    )
    assert req.payload["isDelivered"] is False and req.payload["events"][0]["city"] == "SP"
    assert req.dedup_key.startswith("tracking:O-1:")
    with pytest.raises(Problems, match=r"events\[0\].date"):
        parse_action(
            {
                "type": "tracking",
                "orderId": "O-1",
                "invoiceNumber": "NF-1",
                "events": [{"city": "a", "state": "b", "description": "c", "date": "soon"}],
            }
        )


def test_cancel_and_change() -> None:
    cancel = parse_action({"type": "cancel", "orderId": "O-1", "reason": "out of stock"})
    assert cancel.payload == {"reason": "out of stock"} and cancel.dedup_key == "cancel:O-1"
    change = parse_action(
        {
            "type": "change",
            "orderId": "O-1",
            "reason": "customer asked",
            "requestId": "R-9",
            "replace": [
                {
                    "from": {"items": [{"id": "100", "quantity": 2, "price": "49.90"}]},
                    "to": {"items": [{"id": "100", "quantity": 1, "manualDiscountValue": "5"}]},
                }
            ],
        }
    )
    assert change.payload["replace"][0]["from"]["items"][0]["price"] == 4990
    assert change.payload["replace"][0]["to"]["items"][0]["manualDiscountValue"] == 500
    assert change.dedup_key == "change:O-1:R-9"
    with pytest.raises(Problems, match="replace"):
        parse_action({"type": "change", "orderId": "O-1", "reason": "x", "replace": []})


def test_kind_from_the_caller_wins() -> None:
    assert parse_action({"orderId": "O-1", "reason": "r"}, kind="cancel").kind is ActionKind.CANCEL


def test_dedup_key_of_content_is_stable() -> None:
    a = dedup_key(ActionKind.TRACKING, "O-1", {"invoiceNumber": "1", "trackingNumber": "T"})
    b = dedup_key(ActionKind.TRACKING, "O-1", {"trackingNumber": "T", "invoiceNumber": "1"})
    assert a == b != dedup_key(ActionKind.TRACKING, "O-1", {"invoiceNumber": "1", "trackingNumber": "U"})


# --- files ---------------------------------------------------------------------------------------


def test_json_file_with_a_list_of_actions_is_sorted_invoices_first(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(
        '[{"type": "tracking", "orderId": "O-1", "invoiceNumber": "NF-1", "trackingNumber": "T1"},'
        ' {"type": "invoice", "orderId": "O-1", "invoiceNumber": "NF-1", "issuanceDate": "2024-05-01",'
        '  "invoiceValue": 10.10, "items": [{"id": "1", "price": 10.10, "quantity": 1}]}]'
    )
    reqs = read_action_file(path)
    assert [r.kind for r in reqs] == [ActionKind.INVOICE, ActionKind.TRACKING]
    assert reqs[0].payload["invoiceValue"] == 1010  # parsed as Decimal, no float rounding
    assert reqs[0].source_ref == "batch.json:1"


def test_csv_rows_are_grouped_into_invoices_and_tracking(tmp_path: Path) -> None:
    path = tmp_path / "erp.csv"
    path.write_text(
        "type,orderId,invoiceNumber,issuanceDate,invoiceValue,skuId,price,quantity,trackingNumber,courier,"
        "eventCity,eventState,eventDescription,eventDate,reason\n"
        "invoice,O-1,NF-1,2024-05-01,150.00,100,50.00,1,,,,,,,\n"
        "invoice,O-1,NF-1,2024-05-01,150.00,200,100.00,1,,,,,,,\n"
        "tracking,O-1,NF-1,,,,,,TR-1,Correios,São Paulo,SP,posted,2024-05-02,\n"
        "tracking,O-1,NF-1,,,,,,TR-1,Correios,Campinas,SP,in transit,2024-05-03,\n"
        "cancel,O-2,,,,,,,,,,,,,no stock\n"
    )
    inv, trk, cancel = read_action_file(path)
    assert inv.payload["invoiceValue"] == 15000
    assert inv.payload["items"] == [
        {"id": "100", "price": 5000, "quantity": 1},
        {"id": "200", "price": 10000, "quantity": 1},
    ]
    assert inv.source_ref == "erp.csv:2"
    assert trk.payload["trackingNumber"] == "TR-1" and [e["city"] for e in trk.payload["events"]] == [
        "São Paulo",
        "Campinas",
    ]
    assert cancel.payload == {"reason": "no stock"} and cancel.order_id == "O-2"


def test_csv_errors_name_file_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "type;orderId;invoiceNumber;issuanceDate;invoiceValue;skuId;price;quantity\n"
        "invoice;O-1;NF-1;2024-05-01;10.00;100;abc;1\n"
        "invoice;O-1;NF-1;2024-05-02;10.00;200;1.00;1\n"
        "refund;O-1;;;;;;\n"
    )
    with pytest.raises(Problems) as e:
        read_action_file(path)
    messages = [p.user_message for p in e.value.problems]
    assert any("bad.csv:3" in m and "'issuanceDate'" in m and "differs from row 2" in m for m in messages)
    assert any("bad.csv:4" in m and "'type'" in m for m in messages)


def test_csv_without_the_key_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("kind,order\ninvoice,1\n")
    with pytest.raises(Problems, match="lacks the column"):
        read_action_file(path)


def test_invalid_json_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{nope")
    with pytest.raises(Problems, match=r"x.json: is not valid JSON"):
        read_action_file(path)
    path.write_text("[]")
    with pytest.raises(Problems, match="no action"):
        read_action_file(path)


@pytest.mark.parametrize("text", ["19,90", "1.234,50", "1,234.50", "0,46", "19.90"])
def test_an_action_and_an_erp_price_read_the_same_text_the_same_way(text: str) -> None:
    from vtexbridge.erp.coerce import decimal

    assert Decimal(to_cents(text)) / 100 == decimal(text)
