"""The state store: what VTEX accepted, what failed, what is in flight, and the order pipeline's queues.

``StateStore.open(settings.state.url, create=True)`` is the usual entry point; see ``docs/state.md``.
"""

from vtexbridge.state.models import (
    Accepted,
    Action,
    ActionKind,
    ActionState,
    Delivery,
    EntityError,
    EntityRecord,
    ErrorRow,
    InboxItem,
    InboxState,
    IndexEntry,
    InFlight,
    Lease,
    OrderState,
    Run,
    RunStatus,
    SchemaStatus,
)
from vtexbridge.state.store import StateStore
from vtexbridge.state.tables import HASH_SIZE

__all__ = [
    "HASH_SIZE",
    "Accepted",
    "Action",
    "ActionKind",
    "ActionState",
    "Delivery",
    "EntityError",
    "EntityRecord",
    "ErrorRow",
    "InFlight",
    "InboxItem",
    "InboxState",
    "IndexEntry",
    "Lease",
    "OrderState",
    "Run",
    "RunStatus",
    "SchemaStatus",
    "StateStore",
]
