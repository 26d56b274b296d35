"""Fixtures of the provider protocol tests: the reference ERP (SQLite folder), a state store, and
the configured protocols served over real HTTP (uvicorn on a free loopback port)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.providers.provider_support import (
    CARD_CODE,
    CARD_TOKEN,
    GATEWAY_KEY,
    GATEWAY_TOKEN,
    KEY,
    SPEC_METHODS,
    TOKEN,
    Served_,
    provider_app,
)
from vtexbridge.config import Settings
from vtexbridge.providers.adapters.sql import SqlErp
from vtexbridge.providers.runtime import ProvidersRuntime
from vtexbridge.providers.settings import (
    AntifraudProviderSettings,
    GiftCardProviderSettings,
    PaymentProviderSettings,
    ProvidersSettings,
)
from vtexbridge.serving import serve_in_thread
from vtexbridge.state import StateStore
from vtexbridge.testing.openapi import ContractBook
from vtexbridge.vtex.settings import VtexSettings


@pytest.fixture(scope="session")
def book() -> ContractBook:
    return ContractBook.load()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)
    yield store
    store.close()


@pytest.fixture
def erp(tmp_path: Path) -> Iterator[SqlErp]:
    adapter = SqlErp.local(tmp_path / "erp")
    adapter.seed(
        cards=[
            {
                "id": "2",
                "redemption_code": CARD_CODE,
                "redemption_token": CARD_TOKEN,
                "owner_id": "3b1abc17",
                "owner_email": "email@domain.com",
                "owner_document": "234235",
                "balance_cents": 10_000,
                "currency": "BRL",
            },
            {
                "id": "7",
                "redemption_code": "OTHER-CARD-0007",
                "redemption_token": "token-7",
                "owner_email": "someone@else.example",
                "balance_cents": 500,
            },
        ],
        accounts=[
            {"customer": "01234567890", "credit_limit_cents": 1_000_000},  # the spec examples' buyer
            {"customer": "REVIEW-1", "credit_limit_cents": 1_000_000, "review": True},
            {"customer": "BLOCKED-1", "credit_limit_cents": 1_000_000, "blocked": True},
            {"customer": "SMALL-1", "credit_limit_cents": 5_000},
        ],
        rules=[
            {"kind": "blocked_document", "value": "666.666.666-66"},
            {"kind": "blocked_email", "value": "fraudster@example.com"},
            {"kind": "review_over", "value": "100000"},  # over 1,000.00: an analyst decides
            {"kind": "max_value", "value": "5000000"},
        ],
    )
    yield adapter
    adapter.close()


@pytest.fixture
def providers_settings() -> ProvidersSettings:
    return ProvidersSettings(
        giftcard=GiftCardProviderSettings(
            app_key=SecretStr(KEY),
            app_token=SecretStr(TOKEN),
            allow_create=True,
            provider_name="ProviderName",
        ),
        payment=PaymentProviderSettings(
            app_key=SecretStr(KEY),
            app_token=SecretStr(TOKEN),
            # the spec examples' methods (a real setup offers e.g. Promissories only)
            payment_methods=["Promissories", *SPEC_METHODS],
            callback_hosts=["*.example.com", "127.0.0.1"],
            onboarding=True,
            decision_poll_s=0.05,
            callback_backoff_s=0.05,
        ),
        antifraud=AntifraudProviderSettings(
            app_key=SecretStr(KEY),
            app_token=SecretStr(TOKEN),
            hook_hosts=["hook.vtex.com", "127.0.0.1"],
            onboarding=True,
            decision_poll_s=0.05,
            hook_backoff_s=0.05,
        ),
    )


@pytest.fixture
async def served(
    state: StateStore, erp: SqlErp, providers_settings: ProvidersSettings
) -> AsyncIterator[Served_]:
    runtime = ProvidersRuntime.build(
        Settings(vtex=VtexSettings(app_key=SecretStr(GATEWAY_KEY), app_token=SecretStr(GATEWAY_TOKEN))),
        state=state,
        providers=providers_settings,
        adapters={"giftcard": erp, "payment": erp, "antifraud": erp},
    )
    srv = serve_in_thread(provider_app(runtime, providers_settings))
    try:
        yield Served_(srv.url, runtime, srv)
    finally:
        srv.stop()
        await runtime.aclose()
