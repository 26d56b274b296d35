"""The executor: the only code that sends the plan to VTEX, and the only code that records what VTEX accepted.

**Scheduling.** The plan is a dependency graph: each step starts as soon as the steps it waits for
are done (a SKU's price PUT goes out while other SKUs are still being created), one queue and a
bounded pool of workers per API area (catalog, pricing, logistics, Master Data: ``sync.concurrency``),
so that work on different routes overlaps and the slowest route sets the pace. Every request goes
through the :class:`~vtexbridge.vtex.client.VtexClient`, whose transport keeps each route within
VTEX's limits and retries what can be retried.

**Failures.** A step that fails gets the error VTEX gave (``RecordRejected`` with VTEX's status and
message); every step that depends on it, transitively, is held back with ``DependencyBlocked`` naming
it; everything else goes on. A transient failure the client gave up on (circuit open, a long
``Retry-After``, retries exhausted) is tried again up to ``sync.step_attempts`` times. A failure of
credentials or permissions (401/403), or a host that cannot be reached before anything was answered,
stops the run at once, with no record marked in error (:mod:`vtexbridge.sync.stop`).

**State.** Results are committed in batches (every ``state.batch_size`` results or every
``sync.commit_interval_s``, and at the end), one transaction per batch, in a thread of its own so the
event loop keeps sending. A create is marked in flight (committed) *before* it is sent; a kill
therefore loses at most the requests in flight and the last uncommitted batch: the next run finds
the in-flight marks and looks those entities up instead of creating them twice, and redoes the
rest, which is idempotent.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from vtexbridge.backoff import backoff_delay
from vtexbridge.clock import Clock, SystemClock
from vtexbridge.errors import (
    DependencyBlocked,
    RecordError,
    RecordInvalid,
    RecordRef,
    RecordRejected,
    VtexbridgeError,
)
from vtexbridge.observability import SyncMetrics
from vtexbridge.state.models import Accepted, ErrorRow
from vtexbridge.state.store import StateStore
from vtexbridge.sync.apply_state import BatchCommitter, ChosenIds, InFlightMarks
from vtexbridge.sync.calls import Calls, Done
from vtexbridge.sync.config import SyncSettings
from vtexbridge.sync.graph import AREA, Area, Kind
from vtexbridge.sync.mapping import Mapper, Ref
from vtexbridge.sync.steps import Action, Plan, PlanError, Step
from vtexbridge.sync.stop import Reach, stop_for
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import CircuitOpen, OutcomeUnknown, VtexError, VtexStatusError

__all__ = ["ApplyResult", "Executor", "Progress", "error_row"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_NUMERIC_IDS = frozenset(
    {
        Kind.CATEGORY.value,
        Kind.BRAND.value,
        Kind.SPEC_GROUP.value,
        Kind.SPEC_FIELD.value,
        Kind.SPEC_VALUE.value,
        Kind.PRODUCT.value,
        Kind.SKU.value,
    }
)
_WAITING, _QUEUED, _DONE, _FAILED, _BLOCKED = range(5)
_STOP = -1
_LEAF = 10
_RANK: dict[Kind, int] = {
    **dict.fromkeys(Kind, _LEAF),
    Kind.CATEGORY: 0,
    Kind.BRAND: 0,
    Kind.DOCK: 0,
    Kind.CUSTOMER: 0,
    Kind.SPEC_GROUP: 1,
    Kind.WAREHOUSE: 1,
    Kind.SPEC_FIELD: 2,
    Kind.SPEC_VALUE: 3,
    Kind.PRODUCT: 4,
    Kind.SKU: 5,
}
"""Who gets a free slot of an API area first: what unlocks other work (categories, products, SKUs)
before the leaves (images, specifications, EANs, links), so that prices and stock, on routes of their
own, can start as early as possible. A SKU's activation ranks below every leaf."""


class _Gate:
    """An API area's concurrency: ``size`` steps at a time, free slots going to the lowest rank first
    (parents before children: a created SKU unlocks work on other routes; leaves can wait)."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self.seq = itertools.count()

    async def acquire(self, rank: int) -> None:
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiting, (rank, next(self.seq), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()
            raise

    def release(self) -> None:
        while self.waiting:
            _rank, _seq, future = heapq.heappop(self.waiting)
            if not future.done():
                future.set_result(None)
                return
        self.free += 1


class Progress(Protocol):
    """Told how many steps of each kind there are, and each time one ends (done, failed or blocked)."""

    def start(self, totals: dict[Kind, int]) -> None: ...

    def advance(self, kind: Kind, n: int = 1) -> None: ...


class Fatal(Exception):
    """A failure that stops the run (bad credentials, missing permissions)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _Unresolved(Exception):
    pass


@dataclass(repr=False)
class ApplyResult:
    """What the executor did, per kind: steps done by action, failed, held back; and the errors."""

    done: dict[Kind, dict[Action, int]] = field(default_factory=dict)
    failed: dict[Kind, int] = field(default_factory=dict)
    blocked: dict[Kind, int] = field(default_factory=dict)
    errors: list[PlanError] = field(default_factory=list)

    def add_done(self, kind: Kind, action: Action) -> None:
        per = self.done.setdefault(kind, {})
        per[action] = per.get(action, 0) + 1

    @property
    def failures(self) -> int:
        return sum(self.failed.values()) + sum(self.blocked.values())

    def __repr__(self) -> str:
        done = sum(sum(v.values()) for v in self.done.values())
        return f"<ApplyResult {done} done, {self.failures} failed or held back>"


def error_row(kind: Kind, key: str | None, error: VtexbridgeError) -> ErrorRow:
    """The state store's row for an error (a key-less reader error is kept under ``@file:row``)."""
    ref = error.record
    source = None
    if ref is not None and ref.source:
        source = f"{ref.source}:{ref.row}" if ref.row is not None else ref.source
    if key is None:
        key = f"@{source or (ref.entity if ref else kind.value)}"
    status = code = message = None
    if isinstance(error, VtexError):
        status, code, message = error.status, error.vtex_code, error.vtex_message
    elif isinstance(error.__cause__, VtexError):
        cause = error.__cause__
        status, code, message = cause.status, cause.vtex_code, cause.vtex_message
    return ErrorRow(
        kind=kind.value,
        erp_key=key[:255],
        message=error.user_message,
        field=getattr(error, "field", None),
        source=source,
        category=error.category,
        vtex_status=status,
        vtex_code=code,
        vtex_message=message,
    )


class Executor:
    """Runs a :class:`Plan` against VTEX and records the outcome in the state store.

    Args:
        client: the VTEX client (its transport keeps the rate limits).
        store: the state store; ``account`` names the VTEX account in it.
        plan: the plan to run.
        mapper: the payload mapping the plan was made with.
        settings: ``[sync]`` (concurrency, commit interval, step attempts).
        batch_size: results per state transaction (``state.batch_size``).
        run_id: the run the errors are recorded under.
        progress: told as steps end.
        clock: time and sleeping (the transport's clock in tests).
        metrics: where each record's outcome is counted once its batch is committed.
        reach: whether VTEX answered anything yet (shared with the transport's
            :class:`~vtexbridge.sync.stop.FailFastRetry`, when it has one).
    """

    def __init__(
        self,
        client: VtexClient,
        store: StateStore,
        account: str,
        plan: Plan,
        *,
        mapper: Mapper,
        settings: SyncSettings | None = None,
        batch_size: int = 500,
        run_id: int | None = None,
        progress: Progress | None = None,
        clock: Clock | None = None,
        metrics: SyncMetrics | None = None,
        reach: Reach | None = None,
    ) -> None:
        self.client = client
        self.reach = reach or Reach()
        self.metrics = metrics
        self.store = store
        self.account = account
        self.plan = plan
        self.settings = settings or SyncSettings()
        self.batch_size = batch_size
        self.interval = self.settings.commit_interval_s
        self.run_id = run_id
        self.progress = progress
        self.clock: Clock = clock or SystemClock()
        self.result = ApplyResult()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="vtexbridge-state")
        self.calls = Calls(client, mapper, InFlightMarks(self), ChosenIds(plan))
        self._fatal: Fatal | None = None

    async def in_state_thread(self, fn: Callable[[], T]) -> T:
        """Run a state-store call in the state thread (one at a time, off the event loop)."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    async def run(self) -> ApplyResult:
        """Apply every step; returns what was done. Raises the fatal error if one stopped the run."""
        steps = self.plan.steps
        self._prepare(steps)
        workers = self._start_workers(steps)
        try:
            if not steps:
                self._finished.set()
            for s in steps:
                if self._pending[s.index] == 0:
                    self._enqueue(s.index)
            await self._finished.wait()
        finally:
            await self._stop_workers(workers)
        if self._fatal is not None:
            raise self._fatal.error
        return self.result

    def _prepare(self, steps: list[Step]) -> None:
        """The run's bookkeeping: each step's state, unfinished dependencies and dependents."""
        n = len(steps)
        if self.progress is not None:
            totals: dict[Kind, int] = {}
            for s in steps:
                totals[s.kind] = totals.get(s.kind, 0) + 1
            self.progress.start(totals)
        self._state = bytearray(n)
        self._pending = [len(s.deps) for s in steps]
        self._children: list[list[int]] = [[] for _ in range(n)]
        for s in steps:
            for d in s.deps:
                self._children[d.index].append(s.index)
        self._ids: list[str | None] = [None] * n
        self._left = n
        self._finished = asyncio.Event()
        self._committer = BatchCommitter(self)

    def _start_workers(self, steps: list[Step]) -> list[asyncio.Task[None]]:
        """One lane (queue + workers) per kind: each kind is one or two VTEX routes with budgets of
        their own, so lanes progress side by side and every route is kept busy up to its limit
        (SKU creates, their images, prices and stock all at once). The lanes of an API area share
        its concurrency through a gate that serves parents first; within a SKU lane, activations
        (which wait for the SKU's links) go last."""
        concurrency = self.settings.concurrency
        limits = {
            Area.CATALOG: concurrency.catalog,
            Area.PRICING: concurrency.pricing,
            Area.LOGISTICS: concurrency.logistics,
            Area.MASTERDATA: concurrency.masterdata,
        }
        per_kind: dict[Kind, int] = {}
        for s in steps:
            per_kind[s.kind] = per_kind.get(s.kind, 0) + 1
        self._queues: dict[Kind, asyncio.PriorityQueue[tuple[int, int]]] = {
            k: asyncio.PriorityQueue() for k in per_kind
        }
        self._gates = {area: _Gate(limits[area]) for area in Area}
        return [
            asyncio.create_task(
                self._worker(self._queues[kind], self._gates[AREA[kind]], _RANK[kind]),
                name=f"sync-{kind.value}-{i}",
            )
            for kind, count in per_kind.items()
            for i in range(min(count, limits[AREA[kind]]))
        ]

    async def _stop_workers(self, workers: list[asyncio.Task[None]]) -> None:
        """Stop every lane, commit what is left, and log a worker that crashed."""
        for q in self._queues.values():
            for _ in range(len(workers)):
                q.put_nowait((_STOP, 0))  # more than enough: one per worker of the lane
        results = await asyncio.gather(*workers, return_exceptions=True)
        try:
            await self._committer.flush()
        finally:
            self._pool.shutdown(wait=True)
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError | Fatal):
                log.error("sync worker crashed: %r", r)

    # --- scheduling -----------------------------------------------------------------------------

    def _enqueue(self, index: int) -> None:
        self._state[index] = _QUEUED
        step = self.plan.steps[index]
        step.ready = self.calls.tick()
        self._queues[step.kind].put_nowait((int(step.action is Action.ACTIVATE), index))

    async def _worker(self, queue: asyncio.PriorityQueue[tuple[int, int]], gate: _Gate, rank: int) -> None:
        while True:
            last, index = await queue.get()
            if last == _STOP:
                return
            if self._fatal is not None:
                self._end()
                continue
            await gate.acquire(_LEAF + 1 if last else rank)
            try:
                await self._run(self.plan.steps[index])
            except Fatal as e:
                self._fatal = self._fatal or e
                self._finished.set()
                return
            except Exception as e:  # the state store failed, or a bug: stop rather than hang
                log.exception("the sync executor stopped")
                self._fatal = self._fatal or Fatal(e)
                self._finished.set()
                return
            finally:
                gate.release()

    def _end(self, n: int = 1) -> None:
        self._left -= n
        if self._left <= 0:
            self._finished.set()

    async def _run(self, step: Step) -> None:
        attempts = self.settings.step_attempts
        for attempt in range(1, attempts + 1):
            try:
                done = await self.calls.run(step, self._resolver(step))
            except _Unresolved as e:
                await self._fail(
                    step, RecordError(f"internal: a parent's VTEX id is unknown ({e})", record=step.ref)
                )
                return
            except ValidationError as e:
                first = e.errors()[0]
                where = ".".join(str(p) for p in first.get("loc", ()))
                error = RecordInvalid(
                    f"the payload does not fit VTEX's API: {where}: {first.get('msg')}",
                    record=step.ref,
                    field=where,
                )
                await self._fail(step, error)
                return
            except VtexError as e:
                stop = stop_for(e, self.account, answered=self.reach.answered)
                if stop is not None:  # nothing can succeed: no record is in error
                    raise Fatal(stop) from e
                if isinstance(e, VtexStatusError):
                    self.reach.answered = True
                if e.category == "config":
                    await self._fail(step, e)
                    raise Fatal(e) from e
                if e.category == "transient" or isinstance(e, OutcomeUnknown):
                    if attempt < attempts:
                        step.resolve = True  # a create may have landed: look it up next time
                        await self.clock.sleep(_pause(e, attempt))
                        continue
                    await self._fail(step, e)
                    return
                await self._fail(step, _rejected(e, step))
                return
            except Exception as e:  # a bug must not stop the other records
                log.exception("sync step %s failed", step.describe())
                await self._fail(step, RecordError(f"internal error: {e!r}", record=step.ref))
                return
            await self._succeed(step, done)
            return

    def _resolver(self, step: Step) -> Callable[[Ref], Any]:
        ids = self._ids

        def resolve(ref: Ref) -> Any:
            kind, key = ref
            for p in step.parents:
                if p.kind == kind and p.key == key:
                    value = p.vtex_id if p.vtex_id is not None else (ids[p.step.index] if p.step else None)
                    if value is None:
                        raise _Unresolved(f"{kind} {key!r}")
                    return int(value) if kind in _NUMERIC_IDS else value
            if kind == step.kind.value and key == step.key and step.vtex_id is not None:
                return int(step.vtex_id) if kind in _NUMERIC_IDS else step.vtex_id
            raise _Unresolved(f"{kind} {key!r}")

        return resolve

    async def _succeed(self, step: Step, done: Done) -> None:
        self.reach.answered = True
        index = step.index
        self._state[index] = _DONE
        self._ids[index] = done.vtex_id or step.vtex_id
        if step.follow is None:  # a record is counted when its last step ends
            main = step.main or step
            self.result.add_done(main.kind, main.action)
            self._committer.outcome(main.kind, main.action.value)
        if done.forget:
            await self._committer.forgotten(step.kind.value, step.key)
        else:
            active = step.active if done.active is None else done.active  # VTEX's word when it gave it
            await self._committer.accept(
                Accepted(step.kind.value, step.key, done.vtex_id, step.hash, step.parent_key, active)
            )
        if self.progress is not None:
            self.progress.advance(step.kind)
        for child in self._children[index]:
            self._pending[child] -= 1
            if self._pending[child] == 0 and self._state[child] == _WAITING:
                self._enqueue(child)
        self._end()

    async def _fail(self, step: Step, error: RecordError | VtexError) -> None:
        self._state[step.index] = _FAILED
        self.result.failed[step.kind] = self.result.failed.get(step.kind, 0) + 1
        self._committer.outcome(step.kind, "failed")
        self.result.errors.append(PlanError(step.kind, step.key, error))
        creating = step.action in (Action.CREATE, Action.LINK)
        await self._committer.failed(
            error_row(step.kind, step.key, error), clear_flight=creating and not _unknown(error)
        )
        if self.progress is not None:
            self.progress.advance(step.kind)
        self._end()
        await self._block_dependents(step)

    async def _block_dependents(self, failed: Step) -> None:
        queue = list(self._children[failed.index])
        label = f"{failed.kind.value} {failed.key!r}"
        while queue:
            index = queue.pop()
            if self._state[index] != _WAITING:
                continue
            self._state[index] = _BLOCKED
            step = self.plan.steps[index]
            if step.main is not None and self._state[step.main.index] != _DONE:
                # its record failed or is held back with its main step: counted, and its error
                # recorded, there (a second row would replace VTEX's message with "held back")
                if self.progress is not None:
                    self.progress.advance(step.kind)
                self._end()
                queue.extend(self._children[index])
                continue
            self.result.blocked[step.kind] = self.result.blocked.get(step.kind, 0) + 1
            self._committer.outcome(step.kind, Action.BLOCKED.value)
            error = DependencyBlocked(
                f"held back: {label} failed", record=step.ref or RecordRef(step.kind.value, step.key)
            )
            self.result.errors.append(PlanError(step.kind, step.key, error))
            await self._committer.failed(error_row(step.kind, step.key, error), clear_flight=False)
            if self.progress is not None:
                self.progress.advance(step.kind)
            self._end()
            queue.extend(self._children[index])


def _pause(error: VtexError, attempt: int) -> float:
    if isinstance(error, CircuitOpen):
        return max(error.reopens_in, 0.1)
    if isinstance(error, VtexStatusError) and error.retry_after:
        return float(error.retry_after)
    return backoff_delay(attempt, 1.0, 30.0)


def _unknown(error: BaseException) -> bool:
    return isinstance(error, OutcomeUnknown)


def _rejected(error: VtexError, step: Step) -> RecordRejected:
    """VTEX refused the record: keep VTEX's own message, and the record it was about."""
    record, error.record = error.record, None  # the rejection names the record once, not twice
    try:
        text = error.user_message
    finally:
        error.record = record
    out = RecordRejected(text, record=step.ref or RecordRef(step.kind.value, step.key))
    out.__cause__ = error
    return out
