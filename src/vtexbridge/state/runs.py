"""The run log: one row per sync (or other flow) run, its status, counts and holder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from vtexbridge.errors import StateError
from vtexbridge.state._db import Db
from vtexbridge.state.models import Run, RunStatus
from vtexbridge.state.tables import sync_run


class RunLog:
    """Runs of each flow (``store.runs``)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def start(self, account: str, flow: str = "sync", *, holder: str | None = None) -> int:
        """Open a run record and return its id."""
        values: dict[str, Any] = {
            "account": account,
            "flow": flow,
            "status": RunStatus.RUNNING.value,
            "holder": holder,
            "started_at": self._db.now(),
            "counts": {},
        }
        with self._db.write() as conn:
            return int(conn.execute(sa.insert(sync_run).values(values).returning(sync_run.c.id)).scalar_one())

    def finish(
        self,
        run_id: int,
        status: RunStatus | str,
        *,
        counts: Mapping[str, Any] | None = None,
        requests: int = 0,
        errors: int = 0,
        message: str | None = None,
    ) -> None:
        values = {
            "status": RunStatus(status).value,
            "finished_at": self._db.now(),
            "counts": dict(counts or {}),
            "requests": requests,
            "errors": errors,
            "message": message,
        }
        with self._db.write() as conn:
            if conn.execute(sa.update(sync_run).where(sync_run.c.id == run_id).values(values)).rowcount != 1:
                raise StateError(f"no run {run_id} to finish")

    def get(self, run_id: int) -> Run | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(sync_run).where(sync_run.c.id == run_id)).first()
        return Run(**row._mapping) if row else None

    def list_recent(
        self, account: str | None = None, *, flow: str | None = None, limit: int = 20
    ) -> list[Run]:
        """Runs, newest first."""
        t = sync_run
        stmt = sa.select(t).order_by(t.c.id.desc()).limit(limit)
        if account is not None:
            stmt = stmt.where(t.c.account == account)
        if flow is not None:
            stmt = stmt.where(t.c.flow == flow)
        with self._db.read() as conn:
            return [Run(**r._mapping) for r in conn.execute(stmt)]
