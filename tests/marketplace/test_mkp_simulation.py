"""The external seller's simulation: a pure function of (cart, offers, options, now)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from vtexbridge.erp.readers.folder import FolderReader
from vtexbridge.erp.records import Price
from vtexbridge.marketplace.seller.simulation import (
    UNLIMITED_BALANCE,
    FixedOffer,
    Offer,
    OfferIndex,
    SimulationError,
    SimulationOptions,
    base_price,
    cents,
    load_offers,
    simulate,
)
from vtexbridge.marketplace.settings import SellerSettings, SlaSettings

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
OPTIONS = SimulationOptions.from_settings(
    SellerSettings(seller_id="erpseller", slas=[SlaSettings(id="Normal", price=Decimal("9.90"))])
)


def _index(*offers: Offer) -> OfferIndex:
    index = OfferIndex()
    index.replace(offers)
    return index


def test_cents_round_half_up() -> None:
    assert cents(Decimal("19.995")) == 2000
    assert cents("0.01") == 1
    assert cents(658.9) == 65890


def test_base_price_from_cost_and_markup() -> None:
    assert base_price(Price(sku_key="a", cost_price=Decimal("10.00"), markup=25)) == Decimal("12.50")
    assert base_price(Price(sku_key="a", base_price=Decimal("3.00"))) == Decimal("3.00")


def test_answer_has_prices_in_cents_stock_and_slas() -> None:
    index = _index(Offer("A", price=1990, list_price=2990, stock=7))
    answer = simulate(
        {
            "items": [{"id": "A", "quantity": 2, "seller": "erpseller"}],
            "postalCode": "22270-030",
            "country": "BRA",
        },
        index,
        OPTIONS,
        NOW,
    )
    (item,) = answer["items"]
    assert item == {
        "id": "A",
        "requestIndex": 0,
        "quantity": 2,
        "seller": "erpseller",
        "price": 1990,
        "listPrice": 2990,
        "priceValidUntil": None,
        "merchantName": None,
        "offerings": [],
        "priceTags": [],
        "measurementUnit": "un",
        "unitMultiplier": 1,
    }
    (logistics,) = answer["logisticsInfo"]
    assert logistics["stockBalance"] == 7 and logistics["quantity"] == 2
    assert logistics["slas"][0]["price"] == 990 and logistics["slas"][0]["shippingEstimate"] == "5bd"
    assert answer["postalCode"] == "22270-030" and answer["country"] == "BRA"


def test_quantity_is_capped_by_stock_and_out_of_stock_has_no_sla() -> None:
    index = _index(Offer("A", 100, None, stock=3), Offer("B", 100, None, stock=0))
    answer = simulate(
        {"items": [{"id": "A", "quantity": 5}, {"id": "B", "quantity": 1}]}, index, OPTIONS, NOW
    )
    assert [i["quantity"] for i in answer["items"]] == [3, 0]
    assert answer["logisticsInfo"][1]["slas"] == []
    assert answer["logisticsInfo"][1]["itemIndex"] == 1


def test_unknown_and_unpriced_items_are_left_out_with_request_index_kept() -> None:
    index = _index(Offer("A", None, None, stock=3), Offer("C", 500, None, stock=None))
    answer = simulate(
        {"items": [{"id": "A"}, {"id": "nope"}, {"id": "C", "quantity": 1}]}, index, OPTIONS, NOW
    )
    assert [(i["id"], i["requestIndex"]) for i in answer["items"]] == [("C", 2)]
    assert answer["logisticsInfo"][0]["itemIndex"] == 0
    assert answer["logisticsInfo"][0]["stockBalance"] == UNLIMITED_BALANCE


def test_reservations_reduce_the_stock() -> None:
    index = _index(Offer("A", 100, None, stock=5))
    index.reserve("VB-1", [("A", 4)], placed_at=NOW.timestamp())
    assert simulate({"items": [{"id": "A", "quantity": 3}]}, index, OPTIONS, NOW)["items"][0]["quantity"] == 1
    index.release("VB-1")
    assert index.reserved == {}


def test_fixed_price_by_quantity_and_dates() -> None:
    now = NOW.timestamp()
    offer = Offer(
        "A",
        price=1000,
        list_price=1200,
        stock=None,
        fixed=(
            FixedOffer(value=900, list_price=None, min_quantity=1),
            FixedOffer(value=800, list_price=1100, min_quantity=10),
            FixedOffer(value=500, list_price=None, min_quantity=1, starts=now + 60, ends=now + 3600),
        ),
    )
    assert offer.unit_prices(1, now) == (900, 1200, None)
    assert offer.unit_prices(10, now) == (800, 1100, None)
    assert offer.unit_prices(1, now + 120) == (500, 1200, None)


def test_merchant_name_when_the_seller_processes_payments() -> None:
    options = SimulationOptions.from_settings(
        SellerSettings(seller_id="s", payment="seller", merchant_name="erpseller", payment_handler="x:y")
    )
    answer = simulate({"items": [{"id": "A"}]}, _index(Offer("A", 100, None, stock=1)), options, NOW)
    assert answer["items"][0]["merchantName"] == "erpseller"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": ["x"]},
        {"items": [{"quantity": 1}]},
        {"items": [{"id": "A", "quantity": -1}]},
    ],
)
def test_malformed_requests_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(SimulationError):
        simulate(body, OfferIndex(), OPTIONS, NOW)


def test_offers_load_from_the_example_erp(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "erp", tmp_path / "erp")
    offers = {o.sku_id: o for o in load_offers(FolderReader(tmp_path / "erp"))}
    assert len(offers) > 100
    jacket = offers["P0001-01"]
    assert jacket.price == 65890 and jacket.list_price == 82390
    assert jacket.stock is not None and jacket.stock >= 60
