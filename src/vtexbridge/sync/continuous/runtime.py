"""The continuous sync's tasks, started by ``vtexbridge serve`` or ``vtexbridge sync --watch``.

:func:`start` creates the loop (and, for a folder ERP, the ``incoming/`` watch) on the running event
loop and returns their tasks; ``app_state`` (the web app's ``state``, when serving) gets
``changes_wake`` (set by ``POST /erp/changes``) and ``continuous`` (the loop, for the dashboard).
A failure of these tasks is logged; it never stops the server.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from vtexbridge.clock import Clock
from vtexbridge.log import register_secret
from vtexbridge.observability import Metrics
from vtexbridge.state.store import StateStore
from vtexbridge.sync.config import SyncConfig
from vtexbridge.sync.continuous.folder import FolderWatch
from vtexbridge.sync.continuous.loop import ContinuousLoop, request_reconciliation
from vtexbridge.sync.continuous.sqlwatch import SqlWatch

__all__ = ["ReconcileTrigger", "start", "watch"]

log = logging.getLogger(__name__)


def start(
    settings: SyncConfig,
    store: StateStore,
    stop: asyncio.Event,
    *,
    app_state: Any = None,
    metrics: Metrics | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
) -> list[asyncio.Task[None]]:
    """The loop's task and, for a folder ERP, the folder watch's (for a SQL ERP, its watermarks')."""
    for secret in (settings.sync.continuous.intake_token, settings.erp.url if settings.erp else None):
        if secret is not None:
            register_secret(secret.get_secret_value())  # never in a log line, an answer or the state
    wake = asyncio.Event()
    loop = ContinuousLoop(
        settings, store, wake=wake, metrics=metrics, http_transport=http_transport, clock=clock
    )
    if app_state is not None:
        app_state.changes_wake = wake
        app_state.continuous = loop
        if settings.erp is not None:  # the dashboard's retry: the loop holds the lease a sync needs
            app_state.sync_trigger = ReconcileTrigger(store, settings.vtex.account, wake)
    tasks = [asyncio.create_task(_logged(loop.run(stop), "continuous sync loop"), name="continuous-sync")]
    folder = folder_root(settings)
    if folder is not None:
        cfg = settings.sync.continuous
        erp = settings.erp
        assert erp is not None
        watcher = FolderWatch(
            folder, store.changes, settings.vtex.account,
            active=lambda: loop.active, wake=wake, delimiter=erp.csv_delimiter, encoding=erp.encoding,
            max_key_length=cfg.max_key_length, weight_unit=settings.sync.weight_unit,
        )  # fmt: skip
        run = watcher.run(stop, poll_s=cfg.poll_s)
        tasks.append(asyncio.create_task(_logged(run, "ERP folder watch"), name="continuous-folder"))
    sql = sql_watch(settings, store)
    if sql is not None:
        poll = _poll_sql(sql, stop, lambda: loop.active, wake, settings.sync.continuous.poll_s)
        tasks.append(asyncio.create_task(_logged(poll, "SQL watermark source"), name="continuous-sql"))
    return tasks


def sql_watch(settings: SyncConfig, store: StateStore) -> SqlWatch | None:
    """The SQL watermark source, when the ERP is SQL and ``sync.continuous.sql_watermarks`` is set."""
    erp, cfg = settings.erp, settings.sync.continuous
    if erp is None or erp.kind != "sql" or erp.url is None or not cfg.sql_watermarks:
        return None
    engine = sa.create_engine(erp.url.get_secret_value())
    return SqlWatch(
        engine, erp.queries, cfg.sql_watermarks, store, settings.vtex.account,
        limit=cfg.claim_limit, max_key_length=cfg.max_key_length, weight_unit=settings.sync.weight_unit,
    )  # fmt: skip


async def _poll_sql(
    sql: SqlWatch, stop: asyncio.Event, active: Callable[[], bool], wake: asyncio.Event, every_s: float
) -> None:
    try:
        while not stop.is_set():
            if active() and await asyncio.to_thread(sql.poll) > 0:
                wake.set()
            try:
                await asyncio.wait_for(stop.wait(), every_s)
            except TimeoutError:
                pass
    finally:
        sql.engine.dispose()


class ReconcileTrigger:
    """The dashboard's retry button while the loop runs: a full reconciliation, which the loop runs
    when its queue is next empty (it sends every entity in error again)."""

    def __init__(self, store: StateStore, account: str, wake: asyncio.Event) -> None:
        self.store = store
        self.account = account
        self.wake = wake

    async def __call__(self, only: Sequence[tuple[str, str]] | None) -> str:
        await asyncio.to_thread(request_reconciliation, self.store, self.account)
        self.wake.set()
        return (
            "Full reconciliation requested: the continuous sync runs it as soon as its queue is empty; "
            "every entity in error is sent again."
        )


def folder_root(settings: SyncConfig) -> Path | None:
    """The folder ERP's directory (relative to the config file), when the ERP is a folder."""
    erp = settings.erp
    if erp is None or erp.kind != "folder" or erp.path is None:
        return None
    path = Path(erp.path)
    if not path.is_absolute() and settings.config_path is not None:
        path = settings.config_path.parent / path
    return path if path.is_dir() else None


async def watch(settings: SyncConfig, *, stop: asyncio.Event | None = None) -> None:
    """``vtexbridge sync --watch``: the loop (and folder watch) until SIGINT/SIGTERM or ``stop``."""
    stop = stop or asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            running.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not the main thread
            pass
    store = await asyncio.to_thread(StateStore.open, settings.state.url, create=True)
    try:
        tasks = start(settings, store, stop)
        await asyncio.gather(*tasks)
    finally:
        await asyncio.to_thread(store.close)


async def _logged(work: Any, what: str) -> None:
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("the %s stopped", what)
