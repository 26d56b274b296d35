"""Units reserved by orders placed through our endpoint survive snapshot reloads until the ERP's
snapshot can be assumed to account for them (docs/marketplace.md, "Stock reserved by orders")."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from tests.marketplace.mkp_support import SellerSide
from vtexbridge.erp.readers.folder import FolderReader
from vtexbridge.marketplace.seller.simulation import Offer, OfferIndex, snapshot_time

PLACED = 1_000_000.0


def _index(stock: int = 5) -> OfferIndex:
    index = OfferIndex()
    index.replace([Offer("A", 100, None, stock=stock), Offer("B", 100, None, stock=stock)])
    index.reserve("VB-1", [("A", 2), ("B", 1)], placed_at=PLACED)
    return index


def test_a_reload_with_an_older_snapshot_keeps_the_reservation() -> None:
    index = _index()
    released = index.replace([Offer("A", 100, None, stock=5)], snapshot_at=PLACED - 1)
    assert released == [] and index.reserved == {"A": 2, "B": 1}
    assert index.available(index.offers["A"]) == 3


def test_a_reload_with_a_newer_snapshot_releases_it() -> None:
    index = _index()
    released = index.replace([Offer("A", 100, None, stock=3)], snapshot_at=PLACED + 1)
    assert released == ["VB-1"] and index.reserved == {} and index.reservations == {}
    assert index.available(index.offers["A"]) == 3  # the ERP's stock already has the 2 units out


def test_the_grace_keeps_it_until_the_erp_had_time_to_import_the_order() -> None:
    index = _index()
    assert index.replace([], snapshot_at=PLACED + 30, grace_s=60) == []
    assert index.replace([], snapshot_at=PLACED + 61, grace_s=60) == ["VB-1"]


def test_a_snapshot_of_unknown_age_keeps_everything() -> None:
    index = _index()
    assert index.replace([], snapshot_at=None) == [] and index.reserved == {"A": 2, "B": 1}


def test_cancellation_releases_only_its_order_and_placing_again_reserves_once() -> None:
    index = _index()
    index.reserve("VB-2", [("A", 1)], placed_at=PLACED + 5)
    index.reserve("VB-2", [("A", 1)], placed_at=PLACED + 6)  # the same order sent again
    assert index.reserved == {"A": 3, "B": 1}
    assert index.release("VB-1") is True and index.reserved == {"A": 1}
    assert index.release("VB-1") is False
    assert index.replace([], snapshot_at=PLACED + 1) == [] and index.reserved == {"A": 1}


def test_snapshot_time_is_the_inventory_file_mtime_or_the_read_time(tmp_path: Any, erp_dir: Any) -> None:
    os.utime(erp_dir / "inventory.csv", (1_500_000_000, 1_500_000_000))
    assert snapshot_time(FolderReader(erp_dir), 2_000_000_000.0) == 1_500_000_000.0

    class Live:
        def entities(self) -> set[Any]:
            return set()

        def read(self, entity: Any) -> Any:
            return iter(())

    assert snapshot_time(Live(), 2_000_000_000.0) == 2_000_000_000.0


def _placement(mkp_id: str, quantity: int) -> dict[str, Any]:
    return {
        "marketplaceOrderId": mkp_id,
        "marketplaceServicesEndpoint": "http://oms.example/api/oms?an=marketplace",
        "marketplacePaymentValue": 65890 * quantity,
        "items": [{"id": "P0001-01", "quantity": quantity, "seller": "erpseller", "price": 65890}],
        "clientProfileData": {"email": "ana@example.com", "firstName": "Ana", "lastName": "Lima"},
        "shippingData": {"address": {"postalCode": "22250-040", "country": "BRA"}, "logisticsInfo": []},
        "paymentData": None,
    }


async def _stock(side: SellerSide) -> int:
    body = {"items": [{"id": "P0001-01", "quantity": 1000, "seller": "erpseller"}]}
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(side.url + "/pvt/orderForms/simulation", json=body, headers=side.headers)
    stock: int = r.json()["logisticsInfo"][0]["stockBalance"]
    return stock


async def _post(side: SellerSide, path: str, body: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(side.url + path, json=body, headers=side.headers)


async def test_an_order_stays_reserved_across_reloads_until_a_newer_snapshot(
    seller_side: SellerSide, erp_dir: Any
) -> None:
    protocol = seller_side.runtime.seller
    assert protocol is not None
    full = await _stock(seller_side)
    placed = await _post(seller_side, "/pvt/orders", _placement("1400000000001-01", 2))
    assert placed.status_code == 200, placed.text
    assert await _stock(seller_side) == full - 2
    # the ERP exports a snapshot taken before the order: the units stay reserved
    old = time.time() - 3600
    os.utime(erp_dir / "inventory.csv", (old, old))
    await protocol.refresh()
    assert await _stock(seller_side) == full - 2
    # a snapshot exported after the order (the ERP took the 2 units out): released, not counted twice
    future = time.time() + 60
    os.utime(erp_dir / "inventory.csv", (future, future))
    await protocol.refresh()
    assert protocol.index.reservations == {}
    assert await _stock(seller_side) == full


async def test_a_cancellation_releases_the_reservation(seller_side: SellerSide) -> None:
    full = await _stock(seller_side)
    order_id = (await _post(seller_side, "/pvt/orders", _placement("1400000000002-01", 3))).json()["orderId"]
    assert await _stock(seller_side) == full - 3
    cancel = {"marketplaceOrderId": "1400000000002-01", "reason": "shopper"}
    assert (await _post(seller_side, f"/pvt/orders/{order_id}/cancel", cancel)).status_code == 200
    assert await _stock(seller_side) == full
