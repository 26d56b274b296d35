"""The Gift Card Provider Protocol's logic: VTEX's gift card hub asks, the ERP's cards answer.

- search (``POST /giftcards/_search``): the cards of the shopper (by client id, email, document) and
  the one whose redemption code they typed; ``get`` one card; ``create`` when the settings allow;
- the transaction life cycle: ``create`` (Debit takes the value from the card in the ERP, Credit adds
  it), ``authorization`` (what was authorized), ``cancellations`` (give a debit back, or take a credit
  back), ``settlements`` (confirm; the money already moved at authorization), and their listings.

Every transaction is idempotent by VTEX's ``requestId`` on the card (the transaction id is derived
from them), every cancellation/settlement by its ``requestId`` on the transaction. The order of work is
ledger row (pending) -> ERP movement (keyed by the ledger's id) -> ledger row done, so a crash at any
point is finished by the retry VTEX sends or by :meth:`GiftCardProvider.recover`, and the ERP's
balance always equals its movements. Redemption codes and tokens are never logged nor stored here.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any

from vtexbridge.clock import Clock
from vtexbridge.providers.adapters.base import CardQuery, GiftCard, GiftCardErp, Movement, NewCard
from vtexbridge.providers.base import ErpBackedProvider
from vtexbridge.providers.common import (
    cents,
    derived_id,
    iso,
    mapping,
    optional_str,
    required_str,
    to_units,
)
from vtexbridge.providers.errors import BadRequest, Conflict, NotFound, ProviderError
from vtexbridge.providers.giftcard.ledger import GiftCardLedger, OpRow, TxRow
from vtexbridge.providers.metrics import ProviderMetrics
from vtexbridge.providers.settings import GiftCardProviderSettings

__all__ = ["GiftCardProvider"]

_log = logging.getLogger(__name__)
_OPERATIONS = {"Debit": "debit", "Credit": "credit"}


def _mask(code: str) -> str:
    return "*" * max(0, len(code) - 4) + code[-4:]


def _range(header: str | None) -> tuple[int, int]:
    """``resources=FROM-TO`` (at most 100 cards a page); 0-49 when absent."""
    if not header:
        return 0, 49
    match = re.fullmatch(r"\s*resources\s*=\s*(\d{1,6})\s*-\s*(\d{1,6})\s*", header)
    if match is None or int(match[2]) < int(match[1]):
        raise BadRequest(f"REST-Range must be 'resources=FROM-TO', got {header[:40]!r}")
    first, last = int(match[1]), int(match[2])
    return first, min(last, first + 99)


class GiftCardProvider(ErpBackedProvider):
    kind = "giftcard"

    def __init__(
        self,
        settings: GiftCardProviderSettings,
        erp: GiftCardErp,
        ledger: GiftCardLedger,
        *,
        clock: Clock | None = None,
        metrics: ProviderMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.erp = erp
        self.ledger = ledger
        super().__init__(settings.adapter.timeout_s, clock=clock, metrics=metrics)

    def _href(self, *parts: str) -> str:
        return "/".join([self.settings.path, "giftcards", *parts])

    # --- cards ------------------------------------------------------------------------------------

    async def search(self, body: Any, rest_range: str | None = None) -> tuple[list[dict[str, Any]], str]:
        """The shopper's cards, the page ``REST-Range: resources=FROM-TO`` asks (default 0-49), and the
        ``REST-Content-Range`` of the answer (``resources FROM-TO/TOTAL``)."""
        first, last = _range(rest_range)
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object with client and cart")
        client, cart = mapping(body, "client"), mapping(body, "cart")
        query = CardQuery(
            client_id=optional_str(client, "id", limit=128),
            email=optional_str(client, "email"),
            document=optional_str(client, "document", limit=64),
            redemption_code=optional_str(cart, "redemptionCode", limit=128),
        )
        cards = await self._erp("the gift card search", self.erp.search_cards(query))
        page = [
            {
                "id": c.id,
                "provider": self.settings.provider_name,
                "balance": to_units(c.balance_cents),
                "_self": {"href": self._href(c.id)},
            }
            for c in cards[first : last + 1]
        ]
        shown = f"{first}-{first + len(page) - 1}" if page else "*"
        return page, f"resources {shown}/{len(cards)}"

    async def _card(self, card_id: str) -> GiftCard:
        card = await self._erp("the gift card lookup", self.erp.get_card(card_id))
        if card is None:
            raise NotFound(f"no gift card {card_id}")
        return card

    async def get(self, card_id: str) -> dict[str, Any]:
        card = await self._card(card_id)
        out: dict[str, Any] = {
            "id": card.id,
            "redemptionToken": card.redemption_token,
            "redemptionCode": _mask(card.redemption_code),
            "balance": to_units(card.balance_cents),
            "emissionDate": card.emission_date,
            "currencyCode": card.currency,
            "discount": False,
            "transactions": {"href": self._href(card.id, "transactions")},
        }
        if card.expiring_date:
            out["expiringDate"] = card.expiring_date
        return out

    async def create(self, body: Any) -> dict[str, Any]:
        if not self.settings.allow_create:
            raise ProviderError(
                "this provider does not create gift cards (they come from the ERP)", status=403
            )
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object")
        new = NewCard(
            relation_name=required_str(body, "relationName"),
            caption=required_str(body, "caption", limit=255),
            profile_id=required_str(body, "profileId", limit=255),
            currency=optional_str(body, "currencyCode", limit=3) or self.settings.currency,
            emission_date=optional_str(body, "emissionDate", limit=32),
            expiring_date=optional_str(body, "expiringDate", limit=32),
            restricted_to_owner=bool(body.get("restrictedToOwner", False)),
            multiple_redemptions=bool(body.get("multipleRedemptions", True)),
            multiple_credits=bool(body.get("multipleCredits", True)),
        )
        card = await self._erp("the gift card creation", self.erp.create_card(new))
        out: dict[str, Any] = {
            "id": card.id,
            "relationName": card.relation_name or new.relation_name,
            "emissionDate": card.emission_date,
            "caption": card.caption or new.caption,
            "restrictedToOwner": new.restricted_to_owner,
            "multipleRedemptions": new.multiple_redemptions,
            "multipleCredits": new.multiple_credits,
            "profileId": new.profile_id,
            "currencyCode": card.currency,
        }
        if card.expiring_date:
            out["expiringDate"] = card.expiring_date
        return out

    # --- transactions -----------------------------------------------------------------------------

    def _tx_response(self, tx: TxRow) -> dict[str, Any]:
        return {
            "cardId": tx.card_id,
            "id": tx.tx_id,
            "_self": {"href": self._href(tx.card_id, "transactions", tx.tx_id)},
        }

    async def create_transaction(self, card_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object")
        operation = body.get("operation")
        if operation not in _OPERATIONS:
            raise BadRequest(f"operation must be Debit or Credit, got {str(operation)[:20]!r}")
        value = cents(body.get("value"), "value")
        request_id = required_str(body, "requestId")
        order = mapping(body, "orderInfo")
        card = await self._card(card_id)
        self._check_redemption(card, body)
        tx_id = derived_id("giftcard", card_id, request_id)
        now = self.clock.now()
        tx = await self.ledger.open_tx(
            {
                "tx_id": tx_id,
                "card_id": card_id,
                "request_id": request_id,
                "operation": operation,
                "value_cents": value,
                "description": optional_str(body, "description"),
                "order_id": optional_str(order, "orderId", limit=64),
                "created_at": now,
                "updated_at": now,
            }
        )
        if tx.operation != operation or tx.value_cents != value:
            raise Conflict(f"requestId {request_id} was already used for another transaction on this card")
        if tx.status == "pending":
            tx = await self._apply_tx(tx)
        self.metrics.transaction("giftcard", "transaction", tx.status)
        if tx.status == "declined":
            raise ProviderError(f"transaction declined: {tx.reason}", status=400, code="declined")
        return self._tx_response(tx)

    def _check_redemption(self, card: GiftCard, body: Mapping[str, Any]) -> None:
        code, token = body.get("redemptionCode"), body.get("redemptionToken")
        ok_code = isinstance(code, str) and (
            hmac.compare_digest(code, card.redemption_code) or code == _mask(card.redemption_code)
        )
        ok_token = isinstance(token, str) and hmac.compare_digest(token, card.redemption_token)
        if not (ok_code or ok_token):
            raise ProviderError(
                "the redemption code or token does not match the card", status=403, code="forbidden"
            )

    async def _apply_tx(self, tx: TxRow) -> TxRow:
        movement = Movement(tx.tx_id, tx.card_id, _OPERATIONS[tx.operation], tx.value_cents)  # type: ignore[arg-type]
        result = await self._erp("the gift card transaction", self.erp.apply_movement(movement))
        status = "authorized" if result.applied else "declined"
        return await self.ledger.close_tx(tx.tx_id, status, result.reason, self.clock.now())

    async def _tx(self, card_id: str, tx_id: str) -> TxRow:
        tx = await self.ledger.get_tx(card_id, tx_id)
        if tx is None or tx.status != "authorized":
            raise NotFound(f"no authorized transaction {tx_id} on gift card {card_id}")
        return tx

    async def list_transactions(self, card_id: str) -> list[dict[str, Any]]:
        return [self._tx_response(tx) for tx in await self.ledger.list_txs(card_id)]

    async def get_transaction(self, card_id: str, tx_id: str) -> dict[str, Any]:
        tx = await self._tx(card_id, tx_id)
        base = self._href(card_id, "transactions", tx_id)
        return {
            "value": to_units(tx.value_cents),
            "description": tx.description or self.settings.provider_name,
            "date": iso(tx.created_at),
            "requestId": tx.request_id,
            "settlement": {"href": f"{base}/settlements"},
            "cancellation": {"href": f"{base}/cancellations"},
            "authorization": {"href": f"{base}/authorization"},
            "operation": tx.operation,
        }

    async def authorization(self, card_id: str, tx_id: str) -> dict[str, Any]:
        tx = await self._tx(card_id, tx_id)
        return {"oid": tx.tx_id, "value": to_units(tx.value_cents), "date": iso(tx.created_at)}

    async def cancel(self, card_id: str, tx_id: str, body: Any) -> dict[str, Any]:
        return await self._operate(card_id, tx_id, "cancellation", body)

    async def settle(self, card_id: str, tx_id: str, body: Any) -> dict[str, Any]:
        return await self._operate(card_id, tx_id, "settlement", body)

    async def _operate(self, card_id: str, tx_id: str, kind: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object with value and requestId")
        value = cents(body.get("value"), "value")
        request_id = required_str(body, "requestId")
        tx = await self._tx(card_id, tx_id)
        op_id = derived_id("giftcard-op", tx.tx_id, kind, request_id)
        now = self.clock.now()
        op, tx = await self.ledger.reserve_op(
            {"op_id": op_id, "tx_id": tx.tx_id, "kind": kind, "request_id": request_id, "value_cents": value},
            now,
        )
        if op is None:
            self.metrics.transaction("giftcard", kind, "refused")
            left = tx.value_cents - tx.cancelled_cents - (tx.settled_cents if kind == "settlement" else 0)
            raise ProviderError(
                f"the {kind} of {to_units(value)} exceeds what transaction {tx_id} has left "
                f"({to_units(left)})",
                status=400,
                code="exceeds-transaction",
            )
        if op.value_cents != value:
            raise Conflict(f"requestId {request_id} was already used for another {kind} of this transaction")
        if op.state == "pending":
            op = await self._finish_op(tx, op)
        self.metrics.transaction("giftcard", kind, op.state)
        if op.state == "refused":
            raise ProviderError(
                f"the ERP refused the {kind}: insufficient balance", status=400, code="declined"
            )
        return {"oid": op.op_id, "value": to_units(op.value_cents), "date": iso(op.created_at)}

    async def _finish_op(self, tx: TxRow, op: OpRow) -> OpRow:
        refused = False
        if op.kind == "cancellation":  # give a debit back, take a credit back
            kind = "credit" if tx.operation == "Debit" else "debit"
            movement = Movement(op.op_id, tx.card_id, kind, op.value_cents)  # type: ignore[arg-type]
            result = await self._erp("the gift card cancellation", self.erp.apply_movement(movement))
            refused = not result.applied
        await self.ledger.finish_op(op.op_id, refused=refused)
        return OpRow(
            op.op_id,
            op.tx_id,
            op.kind,
            op.request_id,
            op.value_cents,
            "refused" if refused else "done",
            op.created_at,
        )

    async def list_ops(self, card_id: str, tx_id: str, kind: str) -> list[dict[str, Any]]:
        tx = await self._tx(card_id, tx_id)
        return [
            {"oid": op.op_id, "value": to_units(op.value_cents), "date": iso(op.created_at)}
            for op in await self.ledger.list_ops(tx.tx_id, kind)
        ]

    async def recover(self) -> int:
        """Finish what a crash or an ERP timeout left pending (the ERP calls are idempotent)."""
        txs, ops = await self.ledger.pending()
        for tx in txs:
            await self._apply_tx(tx)
        for op in ops:
            tx = await self.ledger.get_tx_any(op.tx_id)
            await self._finish_op(tx, op)
        if txs or ops:
            _log.info(
                "gift card provider: finished %d pending transactions and %d operations", len(txs), len(ops)
            )
        return len(txs) + len(ops)
