"""``vtexbridge adopt``, the flow: plan the ERP against the state, match it with what VTEX holds,
and (unless a dry run) record the matches, holding the account's sync lease. Nothing is written to
VTEX: the next ``sync`` sends only the differences (and creates what VTEX lacks) -- unless
``deactivate_missing`` asks for it: then the products and SKUs VTEX holds and the ERP lacks are
switched off by the executor (:mod:`vtexbridge.sync.adopt_missing`), within the rate limits."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.erp.readers import Reader
from vtexbridge.erp.records import Entity
from vtexbridge.state.leases import hold_sync_lease, holder_id
from vtexbridge.state.models import RunStatus
from vtexbridge.state.store import StateStore
from vtexbridge.sync.adopt import Adoption, adopt_before_sync
from vtexbridge.sync.apply import Executor
from vtexbridge.sync.config import SyncConfig
from vtexbridge.sync.locate import add_rows
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.plan import make_plan
from vtexbridge.sync.runner import _sources, erp_reader
from vtexbridge.sync.stateview import StoreView
from vtexbridge.sync.steps import Action, Plan
from vtexbridge.sync.stop import FailFastRetry, Reach
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.transport import Transport

__all__ = ["run_adopt"]


async def _deactivate(
    settings: SyncConfig,
    store: StateStore,
    plan: Plan,
    mapper: Mapper,
    http_transport: httpx.AsyncBaseTransport | None,
    clock: Clock | None,
) -> dict[str, Any]:
    """Run the deactivations of ``plan`` through the executor, as a run of its own (flow ``adopt``)."""
    account = settings.vtex.account
    run_id = await asyncio.to_thread(store.runs.start, account, "adopt", holder=holder_id())
    reach = Reach()
    retry = FailFastRetry.for_run(settings.vtex, clock or SystemClock(), reach)
    metrics = TransportMetrics(CollectorRegistry())
    transport = Transport(
        settings.vtex, http_transport=http_transport, clock=clock, metrics=metrics, retry_policy=retry
    )
    client = VtexClient(transport)
    status, result = RunStatus.FAILED, None
    try:
        executor = Executor(
            client, store, account, plan, mapper=mapper, settings=settings.sync,
            batch_size=settings.state.batch_size, run_id=run_id, clock=clock, reach=reach,
        )  # fmt: skip
        result = await executor.run()
        status = RunStatus.PARTIAL if result.failures or result.errors else RunStatus.SUCCEEDED
    finally:
        await client.aclose()
        done = (
            {} if result is None else {k.value: n.get(Action.DEACTIVATE, 0) for k, n in result.done.items()}
        )
        failed = 0 if result is None else result.failures
        await asyncio.to_thread(
            store.runs.finish,
            run_id,
            status,
            counts={"deactivated": done},
            requests=transport.sent,
            errors=failed,
        )
    assert result is not None  # the executor ran (or raised)
    return {
        "deactivated": done,
        "failed": failed,
        "errors": [
            {"kind": e.kind.value, "key": e.key, "message": e.error.user_message} for e in result.errors
        ],
        "requests": transport.sent,
    }


async def run_adopt(
    settings: SyncConfig,
    *,
    dry_run: bool = False,
    only: tuple[Entity, ...] = (),
    deactivate_missing: bool = False,
    reader: Reader | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
) -> Adoption:
    """Adopt the store of ``settings.vtex.account``: see :mod:`vtexbridge.sync.adopt`.

    Raises:
        ConfigError: ``[erp]`` missing, bad mapping overrides, missing credentials.
        StateLocked: a sync of this account is running.
        VtexError: a failure that stops the reads (credentials refused ...).
    """
    settings.vtex.require_credentials()
    reader = erp_reader(settings, reader)
    mapper = Mapper(settings.sync)
    account = settings.vtex.account
    store = StateStore.open(settings.state.url, create=True)
    lease = None
    try:
        if not dry_run:
            lease = hold_sync_lease(store.leases, account, settings.sync.lease_ttl_s)
        sources = _sources(reader)
        planning = time.perf_counter()
        plan = make_plan(reader, StoreView(store, account), mapper=mapper, only=only or None, sources=sources)
        planned = time.perf_counter() - planning
        started = datetime.now(UTC)
        replanned, adoption = await adopt_before_sync(
            settings, store, reader, plan, mapper=mapper, only=only or None, sources=sources,
            record=not dry_run, full=True, deactivate_missing=deactivate_missing,
            http_transport=http_transport, clock=clock,
        )  # fmt: skip
        if replanned.errors:
            add_rows(reader, replanned.errors)
        adoption.plan = replanned
        adoption.phases = {"plan": round(planned, 3), **adoption.phases}
        if adoption.missing is not None and adoption.missing.steps and not dry_run:
            adoption.applied = await _deactivate(
                settings, store, adoption.missing, mapper, http_transport, clock
            )
        adoption.seconds = (datetime.now(UTC) - started).total_seconds()
        return adoption
    finally:
        if lease is not None:
            lease.release()
        store.close()
