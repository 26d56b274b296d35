"""The provider protocols' ledger: gift card transactions and their operations, payments and their
operations, antifraud analyses (#14; tables in ``vtexbridge.state.provider_tables``).

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the portable types (a migration never imports the models).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "provider_giftcard_tx",
        sa.Column("tx_id", sa.String(64), nullable=False),
        sa.Column("card_id", sa.String(128), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("operation", sa.String(8), nullable=False),
        sa.Column("value_cents", BigId, nullable=False),
        sa.Column("cancelled_cents", BigId, server_default="0", nullable=False),
        sa.Column("settled_cents", BigId, server_default="0", nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(255), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("tx_id", name=op.f("pk_provider_giftcard_tx")),
        sa.UniqueConstraint("card_id", "request_id", name=op.f("uq_provider_giftcard_tx_card_id_request_id")),
    )
    op.create_index(op.f("ix_provider_giftcard_tx_status"), "provider_giftcard_tx", ["status"])
    op.create_table(
        "provider_giftcard_op",
        sa.Column("op_id", sa.String(64), nullable=False),
        sa.Column("tx_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("value_cents", BigId, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["tx_id"],
            ["provider_giftcard_tx.tx_id"],
            name=op.f("fk_provider_giftcard_op_tx_id_provider_giftcard_tx"),
        ),
        sa.PrimaryKeyConstraint("op_id", name=op.f("pk_provider_giftcard_op")),
        sa.UniqueConstraint(
            "tx_id", "kind", "request_id", name=op.f("uq_provider_giftcard_op_tx_id_kind_request_id")
        ),
    )
    op.create_index(op.f("ix_provider_giftcard_op_state"), "provider_giftcard_op", ["state"])
    op.create_table(
        "provider_payment",
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("transaction_id", sa.String(64), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("customer", sa.String(128), nullable=True),
        sa.Column("value_cents", BigId, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("authorization_id", sa.String(64), nullable=True),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("message", sa.String(255), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("callback_state", sa.String(16), server_default="none", nullable=False),
        sa.Column("callback_attempts", sa.Integer(), server_default="0", nullable=False),
        _ts("callback_due_at", nullable=True),
        sa.Column("settled_cents", BigId, server_default="0", nullable=False),
        sa.Column("refunded_cents", BigId, server_default="0", nullable=False),
        sa.Column("cancelled", sa.Boolean(), server_default=sa.false(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_provider_payment")),
    )
    op.create_index(op.f("ix_provider_payment_status"), "provider_payment", ["status"])
    op.create_index(
        op.f("ix_provider_payment_callback_state_callback_due_at"),
        "provider_payment",
        ["callback_state", "callback_due_at"],
    )
    op.create_table(
        "provider_payment_op",
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("value_cents", BigId, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("response", JSONType, nullable=True),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["provider_payment.payment_id"],
            name=op.f("fk_provider_payment_op_payment_id_provider_payment"),
        ),
        sa.PrimaryKeyConstraint("payment_id", "kind", "request_id", name=op.f("pk_provider_payment_op")),
    )
    op.create_table(
        "provider_fraud_tx",
        sa.Column("tx_id", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("value_cents", BigId, nullable=False),
        sa.Column("customer", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", JSONType, nullable=False),
        sa.Column("stopped", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("pre_analysis", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("erp_id", sa.String(64), nullable=False),
        sa.Column("hook_url", sa.Text(), nullable=True),
        sa.Column("hook_state", sa.String(16), server_default="none", nullable=False),
        sa.Column("hook_attempts", sa.Integer(), server_default="0", nullable=False),
        _ts("hook_due_at", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("tx_id", name=op.f("pk_provider_fraud_tx")),
    )
    op.create_index(op.f("ix_provider_fraud_tx_status"), "provider_fraud_tx", ["status"])


def downgrade() -> None:
    for table in (
        "provider_fraud_tx",
        "provider_payment_op",
        "provider_payment",
        "provider_giftcard_op",
        "provider_giftcard_tx",
    ):
        op.drop_table(table)
