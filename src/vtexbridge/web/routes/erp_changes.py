"""The change intake (#13): the ERP pushes changed records; the continuous loop applies them.

Every call needs ``Authorization: Bearer <sync.continuous.intake_token>`` (401 otherwise; without a
configured token the intake is closed: 503). The token is a secret: environment
(``VTEXBRIDGE_SYNC__CONTINUOUS__INTAKE_TOKEN``) or secrets file only. See ``docs/continuous-sync.md``.

- ``POST /erp/changes``: ``{"batchId"?, "records": {entity: [objects]}, "deleted": {entity: [keys]}}``
  -> 202 ``{accepted, queued, refused: [], warnings}`` once every change is in the durable queue;
  422 with ``refused: [{entity, index, key, field, message}]`` when records were refused (the others
  are queued all the same); the same ``batchId`` again -> the first answer, ``duplicate: true``, and
  nothing queued. 400: not JSON, or the batch's shape is wrong; 413: body over
  ``sync.continuous.max_body_bytes`` (before the token is checked) or more than ``max_records``.
- ``GET /erp/changes`` -> the queue's depth, oldest pending change, and the latest failed changes.
- ``POST /erp/reconcile`` -> 202: the loop runs a full reconciliation when next idle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.state.changes import FAILED
from vtexbridge.sync.continuous.delta import parse_batch
from vtexbridge.sync.continuous.intake import queue_batch
from vtexbridge.sync.continuous.loop import request_reconciliation
from vtexbridge.untrusted import UntrustedInput, check_id, parse_json
from vtexbridge.web.deps import error, secret_matches, services

__all__ = ["body_limits", "routes"]


def _denied(request: Request) -> Response | None:
    token = services(request).settings.sync.continuous.intake_token
    if token is None:
        return error(503, "the change intake is closed: sync.continuous.intake_token is not set")
    header = request.headers.get("authorization", "")
    given = header[7:].strip() if header[:7].lower() == "bearer " else None
    if not secret_matches(given, token.get_secret_value()):
        return error(401, "missing or wrong bearer token")
    return None


async def post_changes(request: Request) -> Response:
    if (denied := _denied(request)) is not None:
        return denied
    svc = services(request)
    cfg = svc.settings.sync.continuous
    try:
        body = parse_json(await request.body(), parse_float=Decimal)
        if not isinstance(body, Mapping):
            raise UntrustedInput("", "the body must be a JSON object with records and/or deleted")
        unknown = sorted(set(body) - {"batchId", "records", "deleted"})
        if unknown:
            raise UntrustedInput(unknown[0], "unknown member (known: batchId, records, deleted)")
        batch_id = body.get("batchId")
        if batch_id is not None:
            batch_id = check_id(batch_id, "batchId", max_length=cfg.max_key_length)
    except UntrustedInput as e:
        return error(400, e.message, field=e.field or None)
    total = _count(body.get("records")) + _count(body.get("deleted"))
    if total > cfg.max_records:
        return error(
            413, f"{total} records in one batch; at most {cfg.max_records} (sync.continuous.max_records)"
        )
    try:
        batch = parse_batch(
            body.get("records"),
            body.get("deleted"),
            max_key_length=cfg.max_key_length,
            weight_unit=svc.settings.sync.weight_unit,
        )
    except ValueError as e:
        return error(400, str(e))
    queue = svc.store.changes
    status, answer = await asyncio.to_thread(
        queue_batch, queue, svc.account, batch, source="push", batch_id=batch_id
    )
    wake: asyncio.Event | None = getattr(request.app.state, "changes_wake", None)
    if wake is not None and answer.get("queued") and not answer.get("duplicate"):
        wake.set()
    return JSONResponse(answer, status_code=status)


async def get_changes(request: Request) -> Response:
    if (denied := _denied(request)) is not None:
        return denied
    svc = services(request)
    queue = svc.store.changes
    stats = await asyncio.to_thread(queue.stats, svc.account)
    failed = await asyncio.to_thread(queue.list_changes, svc.account, state=FAILED, limit=50)
    return JSONResponse(
        {
            "depth": stats.depth,
            "oldestPending": stats.oldest.isoformat() if stats.oldest else None,
            "failedCount": stats.failed,
            "failed": [_jsonable(row) for row in failed],
        }
    )


async def post_reconcile(request: Request) -> Response:
    if (denied := _denied(request)) is not None:
        return denied
    svc = services(request)
    await asyncio.to_thread(request_reconciliation, svc.store, svc.account)
    wake: asyncio.Event | None = getattr(request.app.state, "changes_wake", None)
    if wake is not None:
        wake.set()
    return JSONResponse({"requested": True}, status_code=202)


def _count(members: Any) -> int:
    if not isinstance(members, Mapping):
        return 0
    return sum(len(v) for v in members.values() if isinstance(v, list))


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


def body_limits(settings: Settings) -> dict[str, int]:
    """The intake's ``sync.continuous.max_body_bytes`` (enforced before the token is checked)."""
    return {"/erp/changes": settings.sync.continuous.max_body_bytes}


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return [
        Route("/erp/changes", post_changes, methods=["POST"]),
        Route("/erp/changes", get_changes, methods=["GET"]),
        Route("/erp/reconcile", post_reconcile, methods=["POST"]),
    ]
