"""Shared helpers of the marketplace protocol tests (imported by conftest.py and the test modules).

- :class:`SellerSide`: the external seller served over real HTTP (``.url`` of the fulfillment
  endpoint, ``.headers`` VTEX's credentials, ``.orders_dir`` the ERP's order folder, ``.runtime``);
- :class:`RecordingPayment`: a payment handler that keeps the events it was given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vtexbridge.marketplace.runtime import MarketplaceRuntime
from vtexbridge.marketplace.seller.payment import PaymentEvent, PaymentOutcome
from vtexbridge.state import StateStore
from vtexbridge.testing.marketplace import Served

ROOT = Path(__file__).resolve().parents[2]
VTEX_KEY = "vtexappkey-marketplace-SELLERKEY"
VTEX_TOKEN = "token-that-vtex-presents"
VTEX_HEADERS = {"X-VTEX-API-AppKey": VTEX_KEY, "X-VTEX-API-AppToken": VTEX_TOKEN}


@dataclass
class RecordingPayment:
    events: list[PaymentEvent] = field(default_factory=list)
    refuse: bool = False

    async def handle(self, event: PaymentEvent) -> PaymentOutcome | None:
        from vtexbridge.marketplace.seller.payment import PaymentError

        if self.refuse:
            raise PaymentError("card declined")
        self.events.append(event)
        return PaymentOutcome(reference=f"tx-{event.order_id}")


@dataclass
class SellerSide:
    url: str
    headers: dict[str, str]
    orders_dir: Path
    runtime: MarketplaceRuntime
    state: StateStore
    served: Served

    def order_files(self) -> dict[str, dict[str, Any]]:
        return {p.name: json.loads(p.read_text()) for p in sorted(self.orders_dir.glob("*.json"))}
