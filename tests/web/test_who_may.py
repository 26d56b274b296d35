"""Who may do what (issue #11): DNS rebinding, the affiliate's credentials, security headers, the
retry answer, and what /health says."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from operator_support import ACCOUNT, build_app, make_settings, open_store, populate

from vtexbridge.config import Settings
from vtexbridge.errors import ConfigError
from vtexbridge.marketplace.settings import AffiliateSettings
from vtexbridge.state import StateStore
from vtexbridge.state.models import ActionState
from vtexbridge.web.app import create_app
from vtexbridge.web.auth import check_affiliate_exposure, set_policy
from vtexbridge.web.edge import CSP

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "vtexbridge" / "web" / "templates"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = open_store(make_settings(tmp_path))
    populate(s)
    yield s
    s.close()


@pytest.fixture
def app(tmp_path: Path, store: StateStore) -> FastAPI:
    return build_app(make_settings(tmp_path), store)


def http(app: FastAPI, host: str = "127.0.0.1:8780") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{host}")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http(app) as c:
        yield c


# --- DNS rebinding ------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost:8780", "127.0.0.1:8780", "[::1]:8780", "LOCALHOST"])
async def test_loopback_names_reach_the_dashboard(app: FastAPI, host: str) -> None:
    async with http(app, host) as c:
        assert (await c.get("/dashboard/")).status_code == 200


async def test_a_rebound_host_name_is_refused(app: FastAPI, store: StateStore) -> None:
    """evil.example resolving to 127.0.0.1: the browser sends Host and Origin of evil.example."""
    rejected = store.actions.list_for(ACCOUNT, states=[ActionState.REJECTED.value])[0]
    async with http(app, "evil.example:8780") as c:
        assert (await c.get("/dashboard/")).status_code == 421
        assert (await c.get("/metrics")).status_code == 421
        origin = {"Origin": "http://evil.example:8780", "Sec-Fetch-Site": "same-origin"}
        assert (await c.post("/dashboard/errors/retry", headers=origin)).status_code == 421
        r = await c.post(f"/dashboard/actions/{rejected.id}/retry", headers=origin)
        assert r.status_code == 421
        health = (await c.get("/health")).json()
    assert "account" not in health
    again = store.actions.get(rejected.id)
    assert again is not None and again.state == ActionState.REJECTED.value  # nothing was retried


async def test_the_same_origin_check_does_not_trust_host(client: httpx.AsyncClient) -> None:
    # a request whose Host is allowed but whose Origin is another name is cross-site
    r = await client.post("/dashboard/errors/retry", headers={"Origin": "http://evil.example:8780"})
    assert r.status_code == 403
    r = await client.post(
        "/dashboard/errors/retry", headers={"Origin": "http://127.0.0.1:8780", "X-Requested-With": "fetch"}
    )
    assert r.status_code == 200


async def test_configured_host_names_are_the_only_ones(tmp_path: Path, store: StateStore) -> None:
    app = build_app(make_settings(tmp_path, allowed_hosts=["bridge.lan"]), store)
    async with http(app, "bridge.lan:8780") as c:
        assert (await c.get("/dashboard/")).status_code == 200
    async with http(app, "127.0.0.1:8780") as c:
        assert (await c.get("/dashboard/")).status_code == 421


async def test_with_a_token_the_token_decides(tmp_path: Path, store: StateStore) -> None:
    app = build_app(make_settings(tmp_path), store)
    set_policy(app.state, "0.0.0.0", "tok-987654321")
    async with http(app, "bridge.example.com") as c:
        assert (await c.get("/dashboard/")).status_code == 401
        ok = await c.get("/dashboard/", headers={"Authorization": "Bearer tok-987654321"})
        assert ok.status_code == 200


# --- the affiliate's credentials ------------------------------------------------------------------


async def test_affiliate_endpoints_are_closed_without_a_secret(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "vtex": {"account": "seller"},
            "state": {"url": f"sqlite:///{tmp_path / 's.db'}"},
            "marketplace": {
                "affiliate": {"affiliate_id": "BRG", "catalog_sink": {"path": str(tmp_path / "c")}}
            },
        }
    )
    from vtexbridge.vtex.client import VtexClient

    client = VtexClient.from_settings(settings.vtex)
    with StateStore.open(settings.state.url, create=True) as store:
        app = create_app(settings, state=store, client=client)
        async with http(app) as c:
            for path, body in [
                ("/marketplace/affiliate/api/notification", {"IdSku": "1", "An": "seller"}),
                ("/marketplace/affiliate/services/pvt/orders/BRG-1/invoice", {"invoiceNumber": "1"}),
                ("/marketplace/affiliate/services/pvt/orders/BRG-1/cancel", {}),
            ]:
                r = await c.post(path, json=body)
                assert r.status_code == 503 and "secret" in r.json()["error"]["message"], (path, r.text)
        assert store.row_counts()["kv"] == 0  # nothing was recorded
    await client.aclose()


def test_serve_refuses_a_non_loopback_bind_with_an_open_affiliate() -> None:
    affiliate = AffiliateSettings(affiliate_id="BRG")
    with pytest.raises(ConfigError, match="MARKETPLACE__AFFILIATE__SECRET"):
        check_affiliate_exposure(affiliate, "0.0.0.0")
    check_affiliate_exposure(affiliate, "127.0.0.1")  # loopback: closed endpoints, but may start
    check_affiliate_exposure(affiliate.model_copy(update={"secret": "s3cret-x"}), "0.0.0.0")
    check_affiliate_exposure(None, "0.0.0.0")


# --- security headers, the retry answer, /health --------------------------------------------------


async def test_every_page_carries_the_security_headers(client: httpx.AsyncClient, store: StateStore) -> None:
    action = store.actions.list_for(ACCOUNT)[0]
    pages = [
        ("GET", "/dashboard/"),
        ("GET", "/dashboard/errors"),
        ("GET", f"/dashboard/orders/{action.order_id}"),
        ("GET", "/dashboard/runs/1"),
        ("GET", "/dashboard/partials/pipeline"),
        ("GET", "/dashboard/static/dashboard.js"),
        ("GET", "/dashboard/nothing"),
        ("GET", "/metrics"),
        ("GET", "/health"),
        ("POST", "/hooks/vtex/orders"),
        ("POST", "/actions/invoice"),
        ("POST", "/dashboard/errors/retry"),
    ]
    for method, path in pages:
        r = await client.request(method, path)
        assert r.headers.get("content-security-policy") == CSP, path
        assert "'unsafe-inline'" not in CSP and "frame-ancestors 'none'" in CSP
        assert r.headers.get("x-frame-options") == "DENY", path
        assert r.headers.get("x-content-type-options") == "nosniff", path


def test_no_template_has_inline_script_or_style() -> None:
    """The CSP allows scripts and styles from files only: no template may rely on inline ones."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
    )
    offenders = {
        p.name: m.group() for p in sorted(TEMPLATES.glob("*.html")) if (m := inline.search(p.read_text()))
    }
    assert not offenders


async def test_the_retry_answer_is_text_never_markup(client: httpx.AsyncClient, store: StateStore) -> None:
    hostile = '1001-01"><img src=x onerror=alert(1)>'
    action_id, _ = store.actions.enqueue(ACCOUNT, hostile, "tracking", {"trackingNumber": "X"})
    store.actions.claim_next("w", account=ACCOUNT)
    store.actions.finish(action_id, ActionState.REJECTED, "no", vtex_status=400, worker="w")
    r = await client.post(f"/dashboard/actions/{action_id}/retry", headers={"X-Requested-With": "fetch"})
    assert r.status_code == 200 and "queued again" in r.text
    assert r.headers["content-type"].startswith("text/plain")


async def test_health_says_nothing_about_the_account_off_loopback(app: FastAPI) -> None:
    set_policy(app.state, "0.0.0.0", "tok-123456789")
    async with http(app, "bridge.example.com") as c:
        r = await c.get("/health")
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        r = await c.get("/health", headers={"Authorization": "Bearer tok-123456789"})
        assert r.json() == {"status": "ok", "account": ACCOUNT}


def test_same_origin_compares_origin_with_the_allowed_names_not_with_host() -> None:
    from starlette.requests import Request

    from vtexbridge.web.auth import AuthPolicy, same_origin

    def request(host: str, origin: str) -> Request:
        headers = [(b"host", host.encode()), (b"origin", origin.encode())]
        return Request({"type": "http", "method": "POST", "path": "/", "headers": headers})

    loopback = AuthPolicy("127.0.0.1")
    assert not same_origin(request("evil.example:8780", "http://evil.example:8780"), loopback)
    assert same_origin(request("127.0.0.1:8780", "http://127.0.0.1:8780"), loopback)
    assert same_origin(request("localhost:8780", "http://localhost:8780"), loopback)
