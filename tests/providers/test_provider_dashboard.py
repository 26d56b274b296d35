"""The operator sees the provider protocols: ``vtexbridge serve``'s app (routes discovered from the
configuration) answers the protocols, the dashboard's panel shows transactions by outcome and the
decisions the ERP still owes (read from the ledger), and ``/metrics`` counts the transactions."""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import SecretStr

from tests.providers.provider_support import headers
from vtexbridge.config import Settings
from vtexbridge.observability import Metrics
from vtexbridge.providers.adapters.sql import SqlErp
from vtexbridge.providers.settings import (
    AdapterSettings,
    GiftCardProviderSettings,
    PaymentProviderSettings,
    ProvidersSettings,
)
from vtexbridge.state import StateStore
from vtexbridge.state.settings import StateSettings
from vtexbridge.web.app import create_app
from vtexbridge.web.auth import set_policy
from vtexbridge.web.settings import WebSettings


async def test_dashboard_and_metrics_show_the_providers(tmp_path: Path) -> None:
    erp = SqlErp.local(tmp_path / "erp")
    erp.seed(
        cards=[{"id": "C1", "redemption_code": "CODE-1", "redemption_token": "T1", "balance_cents": 1_000}],
        accounts=[{"customer": "REVIEW", "credit_limit_cents": 10_000, "review": True}],
    )
    erp.close()
    creds = {
        "app_key": SecretStr(headers()["X-VTEX-API-AppKey"]),
        "app_token": SecretStr(headers()["X-VTEX-API-AppToken"]),
    }
    adapter = AdapterSettings(path=tmp_path / "erp")
    settings = Settings(
        state=StateSettings(url=f"sqlite:///{tmp_path / 'state.db'}"),
        web=WebSettings(),
        providers=ProvidersSettings(
            giftcard=GiftCardProviderSettings(**creds, adapter=adapter),
            payment=PaymentProviderSettings(**creds, adapter=adapter),
        ),
    )
    store = StateStore.open(settings.state.url, create=True)
    metrics = Metrics()
    app = create_app(settings, state=store, metrics=metrics)
    set_policy(app.state, "127.0.0.1", None)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            body = {"operation": "Debit", "value": 2.0, "description": "d", "redemptionToken": "T1",
                    "redemptionCode": "CODE-1", "requestId": "R1", "orderInfo": {}}  # fmt: skip
            r = await c.post("/providers/giftcard/giftcards/C1/transactions", json=body, headers=headers())
            assert r.status_code == 200, r.text
            r = await c.post(
                "/providers/giftcard/giftcards/C1/transactions",
                json={**body, "requestId": "R2", "value": 9.0},
                headers=headers(),
            )
            assert r.status_code == 400  # declined: 8.00 left
            pay = {"paymentId": "P1", "paymentMethod": "Promissories", "value": 5.0, "currency": "BRL",
                   "miniCart": {"buyer": {"document": "REVIEW"}}}  # fmt: skip
            r = await c.post("/providers/payment/payments", json=pay, headers=headers())
            assert r.json()["status"] == "undefined"
            panel = (await c.get("/dashboard/partials/providers")).text
            assert "authorized 1" in panel and "declined 1" in panel and "undefined 1" in panel, panel
            assert '<span class="n">1</span> payments waiting' in panel
            big = b'{"paymentId": "' + b"x" * (300 * 1024) + b'"}'
            r = await c.post("/providers/payment/payments", content=big, headers=headers())
            assert r.status_code == 413  # the edge refuses it before the handler (256 KiB)
            r = await c.get("/providers/giftcard/giftcards/..%2Fetc", headers=headers())
            assert r.status_code in (400, 404)
            page = (await c.get("/dashboard/")).text
            assert "Gift cards, payments, antifraud" in page
            scraped = (await c.get("/metrics")).text
        counter = "vtexbridge_providers_transactions_total"
        assert f'{counter}{{operation="transaction",outcome="authorized",protocol="giftcard"}} 1.0' in scraped
        assert f'{counter}{{operation="authorization",outcome="undefined",protocol="payment"}} 1.0' in scraped
    finally:
        runtime = getattr(app.state, "providers", None)
        if runtime is not None:
            await runtime.aclose()
        store.close()
