"""The provider protocols' part of ``vtexbridge demo``: one shopper's order paid with a gift card and
the ERP credit line, run through the sandbox playing VTEX's Payment Gateway.

The demo drives the sandbox's gateway through its admin API (:class:`~.admin.SandboxAdmin`: the demo
acting as VTEX's gateway and as the shopper, not VTEX API calls); the providers it serves answer
that gateway as they would answer VTEX's.

The demo writes the reference ERP's seed files (a gift card, the shopper's company credit line, two
fraud rules) into ``<demo>/erp/providers/``, adds the ``[providers.*]`` sections to its configuration
and the providers' credentials to its secrets file, then :func:`run_provider_order` serves the
protocols on loopback, registers them with the sandbox's gateway, places the order, invoices it
(capture), places a second one and cancels it (release), and checks the outcome in the ERP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute

from vtexbridge.cli.demo.admin import SandboxAdmin
from vtexbridge.errors import VtexbridgeError
from vtexbridge.providers.adapters.sql import SqlErp
from vtexbridge.providers.runtime import ProvidersRuntime, attach
from vtexbridge.providers.settings import ProvidersConfig, ProvidersSettings
from vtexbridge.serving import serve_in_thread
from vtexbridge.state import StateStore

__all__ = ["ProviderOrders", "config_text", "run_provider_order", "secrets_text", "write_demo_erp"]

KEY, TOKEN = "vtexappkey-demo-PROVIDERS", "demo-providers-token"
CARD_CODE = "DEMO-GIFT-0001"
COMPANY = "12345678000190"  # the shopper's company: its credit line is in the ERP
SHOPPER = {
    "id": "demo-shopper",
    "firstName": "Ana",
    "lastName": "Lima",
    "document": "11122233344",
    "documentType": "cpf",
    "email": "ana@example.com",
    "phone": "+5511999990000",
    "isCorporate": True,
    "corporateDocument": COMPANY,
    "corporateName": "Lima Ltda",
}
ADDRESS = {
    "country": "BRA",
    "street": "Rua das Flores",
    "number": "10",
    "complement": "",
    "neighborhood": "Centro",
    "postalCode": "01001000",
    "city": "São Paulo",
    "state": "SP",
}


class DemoProviderError(VtexbridgeError):
    """The provider order did not end as it should (the message says how)."""


@dataclass
class ProviderOrders:
    invoiced: dict[str, Any]
    cancelled: dict[str, Any]
    card_balance: float
    credit_used: float


def write_demo_erp(folder: Path) -> None:
    """The reference ERP's seed files (written once: the ERP database is created from them)."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = {
        "giftcards.json": [
            {
                "id": "GC-1001",
                "redemption_code": CARD_CODE,
                "redemption_token": "demo-token-1001",
                "owner_email": SHOPPER["email"],
                "owner_document": SHOPPER["document"],
                "balance_cents": 5_000,
                "currency": "BRL",
                "caption": "Loyalty card",
            }
        ],
        "credit_accounts.json": [{"customer": COMPANY, "credit_limit_cents": 500_000}],
        "fraud_rules.json": [
            {"kind": "blocked_email", "value": "fraud@example.com"},
            {"kind": "review_over", "value": "1000000"},
        ],
    }
    for name, rows in seeds.items():
        path = folder / name
        if not path.exists():
            path.write_text(json.dumps(rows, indent=2), encoding="utf-8")


def config_text() -> str:
    return """
# The ERP's gift cards, credit line and fraud rules at VTEX's checkout (docs/providers.md); the
# reference ERP adapter keeps them in erp/providers/providers.db, seeded from its JSON files.
[providers.giftcard]
provider_name = "demo-erp"
[providers.giftcard.adapter]
path = "erp/providers"

[providers.payment]
payment_methods = ["Promissories"]
[providers.payment.adapter]
path = "erp/providers"

[providers.antifraud]
[providers.antifraud.adapter]
path = "erp/providers"
"""


def secrets_text() -> str:
    return "".join(
        f'\n[providers.{kind}]\napp_key = "{KEY}"\napp_token = "{TOKEN}"\n'
        for kind in ("giftcard", "payment", "antifraud")
    )


async def run_provider_order(
    settings: ProvidersConfig,
    store: StateStore,
    sandbox_url: str,
    record: Path,
    routes: Callable[[ProvidersSettings], list[BaseRoute]],
) -> ProviderOrders:
    """Serve the providers (``routes``: the web layer's ``provider_routes``), register them with the
    sandbox's gateway, run the two orders; a second demo run finds them in ``record`` and only checks
    the ERP (running the demo twice is safe)."""
    done = await asyncio.to_thread(_load, record)
    if done is not None:
        return await _check(settings, done["invoiced"], done["cancelled"])
    runtime = ProvidersRuntime.build(settings, state=store)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.router.routes.extend(routes(settings.providers))
    attach(app, runtime)
    served = serve_in_thread(app, name="demo-providers")
    try:
        async with SandboxAdmin(sandbox_url, timeout_s=60) as admin:
            for kind in ("giftcard", "payment", "antifraud"):
                body = {"serviceUrl": f"{served.url}/providers/{kind}", "appKey": KEY, "appToken": TOKEN}
                await admin.json("PUT", f"/_sandbox/providers/{kind}", body)
            invoiced = await _order(admin, "invoice")
            cancelled = await _order(admin, "cancel")
        result = await _check(settings, invoiced, cancelled)
        text = json.dumps({"invoiced": invoiced, "cancelled": cancelled})
        await asyncio.to_thread(record.write_text, text, "utf-8")
        return result
    finally:
        served.stop()
        await runtime.aclose()


def _load(record: Path) -> dict[str, Any] | None:
    return dict(json.loads(record.read_text(encoding="utf-8"))) if record.exists() else None


async def _order(admin: SandboxAdmin, then: str) -> dict[str, Any]:
    body = {
        "value": 120.0,
        "buyer": SHOPPER,
        "address": ADDRESS,
        "items": [{"id": "1", "name": "Demo item", "price": 120.0, "quantity": 1}],
        "giftCard": {"redemptionCode": CARD_CODE, "value": 20.0},
        "payment": {"method": "Promissories", "value": 100.0},
    }
    r = await admin.request("POST", "/_sandbox/providers/orders", body)
    if r.status_code != 201 or r.json().get("status") != "authorized":
        raise DemoProviderError(f"the provider order was not authorized: HTTP {r.status_code} {r.text[:300]}")
    r = await admin.request("POST", f"/_sandbox/providers/orders/{r.json()['orderId']}/{then}")
    if r.status_code != 200:
        raise DemoProviderError(f"the provider order's {then} failed: HTTP {r.status_code} {r.text[:300]}")
    return dict(r.json())


async def _check(
    settings: ProvidersConfig, invoiced: dict[str, Any], cancelled: dict[str, Any]
) -> ProviderOrders:
    if invoiced["status"] != "invoiced" or cancelled["status"] != "canceled":
        raise DemoProviderError(f"orders ended {invoiced['status']} and {cancelled['status']}")
    section = settings.providers.giftcard
    folder = section.adapter.path if section is not None else Path("erp/providers")
    if not folder.is_absolute() and settings.config_path is not None:
        folder = settings.config_path.parent / folder
    erp = SqlErp.local(folder)
    try:
        card = await erp.get_card("GC-1001")
        with erp.engine.connect() as conn:
            used = conn.exec_driver_sql(
                "SELECT used_cents FROM erp_credit_account WHERE customer = ?", (COMPANY,)
            ).scalar_one()
    finally:
        erp.close()
    return ProviderOrders(invoiced, cancelled, (card.balance_cents if card else 0) / 100, used / 100)
