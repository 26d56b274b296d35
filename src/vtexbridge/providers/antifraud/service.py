"""The Antifraud Provider Protocol's logic: the ERP's fraud rules (blocked documents and emails,
credit holds, order value limits) decide VTEX's transactions.

``POST /transactions`` hands the transaction to the ERP (idempotent by VTEX's transaction id): it
answers approved or denied with a score and reasons, or ``received`` when an analyst decides later
(or the ERP does not answer within the budget). VTEX then polls ``GET /transactions/{id}``
(``undefined`` until decided) and :meth:`AntifraudProvider.follow_up` asks the ERP and POSTs the
decision to the request's ``hook`` when it comes. ``POST /pre-analysis`` is synchronous: an ERP that
cannot decide in time lets the payment go on (``approved`` with code ``deferred``): the full analysis
after authorization still runs. ``PUT`` re-runs the rules on new data; ``DELETE`` stops an analysis.

Card details VTEX sends (``payments[].details``: bin, last digits, holder) are never read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from vtexbridge.backoff import backoff_delay
from vtexbridge.clock import Clock
from vtexbridge.providers.adapters.base import FraudCase, FraudDecision, FraudErp
from vtexbridge.providers.antifraud.ledger import FraudLedger
from vtexbridge.providers.base import ErpBackedProvider
from vtexbridge.providers.common import cents, derived_id, mapping, optional_str, required_str
from vtexbridge.providers.errors import BadRequest, ErpUnavailable, NotFound
from vtexbridge.providers.metrics import ProviderMetrics
from vtexbridge.providers.onboarding import Onboarding
from vtexbridge.providers.payment.callbacks import Notifier
from vtexbridge.providers.settings import AntifraudProviderSettings

__all__ = ["AntifraudProvider"]

_log = logging.getLogger(__name__)


def _case(body: Mapping[str, Any], tx_id: str, *, pre_analysis: bool) -> FraudCase:
    buyer = mapping(mapping(body, "miniCart"), "buyer")
    items = mapping(body, "miniCart").get("items")
    return FraudCase(
        tx_id=tx_id,
        value_cents=cents(body.get("value"), "value", allow_zero=True),
        reference=optional_str(body, "reference", limit=64),
        document=optional_str(buyer, "document", limit=64),
        email=optional_str(buyer, "email"),
        ip=optional_str(body, "ip", limit=64),
        country=optional_str(mapping(buyer, "address"), "country", limit=8),
        items=len(items) if isinstance(items, list) else 0,
        pre_analysis=pre_analysis,
    )


class AntifraudProvider(ErpBackedProvider):
    kind = "antifraud"

    def __init__(
        self,
        settings: AntifraudProviderSettings,
        erp: FraudErp,
        ledger: FraudLedger,
        hooks: Notifier,
        *,
        clock: Clock | None = None,
        metrics: ProviderMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.erp = erp
        self.ledger = ledger
        self.hooks = hooks
        super().__init__(settings.adapter.timeout_s, clock=clock, metrics=metrics)
        self.onboarding = Onboarding(settings.onboarding, settings.app_key, settings.app_token, self.clock)

    def manifest(self) -> dict[str, Any]:
        return {"cardholderDocument": "optional", "allowAntifraudOnGiftCard": True, "customFields": []}

    # --- answers ----------------------------------------------------------------------------------

    @staticmethod
    def _responses(row: Mapping[str, Any]) -> dict[str, str]:
        # The spec's Responses object requires these two (placeholder-named) string fields.
        return {"foo": "erp-fraud-rules", "custom": "; ".join(row["reasons"] or []) or "no rule matched"}

    def _analysis_type(self, row: Mapping[str, Any]) -> str:
        return "manual" if row["hook_state"] != "none" else "automatic"  # an analyst decided later

    def _send_answer(self, row: Mapping[str, Any], code: str | None = None) -> dict[str, Any]:
        status = row["status"]
        return {
            "id": row["tx_id"],
            "tid": derived_id("fraud-tid", row["tx_id"]),
            "code": code or status,
            "message": "; ".join(row["reasons"] or []) or f"analysis {status}",
            "status": status,
            "score": row["score"] if row["score"] is not None else 0.0,
            "analysisType": "automatic",
            "responses": self._responses(row),
        }

    def status_answer(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": row["tx_id"],
            "tid": derived_id("fraud-tid", row["tx_id"]),
            "status": "undefined" if row["status"] == "received" else row["status"],
            "fraudRiskPercentage": row["score"] if row["score"] is not None else 0.0,
            "analysisType": self._analysis_type(row),
            "responses": self._responses(row),
        }

    # --- protocol ---------------------------------------------------------------------------------

    async def send(self, body: Any, *, pre_analysis: bool = False) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object")
        tx_id = required_str(body, "id", limit=64)
        key = derived_id("pre", tx_id) if pre_analysis else tx_id  # the full analysis is another one
        case = _case(body, key, pre_analysis=pre_analysis)
        hook = optional_str(body, "hook", limit=2048)
        if hook is not None and not self.hooks.allowed(hook):
            _log.warning(
                "antifraud %s: the hook's host is not allowed; a later decision is only polled", tx_id
            )
            hook = None
        now = self.clock.now()
        kind = "pre-analysis" if pre_analysis else "analysis"
        row = await self.ledger.open(
            {
                "tx_id": key,
                "reference": case.reference,
                "value_cents": case.value_cents,
                "customer": case.document,
                "pre_analysis": pre_analysis,
                "erp_id": key,
                "hook_url": hook,
                "created_at": now,
                "updated_at": now,
            }
        )
        if row["status"] == "received" and not row["stopped"]:
            row = await self._decide(row, case, later=False)
        self.metrics.transaction("antifraud", kind, row["status"])
        if pre_analysis and row["status"] not in ("approved", "denied"):
            return {**self._send_answer({**row, "status": "approved"}, "deferred"), "id": tx_id}
        answer = self._send_answer(row)
        return {**answer, "id": tx_id}

    async def _decide(self, row: dict[str, Any], case: FraudCase | None, *, later: bool) -> dict[str, Any]:
        try:
            if case is not None:
                decision = await self._erp("the fraud analysis", self.erp.analyse(case))
            else:
                found = await self._erp("the fraud status", self.erp.fraud_status(row["erp_id"]))
                if found is None:
                    return row
                decision = found
        except ErpUnavailable as e:
            _log.warning("antifraud %s stays received: %s", row["tx_id"], e.message)
            return row
        return await self._record(row, decision, later=later)

    async def _record(self, row: dict[str, Any], decision: FraudDecision, *, later: bool) -> dict[str, Any]:
        if decision.status == "received":
            return row
        now = self.clock.now()
        changes: dict[str, Any] = {
            "status": decision.status,
            "score": decision.score,
            "reasons": list(decision.reasons),
            "updated_at": now,
        }
        if later and row["hook_url"]:
            changes.update(hook_state="due", hook_due_at=now)
        return await self.ledger.update(row["tx_id"], changes, only_undecided=True)

    async def _row(self, tx_id: str) -> dict[str, Any]:
        row = await self.ledger.get(tx_id)
        if row is None:
            raise NotFound(f"no antifraud analysis {tx_id}")
        return row

    async def status(self, tx_id: str) -> dict[str, Any]:
        row = await self._row(tx_id)
        if row["status"] == "received" and not row["stopped"]:
            row = await self._decide(row, None, later=False)
        return self.status_answer(row)

    async def update(self, tx_id: str, body: Any) -> dict[str, Any]:
        """New data for a transaction: the ERP's rules run again on it (a new analysis id)."""
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object")
        row = await self._row(tx_id)
        case = _case(body, tx_id, pre_analysis=False)
        erp_id = derived_id("update", tx_id, str(case.value_cents), case.document or "", case.email or "")
        row = await self.ledger.update(
            tx_id,
            {"erp_id": erp_id, "value_cents": case.value_cents, "status": "received", "stopped": False,
             "updated_at": self.clock.now()},
        )  # fmt: skip
        row = await self._decide(row, replace(case, tx_id=erp_id), later=False)
        self.metrics.transaction("antifraud", "update", row["status"])
        answer = self.status_answer(row)
        return {
            "id": tx_id,
            "status": answer["status"],
            "fraudRiskPercentage": answer["fraudRiskPercentage"],
            "analysisType": answer["analysisType"],
            "responses": answer["responses"]["custom"],
        }

    async def stop(self, tx_id: str) -> list[dict[str, str]]:
        row = await self._row(tx_id)
        try:
            await self._erp("the fraud analysis stop", self.erp.stop_analysis(row["erp_id"]))
        except ErpUnavailable as e:  # stopping is advisory: the order is cancelled either way
            _log.warning("antifraud %s: the ERP was not told to stop: %s", tx_id, e.message)
        await self.ledger.update(tx_id, {"stopped": True, "updated_at": self.clock.now()})
        self.metrics.transaction("antifraud", "stop", "stopped")
        return [{"name": m} for m in self.settings.payment_methods]

    # --- background -------------------------------------------------------------------------------

    async def follow_up(self) -> int:
        """Ask the ERP about analyses still received; POST decided ones to their hook. Returns the
        number of hooks delivered."""
        for row in await self.ledger.undecided():
            await self._decide(row, None, later=True)
        self.metrics.set_pending("antifraud", len(await self.ledger.undecided()))
        sent = 0
        for row in await self.ledger.hooks_due(self.clock.now()):
            ok = await self.hooks.send(row["hook_url"], self.status_answer(row))
            attempts = row["hook_attempts"] + 1
            if ok:
                await self.ledger.update(row["tx_id"], {"hook_state": "sent", "hook_attempts": attempts})
                sent += 1
                continue
            state = "failed" if attempts >= self.settings.hook_attempts else "due"
            due = self.clock.now() + timedelta(seconds=backoff_delay(attempts, self.settings.hook_backoff_s))
            await self.ledger.update(
                row["tx_id"], {"hook_state": state, "hook_attempts": attempts, "hook_due_at": due}
            )
        return sent
