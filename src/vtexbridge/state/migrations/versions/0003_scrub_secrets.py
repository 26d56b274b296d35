"""Scrub secrets stored before the write boundary redacted them (issue #11).

Before this version the state database kept, in clear: a hook notification's ``Origin.Key`` (our
VTEX app key, echoed by VTEX) in ``hook_inbox.body``, and URLs with their password (the HTTP sink's)
in inbox errors, action messages, run messages, entity errors and the order journals (``kv``). This
data migration drops ``Origin.Key`` and replaces URL passwords, auth header values and credential
query parameters by ``***`` in those columns (the store now does so on every write, see
``vtexbridge.state.store``). Registered secrets (known only to a configured process) cannot be named
here; the patterns cover every one the old versions stored. There is nothing to undo: downgrade
leaves the rows as they are.

Revision ID: 0003
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies (a migration never imports the application's modules).
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'\"]*:)[^@\s/'\"]+(?=@)")
_QUERY = re.compile(r"(?i)([?&](?:token|secret|password|passwd|apptoken|app_token|key)=)[^&\s'\"#]+")
_HEADER = re.compile(
    r"(?i)((?:x-vtex-api-apptoken|x-vtex-api-appkey|vtexidclientautcookie|authorization|x-vtexbridge-token"
    r"|x-vtexbridge-hook-secret)['\"]?\s*[:=]\s*['\"]?(?:bearer\s+|basic\s+)?)[^'\",\s}]+"
)
TEXT_COLUMNS = {
    "hook_inbox": ("last_error",),
    "action_outbox": ("vtex_message",),
    "sync_run": ("message",),
    "entity_error": ("message", "vtex_message"),
}


def _scrub(text: str) -> str:
    for pattern in (_URL, _QUERY, _HEADER):
        text = pattern.sub(r"\1***", text)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v) for v in value]
    return value


def _without_origin_key(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("Origin"), dict):
        origin = {k: v for k, v in body["Origin"].items() if k.lower() != "key"}
        return {**body, "Origin": origin}
    return body


def _scrub_column(conn: sa.Connection, name: str, column: str) -> None:
    """Every distinct value of ``name.column`` that holds something to redact, rewritten in place
    (by value: the tables' keys differ)."""
    table = sa.table(name, sa.column(column, sa.Text()))
    c = table.c[column]
    candidates = sa.select(c).distinct().where(c.is_not(None), sa.or_(c.contains(":"), c.contains("=")))
    for (old,) in conn.execute(candidates).all():
        new = _scrub(old)
        if new != old:
            conn.execute(sa.update(table).where(c == old).values({column: new}))


def upgrade() -> None:
    conn = op.get_bind()
    for name, columns in TEXT_COLUMNS.items():
        for column in columns:
            _scrub_column(conn, name, column)
    inbox = sa.table("hook_inbox", sa.column("id", sa.BigInteger()), sa.column("body", JSONType))
    for item_id, body in conn.execute(sa.select(inbox.c.id, inbox.c.body)).all():
        scrubbed = _scrub_value(_without_origin_key(body))
        if scrubbed != body:
            conn.execute(sa.update(inbox).where(inbox.c.id == item_id).values(body=scrubbed))
    kv = sa.table(
        "kv", sa.column("scope", sa.String()), sa.column("key", sa.String()), sa.column("value", JSONType)
    )
    journal = kv.c.scope.like("orders:journal:%")
    for scope, key, value in conn.execute(sa.select(kv.c.scope, kv.c.key, kv.c.value).where(journal)).all():
        scrubbed = _scrub_value(value)
        if scrubbed != value:
            conn.execute(sa.update(kv).where(kv.c.scope == scope, kv.c.key == key).values(value=scrubbed))


def downgrade() -> None:
    """Nothing to restore: the secrets are gone on purpose."""
