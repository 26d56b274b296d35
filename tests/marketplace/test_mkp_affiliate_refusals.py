"""The affiliate's catalog follow-up refuses one invalid notification alone (#11 "orders that get
stuck", item 4): before the fix, a non-numeric ``IdSku`` raised in the follow-up, which then
retried the whole pending set forever."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from vtexbridge.marketplace.affiliate.catalog_sink import FolderCatalogSink
from vtexbridge.marketplace.affiliate.notifications import SCOPE, CatalogFollower, parse_notification
from vtexbridge.marketplace.errors import BadProtocolRequest
from vtexbridge.marketplace.settings import AffiliateSettings
from vtexbridge.state import StateStore


class FakeSeller:
    """The seller's catalog and simulation, for SKU ids that parse as integers."""

    def __init__(self) -> None:
        self.catalog = SimpleNamespace(get_product=self.get_product)
        self.skus = SimpleNamespace(get_sku=self.get_sku)
        self.marketplace = SimpleNamespace(simulate_fulfillment=self.simulate)

    async def get_sku(self, sku_id: int) -> Any:
        assert isinstance(sku_id, int)
        return SimpleNamespace(
            ProductId=1, Name=f"SKU {sku_id}", RefId=f"R{sku_id}", IsActive=True, MeasurementUnit="un",
            UnitMultiplier=1, PackagedHeight=1, PackagedLength=1, PackagedWidth=1, PackagedWeightKg=1,
        )  # fmt: skip

    async def get_product(self, product_id: int) -> Any:
        return SimpleNamespace(Name="P", Description="")

    async def simulate(self, simulation: Any, **kw: Any) -> Any:
        sku = simulation.items[0].id
        item = SimpleNamespace(
            id=sku, sellingPrice=990, price=990, listPrice=990, priceValidUntil=None, availability="available"
        )
        return SimpleNamespace(items=[item], logisticsInfo=[{"itemIndex": 0, "stockBalance": 3}])


def test_a_non_numeric_sku_id_is_refused_at_the_door() -> None:
    for bad in ("12abc", "-1", "1" * 19, "0", "١٢"):
        with pytest.raises(BadProtocolRequest, match="IdSku"):
            parse_notification({"IdSku": bad})
    assert parse_notification({"IdSku": " 17 "}).sku_id == "17"


async def test_one_invalid_pending_change_is_refused_and_the_rest_continues(tmp_path: Path) -> None:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True) as state:
        sink = FolderCatalogSink(tmp_path / "mkp", fsync=False)
        follower = CatalogFollower(
            AffiliateSettings(affiliate_id="BRG"),
            "seller",
            FakeSeller(),
            state,
            sink,  # type: ignore[arg-type]
        )
        good = {"sku_id": "100"}
        # stored before validation existed, or by an older version: the follow-up must cope
        state.values.put(
            SCOPE, "seller:pending", {"12abc": {"sku_id": "12abc"}, "100": good, "junk": {"nope": 1}}
        )
        report = await follower.drain()
        assert report.refused == 2 and report.written == 1 and report.failed == 0
        assert state.values.get(SCOPE, "seller:pending") == {}  # nothing retried forever
        entry = await sink.get_sku("100")
        assert entry is not None and entry["price"] == 990
        again = await follower.drain()
        assert (again.refused, again.written, again.fetched) == (0, 0, 0)
