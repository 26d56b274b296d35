"""The state database's tables, as SQLAlchemy Core metadata (the schema the migrations must produce).

Types are chosen to behave the same on SQLite and PostgreSQL:

- timestamps are :class:`UTCDateTime`: timezone-aware UTC in Python, ``timestamptz`` on PostgreSQL,
  a fixed-width UTC text on SQLite (so that comparisons in SQL order correctly);
- ids are ``BIGINT`` identity columns on PostgreSQL and ``INTEGER PRIMARY KEY`` (the rowid) on SQLite;
- JSON is ``JSONB`` on PostgreSQL and JSON text on SQLite;
- payload hashes are 16-byte digests (``BYTEA`` / ``BLOB``): half the size of hex, a third of a
  SHA-256 hex string, which matters when a million of them are loaded into memory at once.

Nothing here holds a secret: credentials live in the environment or a secrets file, never in state.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

HASH_SIZE = 16
"""Length in bytes of a payload hash (e.g. ``hashlib.blake2b(data, digest_size=16).digest()``)."""


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend; naive datetimes are refused on the way in."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the state store takes timezone-aware datetimes")
        value = value.astimezone(UTC)
        # SQLite keeps text: store UTC without an offset so that string comparison is time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _account() -> sa.Column[str]:
    return sa.Column("account", sa.String(64), nullable=False)


def _id() -> sa.Column[int]:
    return sa.Column("id", BigId, primary_key=True, autoincrement=True)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _run_ref() -> sa.Column[int]:
    return sa.Column("run_id", BigId, sa.ForeignKey("sync_run.id", ondelete="SET NULL"), nullable=True)


# --- sync ---------------------------------------------------------------------------------------

sync_run = sa.Table(
    "sync_run",
    metadata,
    _id(),
    _account(),
    sa.Column("flow", sa.String(32), nullable=False),  # sync, orders, actions...
    sa.Column("status", sa.String(16), nullable=False),  # RunStatus
    sa.Column("holder", sa.String(255), nullable=True),  # host:pid of the process that ran it
    _ts("started_at"),
    _ts("finished_at", nullable=True),
    sa.Column("counts", JSONType, nullable=False),  # {entity kind: {action: n}}
    sa.Column("requests", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("errors", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("message", sa.Text(), nullable=True),
    sa.Index(None, "account", "started_at"),
)

entity_map = sa.Table(
    "entity_map",
    metadata,
    _account(),
    sa.Column("kind", sa.String(32), nullable=False),  # category, brand, product, sku, price...
    sa.Column("erp_key", sa.String(255), nullable=False),
    sa.Column("vtex_id", sa.String(64), nullable=True),
    sa.Column("parent_key", sa.String(255), nullable=True),  # e.g. the product's erp_key for a SKU
    sa.Column("payload_hash", sa.LargeBinary(HASH_SIZE), nullable=True),  # of the payload VTEX accepted
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    _ts("accepted_at"),
    sa.PrimaryKeyConstraint("account", "kind", "erp_key"),
    sa.Index(None, "account", "kind", "vtex_id"),
)

entity_error = sa.Table(
    "entity_error",
    metadata,
    _account(),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("erp_key", sa.String(255), nullable=False),
    sa.Column("category", sa.String(16), nullable=False),  # record, transient, config, system
    sa.Column("field", sa.String(128), nullable=True),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("source", sa.Text(), nullable=True),  # file:row, query, plugin
    sa.Column("vtex_status", sa.Integer(), nullable=True),
    sa.Column("vtex_code", sa.String(64), nullable=True),
    sa.Column("vtex_message", sa.Text(), nullable=True),
    _run_ref(),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
    _ts("first_seen"),
    _ts("last_seen"),
    sa.PrimaryKeyConstraint("account", "kind", "erp_key"),
)

entity_in_flight = sa.Table(
    "entity_in_flight",
    metadata,
    _account(),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("erp_key", sa.String(255), nullable=False),
    sa.Column(
        "operation", sa.String(16), nullable=False
    ),  # create (an unconfirmed create is looked up by RefId)
    _run_ref(),
    _ts("sent_at"),
    sa.PrimaryKeyConstraint("account", "kind", "erp_key"),
)

# --- orders -------------------------------------------------------------------------------------

order_state = sa.Table(
    "order_state",
    metadata,
    _account(),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("last_status", sa.String(64), nullable=True),
    _ts("status_changed_at", nullable=True),  # VTEX's time of last_status, when known
    _ts("first_seen_at"),
    _ts("updated_at"),
    _ts("handling_started_at", nullable=True),
    sa.PrimaryKeyConstraint("account", "order_id"),
)

order_delivery = sa.Table(
    "order_delivery",
    metadata,
    _account(),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(64), nullable=False),
    sa.Column("sink", sa.String(64), nullable=False),
    sa.Column("erp_ref", sa.Text(), nullable=True),  # what the sink answered: file path, ERP order number...
    _ts("accepted_at"),  # when the ERP sink durably accepted it
    sa.PrimaryKeyConstraint("account", "order_id", "status"),
)

feed_event_seen = sa.Table(
    "feed_event_seen",
    metadata,
    _account(),
    sa.Column("event_key", sa.String(255), nullable=False),
    _ts("seen_at"),
    _ts("committed_at", nullable=True),
    sa.PrimaryKeyConstraint("account", "event_key"),
    sa.Index(None, "seen_at"),
)

hook_inbox = sa.Table(
    "hook_inbox",
    metadata,
    _id(),
    _account(),
    sa.Column("body", JSONType, nullable=False),
    _ts("received_at"),
    sa.Column("state", sa.String(16), nullable=False),  # InboxState
    _ts("available_at"),
    sa.Column("claimed_by", sa.String(255), nullable=True),
    _ts("claimed_at", nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text(), nullable=True),
    _ts("done_at", nullable=True),
    sa.Index(None, "state", "id"),
)

action_outbox = sa.Table(
    "action_outbox",
    metadata,
    _id(),
    _account(),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # ActionKind
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("dedup_key", sa.String(255), nullable=True),  # e.g. "invoice:<number>": never sent twice
    sa.Column("state", sa.String(16), nullable=False),  # ActionState
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    _ts("available_at"),
    sa.Column("claimed_by", sa.String(255), nullable=True),
    _ts("claimed_at", nullable=True),
    sa.Column("vtex_status", sa.Integer(), nullable=True),
    sa.Column("vtex_message", sa.Text(), nullable=True),  # VTEX's answer, kept when it refuses
    sa.Column("source_ref", sa.Text(), nullable=True),  # where the ERP put it: file path, row id...
    _ts("created_at"),
    _ts("done_at", nullable=True),
    sa.UniqueConstraint("account", "dedup_key"),
    sa.Index(None, "account", "order_id", "id"),
    sa.Index(None, "state", "available_at"),
    # The database itself refuses a second running action for one order.
    sa.Index(
        "uq_action_outbox_running_order",
        "account",
        "order_id",
        unique=True,
        sqlite_where=sa.text("state = 'running'"),
        postgresql_where=sa.text("state = 'running'"),
    ),
)

# --- coordination -------------------------------------------------------------------------------

lease = sa.Table(
    "lease",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),  # e.g. "run:sync:<account>"
    sa.Column("holder", sa.String(255), nullable=False),
    _ts("acquired_at"),
    _ts("renewed_at"),
    _ts("expires_at"),
)

kv = sa.Table(
    "kv",
    metadata,
    sa.Column("scope", sa.String(64), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", JSONType, nullable=False),
    _ts("updated_at"),
    sa.PrimaryKeyConstraint("scope", "key"),
)

# --- providers (#14): their ledger tables live in their own module, registered here ---------------
from vtexbridge.state import change_tables as _change_tables  # noqa: E402, F401  (#13)
from vtexbridge.state import provider_tables as _provider_tables  # noqa: E402, F401

TABLES: tuple[sa.Table, ...] = tuple(metadata.sorted_tables)


def table_names() -> list[str]:
    """Every state table's name, in dependency order."""
    return [t.name for t in TABLES]


__all__: list[str] = [
    "HASH_SIZE",
    "TABLES",
    "BigId",
    "JSONType",
    "UTCDateTime",
    "action_outbox",
    "entity_error",
    "entity_in_flight",
    "entity_map",
    "feed_event_seen",
    "hook_inbox",
    "kv",
    "lease",
    "metadata",
    "order_delivery",
    "order_state",
    "sync_run",
    "table_names",
]
