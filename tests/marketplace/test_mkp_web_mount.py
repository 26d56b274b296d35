"""Once ``Settings.marketplace`` is mounted, ``vtexbridge serve``'s app discovers the protocol routes
and builds the marketplace runtime from its own services on first use (the mounting instructions)."""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import Field, SecretStr

from tests.marketplace.mkp_support import VTEX_HEADERS, VTEX_KEY, VTEX_TOKEN
from vtexbridge.config import Settings
from vtexbridge.erp.config import ErpSettings
from vtexbridge.marketplace.settings import AffiliateSettings, MarketplaceSettings, SellerSettings
from vtexbridge.state import StateStore
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.web.app import create_app


class MountedSettings(Settings):
    """``Settings`` with the section mounted as the coordinator will do it."""

    marketplace: MarketplaceSettings = Field(default_factory=MarketplaceSettings)


async def test_serve_app_discovers_and_serves_the_protocols(erp_dir: Path, mkp_state: StateStore) -> None:
    settings = MountedSettings(
        vtex=VtexSettings(account="marketplace"),
        erp=ErpSettings(kind="folder", path=erp_dir),
        marketplace=MarketplaceSettings(
            seller=SellerSettings(
                seller_id="erpseller", app_key=SecretStr(VTEX_KEY), app_token=SecretStr(VTEX_TOKEN)
            ),
            affiliate=AffiliateSettings(affiliate_id="BRG"),
        ),
    )
    app = create_app(settings, state=mkp_state, client=None)
    paths = {getattr(r, "path", "") for r in app.router.routes}
    assert "/marketplace/seller/pvt/orderForms/simulation" in paths
    assert "/marketplace/affiliate/api/notification/" in paths
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
        r = await client.post(
            "/marketplace/seller/pvt/orderForms/simulation",
            json={"items": [{"id": "P0001-01", "quantity": 1, "seller": "erpseller"}]},
            headers=VTEX_HEADERS,
        )
        assert r.status_code == 200 and r.json()["items"][0]["price"] == 65890
        # the affiliate side needs the VTEX client, which this app was not given
        n = await client.post("/marketplace/affiliate/api/notification", json={"IdSku": "1"})
        assert n.status_code == 500 and "VTEX client" in n.json()["error"]["message"]
