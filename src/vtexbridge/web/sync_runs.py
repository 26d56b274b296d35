"""Sync runs started from the dashboard (its retry buttons), in the serving process.

A retry is a whole sync: it re-reads the ERP snapshot and sends what differs from what VTEX last
accepted — every entity in error differs (VTEX never accepted its current payload, or it was never
created), and nothing else unchanged is sent. So "retry this SKU" costs reading the snapshot, not
re-sending the catalog; and a SKU held back by its failed product is retried with it. The run takes
the usual lease: while another process syncs the account, the button says so instead.

Progress is published to the state store (:class:`~vtexbridge.overview.ProgressPublisher`), so the
dashboard shows it live; with the app's :class:`~vtexbridge.observability.Metrics`, the run's VTEX
calls, its records (as they are committed) and the finished run are counted in ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx

from vtexbridge.clock import Clock
from vtexbridge.config import Settings
from vtexbridge.errors import VtexbridgeError
from vtexbridge.observability import Metrics
from vtexbridge.orders.pipeline import in_thread
from vtexbridge.overview import ProgressPublisher, PublishingProgress
from vtexbridge.state import StateStore
from vtexbridge.sync.runner import SyncOptions, SyncOutcome, lease_name, run_sync

__all__ = ["BackgroundSync"]

_log = logging.getLogger(__name__)


class BackgroundSync:
    """A :class:`~vtexbridge.web.routes.dashboard.SyncTrigger` that runs :func:`run_sync` as a task.

    Args:
        settings: the configuration (``[erp]`` must be set).
        store: the app's state store (for the lease check and the progress).
        metrics: the app's metrics (``app.state.metrics``): the sync counts its VTEX calls, records and
            run there (optional).
        http_transport, clock: passed to the sync (the sandbox in process; tests).
    """

    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        *,
        metrics: Metrics | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.http_transport = http_transport
        self.clock = clock
        self.task: asyncio.Task[SyncOutcome | None] | None = None
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def __call__(self, only: Sequence[tuple[str, str]] | None) -> str:
        if self.settings.erp is None:
            return "No ERP source is configured ([erp]): a sync cannot run from here."
        if self.running:
            return "A sync started from this dashboard is still running; its progress is shown above."
        account = self.settings.vtex.account
        lease = await in_thread(self.store.leases.get, lease_name(account))
        if lease is not None and lease.expires_at > datetime.now(UTC):
            return f"A sync of {account} is already running ({lease.holder}); it retries the errors too."
        self.task = asyncio.create_task(self._run(), name="dashboard-sync")
        what = f"{only[0][0]} {only[0][1]}" if only and len(only) == 1 else "every entity in error"
        return (
            f"Sync started: {what} is sent again, with anything else that changed since the last run. "
            "Progress is shown above."
        )

    async def wait(self) -> SyncOutcome | None:
        """Wait for the current run (tests, shutdown)."""
        return await self.task if self.task is not None else None

    async def _run(self) -> SyncOutcome | None:
        account = self.settings.vtex.account
        publisher = ProgressPublisher(self.store, account)
        self.last_error = None
        try:
            outcome = await run_sync(
                self.settings,
                SyncOptions(),
                http_transport=self.http_transport,
                clock=self.clock,
                progress=PublishingProgress(publisher),
                metrics=self.metrics,
            )
        except VtexbridgeError as e:
            self.last_error = e.user_message
            _log.error("the sync started from the dashboard failed: %s", e.user_message)
            return None
        except Exception as e:  # a bug: the server keeps serving, and the dashboard says so
            self.last_error = f"the sync crashed (internal error: {type(e).__name__}); see the log"
            _log.exception("the sync started from the dashboard crashed")
            return None
        finally:
            await in_thread(publisher.finish)
        return outcome
