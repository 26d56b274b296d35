"""The initial state schema: entity map, errors, in-flight writes, runs, orders, inbox, outbox, leases, kv.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the portable types in vtexbridge.state.tables (a migration never imports the models).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column[object]:
    return sa.Column("id", BigId, autoincrement=True, nullable=False)


def _account() -> sa.Column[object]:
    return sa.Column("account", sa.String(64), nullable=False)


def _run_ref(table: str) -> tuple[sa.Column[object], sa.ForeignKeyConstraint]:
    return (
        sa.Column("run_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_run.id"], name=op.f(f"fk_{table}_run_id_sync_run"), ondelete="SET NULL"
        ),
    )


def upgrade() -> None:
    op.create_table(
        "sync_run",
        _id(),
        _account(),
        sa.Column("flow", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("holder", sa.String(255), nullable=True),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
        sa.Column("counts", JSONType, nullable=False),
        sa.Column("requests", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors", sa.Integer(), server_default="0", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_run")),
    )
    op.create_index(op.f("ix_sync_run_account_started_at"), "sync_run", ["account", "started_at"])

    op.create_table(
        "entity_map",
        _account(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("erp_key", sa.String(255), nullable=False),
        sa.Column("vtex_id", sa.String(64), nullable=True),
        sa.Column("parent_key", sa.String(255), nullable=True),
        sa.Column("payload_hash", sa.LargeBinary(16), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        _ts("accepted_at"),
        sa.PrimaryKeyConstraint("account", "kind", "erp_key", name=op.f("pk_entity_map")),
    )
    op.create_index(op.f("ix_entity_map_account_kind_vtex_id"), "entity_map", ["account", "kind", "vtex_id"])

    op.create_table(
        "entity_error",
        _account(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("erp_key", sa.String(255), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("field", sa.String(128), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("vtex_status", sa.Integer(), nullable=True),
        sa.Column("vtex_code", sa.String(64), nullable=True),
        sa.Column("vtex_message", sa.Text(), nullable=True),
        *_run_ref("entity_error"),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        _ts("first_seen"),
        _ts("last_seen"),
        sa.PrimaryKeyConstraint("account", "kind", "erp_key", name=op.f("pk_entity_error")),
    )

    op.create_table(
        "entity_in_flight",
        _account(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("erp_key", sa.String(255), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        *_run_ref("entity_in_flight"),
        _ts("sent_at"),
        sa.PrimaryKeyConstraint("account", "kind", "erp_key", name=op.f("pk_entity_in_flight")),
    )

    op.create_table(
        "order_state",
        _account(),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("last_status", sa.String(64), nullable=True),
        _ts("status_changed_at", nullable=True),
        _ts("first_seen_at"),
        _ts("updated_at"),
        _ts("handling_started_at", nullable=True),
        sa.PrimaryKeyConstraint("account", "order_id", name=op.f("pk_order_state")),
    )

    op.create_table(
        "order_delivery",
        _account(),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("sink", sa.String(64), nullable=False),
        sa.Column("erp_ref", sa.Text(), nullable=True),
        _ts("accepted_at"),
        sa.PrimaryKeyConstraint("account", "order_id", "status", name=op.f("pk_order_delivery")),
    )

    op.create_table(
        "feed_event_seen",
        _account(),
        sa.Column("event_key", sa.String(255), nullable=False),
        _ts("seen_at"),
        _ts("committed_at", nullable=True),
        sa.PrimaryKeyConstraint("account", "event_key", name=op.f("pk_feed_event_seen")),
    )
    op.create_index(op.f("ix_feed_event_seen_seen_at"), "feed_event_seen", ["seen_at"])

    op.create_table(
        "hook_inbox",
        _id(),
        _account(),
        sa.Column("body", JSONType, nullable=False),
        _ts("received_at"),
        sa.Column("state", sa.String(16), nullable=False),
        _ts("available_at"),
        sa.Column("claimed_by", sa.String(255), nullable=True),
        _ts("claimed_at", nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("done_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hook_inbox")),
    )
    op.create_index(op.f("ix_hook_inbox_state_id"), "hook_inbox", ["state", "id"])

    op.create_table(
        "action_outbox",
        _id(),
        _account(),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _ts("available_at"),
        sa.Column("claimed_by", sa.String(255), nullable=True),
        _ts("claimed_at", nullable=True),
        sa.Column("vtex_status", sa.Integer(), nullable=True),
        sa.Column("vtex_message", sa.Text(), nullable=True),
        sa.Column("source_ref", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("done_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_outbox")),
        sa.UniqueConstraint("account", "dedup_key", name=op.f("uq_action_outbox_account_dedup_key")),
    )
    op.create_index(
        op.f("ix_action_outbox_account_order_id_id"), "action_outbox", ["account", "order_id", "id"]
    )
    op.create_index(op.f("ix_action_outbox_state_available_at"), "action_outbox", ["state", "available_at"])
    op.create_index(
        "uq_action_outbox_running_order",
        "action_outbox",
        ["account", "order_id"],
        unique=True,
        sqlite_where=sa.text("state = 'running'"),
        postgresql_where=sa.text("state = 'running'"),
    )

    op.create_table(
        "lease",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("holder", sa.String(255), nullable=False),
        _ts("acquired_at"),
        _ts("renewed_at"),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lease")),
    )

    op.create_table(
        "kv",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", JSONType, nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_kv")),
    )


def downgrade() -> None:
    for table in (
        "kv",
        "lease",
        "action_outbox",
        "hook_inbox",
        "feed_event_seen",
        "order_delivery",
        "order_state",
        "entity_in_flight",
        "entity_error",
        "entity_map",
        "sync_run",
    ):
        op.drop_table(table)
