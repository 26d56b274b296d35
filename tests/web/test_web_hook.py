"""The hook receiver: ping, secret, durable inbox before 200."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from vtexbridge.config import Settings
from vtexbridge.errors import StateError
from vtexbridge.orders.service import Wakeups
from vtexbridge.state import StateStore
from vtexbridge.web.app import create_app

SECRET = "hook-s3cret-value"
PATH = "/hooks/vtex/orders"
NOTE = {
    "Domain": "Fulfillment",
    "OrderId": "1300000000001-01",
    "State": "ready-for-handling",
    "LastState": "window-to-cancel",
    "LastChange": "2024-05-01T10:00:00.0000000Z",
    "CurrentChange": "2024-05-01T10:00:01.0000000Z",
    "Origin": {"Account": "acme", "Key": "vtexappkey-acme-X"},
}


def settings(tmp_path: Path, secret: str | None = SECRET) -> Settings:
    hook = {"secret": secret} if secret else {}
    return Settings.model_validate(
        {
            "vtex": {"account": "acme"},
            "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
            "orders": {"hook": hook},
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    s = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    yield s  # type: ignore[misc]
    s.close()


@pytest.fixture
async def client(tmp_path: Path, store: StateStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(tmp_path), state=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as c:
        yield c


async def test_ping_is_answered(client: httpx.AsyncClient, store: StateStore) -> None:
    r = await client.post(PATH, json={"hookConfig": "ping"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert store.row_counts()["hook_inbox"] == 0


@pytest.mark.parametrize(
    "headers", [{}, {"X-Vtexbridge-Hook-Secret": "wrong"}, {"X-Vtexbridge-Hook-Secret": ""}]
)
async def test_a_wrong_or_missing_secret_is_401(
    client: httpx.AsyncClient, store: StateStore, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    r = await client.post(PATH, json=NOTE, headers=headers)
    assert r.status_code == 401
    assert store.row_counts()["hook_inbox"] == 0
    assert SECRET not in caplog.text and SECRET not in r.text


async def test_200_only_once_the_notification_is_durable(tmp_path: Path, client: httpx.AsyncClient) -> None:
    r = await client.post(PATH, json=NOTE, headers={"X-Vtexbridge-Hook-Secret": SECRET})
    assert r.status_code == 200
    # another connection (another process could be this one) already sees the committed row
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as other:
        [item] = other.inbox.claim(10, "w", account="acme")
    # stored as sent, without Origin.Key (our app key, echoed by VTEX: never stored)
    assert item.id == r.json()["inboxId"] and item.body == {**NOTE, "Origin": {"Account": "acme"}}


async def test_a_store_that_cannot_write_never_answers_200(
    tmp_path: Path, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(account: str, body: object) -> int:
        raise StateError("disk full")

    monkeypatch.setattr(store.inbox, "put", broken)
    app = create_app(settings(tmp_path), state=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as c:
        r = await c.post(PATH, json=NOTE, headers={"X-Vtexbridge-Hook-Secret": SECRET})
    assert r.status_code == 503


async def test_the_worker_is_woken(tmp_path: Path, store: StateStore) -> None:
    wake = Wakeups()
    app = create_app(settings(tmp_path), state=store, wakeups=wake)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as c:
        await c.post(PATH, json=NOTE, headers={"X-Vtexbridge-Hook-Secret": SECRET})
    await asyncio.wait_for(wake.inbox.wait(), 1)


async def test_bad_bodies(client: httpx.AsyncClient) -> None:
    auth = {"X-Vtexbridge-Hook-Secret": SECRET}
    assert (await client.post(PATH, content=b"{nope", headers=auth)).status_code == 400
    assert (await client.post(PATH, json={"State": "x"}, headers=auth)).status_code == 400
    assert (await client.post(PATH, content=b"x" * 70_000, headers=auth)).status_code == 413


async def test_without_a_secret_the_receiver_is_closed_but_pings(tmp_path: Path, store: StateStore) -> None:
    app = create_app(settings(tmp_path, secret=None), state=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as c:
        assert (await c.post(PATH, json={"hookConfig": "ping"})).status_code == 200
        assert (await c.post(PATH, json=NOTE, headers={"X-Vtexbridge-Hook-Secret": "x"})).status_code == 503


async def test_the_path_and_header_are_configurable(tmp_path: Path, store: StateStore) -> None:
    s = Settings.model_validate(
        {
            "vtex": {"account": "acme"},
            "orders": {"hook": {"secret": SECRET, "path": "/in/vtex", "header": "X-Key"}},
        }
    )
    app = create_app(s, state=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as c:
        assert (await c.post("/in/vtex", json=NOTE, headers={"X-Key": SECRET})).status_code == 200
        assert (await c.post(PATH, json=NOTE, headers={"X-Key": SECRET})).status_code in (404, 405)
