"""Hostile bodies and ids on every serve route, on SQLite and PostgreSQL state (issue #11): a 4xx that
names the field, never a 500/503, and no internal detail (database URL, SQL) in any answer.

The app is the one ``vtexbridge serve`` builds (``create_app``) with the seller and affiliate
protocols attached; requests go through the ASGI stack in process (the socket-level limits are in
``test_edge_limits.py``).
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from vtexbridge.config import Settings
from vtexbridge.erp.readers.folder import FolderReader
from vtexbridge.erp.sinks.folder import FolderSink
from vtexbridge.marketplace.runtime import MarketplaceRuntime, attach
from vtexbridge.state import StateStore, migrations
from vtexbridge.state.engine import normalise_url
from vtexbridge.vtex.client import VtexClient
from vtexbridge.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
HOOK = {"X-Vtexbridge-Hook-Secret": "hook-secret-value"}
API = {"Authorization": "Bearer api-token-value"}
VTEX = {"X-VTEX-API-AppKey": "vtexappkey-mkp-KEY", "X-VTEX-API-AppToken": "vtex-app-token-value"}
AFF = {"X-Vtexbridge-Token": "affiliate-secret-value"}
INTERNALS = ("sqlite", "postgres", "select ", "insert ", "update ", "traceback", "psycopg", "search_path")


def _pg_url(pg_url: str, schema: str) -> str:
    url = normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    pg_url = request.getfixturevalue("pg_url")
    schema = f"vbhostile_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = _pg_url(pg_url, schema)
    migrations.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture
async def bridge(tmp_path: Path, state_url: str) -> AsyncIterator[httpx.AsyncClient]:
    erp = tmp_path / "erp"
    shutil.copytree(ROOT / "examples" / "erp", erp, ignore=shutil.ignore_patterns("*.py", "*.md"))
    settings = Settings.model_validate(
        {
            "vtex": {"account": "acme"},
            "state": {"url": state_url},
            "orders": {
                "hook": {"secret": HOOK["X-Vtexbridge-Hook-Secret"]},
                "actions": {"api_token": "api-token-value"},
            },
            "marketplace": {
                "seller": {
                    "seller_id": "erpseller",
                    "app_key": VTEX["X-VTEX-API-AppKey"],
                    "app_token": VTEX["X-VTEX-API-AppToken"],
                },
                "affiliate": {
                    "affiliate_id": "BRG",
                    "secret": AFF["X-Vtexbridge-Token"],
                    "catalog_sink": {"path": str(tmp_path / "catalog"), "fsync": False},
                },
            },
        }
    )
    store = StateStore.open(state_url, create=True)
    client = VtexClient.from_settings(settings.vtex)
    runtime = MarketplaceRuntime.build(
        settings,
        state=store,
        client=client,
        marketplace=settings.marketplace,
        sink=FolderSink(tmp_path / "orders", fsync=False),
        reader=lambda: FolderReader(erp),
    )
    await runtime.ready()
    app = create_app(settings, state=store, client=client)
    attach(app, runtime)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        c.orders_dir = tmp_path / "orders"  # type: ignore[attr-defined]
        yield c
    await runtime.aclose()
    await client.aclose()
    store.close()


def note(order_id: Any = "1300000000001-01", **extra: Any) -> dict[str, Any]:
    return {
        "Domain": "Fulfillment",
        "OrderId": order_id,
        "State": "ready-for-handling",
        "LastChange": "2024-05-01T10:00:00Z",
        "CurrentChange": "2024-05-01T10:00:01Z",
        **extra,
    }


def invoice(**extra: Any) -> dict[str, Any]:
    return {
        "orderId": "1300000000001-01",
        "invoiceNumber": f"NF-{uuid.uuid4().hex[:8]}",
        "invoiceValueCents": 1000,
        "issuanceDate": "2024-05-01",
        "items": [{"id": "1", "quantity": 1, "priceCents": 1000}],
        **extra,
    }


def placement(mkp_id: str = "1300000000001-01", **extra: Any) -> dict[str, Any]:
    return {
        "marketplaceOrderId": mkp_id,
        "marketplaceServicesEndpoint": "https://oms.example/api/oms?an=marketplace",
        "marketplacePaymentValue": 65890 + 1000,
        "items": [{"id": "P0001-01", "quantity": 1, "seller": "erpseller", "price": 65890}],
        "clientProfileData": {"email": "ana@example.com", "firstName": "Ana", "lastName": "Lima"},
        "shippingData": {
            "address": {"postalCode": "22250-040", "city": "Rio", "state": "RJ", "country": "BRA"},
            "logisticsInfo": [{"itemIndex": 0, "selectedSla": "Normal", "price": 1000}],
        },
        **extra,
    }


ROUTES: dict[str, tuple[str, dict[str, str], Any]] = {
    "hook": ("/hooks/vtex/orders", HOOK, note),
    "actions": ("/actions/invoice", API, invoice),
    "seller": ("/marketplace/seller/pvt/orders", VTEX, placement),
    "simulation": (
        "/marketplace/seller/pvt/orderForms/simulation",
        VTEX,
        lambda **extra: {"items": [{"id": "P0001-01", "quantity": 1, "seller": "erpseller"}], **extra},
    ),
    "affiliate": ("/marketplace/affiliate/api/notification", AFF, lambda **extra: {"IdSku": "1", **extra}),
    "affiliate-invoice": (
        "/marketplace/affiliate/services/pvt/orders/BRG-1/invoice",
        AFF,
        lambda **extra: {"invoiceNumber": "1", "invoiceValue": 100, **extra},
    ),
}


def _raw(body: Any) -> bytes:
    return json.dumps(body).encode()


# (case, raw body builder, the field the answer must name or None for the whole body)
HOSTILE: list[tuple[str, Any, str | None]] = [
    ("deep", lambda make: b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}", None),
    ("nan", lambda make: _raw(make(extra=float("nan"))), None),
    ("infinity", lambda make: _raw(make(extra=float("inf"))), None),
    ("huge-exponent", lambda make: _raw(make()).replace(b"{", b'{"extra": 1e999, ', 1), "extra"),
    ("minus-1e300", lambda make: _raw(make(extra=-1e300)), "extra"),
    ("25-digits", lambda make: _raw(make(extra=10**24)), "extra"),
    ("nul", lambda make: _raw(make(extra="a\u0000b")), "extra"),
    ("nul-key", lambda make: _raw(make(**{"a\u0000": 1})), "a"),
    ("lone-surrogate", lambda make: _raw(make(extra="\ud800")), "extra"),
    ("not-utf8", lambda make: b'{"extra": "\xff\xfe"}', None),
]


def _problem(r: httpx.Response, field: str | None) -> str | None:
    """What is wrong with the answer to a hostile request (None: a 4xx naming the field, no internals)."""
    if not 400 <= r.status_code < 500:
        return f"answered {r.status_code}: {r.text[:200]}"
    low = r.text.lower()
    if any(word in low for word in INTERNALS):
        return f"internal detail in {r.text[:200]}"
    if field is not None and field not in r.text:
        return f"{field} not named in {r.text[:200]}"
    return None


def _check_answer(r: httpx.Response, field: str | None) -> None:
    problem = _problem(r, field)
    assert problem is None, problem


async def test_hostile_bodies_get_a_4xx_naming_the_field(bridge: httpx.AsyncClient) -> None:
    """Every route x every hostile body (one app per backend: the routes share it)."""
    problems = []
    for route, (path, headers, make) in sorted(ROUTES.items()):
        for case, build, field in HOSTILE:
            r = await bridge.post(
                path, content=build(make), headers={**headers, "content-type": "application/json"}
            )
            if (problem := _problem(r, field)) is not None:
                problems.append(f"{route}/{case}: {problem}")
    assert not problems, "\n".join(problems)


BAD_IDS: list[Any] = ["..", ".", "A" * 300, 10**24, "13\u0000-01", "a/b", " ", "%2e%2e", "\ud800", ""]


async def test_order_ids_that_are_not_order_ids_are_refused(bridge: httpx.AsyncClient) -> None:
    problems = []
    for order_id in BAD_IDS:
        for path, headers, body, field in [
            ("/hooks/vtex/orders", HOOK, note(order_id), "OrderId"),
            ("/actions/invoice", API, invoice(orderId=order_id), "orderId"),
            (
                "/actions/tracking",
                API,
                {"orderId": order_id, "invoiceNumber": "1", "trackingNumber": "T"},
                "orderId",
            ),
            ("/marketplace/seller/pvt/orders", VTEX, placement(order_id), "marketplaceOrderId"),
        ]:
            r = await bridge.post(
                path, content=_raw(body), headers={**headers, "content-type": "application/json"}
            )
            if (problem := _problem(r, field)) is not None:
                problems.append(f"{path} {str(order_id)[:20]!r}: {problem}")
    assert not problems, "\n".join(problems)


async def test_path_ids_are_checked(bridge: httpx.AsyncClient) -> None:
    for path, headers in [
        (path.format(segment), headers)
        for segment in ["..", "%2E%2E", "A" * 300, "x%00y"]
        for path, headers in PATHS
    ]:
        r = await (
            bridge.get(path, headers=headers) if "dashboard" in path else bridge.post(path, headers=headers)
        )
        if path.startswith("/actions/") and r.status_code == 404:
            continue  # POST /actions/{kind}: not a kind
        lowest = 300 if "dashboard" in path else 400  # the client resolves /dashboard/orders/.. itself
        assert lowest <= r.status_code < 500 and not any(w in r.text.lower() for w in INTERNALS), (
            path,
            r.text[:200],
        )


PATHS = [
    ("/marketplace/seller/pvt/orders/{}/fulfill", VTEX),
    ("/marketplace/seller/pvt/orders/{}/cancel", VTEX),
    ("/marketplace/affiliate/services/pvt/orders/{}/cancel", AFF),
    ("/marketplace/affiliate/services/pvt/orders/BRG-1/invoice/{}", AFF),
    ("/dashboard/orders/{}", {}),
    ("/actions/{}", API),
]


async def test_row_ids_out_of_range_are_not_found(bridge: httpx.AsyncClient) -> None:
    for raw in ["99999999999999999999999", "1" * 5000, "-1", "1e3"]:
        assert (await bridge.get(f"/actions/{raw}", headers=API)).status_code == 404
        assert (await bridge.get(f"/dashboard/runs/{raw}")).status_code == 404
        r = await bridge.post(f"/dashboard/actions/{raw}/retry", headers={"x-requested-with": "fetch"})
        assert r.status_code == 200 and "No action" in r.text


async def test_the_actions_api_refuses_absurd_values(bridge: httpx.AsyncClient) -> None:
    for field, value in [
        ("invoiceValueCents", 10**30),
        ("items[0].quantity", 10**20),
        ("invoiceValueCents", -1e300),
    ]:
        body = invoice(invoiceValueCents=value) if field == "invoiceValueCents" else invoice()
        if field.startswith("items"):
            body["items"][0]["quantity"] = value
        r = await bridge.post("/actions/invoice", json=body, headers=API)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text


async def test_a_refused_placement_is_not_half_saved(bridge: httpx.AsyncClient) -> None:
    bad = placement("1300000000077-01")
    bad["shippingData"]["logisticsInfo"][0]["price"] = "ten"
    r = await bridge.post("/marketplace/seller/pvt/orders", json=bad, headers=VTEX)
    _check_answer(r, "logisticsInfo[0].price")
    r = await bridge.post("/marketplace/seller/pvt/orders", json=placement("1300000000077-01"), headers=VTEX)
    assert r.status_code == 200, r.text[:300]
    files = list(bridge.orders_dir.glob("*.json"))  # type: ignore[attr-defined]
    assert len(files) == 1 and json.loads(files[0].read_text())["orderId"] == "VB-1300000000077-01"


async def test_the_longest_marketplace_order_id_still_fits(bridge: httpx.AsyncClient) -> None:
    """VB- + the marketplace id is the seller order id: 61 characters fit, 62 are refused."""
    fits = "1" * 61
    r = await bridge.post("/marketplace/seller/pvt/orders", json=placement(fits), headers=VTEX)
    assert r.status_code == 200, r.text[:300]
    r = await bridge.post("/marketplace/seller/pvt/orders", json=placement(fits + "2"), headers=VTEX)
    _check_answer(r, "marketplaceOrderId")


async def test_dashboard_queries_never_fail(bridge: httpx.AsyncClient) -> None:
    """Searches and offsets of the list pages: used or ignored, never a 5xx (PostgreSQL refuses NUL)."""
    problems = []
    for page in ["/dashboard/orders", "/dashboard/runs", "/dashboard/errors"]:
        for query in [
            "q=%00",
            "q=a%00b",
            "q=%ED%A0%80",
            "q=" + "x" * 5000,
            "offset=%C2%B2",
            "offset=" + "9" * 30,
        ]:
            r = await bridge.get(f"{page}?{query}")
            if r.status_code >= 500 or any(w in r.text.lower() for w in INTERNALS):
                problems.append(f"{page}?{query[:30]}: {r.status_code}")
    assert not problems, problems
