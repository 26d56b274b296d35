"""The values the state store takes and returns: frozen dataclasses and the state enums.

Inputs are the small classes a caller builds (:class:`Accepted`, :class:`ErrorRow`); everything else
is a row read back. All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, with per-record errors
    FAILED = "failed"  # stopped by a fatal error
    ABORTED = "aborted"  # interrupted (signal, lost lease)


class InboxState(StrEnum):
    AVAILABLE = "available"
    CLAIMED = "claimed"
    DONE = "done"


class ActionKind(StrEnum):
    INVOICE = "invoice"
    TRACKING = "tracking"
    CANCEL = "cancel"
    CHANGE = "change"


class ActionState(StrEnum):
    PENDING = "pending"  # waiting for its turn (available_at, and earlier actions of its order)
    RUNNING = "running"  # claimed by a worker
    DONE = "done"  # VTEX accepted it
    REJECTED = "rejected"  # VTEX refused it; vtex_message says why
    FAILED = "failed"  # gave up (attempts exhausted, or our own error)
    CANCELLED = "cancelled"  # withdrawn by an operator

    @property
    def terminal(self) -> bool:
        return self not in (ActionState.PENDING, ActionState.RUNNING)


class IndexEntry(NamedTuple):
    """What the planner needs about one entity: its VTEX id, the hash VTEX last accepted, active."""

    vtex_id: str | None
    payload_hash: bytes | None
    active: bool


@dataclass(frozen=True, slots=True)
class Accepted:
    """One entity whose payload VTEX accepted (input of ``entities.record_accepted``).

    ``vtex_id`` None keeps the id already known; ``payload_hash`` is a 16-byte digest.
    """

    kind: str
    erp_key: str
    vtex_id: str | None
    payload_hash: bytes | None
    parent_key: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class EntityRecord:
    account: str
    kind: str
    erp_key: str
    vtex_id: str | None
    parent_key: str | None
    payload_hash: bytes | None
    active: bool
    accepted_at: datetime


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """One entity's failure (input of ``entities.record_errors``); ``category`` as in vtexbridge.errors."""

    kind: str
    erp_key: str
    message: str
    field: str | None = None
    source: str | None = None
    category: str = "record"
    vtex_status: int | None = None
    vtex_code: str | None = None
    vtex_message: str | None = None


@dataclass(frozen=True, slots=True)
class EntityError:
    """The last error of one entity, kept until the entity is accepted or the error is cleared."""

    account: str
    kind: str
    erp_key: str
    category: str
    field: str | None
    message: str
    source: str | None
    vtex_status: int | None
    vtex_code: str | None
    vtex_message: str | None
    run_id: int | None
    attempts: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class InFlight:
    """A write that was sent and not confirmed: resolve it by RefId lookup before sending it again."""

    account: str
    kind: str
    erp_key: str
    operation: str
    run_id: int | None
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    account: str
    flow: str
    status: str
    holder: str | None
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    requests: int
    errors: int
    message: str | None


@dataclass(frozen=True, slots=True)
class OrderState:
    account: str
    order_id: str
    last_status: str | None
    status_changed_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    handling_started_at: datetime | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """An order in one status, durably accepted by an ERP sink."""

    account: str
    order_id: str
    status: str
    sink: str
    erp_ref: str | None
    accepted_at: datetime


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    account: str
    body: Any
    received_at: datetime
    state: str
    available_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    attempts: int
    last_error: str | None
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class Action:
    id: int
    account: str
    order_id: str
    kind: str
    payload: Any
    dedup_key: str | None
    state: str
    attempts: int
    available_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    vtex_status: int | None
    vtex_message: str | None
    source_ref: str | None
    created_at: datetime
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: str
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """The database's Alembic revision against the one this code needs."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head
