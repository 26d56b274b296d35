"""The serve app factory: route discovery and health."""

from __future__ import annotations

from pathlib import Path

import httpx

from vtexbridge.config import Settings
from vtexbridge.state import StateStore
from vtexbridge.web.app import create_app, discover


def test_every_route_module_is_mounted() -> None:
    routes, _ = discover(Settings())
    paths = {getattr(r, "path", None) for r in routes}
    assert {"/health", "/hooks/vtex/orders", "/actions", "/actions/{kind}", "/actions/{action_id}"} <= paths


async def test_health(tmp_path: Path) -> None:
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", create=True) as store:
        app = create_app(Settings.model_validate({"vtex": {"account": "acme"}}), state=store)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost"
        ) as c:
            r = await c.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "account": "acme"}


async def test_the_app_opens_and_closes_its_own_store(tmp_path: Path) -> None:
    s = Settings.model_validate({"state": {"url": f"sqlite:///{tmp_path / 'own.db'}"}})
    app = create_app(s)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bridge") as c,
    ):
        assert (await c.get("/health")).status_code == 200
    assert (tmp_path / "own.db").exists()
