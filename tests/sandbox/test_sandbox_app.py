"""The app shell: account resolution (Host header, path prefix, default), auth, route discovery."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from vtexbridge.sandbox.app import (
    SandboxRouter,
    create_app,
    discover_routes,
    resolve_host_account,
    route_template,
)
from vtexbridge.sandbox.context import MAX_BODY_BYTES
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions

AUTH = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}


@pytest.mark.parametrize(
    ("host", "account"),
    [
        ("acme.vtexcommercestable.com.br", "acme"),
        ("ACME.vtexcommercestable.com.br:443", "acme"),
        ("acme.vtexcommercebeta.com.br", "acme"),
        ("acme.myvtex.com", "acme"),
        ("dev--acme.myvtex.com", "acme"),
        ("api.vtex.com", None),
        ("logistics.vtexcommercestable.com.br", None),
        ("127.0.0.1:8710", None),
        ("localhost", None),
        ("a.b.vtexcommercestable.com.br", None),
    ],
)
def test_resolve_host_account(host: str, account: str | None) -> None:
    assert resolve_host_account(host) == account


async def _brand(client: httpx.AsyncClient, url: str, host: str, brand_id: int) -> httpx.Response:
    return await client.post(url, json={"Id": brand_id, "Name": f"B{brand_id}"}, headers={"Host": host})


async def test_accounts_are_isolated_by_host_and_prefix(sandbox_client: httpx.AsyncClient) -> None:
    assert (
        await _brand(sandbox_client, "/api/catalog/pvt/brand", "acme.vtexcommercestable.com.br", 1)
    ).status_code == 200
    # same account through a path prefix (as on logistics.vtexcommercestable.com.br/{account})
    got = await sandbox_client.get("/acme/api/catalog/pvt/brand/1", headers={"Host": "127.0.0.1:8710"})
    assert got.status_code == 200
    # another account and the default account do not see it
    other = await sandbox_client.get(
        "/api/catalog/pvt/brand/1", headers={"Host": "other.vtexcommercestable.com.br"}
    )
    assert other.status_code == 404
    default = await sandbox_client.get("/api/catalog/pvt/brand/1", headers={"Host": "127.0.0.1:8710"})
    assert default.status_code == 404
    log = (await sandbox_client.get("/_sandbox/requests")).json()
    assert [e["account"] for e in log["entries"]] == ["acme", "acme", "other", "sandbox"]
    assert log["entries"][1]["route"] == "/api/catalog/pvt/brand/{brandId}"
    assert log["entries"][1]["path"] == "/acme/api/catalog/pvt/brand/1"


async def test_default_account_option() -> None:
    app = create_app(SandboxOptions(account="shop"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://127.0.0.1:8710", headers=AUTH
    ) as c:
        await c.post("/api/catalog/pvt/brand", json={"Id": 1, "Name": "B"})
        assert (await c.get("/shop/api/catalog/pvt/brand/1")).status_code == 200
        assert (await c.get("/_sandbox/catalog")).json()["account"] == "shop"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-VTEX-API-AppKey": DEFAULT_APP_KEY},
        {"X-VTEX-API-AppToken": DEFAULT_APP_TOKEN},
        {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": "wrong"},
        {"X-VTEX-API-AppKey": "other-key", "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN},
        {"VtexIdclientAutCookie": "not-a-configured-token"},
    ],
)
async def test_missing_or_wrong_credentials_are_401(sandbox_app: Starlette, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(sandbox_app), base_url="http://sandbox.vtexcommercestable.com.br"
    ) as c:
        r = await c.get("/api/catalog/pvt/brand/1", headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["message"].startswith("Unauthorized")
        # nothing was served behind the 401
        assert (await c.get("/_sandbox/requests")).json()["counts"] == {
            "GET /api/catalog/pvt/brand/{brandId}": 1
        }


async def test_configured_keys_and_user_tokens() -> None:
    options = SandboxOptions(credentials={"k1": "t1"}, user_tokens=frozenset({"jwt-1"}))
    app = create_app(options)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://s.vtexcommercestable.com.br"
    ) as c:
        url = "/api/catalog/pvt/brand/1"
        assert (await c.get(url, headers=AUTH)).status_code == 401  # default keys no longer valid
        assert (
            await c.get(url, headers={"x-vtex-api-appkey": "k1", "x-vtex-api-apptoken": "t1"})
        ).status_code == 404
        assert (await c.get(url, headers={"VtexIdclientAutCookie": "jwt-1"})).status_code == 404
        assert (await c.get(url, headers={"Cookie": "VtexIdclientAutCookie=jwt-1"})).status_code == 404


async def test_public_routes_need_no_credentials_but_refuse_wrong_ones(sandbox_app: Starlette) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(sandbox_app), base_url="http://s.vtexcommercestable.com.br"
    ) as c:
        assert (await c.get("/api/catalog_system/pub/category/tree/1")).status_code == 200
        wrong = {"X-VTEX-API-AppKey": "x", "X-VTEX-API-AppToken": "y"}
        assert (await c.get("/api/catalog_system/pub/category/tree/1", headers=wrong)).status_code == 401


async def test_unknown_route_is_404_and_wrong_method_405(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.get("/api/catalog/pvt/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "404"
    assert (await sandbox_client.patch("/api/catalog/pvt/brand/1")).status_code == 405


def test_routes_are_discovered_and_templates_normalised() -> None:
    templates = {route_template(r) for r in discover_routes()}
    assert "/api/catalog/pvt/stockkeepingunit/{skuId}" in templates
    assert "/pricing/prices/{itemId}" in templates
    assert "/api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}" in templates
    from starlette.routing import Route

    async def endpoint(request: object) -> None:  # pragma: no cover - never called
        return None

    assert route_template(Route("/x/{id:int}/y", endpoint)) == "/x/{id}/y"


def test_router_prefers_declaration_order_for_literal_paths() -> None:
    router = SandboxRouter(discover_routes())
    scope = {"type": "http", "method": "GET", "path": "/api/catalog_system/pvt/brand/list", "root_path": ""}
    resolved = router.resolve(scope)
    assert resolved is not None
    assert router.template_of(resolved) == "/api/catalog_system/pvt/brand/list"
    assert "api" in router.roots
    assert "pricing" in router.roots


async def test_extra_routes_and_app_state_are_available_to_handlers() -> None:
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from vtexbridge.sandbox.context import sandbox

    async def probe(request: Request) -> JSONResponse:
        ctx = sandbox(request)
        ctx.app_state["hits"] = ctx.app_state.get("hits", 0) + 1
        ctx.table("probe")["1"] = {"ok": True}
        return JSONResponse(
            {"account": ctx.account, "hits": ctx.app_state["hits"], "limits": ctx.options.limits}
        )

    app = create_app(SandboxOptions(), extra_routes=[Route("/api/probe/{x}", probe, methods=["GET"])])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://zeta.myvtex.com", headers=AUTH
    ) as c:
        await c.get("/api/probe/1")
        body = (await c.get("/api/probe/2")).json()
    assert body == {"account": "zeta", "hits": 2, "limits": "real"}
    assert app.state.sandbox.store.table("zeta", "probe")["1"] == {"ok": True}


class TestCli:
    def _run(self, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[object, dict[str, object]]:
        from typer.testing import CliRunner

        from vtexbridge.cli import build_app
        from vtexbridge.cli import sandbox as cli_sandbox

        served: dict[str, object] = {}

        class FakeServer:  # the CLI binds its socket, then hands it to uvicorn.Server(config).run
            def __init__(self, config: Any) -> None:
                served["app"] = config.app

            def run(self, sockets: list[Any]) -> None:
                served["host"], served["port"] = sockets[0].getsockname()[:2]

        monkeypatch.setattr(cli_sandbox.uvicorn, "Server", FakeServer)
        result = CliRunner().invoke(build_app(), ["sandbox", *args])
        return result, served

    def test_serves_the_app_with_the_given_options(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: object
    ) -> None:
        result, served = self._run(
            monkeypatch,
            "--port", "0", "--account", "shop", "--app-key", "k", "--app-token", "t",
            "--faults", "*:503=0.1", "--limits", "off", "--masterdata", "lenient",
        )  # fmt: skip
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        assert served["host"] == "127.0.0.1"
        assert f"http://127.0.0.1:{served['port']}" in result.output  # type: ignore[attr-defined]
        options = served["app"].state.sandbox.options  # type: ignore[attr-defined]
        assert (options.account, options.credentials, options.limits) == ("shop", {"k": "t"}, "off")
        assert options.masterdata == "lenient"
        assert "account=shop" in result.output  # type: ignore[attr-defined]

    @pytest.mark.parametrize(
        "args",
        [
            ["--app-key", "k"],
            ["--limits", "sometimes"],
            ["--faults", "*:418=1"],
            ["--account", "a.b"],
            ["--masterdata", "loose"],
        ],
    )
    def test_bad_options_exit_2_without_serving(
        self, monkeypatch: pytest.MonkeyPatch, args: list[str]
    ) -> None:
        result, served = self._run(monkeypatch, *args)
        assert result.exit_code == 2  # type: ignore[attr-defined]
        assert served == {}


async def test_admin_cannot_be_reached_through_an_account_prefix() -> None:
    app = create_app(SandboxOptions(host="0.0.0.0"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://s.vtexcommercestable.com.br", headers=AUTH
    ) as c:
        assert (await c.get("/_sandbox/health")).status_code == 404
        assert (await c.get("/acme/_sandbox/health")).status_code == 404


async def test_seed_option_applies_the_seed_to_the_default_account() -> None:
    app = create_app(SandboxOptions(seed="demo", account="shop"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://shop.myvtex.com", headers=AUTH
    ) as c:
        warehouses = (await c.get("/api/logistics/pvt/configuration/warehouses")).json()
        assert warehouses, "the demo seed has a warehouse"
        assert (await c.get("/api/catalog_system/pvt/saleschannel/list")).json()[0]["Id"] == 1
    with pytest.raises(ValueError, match="unknown seed"):
        create_app(SandboxOptions(seed="no-such-seed"))


async def test_a_body_over_the_limit_is_413_in_the_areas_shape(sandbox_client: httpx.AsyncClient) -> None:
    big = b'{"Name": "' + b"x" * MAX_BODY_BYTES + b'"}'
    catalog = await sandbox_client.post("/api/catalog/pvt/category", content=big)
    assert catalog.status_code == 413
    assert "larger than" in catalog.json()["Message"]
    oms = await sandbox_client.post("/api/orders/feed/config", content=big)
    assert oms.status_code == 413
    assert "larger than" in oms.json()["error"]["message"]
