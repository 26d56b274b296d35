"""Field converters: the typed value for good input, a message that says what is wrong for bad."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from vtexbridge.erp.coerce import (
    CoerceError,
    boolean,
    country_code,
    date_value,
    datetime_value,
    decimal,
    decimal_at_least,
    decimal_positive,
    email,
    enum_of,
    field_converter,
    gtin,
    gtin_check_digit,
    image_url,
    integer,
    integer_at_least,
    text,
    text_list,
    text_max,
    timespan,
)
from vtexbridge.erp.records import AddressType


def message(conv: object, value: object) -> str:
    with pytest.raises(CoerceError) as info:
        conv(value)  # type: ignore[operator]
    return info.value.message


def test_text_takes_strings_and_whole_numbers() -> None:
    assert text("abc") == "abc"
    assert text(123) == "123"
    assert text(Decimal("12")) == "12"
    assert "quote it" in message(text, Decimal("1.5"))
    assert message(text, True) == "expected text, got a boolean True"
    assert "a list" in message(text, ["a"])
    assert "an object" in message(text, {"a": 1})


def test_text_max_names_the_limit() -> None:
    assert text_max(5)("abcde") == "abcde"
    assert message(text_max(5), "abcdef") == "is 6 characters long; VTEX allows at most 5"


def test_text_list_splits_on_semicolons_and_takes_arrays() -> None:
    assert text_list("a; b;;c ;") == ("a", "b", "c")
    assert text_list(["a", " b ", None, 3]) == ("a", "b", "3")
    assert text_list(7) == ("7",)
    assert message(text_list, ["a", {"x": 1}]).startswith("item 2: expected text")


def test_integer_accepts_integral_values_only() -> None:
    assert integer("12") == 12
    assert integer("-3") == -3
    assert integer("12.0") == 12
    assert integer(12) == 12
    assert integer(Decimal("7")) == 7
    assert integer(4.0) == 4
    assert message(integer, "12.5") == "not a whole number: '12.5'"
    assert message(integer, "abc") == "not a whole number: 'abc'"
    assert "boolean" in message(integer, True)
    assert "list" in message(integer, [1])
    assert integer_at_least(1)("1") == 1
    assert message(integer_at_least(1), "0") == "must be at least 1, got 0"


def test_decimal_is_exact_and_explains_commas() -> None:
    assert decimal("129.90") == Decimal("129.90")
    assert str(decimal("129.90")) == "129.90"
    assert decimal(3) == Decimal(3)
    assert decimal(0.1) == Decimal("0.1")
    assert decimal(Decimal("2.5")) == Decimal("2.5")
    assert decimal("1,50") == Decimal("1.50")  # a decimal comma, as Brazilian ERPs write it
    assert decimal("1.234,50") == Decimal("1234.50")
    assert message(decimal, "1,234") == (
        "'1,234' is ambiguous: 1.234 with a decimal comma, or 1234 with a thousands comma; "
        "set decimal_separator for this source ('.' or ',')"
    )
    assert message(decimal, "12,34.5") == (
        "not a decimal number: '12,34.5': the thousands separator ',' must group the digits by three "
        "before the decimal separator '.' (e.g. 1,234.50)"
    )
    assert message(decimal, "NaN") == "not a decimal number: 'NaN'"
    assert message(decimal, "Infinity") == "not a decimal number: 'Infinity'"
    assert "not a decimal number" in message(decimal, Decimal("NaN"))
    assert "boolean" in message(decimal, False)
    assert "list" in message(decimal, [])


def test_decimal_bounds() -> None:
    assert decimal_at_least(0)("0") == 0
    assert decimal_at_least(0)(5) == 5
    assert message(decimal_at_least(0), "-0.01") == "must be at least 0, got -0.01"
    assert message(decimal_at_least(0), "x") == "not a decimal number: 'x'"
    assert decimal_positive("0.001") == Decimal("0.001")
    assert message(decimal_positive, "0") == "must be greater than 0, got 0"
    assert message(decimal_positive, "-2") == "must be greater than 0, got -2"
    assert decimal_positive("1,2") == Decimal("1.2")
    assert message(decimal_positive, "1,2 kg").startswith("not a decimal number")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("Y", True),
        ("false", False),
        ("0", False),
        ("No", False),
        (True, True),
        (0, False),
        (1, True),
    ],
)
def test_boolean(raw: object, expected: bool) -> None:
    assert boolean(raw) is expected


def test_boolean_errors() -> None:
    assert message(boolean, "maybe") == "not a boolean: 'maybe' (use true/false, 1/0 or yes/no)"
    assert "expected a boolean" in message(boolean, 2)


def test_dates() -> None:
    assert date_value("2025-03-01") == date(2025, 3, 1)
    assert date_value(datetime(2025, 3, 1, 10, 0)) == date(2025, 3, 1)
    assert date_value(date(2025, 3, 1)) == date(2025, 3, 1)
    assert message(date_value, "01/03/2025") == "not a date: '01/03/2025' (use YYYY-MM-DD)"
    assert "expected a date" in message(date_value, 20250301)


def test_datetimes_are_aware() -> None:
    assert datetime_value("2025-03-01T00:00:00Z") == datetime(2025, 3, 1, tzinfo=UTC)
    minus3 = timezone(timedelta(hours=-3))
    assert datetime_value("2025-03-01T09:00:00-03:00") == datetime(2025, 3, 1, 9, tzinfo=minus3)
    assert datetime_value("2025-03-01T09:00:00").tzinfo == UTC
    assert datetime_value(date(2025, 3, 1)) == datetime(2025, 3, 1, tzinfo=UTC)
    assert datetime_value(datetime(2025, 3, 1, 9)) == datetime(2025, 3, 1, 9, tzinfo=UTC)
    assert "use ISO 8601" in message(datetime_value, "tomorrow")
    assert "expected a date-time" in message(datetime_value, 5)


def test_timespan_normalises() -> None:
    assert timespan("3.00:00:00") == "3.00:00:00"
    assert timespan("12:30:00") == "0.12:30:00"
    assert timespan("1.2:03:04") == "1.02:03:04"
    assert timespan("3.00:00:00") == "3.00:00:00"  # remembered
    assert (
        message(timespan, "3 days")
        == "not a time span: '3 days' (use D.HH:MM:SS, e.g. '3.00:00:00' for 3 days)"
    )
    assert "hours 0-23" in message(timespan, "0.25:00:00")


def test_image_url_follows_vtex_rules() -> None:
    assert image_url("https://cdn.example.com/a/b.jpg") == "https://cdn.example.com/a/b.jpg"
    assert image_url("http://cdn.example.com/b.PNG") == "http://cdn.example.com/b.PNG"
    assert image_url("https://cdn.example.com/x/y.gif") == "https://cdn.example.com/x/y.gif"
    assert (
        message(image_url, "ftp://cdn.example.com/b.jpg")
        == "not an http(s) URL: 'ftp://cdn.example.com/b.jpg'"
    )
    assert message(image_url, "https:///b.jpg") == "not an http(s) URL: 'https:///b.jpg'"
    assert "ending in .jpg, .png or .gif" in message(image_url, "https://cdn.example.com/b.webp")
    assert "ending in .jpg, .png or .gif" in message(image_url, "https://cdn.example.com/b.jpg?v=2")
    assert "blanks" in message(image_url, "https://cdn.example.com/a b.jpg")


def test_gtin_checks_the_check_digit() -> None:
    assert gtin("4006381333931") == "4006381333931"  # EAN-13
    assert gtin("96385074") == "96385074"  # EAN-8
    assert gtin("036000291452") == "036000291452"  # UPC-A
    assert gtin("00012345600012") == "00012345600012"  # GTIN-14
    assert gtin(4006381333931) == "4006381333931"
    assert gtin_check_digit("400638133393") == 1
    assert message(gtin, "4006381333932") == (
        "wrong check digit in 4006381333932: the last digit should be 1, not 2"
    )
    assert message(gtin, "40063813339") == "an EAN has 8, 12, 13 or 14 digits, not 11: '40063813339'"
    assert message(gtin, "40063A1333931") == "an EAN has digits only: '40063A1333931'"


def test_email_country_enum() -> None:
    assert email("ana@example.com") == "ana@example.com"
    assert message(email, "ana@example") == "not an e-mail address: 'ana@example'"
    assert message(email, "ana example.com") == "not an e-mail address: 'ana example.com'"
    assert country_code("bra") == "BRA"
    assert "alpha-3" in message(country_code, "BR")
    conv = enum_of(AddressType)
    assert conv("INSTORE") is AddressType.IN_STORE
    assert message(conv, "home").startswith("not one of residential, commercial")


def test_field_converter_handles_emptiness_once() -> None:
    required = field_converter(decimal, required=True)
    optional = field_converter(decimal, required=False, default=Decimal(1))
    required_text = field_converter(text, required=True)
    assert required(" 2.50 ") == Decimal("2.50")
    assert optional("   ") == Decimal(1)
    assert optional(None) == Decimal(1)
    assert optional(3) == Decimal(3)
    assert required_text("  a ") == "a"
    assert required_text(12) == "12"
    for conv in (required, required_text):
        assert message(conv, "") == "required, but empty"
        assert message(conv, "  ") == "required, but empty"
        assert message(conv, None) == "required, but empty"
