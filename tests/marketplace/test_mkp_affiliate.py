"""The affiliate side: VTEX's notifications (any casing), the pending list, the folder catalog sink,
and the notification endpoint over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from vtexbridge.config import Settings, VtexSettings
from vtexbridge.marketplace.affiliate.catalog_sink import FolderCatalogSink
from vtexbridge.marketplace.affiliate.notifications import SCOPE, SkuChange, parse_notification
from vtexbridge.marketplace.errors import BadProtocolRequest
from vtexbridge.marketplace.harness import Served, protocol_app, serve_in_thread
from vtexbridge.marketplace.runtime import MarketplaceRuntime
from vtexbridge.marketplace.settings import AffiliateSettings, CatalogSinkSettings, MarketplaceSettings
from vtexbridge.state import StateStore
from vtexbridge.vtex import VtexClient

BROADCASTER = {
    "IdSku": "2001",
    "ProductId": 17,
    "An": "seller",
    "IdAffiliate": "BRG",
    "DateModified": "2026-05-01T10:00:00",
    "IsActive": True,
    "StockModified": False,
    "PriceModified": True,
    "HasStockKeepingUnitModified": False,
    "HasStockKeepingUnitRemovedFromAffiliate": False,
}


def test_parse_the_broadcaster_payload() -> None:
    change = parse_notification(BROADCASTER)
    assert change == SkuChange(
        sku_id="2001",
        product_id="17",
        account="seller",
        affiliate_id="BRG",
        modified_at="2026-05-01T10:00:00",
        is_active=True,
        price=True,
        stock=False,
        sku=False,
        removed=False,
    )


def test_parse_the_guides_lower_case_spelling_and_a_bare_notification() -> None:
    change = parse_notification(
        {"idSKU": "9", "productId": "3", "an": "seller", "idAffiliate": "BRG", "isActive": "false"}
    )
    assert change.sku_id == "9" and change.is_active is False
    assert change.price and change.stock and change.sku  # no flag at all: fetch everything
    with pytest.raises(BadProtocolRequest):
        parse_notification({"ProductId": 1})
    with pytest.raises(BadProtocolRequest):
        parse_notification(["IdSku"])


def test_pending_changes_merge() -> None:
    a = SkuChange("1", price=True, stock=False, sku=False)
    b = SkuChange("1", price=False, stock=True, sku=False, is_active=False)
    merged = a | b
    assert merged.price and merged.stock and not merged.sku and merged.is_active is False


async def test_folder_sink_writes_only_changes_and_keeps_removed_skus(tmp_path: Path) -> None:
    sink = FolderCatalogSink(tmp_path, fsync=False)
    entry = {"skuId": "1", "price": 100, "available": True, "isActive": True}
    assert await sink.put_sku(entry) is True
    assert await sink.put_sku(dict(entry)) is False
    assert await sink.put_sku({**entry, "price": 90}) is True
    assert (await sink.get_sku("1"))["price"] == 90  # type: ignore[index]
    assert await sink.remove_sku("1", reason="inactive") is True
    assert await sink.remove_sku("1", reason="inactive") is False
    assert await sink.remove_sku("unknown", reason="x") is False
    removed = await sink.get_sku("1")
    assert removed is not None and removed["removed"] and removed["isActive"] is False
    assert not list((tmp_path / "skus").glob(".*.tmp"))
    assert await sink.put_order({"marketplaceOrderId": "M/1", "status": "placed"}) is True
    assert (tmp_path / "orders" / "M%2F1.json").exists()
    assert await sink.put_order({"marketplaceOrderId": "M_1", "status": "placed"}) is True  # another order
    assert sorted(p.name for p in (tmp_path / "orders").iterdir()) == ["M%2F1.json", "M_1.json"]


@pytest.fixture
async def affiliate_server(tmp_path: Path) -> AsyncIterator[tuple[Served, StateStore]]:
    affiliate = AffiliateSettings(
        affiliate_id="BRG",
        secret=SecretStr("s3cret"),
        catalog_sink=CatalogSinkSettings(path=tmp_path / "mkp", fsync=False),
    )
    mkp = MarketplaceSettings(affiliate=affiliate)
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    client = VtexClient.from_settings(VtexSettings(account="seller"))
    runtime = MarketplaceRuntime.build(
        Settings(vtex=VtexSettings(account="seller")), state=store, client=client, marketplace=mkp
    )
    served = serve_in_thread(protocol_app(runtime, mkp))
    yield served, store
    served.stop()
    await runtime.aclose()
    await client.aclose()
    store.close()


async def test_notification_endpoint(affiliate_server: tuple[Served, StateStore]) -> None:
    served, store = affiliate_server
    url = served.url + "/marketplace/affiliate/api/notification/"
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.post(url, json=BROADCASTER)).status_code == 401
        ok = await client.post(url + "?token=s3cret", json=BROADCASTER)
        assert ok.status_code == 200 and ok.json() == {"ok": True, "skuId": "2001"}
        header = await client.post(
            url, json={**BROADCASTER, "IdSku": "2002"}, headers={"X-Vtexbridge-Token": "s3cret"}
        )
        assert header.status_code == 200
        bad = await client.post(url + "?token=s3cret", json={"nothing": 1})
        assert bad.status_code == 400
    pending = store.values.get(SCOPE, "seller:pending")
    assert sorted(pending) == ["2001", "2002"]
    assert pending["2001"]["price"] is True and pending["2001"]["stock"] is False


async def test_services_endpoint_needs_the_token_and_a_known_order(
    affiliate_server: tuple[Served, StateStore],
) -> None:
    served, _ = affiliate_server
    url = served.url + "/marketplace/affiliate/services/pvt/orders/NOPE/invoice"
    body = {"type": "Output", "invoiceNumber": "1", "items": []}
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.post(url, json=body)).status_code == 401
        r = await client.post(url + "?token=s3cret", json=body)
    assert r.status_code == 404 and r.json()["error"]["code"] == "MKP404"
