"""The change intake (#13): the queue of ERP changes and the pushed batches' ids (tables in
``vtexbridge.state.change_tables``).

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the portable types (a migration never imports the models).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "change_queue",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("erp_key", sa.String(255), nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("payload", JSONType, nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("batch_id", sa.String(255), nullable=True),
        _ts("received_at"),
        sa.Column("state", sa.String(16), nullable=False),
        _ts("available_at"),
        sa.Column("claimed_by", sa.String(255), nullable=True),
        _ts("claimed_at", nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("done_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_queue")),
    )
    op.create_index(
        op.f("ix_change_queue_account_state_priority_id"),
        "change_queue",
        ["account", "state", "priority", "id"],
    )
    op.create_index(
        op.f("ix_change_queue_account_kind_erp_key_state"),
        "change_queue",
        ["account", "kind", "erp_key", "state"],
    )
    op.create_table(
        "change_batch",
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("batch_id", sa.String(255), nullable=False),
        _ts("received_at"),
        sa.Column("answer", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("account", "batch_id", name=op.f("pk_change_batch")),
    )


def downgrade() -> None:
    op.drop_table("change_batch")
    op.drop_index(op.f("ix_change_queue_account_kind_erp_key_state"), table_name="change_queue")
    op.drop_index(op.f("ix_change_queue_account_state_priority_id"), table_name="change_queue")
    op.drop_table("change_queue")
