"""The one number parser shared by the ERP readers and the actions files."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vtexbridge.erp.numbers import NumberError, NumberFormat, parse_decimal

BR = NumberFormat(decimal=",", thousands=".")
US = NumberFormat(decimal=".", thousands=",")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("19.90", "19.90"),
        ("19,90", "19.90"),
        ("0,46", "0.46"),
        (" 1.234,50 ", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234", "1.234"),  # a lone dot stays the decimal separator, as it always was
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("-1.234,5", "-1234.5"),
        ("7", "7"),
    ],
)
def test_auto_reads_every_form_with_one_meaning(text: str, value: str) -> None:
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1,234", "ambiguous"),
        ("12,34.5", "must group the digits by three"),
        ("1.23.4", "must group the digits by three"),
        ("19,90 R$", "not a number"),
        ("NaN", "not a number"),
        ("9" * 65, "longer than 64"),
    ],
)
def test_auto_refuses_what_it_cannot_read_for_sure(text: str, why: str) -> None:
    with pytest.raises(NumberError, match=why):
        parse_decimal(text)


def test_an_explicit_format_reads_its_own_forms_only_and_names_the_setting() -> None:
    assert parse_decimal("1.234", BR) == Decimal(1234)
    assert parse_decimal("1.234,5", BR) == Decimal("1234.5")
    assert parse_decimal("1,234", US) == Decimal(1234)
    assert parse_decimal("1,234", NumberFormat(decimal=",")) == Decimal("1.234")
    with pytest.raises(NumberError) as info:
        parse_decimal("19.90", NumberFormat(decimal=","))
    assert info.value.message == (
        "not a number: '19.90' (the decimal separator is ',' here: set decimal_separator = '.', "
        "or thousands_separator = '.' if it groups thousands)"
    )
    with pytest.raises(NumberError, match="set decimal_separator = ','"):
        parse_decimal("19,90", NumberFormat(decimal="."))


def test_a_format_cannot_use_one_separator_for_both() -> None:
    with pytest.raises(ValueError, match="both ','"):
        NumberFormat(decimal=",", thousands=",")
