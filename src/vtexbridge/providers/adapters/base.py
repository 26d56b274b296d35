"""What the provider protocols ask of the ERP: one small interface per protocol.

An adapter is any object with the methods of :class:`GiftCardErp`, :class:`CreditErp` or
:class:`FraudErp` (sync or ``async``; a sync method runs in a worker thread). The built-in ones are
:class:`~vtexbridge.providers.adapters.sql.SqlErp` (any SQL database with the documented tables;
the ``local`` kind is it on a SQLite file in a folder) and
:class:`~vtexbridge.providers.adapters.http.HttpErp` (the documented JSON API). Plugins are found by
entry point (groups ``vtexbridge.giftcard_adapters``, ``vtexbridge.payment_adapters``,
``vtexbridge.antifraud_adapters``).

Idempotency is part of the contract: :meth:`GiftCardErp.apply_movement`,
:meth:`CreditErp.authorize_credit`, :meth:`CreditErp.credit_operation` and
:meth:`FraudErp.analyse` are called again with the same id after a crash or a retry and must then
change nothing and answer the first outcome. That is what keeps the ERP's balances and the ledger
consistent after a crash at any point. Amounts are integer cents; nothing here carries card data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "CardQuery",
    "CreditDecision",
    "CreditErp",
    "CreditOperation",
    "CreditRequest",
    "CreditStatus",
    "FraudCase",
    "FraudDecision",
    "FraudErp",
    "FraudStatus",
    "GiftCard",
    "GiftCardErp",
    "Movement",
    "MovementResult",
    "NewCard",
]

CreditStatus = Literal["approved", "denied", "pending"]
FraudStatus = Literal["received", "approved", "denied", "undefined"]


@dataclass(frozen=True, slots=True)
class GiftCard:
    """One gift card as the ERP holds it."""

    id: str
    balance_cents: int
    currency: str
    redemption_code: str
    redemption_token: str
    emission_date: str
    expiring_date: str | None = None
    caption: str | None = None
    relation_name: str | None = None
    owner_id: str | None = None
    multiple_redemptions: bool = True
    multiple_credits: bool = True
    restricted_to_owner: bool = False

    def __repr__(self) -> str:  # the redemption code and token are the card's secret
        return f"GiftCard(id={self.id!r}, balance_cents={self.balance_cents}, currency={self.currency!r})"


@dataclass(frozen=True, slots=True)
class CardQuery:
    """Who is paying (VTEX's ``client``) and the code the shopper typed, if any."""

    client_id: str | None = None
    email: str | None = None
    document: str | None = None
    redemption_code: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class NewCard:
    """VTEX's create-a-gift-card request."""

    relation_name: str
    caption: str
    profile_id: str
    currency: str
    emission_date: str | None = None
    expiring_date: str | None = None
    restricted_to_owner: bool = False
    multiple_redemptions: bool = True
    multiple_credits: bool = True


@dataclass(frozen=True, slots=True)
class Movement:
    """A balance change, idempotent by ``op_id``: a debit never takes the balance below zero."""

    op_id: str
    card_id: str
    kind: Literal["debit", "credit"]
    value_cents: int
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class MovementResult:
    applied: bool
    balance_cents: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CreditRequest:
    """A payment to approve on a customer's credit line (no card data: the customer's document/id)."""

    payment_id: str
    customer: str
    value_cents: int
    currency: str
    method: str
    order_id: str | None = None
    reference: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class CreditDecision:
    status: CreditStatus
    code: str | None = None
    message: str | None = None
    authorization_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreditOperation:
    """A cancellation, settlement or refund of an approved payment, idempotent by ``op_id``."""

    op_id: str
    payment_id: str
    kind: Literal["cancel", "settle", "refund"]
    value_cents: int


@dataclass(frozen=True, slots=True)
class FraudCase:
    """What the ERP's fraud rules look at (no card data)."""

    tx_id: str
    value_cents: int
    reference: str | None = None
    document: str | None = None
    email: str | None = None
    ip: str | None = None
    country: str | None = None
    items: int = 0
    pre_analysis: bool = False


@dataclass(frozen=True, slots=True)
class FraudDecision:
    status: FraudStatus
    score: float | None = None
    reasons: tuple[str, ...] = ()


@runtime_checkable
class GiftCardErp(Protocol):
    async def search_cards(self, query: CardQuery) -> list[GiftCard]: ...
    async def get_card(self, card_id: str) -> GiftCard | None: ...
    async def create_card(self, new: NewCard) -> GiftCard: ...
    async def apply_movement(self, movement: Movement) -> MovementResult: ...


@runtime_checkable
class CreditErp(Protocol):
    async def authorize_credit(self, request: CreditRequest) -> CreditDecision: ...
    async def credit_decision(self, payment_id: str) -> CreditDecision | None: ...
    async def credit_operation(self, operation: CreditOperation) -> bool: ...


@runtime_checkable
class FraudErp(Protocol):
    async def analyse(self, case: FraudCase) -> FraudDecision: ...
    async def fraud_status(self, tx_id: str) -> FraudDecision | None: ...
    async def stop_analysis(self, tx_id: str) -> None: ...
