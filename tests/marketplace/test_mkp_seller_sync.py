"""The seller sync (model A) against the sandbox playing the VTEX marketplace, in process.

The first run offers every SKU (catalog notification, 404, suggestion); a second run sends nothing;
one price change is one price notification, one stock change one inventory notification; a refused
notification is an entity error naming the SKU, retried (and cleared) by the next run.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from mkp_support import ROOT

from vtexbridge.clock import FakeClock
from vtexbridge.config import Settings, StateSettings, VtexSettings
from vtexbridge.erp.config import ErpSettings
from vtexbridge.marketplace.seller.outbound import SkuOffer
from vtexbridge.marketplace.seller.simulation import FixedOffer, Offer
from vtexbridge.marketplace.seller.sync import (
    GONE,
    OFFER,
    PRICE,
    STOCK,
    diff_seller,
    hash_price,
    hash_stock,
    run_seller_sync,
    seller_namespace,
)
from vtexbridge.marketplace.settings import MarketplaceSettings, SellerSettings
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.state import StateStore
from vtexbridge.sync.config import SyncSettings
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.runner import SyncOptions, SyncOutcome
from vtexbridge.sync.steps import Action
from vtexbridge.testing.openapi import ContractBook

SELLER = "erpseller"
ACCOUNT = "sandbox"


@dataclass
class Recording(httpx.AsyncBaseTransport):
    """The sandbox in process; keeps (method, path) of every request and can refuse some."""

    inner: httpx.AsyncBaseTransport
    sent: list[tuple[str, str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    requests: list[httpx.Request] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        self.requests.append(request)
        if request.url.path in self.refuse:
            return httpx.Response(
                400, json={"error": {"code": "1", "message": "SKU blocked by the marketplace"}}
            )
        return await self.inner.handle_async_request(request)

    def take(self) -> list[tuple[str, str]]:
        out, self.sent = self.sent, []
        return out


@dataclass
class World:
    settings: Settings
    erp: Path
    transport: Recording
    admin: httpx.AsyncClient
    clock: FakeClock

    async def sync(self, **options: Any) -> SyncOutcome:
        return await run_seller_sync(
            self.settings, SyncOptions(**options), http_transport=self.transport, clock=self.clock
        )

    async def notifications(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (await self.admin.get("/_sandbox/marketplace/notifications")).json()[
            "notifications"
        ]
        return found

    def state(self) -> StateStore:
        return StateStore.open(self.settings.state.url, create=True)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    erp = tmp_path / "erp"
    shutil.copytree(ROOT / "examples" / "erp", erp, ignore=shutil.ignore_patterns("*.py", "*.md"))
    clock = FakeClock()
    app = create_app(SandboxOptions(limits="off"), clock=clock)
    settings = Settings(
        vtex=VtexSettings(
            account=ACCOUNT,
            base_url="http://sandbox.test",
            app_key=DEFAULT_APP_KEY,
            app_token=DEFAULT_APP_TOKEN,
            max_retries=0,
        ),
        state=StateSettings(url=f"sqlite:///{tmp_path / 'state.db'}"),
        erp=ErpSettings(kind="folder", path=erp),
        sync=SyncSettings(report_dir=tmp_path / "reports"),
        marketplace=MarketplaceSettings(seller=SellerSettings(seller_id=SELLER)),
    )
    headers = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=headers
    ) as admin:
        yield World(settings, erp, Recording(httpx.ASGITransport(app=app)), admin, clock)


def edit(path: Path, key: str, column: str, value: str, key_column: str = "sku_key") -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row[key_column] == key:
            row[column] = value
            break
    else:
        raise KeyError(key)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def notifications_sent(sent: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(kind, SKU) of the price/inventory notifications among the requests."""
    out = []
    for method, path in sent:
        parts = path.strip("/").split("/")
        if method == "POST" and "notificator" in parts:
            out.append((parts[-1], parts[-2]))
    return sorted(out)


async def test_first_run_offers_every_sku_and_a_second_run_sends_nothing(world: World) -> None:
    first = await world.sync()
    assert first.exit_code == 0, first.report.errors
    assert first.report.done[Kind.SKU][Action.CREATE] == 150
    offered = first.extra["notifications"]["offer"]
    assert len(offered) == 150 and first.extra["notifications"]["price"] == []
    sent = world.transport.take()
    assert sum(1 for m, p in sent if m == "PUT" and "/suggestions/" in p) == 150
    assert notifications_sent(sent) == []  # a new SKU is simulated when taken in: no price/stock calls
    suggestion = (await world.admin.get(f"/suggestions/{SELLER}/P0001-01")).json()
    assert (
        suggestion["content"]["RefId"] == "P0001-01" and suggestion["content"]["Pricing"]["SalePrice"] == 659
    )
    second = await world.sync()
    assert world.transport.take() == []
    assert second.exit_code == 0 and second.report.counts() == {"sku": {"unchanged": 150}}
    assert second.report_file is not None and second.report_file.name.startswith(f"seller-sync-{ACCOUNT}-")
    with world.state() as store:
        runs = store.runs.list_recent(seller_namespace(ACCOUNT, SELLER))
        assert [r.status for r in runs] == ["succeeded", "succeeded"]
        assert store.runs.list_recent(ACCOUNT) == []  # never mixed with a store sync of the account


async def test_one_price_change_is_one_price_notification(world: World) -> None:
    await world.sync()
    world.transport.take()
    before = await world.notifications()
    edit(world.erp / "prices.csv", "P0001-01", "base_price", "599.90")
    outcome = await world.sync()
    assert notifications_sent(world.transport.take()) == [("price", "P0001-01")]
    assert outcome.report.done[Kind.PRICE][Action.UPDATE] == 1
    new = [n for n in await world.notifications() if n not in before]
    assert [(n["type"], n["skuId"]) for n in new] == [("price", "P0001-01")]
    await world.sync()
    assert world.transport.take() == []


async def test_one_stock_change_is_one_inventory_notification(world: World) -> None:
    await world.sync()
    world.transport.take()
    edit(world.erp / "inventory.csv", "P0002-01", "quantity", "3")
    await world.sync()
    assert notifications_sent(world.transport.take()) == [("inventory", "P0002-01")]
    await world.sync()
    assert world.transport.take() == []


async def test_a_sku_leaving_the_snapshot_is_one_inventory_notification(world: World) -> None:
    await world.sync()
    world.transport.take()
    edit(world.erp / "skus.csv", "P0003-01", "is_active", "false", key_column="key")
    await world.sync()
    assert notifications_sent(world.transport.take()) == [("inventory", "P0003-01")]
    await world.sync()
    assert world.transport.take() == []


async def test_a_refused_notification_is_an_entity_error_and_is_sent_again(world: World) -> None:
    await world.sync()
    world.transport.take()
    edit(world.erp / "prices.csv", "P0001-01", "base_price", "599.90")
    edit(world.erp / "prices.csv", "P0001-02", "base_price", "599.90")
    refused = f"/api/notificator/{SELLER}/changenotification/P0001-01/price"
    world.transport.refuse.add(refused)
    failed = await world.sync()
    assert failed.exit_code == 1
    [error] = failed.report.errors
    assert error["key"] == "P0001-01" and error["kind"] == PRICE and error["vtex_status"] == 400
    assert "SKU blocked by the marketplace" in error["message"]
    namespace = seller_namespace(ACCOUNT, SELLER)
    with world.state() as store:
        [row] = store.entities.list_errors(namespace)
        assert (row.kind, row.erp_key, row.vtex_status) == (PRICE, "P0001-01", 400)
        assert store.runs.list_recent(namespace)[0].status == "partial"
    world.transport.take()
    world.transport.refuse.clear()
    retried = await world.sync()  # only the refused one goes again
    assert notifications_sent(world.transport.take()) == [("price", "P0001-01")]
    assert retried.exit_code == 0
    with world.state() as store:
        assert store.entities.list_errors(namespace) == []


async def test_a_dry_run_sends_nothing_and_says_what_it_would(world: World) -> None:
    await world.sync()
    world.transport.take()
    edit(world.erp / "prices.csv", "P0001-01", "base_price", "599.90")
    plan = await world.sync(dry_run=True, show="P0001-01")
    assert world.transport.take() == []
    assert plan.report.status == "dry-run" and plan.report.counts()["price"] == {"update": 1}
    assert plan.extra["notifications"]["price"] == ["P0001-01"]
    assert plan.report.diffs[0]["kind"] == PRICE and plan.report.diffs[0]["fields"][0]["wanted"] == 59990
    await world.sync()  # the dry run recorded nothing: the live run still sends it
    assert notifications_sent(world.transport.take()) == [("price", "P0001-01")]


SPEC_OF = {
    "/suggestions/": "VTEX - Marketplace APIs - Suggestions",
    "/api/notificator/": "VTEX - Marketplace APIs",
    "/api/catalog_system/": "VTEX - Catalog API",
}


async def test_every_request_matches_the_official_spec(world: World) -> None:
    await world.sync()  # catalog notifications and suggestions
    edit(world.erp / "prices.csv", "P0001-01", "base_price", "599.90")
    edit(world.erp / "inventory.csv", "P0002-01", "quantity", "3")
    await world.sync()  # a price and an inventory notification
    book = ContractBook.load()
    checked: set[str] = set()
    problems: list[str] = []
    for request in world.transport.requests:
        spec = next(name for marker, name in SPEC_OF.items() if marker in request.url.path)
        checked.add(spec)
        problems += book.check_request(spec, request)
    assert problems == []
    assert checked == set(SPEC_OF.values())


def test_a_promotion_that_starts_changes_the_price_hash() -> None:
    promo = FixedOffer(value=900, list_price=None, starts=1000.0, ends=2000.0)
    offer = Offer("A", price=1000, list_price=1200, stock=5, fixed=(promo,))
    assert hash_price(offer, 500.0) != hash_price(offer, 1500.0)
    assert hash_price(offer, 1500.0) == hash_price(offer, 1600.0)


def test_diff_offers_new_skus_and_notifies_the_known_ones_for_what_changed() -> None:
    a, b, c = (Offer(s, price=100, list_price=None, stock=1) for s in "ABC")
    built = [SkuOffer(s, None, "no image") for s in "ABC"]
    from vtexbridge.marketplace.seller.sync import hash_sku

    state = {
        OFFER: {"A": hash_sku(built[0]), "B": hash_sku(built[1]), "Z": b"x" * 16},
        PRICE: {"A": hash_price(a, 0), "B": b"p" * 16},
        STOCK: {"A": hash_stock(a), "B": hash_stock(b), "Z": b"s" * 16},
    }
    changes = diff_seller([a, b, c], built, state, 0)
    assert [o.seller_sku_id for o in changes.offer] == ["C"]
    assert changes.price == ["B"] and changes.stock == ["Z"] and changes.unchanged == 1
    assert changes.hashes[(STOCK, "Z")] == GONE
    # the new SKU's price and stock are recorded with its offer
    assert (PRICE, "C") in changes.hashes and (STOCK, "C") in changes.hashes


async def test_the_sync_waits_for_serve_to_load_the_snapshot_it_notifies(world: World) -> None:
    from vtexbridge.marketplace.seller.orders import SCOPE
    from vtexbridge.marketplace.seller.service import index_key
    from vtexbridge.marketplace.seller.sync import wait_for_serve

    seller = world.settings.marketplace.seller
    assert seller is not None
    with world.state() as store:
        assert await wait_for_serve(store, ACCOUNT, seller, 100.0, world.clock) == "no serve"
        now = world.clock.now().timestamp()
        store.values.put(SCOPE, index_key(ACCOUNT, SELLER), {"version": 100.0, "loadedAt": now})
        assert await wait_for_serve(store, ACCOUNT, seller, 100.0, world.clock) == "current"
        # serve runs but still answers from an older snapshot: wait a bounded time, then go on
        started = world.clock.monotonic()
        assert await wait_for_serve(store, ACCOUNT, seller, 200.0, world.clock) == "timeout"
        assert world.clock.monotonic() - started >= seller.index_refresh_s + 60
