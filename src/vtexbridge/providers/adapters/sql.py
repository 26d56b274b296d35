"""The SQL adapter: the ERP's gift cards, credit lines and fraud rules in a few documented tables.

Any database SQLAlchemy reaches (``adapter.kind = "sql"``, ``adapter.url``); the ``local`` kind is
the same adapter on ``<adapter.path>/providers.db`` (SQLite), created on first use and seeded from
the folder's ``giftcards.json``, ``credit_accounts.json`` and ``fraud_rules.json`` (docs/providers.md).

Concurrency: a debit is one conditional ``UPDATE ... SET balance = balance - x WHERE balance >= x``
plus the movement's row, in one transaction, so two debits on one card can never take it below zero
(PostgreSQL locks the row; SQLite serialises writers with ``BEGIN IMMEDIATE``). Idempotency: every
movement, authorization and operation is keyed by the id the protocol gives it; a second call with
the same id changes nothing and answers what the first one did, refusals included.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from vtexbridge.providers.adapters.base import (
    CardQuery,
    CreditDecision,
    CreditOperation,
    CreditRequest,
    CreditStatus,
    FraudCase,
    FraudDecision,
    GiftCard,
    Movement,
    MovementResult,
    NewCard,
)
from vtexbridge.state.engine import BEGIN_OPTION, create_state_engine

__all__ = ["ERP_METADATA", "SqlErp"]

T = TypeVar("T")
ERP_METADATA = sa.MetaData()
_S = sa.String

erp_giftcard = sa.Table(
    "erp_giftcard",
    ERP_METADATA,
    sa.Column("id", _S(128), primary_key=True),
    sa.Column("redemption_code", _S(128), nullable=False, unique=True),
    sa.Column("redemption_token", _S(128), nullable=False),
    sa.Column("owner_id", _S(128)),
    sa.Column("owner_email", _S(255), index=True),
    sa.Column("owner_document", _S(64), index=True),
    sa.Column("balance_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", _S(3), nullable=False),
    sa.Column("emission_date", _S(32), nullable=False),
    sa.Column("expiring_date", _S(32)),
    sa.Column("caption", _S(255)),
    sa.Column("relation_name", _S(255)),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.CheckConstraint("balance_cents >= 0", name="balance_never_negative"),
)
erp_giftcard_movement = sa.Table(
    "erp_giftcard_movement",
    ERP_METADATA,
    sa.Column("op_id", _S(64), primary_key=True),
    sa.Column("card_id", _S(128), nullable=False, index=True),
    sa.Column("kind", _S(8), nullable=False),
    sa.Column("value_cents", sa.BigInteger, nullable=False),
    sa.Column("applied", sa.Boolean, nullable=False),
    sa.Column("reason", _S(255)),
    sa.Column("reference", _S(128)),
    sa.Column("created_at", _S(32), nullable=False),
)
erp_credit_account = sa.Table(
    "erp_credit_account",
    ERP_METADATA,
    sa.Column("customer", _S(128), primary_key=True),
    sa.Column("credit_limit_cents", sa.BigInteger, nullable=False),
    sa.Column("used_cents", sa.BigInteger, nullable=False, default=0),
    sa.Column("blocked", sa.Boolean, nullable=False, default=False),
    sa.Column("review", sa.Boolean, nullable=False, default=False),
)
erp_credit_authorization = sa.Table(
    "erp_credit_authorization",
    ERP_METADATA,
    sa.Column("payment_id", _S(64), primary_key=True),
    sa.Column("customer", _S(128), nullable=False),
    sa.Column("value_cents", sa.BigInteger, nullable=False),
    sa.Column("status", _S(16), nullable=False),
    sa.Column("code", _S(64)),
    sa.Column("message", _S(255)),
    sa.Column("authorization_id", _S(64)),
    sa.Column("created_at", _S(32), nullable=False),
)
erp_credit_movement = sa.Table(
    "erp_credit_movement",
    ERP_METADATA,
    sa.Column("op_id", _S(64), primary_key=True),
    sa.Column("payment_id", _S(64), nullable=False, index=True),
    sa.Column("kind", _S(8), nullable=False),
    sa.Column("value_cents", sa.BigInteger, nullable=False),
    sa.Column("created_at", _S(32), nullable=False),
)
erp_fraud_rule = sa.Table(
    "erp_fraud_rule",
    ERP_METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", _S(32), nullable=False),  # blocked_document, blocked_email, max_value, review_over
    sa.Column("value", _S(255), nullable=False),
)
erp_fraud_analysis = sa.Table(
    "erp_fraud_analysis",
    ERP_METADATA,
    sa.Column("tx_id", _S(64), primary_key=True),
    sa.Column("status", _S(16), nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("created_at", _S(32), nullable=False),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _card(row: RowMapping) -> GiftCard:
    return GiftCard(
        id=row["id"],
        balance_cents=int(row["balance_cents"]),
        currency=row["currency"],
        redemption_code=row["redemption_code"],
        redemption_token=row["redemption_token"],
        emission_date=row["emission_date"],
        expiring_date=row["expiring_date"],
        caption=row["caption"],
        relation_name=row["relation_name"],
        owner_id=row["owner_id"],
    )


class SqlErp:
    """Gift cards, credit lines and fraud rules in the ERP's SQL tables (all three protocols)."""

    name = "sql"

    def __init__(self, url: str, *, create: bool = False) -> None:
        self.engine: Engine = create_state_engine(url)
        self._reader = self.engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})
        if create:
            ERP_METADATA.create_all(self.engine)

    @classmethod
    def local(cls, folder: Path) -> SqlErp:
        """The reference adapter: ``folder/providers.db``, created and seeded from the folder's JSON."""
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "providers.db"
        fresh = not db.exists()
        erp = cls(f"sqlite:///{db}", create=True)
        if fresh:
            erp.seed_folder(folder)
        erp.name = "local"
        return erp

    def close(self) -> None:
        self.engine.dispose()

    async def _run(self, fn: Callable[[Connection], T], *, read_only: bool = False) -> T:
        """``fn`` in one transaction in a worker thread; a read-only one never waits for writers.

        Two concurrent calls with the same id (VTEX retrying while the first call runs) can both find
        no row and both insert it; the second insert fails and its transaction (balance change
        included) rolls back. It is then run once more: it finds the first one's row and answers it.
        """
        engine = self._reader if read_only else self.engine

        def work() -> T:
            try:
                with engine.begin() as conn:
                    return fn(conn)
            except IntegrityError:
                if read_only:
                    raise
                with engine.begin() as conn:
                    return fn(conn)

        return await asyncio.to_thread(work)

    # --- seeding (the reference adapter and tests) ----------------------------------------------

    def seed(
        self,
        *,
        cards: list[Mapping[str, Any]] = (),  # type: ignore[assignment]
        accounts: list[Mapping[str, Any]] = (),  # type: ignore[assignment]
        rules: list[Mapping[str, Any]] = (),  # type: ignore[assignment]
    ) -> None:
        """Insert gift cards, credit accounts and fraud rules (rows in the tables' column names)."""
        with self.engine.begin() as conn:
            for card in cards:
                row = {"emission_date": _now(), "currency": "BRL", "active": True, **card}
                row.setdefault("redemption_token", uuid.uuid4().hex)
                conn.execute(sa.insert(erp_giftcard).values(**row))
            for account in accounts:
                conn.execute(sa.insert(erp_credit_account).values(**{"used_cents": 0, **account}))
            for rule in rules:
                conn.execute(sa.insert(erp_fraud_rule).values(**rule))

    def seed_folder(self, folder: Path) -> None:
        found = {}
        for name in ("giftcards", "credit_accounts", "fraud_rules"):
            path = folder / f"{name}.json"
            found[name] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        self.seed(cards=found["giftcards"], accounts=found["credit_accounts"], rules=found["fraud_rules"])

    # --- gift cards -------------------------------------------------------------------------------

    async def search_cards(self, query: CardQuery) -> list[GiftCard]:
        c = erp_giftcard.c
        conditions = []
        if query.redemption_code:
            conditions.append(c.redemption_code == query.redemption_code)
        if query.email:
            conditions.append(c.owner_email == query.email)
        if query.document:
            conditions.append(c.owner_document == query.document)
        if query.client_id:
            conditions.append(c.owner_id == query.client_id)
        if not conditions:
            return []
        stmt = sa.select(erp_giftcard).where(c.active, sa.or_(*conditions)).order_by(c.id).limit(50)
        return await self._run(lambda conn: [_card(r) for r in conn.execute(stmt).mappings()], read_only=True)

    async def get_card(self, card_id: str) -> GiftCard | None:
        stmt = sa.select(erp_giftcard).where(erp_giftcard.c.id == card_id, erp_giftcard.c.active)

        def fetch(conn: Connection) -> GiftCard | None:
            row = conn.execute(stmt).mappings().first()
            return _card(row) if row else None

        return await self._run(fetch, read_only=True)

    async def create_card(self, new: NewCard) -> GiftCard:
        def create(conn: Connection) -> GiftCard:
            existing = (
                conn.execute(sa.select(erp_giftcard).where(erp_giftcard.c.relation_name == new.relation_name))
                .mappings()
                .first()
            )
            if existing is not None:  # VTEX's relationName identifies the card: a retry finds it
                return _card(existing)
            card_id = uuid.uuid4().hex[:16]
            code = uuid.uuid4().hex[:16].upper()
            row = {
                "id": card_id,
                "redemption_code": code,
                "redemption_token": uuid.uuid4().hex,
                "owner_id": new.profile_id,
                "owner_email": new.profile_id if "@" in new.profile_id else None,
                "balance_cents": 0,
                "currency": new.currency,
                "emission_date": new.emission_date or _now(),
                "expiring_date": new.expiring_date,
                "caption": new.caption,
                "relation_name": new.relation_name,
                "active": True,
            }
            conn.execute(sa.insert(erp_giftcard).values(**row))
            return _card(
                conn.execute(sa.select(erp_giftcard).where(erp_giftcard.c.id == card_id)).mappings().one()
            )

        return await self._run(create)

    async def apply_movement(self, movement: Movement) -> MovementResult:
        return await self._run(lambda conn: self._apply(conn, movement))

    @staticmethod
    def _apply(conn: Connection, m: Movement) -> MovementResult:
        mv, card = erp_giftcard_movement, erp_giftcard
        done = conn.execute(sa.select(mv).where(mv.c.op_id == m.op_id)).mappings().first()
        balance = conn.execute(sa.select(card.c.balance_cents).where(card.c.id == m.card_id)).scalar()
        if done is not None:
            return MovementResult(bool(done["applied"]), balance, done["reason"])
        if balance is None:
            return MovementResult(False, None, "unknown gift card")
        if m.kind == "debit":
            stmt = (
                sa.update(card)
                .where(card.c.id == m.card_id, card.c.balance_cents >= m.value_cents)
                .values(balance_cents=card.c.balance_cents - m.value_cents)
            )
        else:
            stmt = (
                sa.update(card)
                .where(card.c.id == m.card_id)
                .values(balance_cents=card.c.balance_cents + m.value_cents)
            )
        applied = conn.execute(stmt).rowcount == 1
        reason = None if applied else "insufficient balance"
        conn.execute(
            sa.insert(mv).values(
                op_id=m.op_id,
                card_id=m.card_id,
                kind=m.kind,
                value_cents=m.value_cents,
                applied=applied,
                reason=reason,
                reference=m.reference,
                created_at=_now(),
            )
        )
        after = conn.execute(sa.select(card.c.balance_cents).where(card.c.id == m.card_id)).scalar()
        return MovementResult(applied, after, reason)

    # --- credit lines -----------------------------------------------------------------------------

    async def authorize_credit(self, request: CreditRequest) -> CreditDecision:
        return await self._run(lambda conn: self._authorize(conn, request))

    @staticmethod
    def _authorize(conn: Connection, r: CreditRequest) -> CreditDecision:
        auth, acct = erp_credit_authorization, erp_credit_account
        done = conn.execute(sa.select(auth).where(auth.c.payment_id == r.payment_id)).mappings().first()
        if done is not None:
            return _decision(done)
        account = conn.execute(sa.select(acct).where(acct.c.customer == r.customer)).mappings().first()
        status, code, message = "approved", None, "approved on the customer's credit line"
        if account is None:
            status, code, message = "denied", "no-credit-line", "the customer has no credit line"
        elif account["blocked"]:
            status, code, message = "denied", "credit-blocked", "the customer's credit line is on hold"
        elif account["review"]:
            status, code, message = "pending", "in-review", "the ERP reviews this payment"
        else:
            taken = conn.execute(
                sa.update(acct)
                .where(
                    acct.c.customer == r.customer,
                    acct.c.used_cents + r.value_cents <= acct.c.credit_limit_cents,
                )
                .values(used_cents=acct.c.used_cents + r.value_cents)
            ).rowcount
            if taken != 1:
                status, code, message = "denied", "credit-limit", "the payment exceeds the available credit"
        conn.execute(
            sa.insert(auth).values(
                payment_id=r.payment_id,
                customer=r.customer,
                value_cents=r.value_cents,
                status=status,
                code=code,
                message=message,
                authorization_id=uuid.uuid4().hex[:12].upper() if status == "approved" else None,
                created_at=_now(),
            )
        )
        row = conn.execute(sa.select(auth).where(auth.c.payment_id == r.payment_id)).mappings().one()
        return _decision(row)

    async def credit_decision(self, payment_id: str) -> CreditDecision | None:
        stmt = sa.select(erp_credit_authorization).where(erp_credit_authorization.c.payment_id == payment_id)

        def fetch(conn: Connection) -> CreditDecision | None:
            row = conn.execute(stmt).mappings().first()
            return _decision(row) if row else None

        return await self._run(fetch, read_only=True)

    def decide(self, payment_id: str, status: str, message: str | None = None) -> None:
        """The ERP operator's later decision on a pending payment (reference adapter, demo and tests)."""
        auth, acct = erp_credit_authorization, erp_credit_account
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(auth).where(auth.c.payment_id == payment_id)).mappings().one()
            if status == "approved":
                conn.execute(
                    sa.update(acct)
                    .where(acct.c.customer == row["customer"])
                    .values(used_cents=acct.c.used_cents + row["value_cents"])
                )
            conn.execute(
                sa.update(auth)
                .where(auth.c.payment_id == payment_id, auth.c.status == "pending")
                .values(
                    status=status,
                    message=message,
                    code=None if status == "approved" else "denied-by-erp",
                    authorization_id=uuid.uuid4().hex[:12].upper() if status == "approved" else None,
                )
            )

    async def credit_operation(self, operation: CreditOperation) -> bool:
        return await self._run(lambda conn: self._operate(conn, operation))

    @staticmethod
    def _operate(conn: Connection, op: CreditOperation) -> bool:
        """Cancel releases an approved authorization (a pending one just ends), refund gives the
        refunded value back to the line, settle only records (the ERP bills the company)."""
        mv, auth, acct = erp_credit_movement, erp_credit_authorization, erp_credit_account
        if conn.execute(sa.select(mv.c.op_id).where(mv.c.op_id == op.op_id)).first() is not None:
            return True  # already applied
        row = conn.execute(sa.select(auth).where(auth.c.payment_id == op.payment_id)).mappings().first()
        release = 0
        if row is not None and op.kind == "cancel" and row["status"] in ("approved", "pending"):
            release = int(row["value_cents"]) if row["status"] == "approved" else 0
            conn.execute(sa.update(auth).where(auth.c.payment_id == op.payment_id).values(status="cancelled"))
        elif row is not None and op.kind == "refund":
            release = op.value_cents
        if release and row is not None:
            conn.execute(
                sa.update(acct)
                .where(acct.c.customer == row["customer"], acct.c.used_cents >= release)
                .values(used_cents=acct.c.used_cents - release)
            )
        values = {
            "op_id": op.op_id,
            "payment_id": op.payment_id,
            "kind": op.kind,
            "value_cents": op.value_cents,
        }
        conn.execute(sa.insert(mv).values(**values, created_at=_now()))
        return True

    # --- fraud rules ------------------------------------------------------------------------------

    async def analyse(self, case: FraudCase) -> FraudDecision:
        return await self._run(lambda conn: self._analyse(conn, case))

    @staticmethod
    def _analyse(conn: Connection, case: FraudCase) -> FraudDecision:
        fa = erp_fraud_analysis
        done = conn.execute(sa.select(fa).where(fa.c.tx_id == case.tx_id)).mappings().first()
        if done is not None:
            return _fraud(done)
        rules = [(r["kind"], r["value"]) for r in conn.execute(sa.select(erp_fraud_rule)).mappings()]
        decision = evaluate_rules(rules, case)
        conn.execute(
            sa.insert(fa).values(
                tx_id=case.tx_id,
                status=decision.status,
                score=decision.score,
                reasons=json.dumps(list(decision.reasons)),
                created_at=_now(),
            )
        )
        return decision

    async def fraud_status(self, tx_id: str) -> FraudDecision | None:
        stmt = sa.select(erp_fraud_analysis).where(erp_fraud_analysis.c.tx_id == tx_id)

        def fetch(conn: Connection) -> FraudDecision | None:
            row = conn.execute(stmt).mappings().first()
            return _fraud(row) if row else None

        return await self._run(fetch, read_only=True)

    async def stop_analysis(self, tx_id: str) -> None:
        fa = erp_fraud_analysis
        stmt = sa.update(fa).where(fa.c.tx_id == tx_id, fa.c.status == "received").values(status="undefined")
        await self._run(lambda conn: conn.execute(stmt))

    def decide_fraud(self, tx_id: str, status: str, reasons: list[str]) -> None:
        """The ERP analyst's later decision on an analysis under review (reference adapter and tests)."""
        fa = erp_fraud_analysis
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(fa).where(fa.c.tx_id == tx_id).values(status=status, reasons=json.dumps(reasons))
            )


def evaluate_rules(rules: list[tuple[str, str]], case: FraudCase) -> FraudDecision:
    """The reference fraud rules: blocked documents/emails deny; over ``max_value`` denies; over
    ``review_over`` goes to an analyst (``received``: decided later); else approved."""
    reasons: list[str] = []
    for kind, value in rules:
        if kind == "blocked_document" and case.document and case.document == value:
            reasons.append("blocked document")
        elif kind == "blocked_email" and case.email and case.email.lower() == value.lower():
            reasons.append("blocked email")
        elif kind == "max_value" and case.value_cents > int(value):
            reasons.append("order value over the limit")
    if reasons:
        return FraudDecision("denied", 95.0, tuple(reasons))
    review = [int(v) for k, v in rules if k == "review_over"]
    if review and case.value_cents > min(review):
        return FraudDecision("received", 50.0, ("order value needs an analyst",))
    return FraudDecision("approved", 5.0, ())


def _decision(row: RowMapping) -> CreditDecision:
    status: CreditStatus = "denied" if row["status"] == "cancelled" else row["status"]
    return CreditDecision(status, row["code"], row["message"], row["authorization_id"])


def _fraud(row: RowMapping) -> FraudDecision:
    return FraudDecision(row["status"], row["score"], tuple(json.loads(row["reasons"])))
