"""Queue a checked batch (:mod:`.delta`), durably, and the answer the intake gives for it.

Used by ``POST /erp/changes`` and the folder watch. The answer lists every refused record (entity,
position, key, field, reason) and says how many were accepted; it is stored with the batch id, so a
batch sent again (the ERP retrying after a lost answer) queues nothing and gets the same answer.
"""

from __future__ import annotations

from typing import Any

from vtexbridge.state.changes import ChangeQueue, QueuedUnit
from vtexbridge.sync.continuous.delta import Batch

__all__ = ["queue_batch"]


def queue_batch(
    queue: ChangeQueue, account: str, batch: Batch, *, source: str, batch_id: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Queue ``batch``'s units (in one transaction); returns ``(HTTP status, answer)``: 202 when
    every record was accepted, 422 when any was refused (the others are queued all the same)."""
    status = 422 if batch.refused else 202
    answer: dict[str, Any] = {
        "batchId": batch_id,
        "status": status,
        "accepted": batch.accepted,
        "refused": [r.to_json() for r in batch.refused],
        "warnings": [w.to_json() for w in batch.warnings],
        "queued": len(batch.units),
    }
    if batch.refused:
        answer["error"] = (
            f"{len(batch.refused)} problem(s) in the batch: those records were refused; "
            f"the {batch.accepted} other record(s) were queued"
        )
    units = [QueuedUnit(u.kind, u.key, u.op, u.to_json(), u.priority) for u in batch.units]
    new, stored = queue.put_batch(account, units, source=source, batch_id=batch_id, answer=answer)
    if not new and stored is not None:
        replay = {**stored, "duplicate": True}
        return int(stored.get("status", 202)), replay
    return status, answer
