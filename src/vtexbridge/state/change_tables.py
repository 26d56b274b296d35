"""The change intake's tables (#13): the durable queue of ERP changes, and the batches it took.

Defined on the shared :data:`vtexbridge.state.tables.metadata` (``upgrade head`` and the schema
comparison see them) but kept in their own module; :mod:`vtexbridge.state.changes` is the only code
that reads and writes them.

- ``change_queue``: one row per changed entity (*unit*: kind + ERP key, as ``entity_map`` keys it),
  ``op`` ``upsert`` (``payload``: the records, in the ERP format) or ``delete``; ``state``
  ``pending`` -> ``claimed`` (by the loop holding the sync lease) -> ``done`` once VTEX accepted
  (or a later change of the same unit did), or ``failed`` when VTEX refused it;
- ``change_batch``: a pushed batch's id and the answer given, replayed when the same id comes again.
"""

from __future__ import annotations

import sqlalchemy as sa

from vtexbridge.state.tables import BigId, JSONType, UTCDateTime, metadata

__all__ = ["CHANGE_TABLES", "change_batch", "change_queue"]


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


change_queue = sa.Table(
    "change_queue",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
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
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text(), nullable=True),
    _ts("done_at", nullable=True),
    sa.Index(None, "account", "state", "priority", "id"),
    sa.Index(None, "account", "kind", "erp_key", "state"),
)

change_batch = sa.Table(
    "change_batch",
    metadata,
    sa.Column("account", sa.String(64), nullable=False),
    sa.Column("batch_id", sa.String(255), nullable=False),
    _ts("received_at"),
    sa.Column("answer", JSONType, nullable=False),
    sa.PrimaryKeyConstraint("account", "batch_id"),
)

CHANGE_TABLES: tuple[sa.Table, ...] = (change_queue, change_batch)
