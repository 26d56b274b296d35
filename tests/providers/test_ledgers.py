"""The ledgers' limits and idempotency on both state databases (SQLite and PostgreSQL), through the
protocol objects: concurrent settlements never exceed a payment, concurrent refunds never exceed what
was settled, concurrent cancellations of one payment release the credit line once, every operation
repeated with its requestId answers the first outcome; analyses are recorded once per transaction.
Counted in the ERP (its movements and the credit line), not in our answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from vtexbridge.config import Settings
from vtexbridge.providers.adapters.sql import SqlErp, erp_credit_account, erp_credit_movement
from vtexbridge.providers.runtime import ProvidersRuntime
from vtexbridge.providers.settings import (
    AntifraudProviderSettings,
    GiftCardProviderSettings,
    PaymentProviderSettings,
    ProvidersSettings,
)
from vtexbridge.state import StateStore, migrations
from vtexbridge.state.engine import normalise_url


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ProvidersRuntime, SqlErp]]:
    cleanup: list[Any] = []
    if request.param == "sqlite":
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
        erp = SqlErp.local(tmp_path / "erp")
    else:
        pg_url = request.getfixturevalue("pg_url")
        admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
        schemas = [f"vbledger_{uuid.uuid4().hex[:10]}" for _ in range(2)]
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        urls = [
            normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={s}"}).render_as_string(False)
            for s in schemas
        ]
        migrations.upgrade(urls[0])
        store, erp = StateStore(urls[0]), SqlErp(urls[1], create=True)

        def drop() -> None:
            with admin.connect() as conn:
                for schema in schemas:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        cleanup.append(drop)
    erp.seed(
        cards=[{"id": "C1", "redemption_code": "CODE-1", "redemption_token": "T1", "balance_cents": 1_000}],
        accounts=[{"customer": "DOC", "credit_limit_cents": 100_000}],
    )
    providers = ProvidersSettings(
        giftcard=GiftCardProviderSettings(),
        payment=PaymentProviderSettings(),
        antifraud=AntifraudProviderSettings(),
    )
    adapters = {"giftcard": erp, "payment": erp, "antifraud": erp}
    rt = ProvidersRuntime.build(Settings(), state=store, providers=providers, adapters=adapters)
    yield rt, erp
    asyncio.run(rt.aclose())
    store.close()
    erp.close()
    for fn in cleanup:
        fn()


def payment_body(pid: str, value: float) -> dict[str, Any]:
    return {"paymentId": pid, "paymentMethod": "Promissories", "value": value, "currency": "BRL",
            "miniCart": {"buyer": {"document": "DOC"}}}  # fmt: skip


def used(erp: SqlErp) -> int:
    with erp.engine.connect() as conn:
        return int(conn.execute(sa.select(erp_credit_account.c.used_cents)).scalar_one())


def movements(erp: SqlErp) -> dict[str, int]:
    with erp.engine.connect() as conn:
        rows = conn.execute(
            sa.select(erp_credit_movement.c.kind, sa.func.count()).group_by(erp_credit_movement.c.kind)
        )
        return {k: int(n) for k, n in rows}


async def test_concurrent_settlements_refunds_and_cancellations_stay_within_limits(
    runtime: tuple[ProvidersRuntime, SqlErp],
) -> None:
    rt, erp = runtime
    pay = rt.payment
    assert pay is not None
    status, body = await pay.create_payment(payment_body("P1", 20.0))
    assert status == 200 and body["status"] == "approved"
    settles = await asyncio.gather(
        *(pay.operate("settlement", "P1", {"requestId": f"S{i}", "value": 1.0}) for i in range(50))
    )
    assert [s for s, _ in settles].count(200) == 20
    refunds = await asyncio.gather(
        *(pay.operate("refund", "P1", {"requestId": f"R{i}", "value": 1.0}) for i in range(30))
    )
    assert [s for s, _ in refunds].count(200) == 20
    again = await pay.operate("refund", "P1", {"requestId": "R0", "value": 1.0})
    assert again == refunds[0]  # the first outcome, not a new refund
    assert movements(erp) == {"settle": 20, "refund": 20}
    assert used(erp) == 0  # 20.00 approved, 20.00 refunded back to the line

    status, body = await pay.create_payment(payment_body("P2", 30.0))
    assert body["status"] == "approved" and used(erp) == 3_000
    cancels = await asyncio.gather(
        *(pay.operate("cancellation", "P2", {"requestId": f"C{i}"}) for i in range(10))
    )
    assert all(s == 200 for s, _ in cancels)
    assert used(erp) == 0 and movements(erp)["cancel"] == 1  # released once


async def test_an_analysis_is_recorded_once(runtime: tuple[ProvidersRuntime, SqlErp]) -> None:
    rt, _erp = runtime
    af = rt.antifraud
    assert af is not None
    body = {"id": "TX1", "value": 10, "miniCart": {"buyer": {"document": "D", "email": "e@example.com"}}}
    answers = await asyncio.gather(*(af.send(body) for _ in range(20)))
    assert all(a == answers[0] for a in answers) and answers[0]["status"] == "approved"
    assert (await af.status("TX1"))["status"] == "approved"


async def test_the_same_request_sent_many_times_at_once_is_one_transaction(
    runtime: tuple[ProvidersRuntime, SqlErp],
) -> None:
    rt, erp = runtime
    gc, pay = rt.giftcard, rt.payment
    assert gc is not None and pay is not None
    debit = {
        "operation": "Debit",
        "value": 3.0,
        "redemptionToken": "T1",
        "requestId": "SAME",
        "orderInfo": {},
    }
    answers = await asyncio.gather(*(gc.create_transaction("C1", debit) for _ in range(20)))
    assert all(a == answers[0] for a in answers)
    assert (await erp.get_card("C1")).balance_cents == 700  # type: ignore[union-attr]
    tx = answers[0]["id"]
    cancels = await asyncio.gather(
        *(gc.cancel("C1", tx, {"value": 3.0, "requestId": "K"}) for _ in range(20))
    )
    assert all(c == cancels[0] for c in cancels)
    assert (await erp.get_card("C1")).balance_cents == 1_000  # type: ignore[union-attr]
    created = await asyncio.gather(*(pay.create_payment(payment_body("PX", 12.5)) for _ in range(20)))
    assert all(c == created[0] for c in created) and created[0][1]["status"] == "approved"
    assert used(erp) == 1_250
