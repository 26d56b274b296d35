"""The sandbox's JSONata subset (FromOrders filters)."""

from __future__ import annotations

from typing import Any

import pytest

from vtexbridge.sandbox.rules.jsonata import UNDEFINED, JsonataError, compile_expression, evaluate

ORDER: dict[str, Any] = {
    "status": "ready-for-handling",
    "value": 10980,
    "salesChannel": "1",
    "isCompleted": True,
    "clientProfileData": {"email": "maria@example.com", "isCorporate": False},
    "items": [{"id": "100", "quantity": 2}, {"id": "200", "quantity": 1}],
    "packageAttachment": {"packages": []},
    "cancelReason": None,
    "weird name": 3,
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('status = "ready-for-handling"', True),
        ("status = 'invoiced'", False),
        ('status != "invoiced"', True),
        ("value > 100", True),
        ("value >= 10980 and value <= 10980", True),
        ('value < 100 or salesChannel = "1"', True),
        ('status in ["invoiced", "ready-for-handling"]', True),
        ('"100" in items.id', True),
        ('"300" in items.id', False),
        ('items.id = "100"', False),  # a sequence of two ids is not equal to one value
        ("$count(items) = 2", True),
        ("$exists(cancelReason)", True),
        ("$exists(invoicedDate)", False),
        ("$not(clientProfileData.isCorporate)", True),
        ('$contains(clientProfileData.email, "@example.com")', True),
        ("isCompleted", True),
        ("missing.field = 1", False),
        ("missing.field != 1", False),  # undefined never compares
        ('(status = "x" or value > 1) and salesChannel = "1"', True),
        ('value > "100"', False),  # number vs string: no ordering
        ("`weird name` = 3", True),
        ("cancelReason = null", True),
        ("value = 10980.0", True),
    ],
)
def test_expressions(expression: str, expected: bool) -> None:
    assert evaluate(expression, ORDER) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "$sum(items.quantity) > 2",
        "items[quantity > 1]",
        "status = ",
        "value + 1 > 2",
        "(status = 'x'",
        'status ~> $uppercase() = "X"',
        "$count(items, 2)",
    ],
)
def test_unsupported_or_malformed_expressions(expression: str) -> None:
    with pytest.raises(JsonataError):
        compile_expression(expression)


def test_path_values() -> None:
    assert compile_expression("items.quantity").evaluate(ORDER) == [2, 1]
    assert compile_expression("clientProfileData.email").evaluate(ORDER) == "maria@example.com"
    assert compile_expression("nothing").evaluate(ORDER) is UNDEFINED
