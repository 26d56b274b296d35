"""The continuous loop: drain the intake queue, plan the delta, apply it, settle the queue.

One loop per account across every process: it runs while holding the sync lease
(``run:sync:<account>``, the one ``vtexbridge sync`` takes), so it never runs beside a full sync or
another loop. A process that cannot take the lease waits (standby) and looks again every
``sync.continuous.poll_s``; when the holder dies, its lease expires within ``sync.lease_ttl_s`` (at
once for a process of this machine that is gone) and a standby takes over. The new holder first puts
back every change the dead one had claimed: a change is marked done only after VTEX accepted it, so a
kill loses none; the replay sends only what the state does not already record as accepted.

A cycle: claim up to ``claim_limit`` units (stock and prices first) with every pending change of each
(the last one wins), plan them with the sync's planner over the delta (:mod:`.plan`), apply the plan
with the sync's executor (VTEX's per-route limits are the client's), then mark each change done,
retried or failed (:mod:`.settle`). After the first change following an idle spell the loop waits
``coalesce_s`` so that a burst becomes one write per entity. Planning and state work run in worker
threads: the server's event loop keeps answering.

When idle, it runs the full reconciliation (today's sync, :func:`~vtexbridge.sync.runner.run_sync`)
every ``sync.reconcile_every_s``, or at once when one was requested (``POST /erp/reconcile``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timedelta

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.errors import StateLocked, VtexbridgeError
from vtexbridge.observability import Metrics
from vtexbridge.state.leases import HeldLease, sync_lease_name
from vtexbridge.state.store import StateStore
from vtexbridge.sync.apply import ApplyResult, Executor
from vtexbridge.sync.config import SyncConfig
from vtexbridge.sync.continuous.metrics import register
from vtexbridge.sync.continuous.plan import Delta, coalesce, plan_delta
from vtexbridge.sync.continuous.settle import Settlement, record_plan_errors, settle
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.runner import SyncOptions, run_sync
from vtexbridge.sync.steps import Plan
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.transport import Transport

__all__ = ["RECONCILE_SCOPE", "ContinuousLoop", "request_reconciliation"]

log = logging.getLogger(__name__)
_BUSY = "another sync of this account is running"
RECONCILE_SCOPE = "continuous"


def _reconcile_key(account: str) -> str:
    return f"reconcile:{account}"


def request_reconciliation(store: StateStore, account: str) -> None:
    """Ask the loop (whichever process holds the lease) for a full reconciliation when next idle."""
    value = dict(store.values.get(RECONCILE_SCOPE, _reconcile_key(account), {}) or {})
    value["requested"] = True
    store.values.put(RECONCILE_SCOPE, _reconcile_key(account), value)


class ContinuousLoop:
    """The loop of ``settings.vtex.account`` over ``store`` (see the module docstring).

    Args:
        wake: set by the intake when it queued something (the loop then starts at once).
        http_transport, clock: the network and time (the sandbox in process, a fake clock).
        metrics: the process's metrics (``/metrics``); the loop adds its own to its registry.
    """

    def __init__(
        self,
        settings: SyncConfig,
        store: StateStore,
        *,
        wake: asyncio.Event | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.cfg = settings.sync.continuous
        self.store = store
        self.account = settings.vtex.account
        self.queue = store.changes
        self.mapper = Mapper(settings.sync)
        self.wake = wake if wake is not None else asyncio.Event()
        self.http_transport = http_transport
        self.clock: Clock = clock or SystemClock()
        self.metrics = metrics if metrics is not None else Metrics()
        self.changes = register(self.metrics.registry, self.queue, self.account)
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.active = False
        """Whether this process holds the lease and runs the loop (a standby does not)."""
        self.cycles = 0
        self._client: VtexClient | None = None

    # --- the lease ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: take the lease (waiting while another process holds it) and drain."""
        try:
            while not stop.is_set():
                lease = await self._take_lease(stop)
                if lease is None:
                    return
                try:
                    reconcile = await self._drain(stop, lease)
                finally:
                    self.active = False
                    await asyncio.to_thread(lease.release)
                if reconcile:
                    await self._reconcile()
        finally:
            if self._client is not None:
                client, self._client = self._client, None
                await client.aclose()

    async def _take_lease(self, stop: asyncio.Event) -> HeldLease | None:
        name = sync_lease_name(self.account)
        while not stop.is_set():
            try:
                lease = await asyncio.to_thread(
                    HeldLease, self.store.leases, name, self.settings.sync.lease_ttl_s, busy=_BUSY
                )
            except StateLocked:
                await _wait(stop, self.cfg.poll_s)
                continue
            released = await asyncio.to_thread(self.queue.release_claims, self.account)
            if released:
                log.warning(
                    "continuous sync: %d changes claimed by a process that stopped, queued again", released
                )
            log.info("continuous sync of %s running in %s", self.account, self.holder)
            self.active = True
            return lease
        return None

    def _still_ours(self, lease: HeldLease) -> bool:
        current = self.store.leases.get(lease.name)
        return current is not None and current.holder == lease.holder

    # --- draining -------------------------------------------------------------------------------

    async def _drain(self, stop: asyncio.Event, lease: HeldLease) -> bool:
        """Cycle while the lease is ours; returns True when a reconciliation is due (the lease is
        then released for :func:`run_sync`, which takes it itself)."""
        await asyncio.to_thread(self._schedule_reconciliation)
        while not stop.is_set():
            if not await asyncio.to_thread(self._still_ours, lease):
                log.error("continuous sync: the lease %s was lost; standing by", lease.name)
                return False
            if await self.cycle():
                continue
            if await asyncio.to_thread(self._reconciliation_due):
                return True
            if await _wait(stop, self.cfg.poll_s, self.wake):
                await asyncio.sleep(self.cfg.coalesce_s)  # let a burst gather: one write per entity
        return False

    async def cycle(self) -> int:
        """Claim, plan, apply and settle one batch of changes; returns how many were claimed."""
        changes = await asyncio.to_thread(self.queue.claim, self.account, self.holder, self.cfg.claim_limit)
        if not changes:
            return 0
        self.cycles += 1
        delta = coalesce(changes)
        ids = [c.id for c in changes]
        try:
            plan = await asyncio.to_thread(self._plan, delta)
            result = await self._apply(plan)
        except asyncio.CancelledError:
            raise  # the claims are released by the next holder of the lease
        except Exception as e:  # a stop (credentials, VTEX unreachable) or a bug: try again later
            message = e.user_message if isinstance(e, VtexbridgeError) else repr(e)
            log.error("continuous sync: %d changes put back for %ss: %s", len(ids), self.cfg.retry_s, message)
            at = self.store.db.now() + timedelta(seconds=self.cfg.retry_s)
            await asyncio.to_thread(self.queue.retry, ids, error=message, at=at)
            self.changes.settled("retried", len(ids))
            return len(changes)
        outcome = settle(delta, plan, result, self.cfg.max_attempts)
        await asyncio.to_thread(self._record, outcome)
        return len(changes)

    def _plan(self, delta: Delta) -> Plan:
        plan = plan_delta(self.store, self.account, delta, self.mapper)
        record_plan_errors(self.store, self.account, plan)
        return plan

    async def _apply(self, plan: Plan) -> ApplyResult | None:
        if not plan.steps:
            return None
        if self._client is None:
            self._client = VtexClient(
                Transport(
                    self.settings.vtex,
                    http_transport=self.http_transport,
                    clock=self.clock,
                    metrics=self.metrics.transport,
                )
            )
        executor = Executor(
            self._client,
            self.store,
            self.account,
            plan,
            mapper=self.mapper,
            settings=self.settings.sync,
            batch_size=self.settings.state.batch_size,
            clock=self.clock,
            metrics=self.metrics.sync,
        )
        return await executor.run()

    def _record(self, outcome: Settlement) -> None:
        self.queue.finish(outcome.done)
        now = self.store.db.now()
        self.changes.settled("done", len(outcome.done))
        self.changes.accepted(outcome.received, now)
        at = now + timedelta(seconds=self.cfg.retry_s)
        for message, ids in outcome.retry.items():
            self.queue.retry(ids, error=message, at=at)
            self.changes.settled("retried", len(ids))
        for message, ids in outcome.failed.items():
            self.queue.fail(ids, error=message)
            self.changes.settled("failed", len(ids))
            log.error("continuous sync: %d changes refused: %s", len(ids), message)

    # --- reconciliation -------------------------------------------------------------------------

    def _schedule_reconciliation(self) -> None:
        """The first holder of the lease starts the reconciliation clock (none at once on start)."""
        key = _reconcile_key(self.account)
        value = self.store.values.get(RECONCILE_SCOPE, key)
        if not value or "last" not in value:
            merged = {**(value or {}), "last": self.store.db.now().isoformat()}
            self.store.values.put(RECONCILE_SCOPE, key, merged)

    def _reconciliation_due(self) -> bool:
        if self.settings.erp is None:
            return False
        value = self.store.values.get(RECONCILE_SCOPE, _reconcile_key(self.account)) or {}
        if value.get("requested"):
            return True
        last = value.get("last")
        if last is None:
            return False
        elapsed = self.store.db.now() - datetime.fromisoformat(last)
        return elapsed.total_seconds() >= self.settings.sync.reconcile_every_s

    async def _reconcile(self) -> None:
        """The full sync (it takes the lease itself; the loop resumes after it)."""
        log.info("continuous sync: full reconciliation of %s", self.account)
        try:
            await run_sync(
                self.settings, SyncOptions(), http_transport=self.http_transport, clock=self.clock,
                metrics=self.metrics,
            )  # fmt: skip
        except VtexbridgeError as e:
            log.error("continuous sync: the reconciliation failed: %s", e.user_message)
        finally:
            value = {"last": self.store.db.now().isoformat(), "requested": False}
            await asyncio.to_thread(
                self.store.values.put, RECONCILE_SCOPE, _reconcile_key(self.account), value
            )


async def _wait(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> bool:
    """Sleep up to ``seconds`` or until ``stop`` (or ``wake``) is set; True when ``wake`` woke us."""
    events = [stop] if wake is None else [stop, wake]
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
    if wake is not None and wake.is_set():
        wake.clear()
        return True
    return False
