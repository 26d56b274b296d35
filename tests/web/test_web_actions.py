"""The actions API of `serve`: bearer token, enqueue with dedup, clear 422s, reading actions back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from vtexbridge.config import Settings
from vtexbridge.state import StateStore
from vtexbridge.web.app import create_app

TOKEN = "actions-t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
INVOICE = {
    "orderId": "O-1",
    "invoiceNumber": "NF-1",
    "issuanceDate": "2024-05-01",
    "invoiceValue": 99.8,
    "items": [{"id": "100", "price": 49.9, "quantity": 2}],
}


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    s = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    yield s  # type: ignore[misc]
    s.close()


def app_settings(token: str | None = TOKEN) -> Settings:
    actions = {"api_token": token} if token else {}
    return Settings.model_validate({"vtex": {"account": "acme"}, "orders": {"actions": actions}})


@pytest.fixture
async def client(store: StateStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(app_settings(), state=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as c:
        yield c


async def test_queue_an_invoice_and_read_it_back(client: httpx.AsyncClient, store: StateStore) -> None:
    r = await client.post("/actions/invoice", json=INVOICE, headers=AUTH)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["new"] is True and body["state"] == "pending" and body["dedupKey"] == "invoice:NF-1"
    again = await client.post("/actions/invoice", json=INVOICE, headers=AUTH)
    assert again.status_code == 202 and again.json() == {**body, "new": False}
    got = (await client.get(f"/actions/{body['id']}", headers=AUTH)).json()
    assert got["kind"] == "invoice" and got["payload"]["invoiceValue"] == 9980 and got["sourceRef"] == "api"
    listed = (await client.get("/actions?state=pending", headers=AUTH)).json()["actions"]
    assert [a["id"] for a in listed] == [body["id"]]


async def test_invalid_actions_get_every_problem(client: httpx.AsyncClient) -> None:
    r = await client.post("/actions/invoice", json={"orderId": "O-1", "invoiceValue": "1.001"}, headers=AUTH)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"invoiceNumber", "issuanceDate", "invoiceValue"}
    other = {**INVOICE, "invoiceKey": "different"}
    await client.post("/actions/invoice", json=INVOICE, headers=AUTH)
    r = await client.post("/actions/invoice", json=other, headers=AUTH)
    assert r.status_code == 422 and "already queued" in r.json()["errors"][0]["message"]


async def test_other_kinds(client: httpx.AsyncClient) -> None:
    r = await client.post("/actions/cancel", json={"orderId": "O-1", "reason": "no stock"}, headers=AUTH)
    assert r.status_code == 202
    r = await client.post(
        "/actions/tracking",
        json={"orderId": "O-1", "invoiceNumber": "NF-1", "trackingNumber": "T"},
        headers=AUTH,
    )
    assert r.status_code == 202
    assert (await client.post("/actions/refund", json={}, headers=AUTH)).status_code == 404
    assert (await client.post("/actions/cancel", content=b"{", headers=AUTH)).status_code == 400
    assert (await client.get("/actions/999", headers=AUTH)).status_code == 404
    assert (await client.get("/actions?state=weird", headers=AUTH)).status_code == 400


async def test_the_token_is_required(client: httpx.AsyncClient, store: StateStore) -> None:
    assert (await client.post("/actions/invoice", json=INVOICE)).status_code == 401
    assert (
        await client.post("/actions/invoice", json=INVOICE, headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    assert (await client.get("/actions/1")).status_code == 401
    closed = create_app(app_settings(token=None), state=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=closed), base_url="http://bridge") as c:
        assert (await c.post("/actions/invoice", json=INVOICE, headers=AUTH)).status_code == 503
    assert store.actions.list_for("acme") == []
