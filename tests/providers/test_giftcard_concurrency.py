"""200 concurrent transactions on one gift card never overdraw it, and concurrent cancellations never
give back more than the transaction took — on SQLite (reference adapter, serialised writes) and on
PostgreSQL (SQL adapter and ledger in PostgreSQL: conditional updates under row locks).

Counted at the boundary: the ERP's balance and its movement rows, not our answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.providers.provider_support import headers, provider_app
from vtexbridge.config import Settings
from vtexbridge.providers.adapters.sql import SqlErp, erp_giftcard_movement
from vtexbridge.providers.runtime import ProvidersRuntime
from vtexbridge.providers.settings import ProvidersSettings
from vtexbridge.serving import serve_in_thread
from vtexbridge.state import StateStore, migrations
from vtexbridge.state.engine import normalise_url

P = "/providers/giftcard"


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[StateStore, SqlErp]]:
    if request.param == "sqlite":
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
        erp = SqlErp.local(tmp_path / "erp")
        yield store, erp
        store.close()
        erp.close()
        return
    pg_url = request.getfixturevalue("pg_url")
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    schemas = [f"vbprov_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with admin.connect() as conn:
        for schema in schemas:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    urls = [
        normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={s}"}).render_as_string(False)
        for s in schemas
    ]
    migrations.upgrade(urls[0])
    store = StateStore(urls[0])
    erp = SqlErp(urls[1], create=True)
    try:
        yield store, erp
    finally:
        store.close()
        erp.close()
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def test_200_concurrent_debits_never_overdraw_one_card(
    backend: tuple[StateStore, SqlErp], providers_settings: ProvidersSettings
) -> None:
    store, erp = backend
    erp.seed(
        cards=[{"id": "C1", "redemption_code": "CODE-0001", "redemption_token": "T1", "balance_cents": 5_000}]
    )
    runtime = ProvidersRuntime.build(
        Settings(), state=store, providers=providers_settings, adapters={"giftcard": erp}
    )
    served = serve_in_thread(provider_app(runtime, providers_settings))
    limits = httpx.Limits(max_connections=32)  # 200 requests at once, 32 in flight on the wire
    try:
        async with httpx.AsyncClient(base_url=served.url, timeout=120, limits=limits) as c:

            async def one(i: int) -> httpx.Response:
                body = {
                    "operation": "Debit",
                    "value": 1.0,
                    "description": "order",
                    "redemptionToken": "T1",
                    "redemptionCode": "CODE-0001",
                    "requestId": f"R{i}",
                    "orderInfo": {"orderId": f"O{i}"},
                }
                for _ in range(20):  # VTEX retries a 503 (state busy) or a dropped connection
                    try:  # with the same requestId
                        r = await c.post(f"{P}/giftcards/C1/transactions", json=body, headers=headers())
                    except (httpx.ReadError, httpx.RemoteProtocolError):
                        await asyncio.sleep(0.05)  # a keep-alive connection the server closed meanwhile
                        continue
                    if r.status_code != 503:
                        break
                    await asyncio.sleep(0.05)
                return r

            answers = await asyncio.gather(*(one(i) for i in range(200)))
            statuses = sorted(r.status_code for r in answers)
            assert statuses.count(200) == 50 and statuses.count(400) == 150, statuses
            card = await erp.get_card("C1")
            assert card is not None and card.balance_cents == 0
            with erp.engine.connect() as conn:
                applied = conn.execute(
                    sa.select(sa.func.count()).where(erp_giftcard_movement.c.applied)
                ).scalar_one()
            assert applied == 50

            # concurrent cancellations of one transaction give back at most what it took
            erp.seed(
                cards=[
                    {
                        "id": "C2",
                        "redemption_code": "CODE-0002",
                        "redemption_token": "T2",
                        "balance_cents": 2_000,
                    }
                ]
            )
            body = {
                "operation": "Debit", "value": 20.0, "description": "d", "redemptionToken": "T2",
                "redemptionCode": "CODE-0002", "requestId": "BIG", "orderInfo": {"orderId": "O"},
            }  # fmt: skip
            tx = (await c.post(f"{P}/giftcards/C2/transactions", json=body, headers=headers())).json()["id"]
            url = f"{P}/giftcards/C2/transactions/{tx}/cancellations"
            cancels = await asyncio.gather(
                *(
                    c.post(url, json={"value": 1.0, "requestId": f"K{i}"}, headers=headers())
                    for i in range(50)
                )
            )
            assert sorted(r.status_code for r in cancels).count(200) == 20
            card = await erp.get_card("C2")
            assert card is not None and card.balance_cents == 2_000
    finally:
        served.stop()
