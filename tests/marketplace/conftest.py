"""Fixtures for the marketplace protocol tests (helpers in ``mkp_support.py``).

- ``erp_dir``: a copy of ``examples/erp`` (150 SKUs) the test may change;
- ``mkp_state``: a SQLite state store in the test's folder;
- ``recording_payment``: a payment handler that keeps what it was given;
- ``seller_side``: the external seller's endpoints served over real HTTP (uvicorn, free loopback
  port) with a folder sink, as :class:`SellerSide`.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.marketplace.mkp_support import (
    ROOT,
    VTEX_HEADERS,
    VTEX_KEY,
    VTEX_TOKEN,
    RecordingPayment,
    SellerSide,
)
from vtexbridge.config import Settings
from vtexbridge.erp.readers.folder import FolderReader
from vtexbridge.erp.sinks.folder import FolderSink
from vtexbridge.marketplace.runtime import MarketplaceRuntime
from vtexbridge.marketplace.settings import MarketplaceSettings, SellerSettings
from vtexbridge.state import StateStore
from vtexbridge.testing.marketplace import protocol_app, serve_in_thread
from vtexbridge.vtex.settings import VtexSettings


@pytest.fixture
def erp_dir(tmp_path: Path) -> Path:
    target = tmp_path / "erp"
    shutil.copytree(ROOT / "examples" / "erp", target, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return target


@pytest.fixture
def mkp_state(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    yield store
    store.close()


@pytest.fixture
def recording_payment() -> RecordingPayment:
    return RecordingPayment()


@pytest.fixture
def seller_settings() -> SellerSettings:
    """Override in a module to change the seller's settings."""
    from pydantic import SecretStr

    return SellerSettings(
        seller_id="erpseller",
        app_key=SecretStr(VTEX_KEY),
        app_token=SecretStr(VTEX_TOKEN),
        follow_up_email="orders@erpseller.example",
    )


@pytest.fixture
async def seller_side(
    tmp_path: Path,
    erp_dir: Path,
    mkp_state: StateStore,
    seller_settings: SellerSettings,
    recording_payment: RecordingPayment,
) -> AsyncIterator[SellerSide]:
    mkp = MarketplaceSettings(seller=seller_settings)
    settings = Settings(vtex=VtexSettings(account="marketplace"))
    runtime = MarketplaceRuntime.build(
        settings,
        state=mkp_state,
        client=None,
        marketplace=mkp,
        sink=FolderSink(tmp_path / "orders", fsync=False),
        reader=lambda: FolderReader(erp_dir),
        payment=recording_payment,
    )
    await runtime.ready()
    served = serve_in_thread(protocol_app(runtime, mkp))
    yield SellerSide(
        url=served.url + seller_settings.path,
        headers=dict(VTEX_HEADERS),
        orders_dir=tmp_path / "orders",
        runtime=runtime,
        state=mkp_state,
        served=served,
    )
    served.stop()
    await runtime.aclose()
