"""VtexClient: one transport shared by every area, hosts per area, lifecycle, and a models package
that stands alone (the sandbox imports it without the client)."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import vtexbridge.vtex
from vtexbridge.clock import FakeClock
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.catalog import CatalogAPI
from vtexbridge.vtex.feed import FeedAPI
from vtexbridge.vtex.logistics import LogisticsAPI
from vtexbridge.vtex.marketplace import MarketplaceAPI
from vtexbridge.vtex.masterdata import MasterDataAPI
from vtexbridge.vtex.orders import OrdersAPI
from vtexbridge.vtex.pricing import PricingAPI
from vtexbridge.vtex.settings import VtexSettings

MODELS_DIR = Path(vtexbridge.vtex.__file__).parent / "models"
SETTINGS = VtexSettings(account="acme", app_key="key-1", app_token="token-1", max_retries=0)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Answers ``[]`` to everything, remembers the requests and whether it was closed."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=[])

    async def aclose(self) -> None:
        self.closed = True


def test_from_settings_builds_every_area_over_one_transport() -> None:
    clock = FakeClock()
    client = VtexClient.from_settings(SETTINGS, clock=clock)
    areas: dict[str, type[Any]] = {
        "catalog": CatalogAPI,
        "pricing": PricingAPI,
        "logistics": LogisticsAPI,
        "masterdata": MasterDataAPI,
        "orders": OrdersAPI,
        "feed": FeedAPI,
        "marketplace": MarketplaceAPI,
    }
    for name, cls in areas.items():
        area = getattr(client, name)
        assert isinstance(area, cls)
        assert area._t is client.transport
    assert client.transport.clock is clock
    assert client.account == "acme"


def test_every_area_method_takes_an_optional_record_keyword() -> None:
    client = VtexClient.from_settings(SETTINGS)
    for area in ("catalog", "pricing", "logistics", "masterdata", "orders", "feed", "marketplace"):
        for name, method in inspect.getmembers(getattr(client, area), inspect.ismethod):
            if name.startswith("_"):
                continue
            record = inspect.signature(method).parameters.get("record")
            assert record is not None, f"{area}.{name} takes no record"
            assert (record.kind, record.default) == (inspect.Parameter.KEYWORD_ONLY, None), f"{area}.{name}"


async def test_areas_send_through_the_injected_transport_to_their_hosts() -> None:
    recorder = RecordingTransport()
    async with VtexClient.from_settings(SETTINGS, http_transport=recorder) as client:
        await client.catalog.list_trade_policies()
        await client.pricing.get_fixed_prices(310)
        await client.feed.get_feed_items()
    assert [str(r.url) for r in recorder.requests] == [
        "https://acme.vtexcommercestable.com.br/api/catalog_system/pvt/saleschannel/list",
        "https://api.vtex.com/acme/pricing/prices/310/fixed",
        "https://acme.vtexcommercestable.com.br/api/orders/feed?maxlot=10",
    ]
    assert recorder.closed


async def test_base_url_sends_every_area_to_the_sandbox() -> None:
    recorder = RecordingTransport()
    settings = SETTINGS.model_copy(update={"base_url": "http://127.0.0.1:8765"})
    async with VtexClient.from_settings(settings, http_transport=recorder) as client:
        await client.skus.list_sku_eans(310)
        await client.pricing.get_fixed_prices(310)
    catalog, pricing = recorder.requests
    assert str(catalog.url) == "http://127.0.0.1:8765/api/catalog/pvt/stockkeepingunit/310/ean"
    assert catalog.headers["Host"] == "acme.vtexcommercestable.com.br"
    assert str(pricing.url) == "http://127.0.0.1:8765/acme/pricing/prices/310/fixed"


async def test_aclose_closes_the_connection_pool() -> None:
    recorder = RecordingTransport()
    client = VtexClient.from_settings(SETTINGS, http_transport=recorder)
    await client.aclose()
    assert recorder.closed


def test_package_exports_only_the_client() -> None:
    assert vtexbridge.vtex.__all__ == ["VtexClient"]
    with pytest.raises(AttributeError):
        _ = vtexbridge.vtex.NoSuchThing


def test_models_import_nothing_of_ours_but_models() -> None:
    for module in sorted(MODELS_DIR.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("vtexbridge"):
                    assert name.startswith("vtexbridge.vtex.models"), f"{module.name} imports {name}"


def test_importing_the_models_loads_neither_client_nor_transport() -> None:
    code = (
        "import sys; import vtexbridge.vtex.models.catalog, vtexbridge.vtex.models.orders;"
        "print(sorted(m for m in sys.modules if m in "
        "('vtexbridge.vtex.client', 'vtexbridge.vtex.transport', 'httpx')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
