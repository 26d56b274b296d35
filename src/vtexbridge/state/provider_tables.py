"""The provider protocols' ledger (#14): gift card transactions, payments, antifraud analyses.

Defined on the shared :data:`vtexbridge.state.tables.metadata` (so that ``upgrade head`` and the
schema comparison see them) but kept in their own module: :mod:`vtexbridge.providers` reads and
writes them; nothing else does. Amounts are integer cents. Nothing here holds card data: a payment
row keeps the order's references, the amount and VTEX's ids, never a card number, holder or CVV.

- ``provider_giftcard_tx``: one row per VTEX gift card transaction (idempotent by card + requestId);
- ``provider_giftcard_op``: a cancellation or settlement of one (idempotent by transaction + kind +
  requestId); ``state`` pending -> done once the ERP applied it (a crash leaves it pending and the
  retry, or :meth:`resume`, finishes it);
- ``provider_payment`` / ``provider_payment_op``: a payment (by VTEX's paymentId) and its
  cancellations, settlements and refunds (by requestId), with the answer given, replayed on retries;
- ``provider_fraud_tx``: an antifraud analysis (by VTEX's transaction id) and its decision.
"""

from __future__ import annotations

import sqlalchemy as sa

from vtexbridge.state.tables import BigId, JSONType, UTCDateTime, metadata

__all__ = [
    "PROVIDER_TABLES",
    "fraud_tx",
    "giftcard_op",
    "giftcard_tx",
    "payment",
    "payment_op",
]


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


giftcard_tx = sa.Table(
    "provider_giftcard_tx",
    metadata,
    sa.Column("tx_id", sa.String(64), primary_key=True),
    sa.Column("card_id", sa.String(128), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("operation", sa.String(8), nullable=False),  # Debit | Credit
    sa.Column("value_cents", BigId, nullable=False),
    sa.Column("cancelled_cents", BigId, nullable=False, server_default="0"),
    sa.Column("settled_cents", BigId, nullable=False, server_default="0"),
    sa.Column("status", sa.String(16), nullable=False),  # pending, authorized, declined
    sa.Column("description", sa.String(255), nullable=True),
    sa.Column("order_id", sa.String(64), nullable=True),
    sa.Column("reason", sa.String(255), nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    sa.UniqueConstraint("card_id", "request_id"),
    sa.Index(None, "status"),
)

giftcard_op = sa.Table(
    "provider_giftcard_op",
    metadata,
    sa.Column("op_id", sa.String(64), primary_key=True),
    sa.Column("tx_id", sa.String(64), sa.ForeignKey("provider_giftcard_tx.tx_id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # cancellation, settlement
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("value_cents", BigId, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, done
    _ts("created_at"),
    sa.UniqueConstraint("tx_id", "kind", "request_id"),
    sa.Index(None, "state"),
)

payment = sa.Table(
    "provider_payment",
    metadata,
    sa.Column("payment_id", sa.String(64), primary_key=True),
    sa.Column("transaction_id", sa.String(64), nullable=True),
    sa.Column("order_id", sa.String(64), nullable=True),
    sa.Column("reference", sa.String(64), nullable=True),
    sa.Column("method", sa.String(64), nullable=False),
    sa.Column("customer", sa.String(128), nullable=True),  # the buyer's document or id (no card data)
    sa.Column("value_cents", BigId, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # undefined, approved, denied
    sa.Column("authorization_id", sa.String(64), nullable=True),
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("message", sa.String(255), nullable=True),
    sa.Column("callback_url", sa.Text(), nullable=True),
    sa.Column("callback_state", sa.String(16), nullable=False, server_default="none"),  # none, due, sent
    sa.Column("callback_attempts", sa.Integer(), nullable=False, server_default="0"),
    _ts("callback_due_at", nullable=True),
    sa.Column("settled_cents", BigId, nullable=False, server_default="0"),
    sa.Column("refunded_cents", BigId, nullable=False, server_default="0"),
    sa.Column("cancelled", sa.Boolean(), nullable=False, server_default=sa.false()),
    _ts("created_at"),
    _ts("updated_at"),
    sa.Index(None, "status"),
    sa.Index(None, "callback_state", "callback_due_at"),
)

payment_op = sa.Table(
    "provider_payment_op",
    metadata,
    sa.Column("payment_id", sa.String(64), sa.ForeignKey("provider_payment.payment_id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # cancellation, settlement, refund
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("value_cents", BigId, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, done, failed
    sa.Column("response", JSONType, nullable=True),
    _ts("created_at"),
    sa.PrimaryKeyConstraint("payment_id", "kind", "request_id"),
)

fraud_tx = sa.Table(
    "provider_fraud_tx",
    metadata,
    sa.Column("tx_id", sa.String(64), primary_key=True),
    sa.Column("reference", sa.String(64), nullable=True),
    sa.Column("value_cents", BigId, nullable=False),
    sa.Column("customer", sa.String(128), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # received, approved, denied, undefined
    sa.Column("score", sa.Float(), nullable=True),
    sa.Column("reasons", JSONType, nullable=False),
    sa.Column("stopped", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("pre_analysis", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("erp_id", sa.String(64), nullable=False),  # the analysis the ERP decides (changes on update)
    sa.Column("hook_url", sa.Text(), nullable=True),
    sa.Column("hook_state", sa.String(16), nullable=False, server_default="none"),  # none, due, sent, failed
    sa.Column("hook_attempts", sa.Integer(), nullable=False, server_default="0"),
    _ts("hook_due_at", nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    sa.Index(None, "status"),
)

PROVIDER_TABLES: tuple[sa.Table, ...] = (giftcard_tx, giftcard_op, payment, payment_op, fraud_tx)
