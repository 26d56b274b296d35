"""PricingAPI: requests on api.vtex.com/{account}, decimal prices, the two-of-three base price rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from tests.vtex.client_cases import Case, run_case
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.models.pricing import DateRange, FixedPrice, PriceTableFixedPrice, PriceUpdate
from vtexbridge.vtex.settings import VtexSettings

PRICING = "https://api.vtex.com/acme"
BRT = timezone(timedelta(hours=-3))
RANGE = DateRange(from_=datetime(2026, 1, 1, 0, 0, tzinfo=BRT), to=datetime(2026, 2, 1, 0, 0, tzinfo=UTC))
RANGE_JSON = {"from": "2026-01-01T00:00:00-03:00", "to": "2026-02-01T00:00:00Z"}
PRICE_ANSWER = {
    "itemId": "310",
    "listPrice": 120.0,
    "costPrice": 50.0,
    "markup": 100,
    "basePrice": 100.0,
    "fixedPrices": [{"tradePolicyId": "1", "value": 89.9, "listPrice": None, "minQuantity": 1}],
}
FIXED_ANSWER = [{"tradePolicyId": "wholesale", "value": 80.0, "listPrice": 90.0, "minQuantity": 10}]


CASES = [
    Case(
        "get_price",
        lambda c: c.pricing.get_price(310),
        "GET",
        "/pricing/prices/310",
        answer=PRICE_ANSWER,
        check=lambda r: r.basePrice == 100.0 and r.fixedPrices[0].value == 89.9,
    ),
    Case(
        "replace_price",
        lambda c: c.pricing.replace_price(
            310,
            PriceUpdate(
                costPrice=50.0,
                markup=100,
                listPrice=120.0,
                fixedPrices=[FixedPrice(tradePolicyId="1", value=89.9, minQuantity=1, dateRange=RANGE)],
            ),
        ),
        "PUT",
        "/pricing/prices/310",
        body={
            "listPrice": 120.0,
            "costPrice": 50.0,
            "markup": 100,
            "fixedPrices": [{"tradePolicyId": "1", "value": 89.9, "minQuantity": 1, "dateRange": RANGE_JSON}],
        },
    ),
    Case("delete_price", lambda c: c.pricing.delete_price(310), "DELETE", "/pricing/prices/310"),
    Case(
        "get_fixed_prices",
        lambda c: c.pricing.get_fixed_prices(310),
        "GET",
        "/pricing/prices/310/fixed",
        answer=FIXED_ANSWER,
        check=lambda r: r[0].tradePolicyId == "wholesale" and r[0].minQuantity == 10,
    ),
    Case(
        "upsert_fixed_prices",
        lambda c: c.pricing.upsert_fixed_prices(
            310, [FixedPrice(tradePolicyId="wholesale", value=80.0, listPrice=90.0, minQuantity=10)]
        ),
        "PATCH",
        "/pricing/prices/310/fixed",
        body=[{"tradePolicyId": "wholesale", "value": 80.0, "listPrice": 90.0, "minQuantity": 10}],
    ),
    Case(
        "get_price_table_fixed_prices",
        lambda c: c.pricing.get_price_table_fixed_prices(310, "wholesale"),
        "GET",
        "/pricing/prices/310/fixed/wholesale",
        answer=FIXED_ANSWER,
        check=lambda r: r[0].value == 80.0,
    ),
    Case(
        "set_price_table_fixed_prices",
        lambda c: c.pricing.set_price_table_fixed_prices(
            310, "wholesale", [PriceTableFixedPrice(value=75.5, minQuantity=20, dateRange=RANGE)]
        ),
        "POST",
        "/pricing/prices/310/fixed/wholesale",
        body=[{"value": 75.5, "minQuantity": 20, "dateRange": RANGE_JSON}],
    ),
    Case(
        "delete_price_table_fixed_prices",
        lambda c: c.pricing.delete_price_table_fixed_prices(310, "wholesale"),
        "DELETE",
        "/pricing/prices/310/fixed/wholesale",
    ),
    Case(
        "get_computed_price",
        lambda c: c.pricing.get_computed_price(310, "1", quantity=2, brand_id=2000001),
        "GET",
        "/pricing/prices/310/computed/1",
        query={"quantity": "2", "brandId": "2000001"},
        answer={
            "tradePolicyId": "1",
            "listPrice": 120,
            "sellingPrice": 99.9,
            "priceValidUntil": "2026-12-31T00:00:00Z",
        },
        check=lambda r: r.sellingPrice == 99.9,
    ),
]


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=PRICING, assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_method_sends_vtex_request_and_reads_answer(
    case: Case, mock: respx.MockRouter, vtex: VtexClient
) -> None:
    await run_case(case, mock, vtex)


def test_every_public_method_has_a_case() -> None:
    public = {n for n in dir(VtexClient.from_settings(VtexSettings()).pricing) if not n.startswith("_")}
    assert public == {c.name for c in CASES}


async def test_sku_without_price_reads_as_none_and_no_fixed_prices(
    mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.get("/pricing/prices/9").mock(return_value=httpx.Response(404))
    mock.get("/pricing/prices/9/fixed").mock(return_value=httpx.Response(404))
    mock.get("/pricing/prices/9/fixed/1").mock(return_value=httpx.Response(404))
    assert await vtex.pricing.get_price(9) is None
    assert await vtex.pricing.get_fixed_prices(9) == []
    assert await vtex.pricing.get_price_table_fixed_prices(9, "1") == []


async def test_empty_fixed_price_writes_are_refused_before_sending(vtex: VtexClient) -> None:
    with pytest.raises(ValueError, match="at least one"):
        await vtex.pricing.upsert_fixed_prices(310, [])
    with pytest.raises(ValueError, match="at least one"):
        await vtex.pricing.set_price_table_fixed_prices(310, "1", [])


def test_all_three_of_base_cost_markup_is_a_validation_error_on_base_price() -> None:
    with pytest.raises(ValidationError) as caught:
        PriceUpdate(basePrice=100.0, costPrice=50.0, markup=0)
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [("basePrice",)]
    assert "exactly two of basePrice, costPrice and markup" in errors[0]["msg"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"basePrice": 100.0}, "give exactly two"),
        ({"listPrice": 100.0}, "give exactly two"),
        ({"basePrice": 100.0, "markup": 30}, "markup needs costPrice"),
    ],
)
def test_base_price_needs_two_of_three(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PriceUpdate(**given)


@pytest.mark.parametrize(
    "given", [{"basePrice": 100.0, "costPrice": 50.0}, {"costPrice": 50.0, "markup": 100}]
)
def test_valid_pairs_serialise_only_what_was_given(given: dict[str, Any]) -> None:
    assert PriceUpdate(**given).body() == given


def test_date_range_must_move_forward_and_carry_a_time_zone() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="after"):
        DateRange(from_=start, to=start)
    with pytest.raises(ValidationError, match="timezone"):
        DateRange(from_=datetime(2026, 1, 1), to=datetime(2026, 2, 1))
