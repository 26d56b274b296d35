"""The steps every order event goes through, whether it came from the feed or the hook.

    event -> Get Order (bounded) -> real status -> configured? -> already delivered? -> ERP sink
          -> record delivery -> start handling once -> done (the caller commits / finishes)

Rules, each enforced here:

- **The event is a hint, the order is the truth.** The order is read (``GET /api/oms/pvt/orders/
  {id}``) and its *real* status decides what happens: the feed's filter and the event's ``state``
  are never trusted. An event that says ``ready-for-handling`` for an order that is ``canceled`` by
  now delivers ``canceled`` (if configured); one for an order already ``handling`` delivers nothing
  new (``handling`` is not configured by default) and never calls start-handling.
- **No needless reads.** An event announcing a status the ERP already has (recorded in
  ``order_delivery``) is answered without Get Order: its news is delivered, and any later change
  comes with an event of its own. (Except a ``ready-for-handling`` order whose start-handling was
  not recorded: it is read, and started if it still is ready-for-handling.)
- **Exactly once per (order, status) towards the ERP.** ``get_delivery`` skips the sink when the
  state store already recorded the delivery; otherwise the sink delivers (idempotently: a crash
  between the sink's acceptance and ``record_delivery`` makes the next attempt find the ERP's copy
  and write nothing) and the delivery is recorded. Events of one order are processed one at a time
  in this process (a lock per order), so the hook and the feed cannot deliver the same order twice
  concurrently; workers sharing a PostgreSQL store also claim (order, status) in the store (a lease
  that expires after ``orders.delivery_claim_s``) before the sink, and check the record again under
  the claim, so that the feed of one and the sweep or hook of another never hand it over together.
- **Get Order is never a burst**: at most ``orders.get_order_concurrency`` calls are in flight (and
  as many start-handling calls).
- **Start handling once**, and only for an order whose real status is ``ready-for-handling``, after
  the ERP accepted it: ``handling_started_at`` gates it, ``mark_handling_started`` records VTEX's
  204. The call is retried like a read on 429/5xx/timeouts/dropped connections (a repeat is answered
  409). A 409 or an outcome still unknown after the retries is resolved by reading the order: in
  ``handling`` (or later) it is recorded as started — no false error after a lost answer; still
  ``ready-for-handling``, the event is kept (never committed before handling started); moved
  elsewhere (``canceled``) it is noted as refused. An event of an order delivered but not recorded
  as started that finds it in ``handling`` records the start too.
- The order's journal (:mod:`.journal`, for ``vtexbridge orders status``) records what is not plain
  sailing: errors, events whose status was not the order's, ignored and unknown orders, refusals;
  a plain delivery is already told by ``order_state`` and ``order_delivery``.
- Anything that failed raises :class:`ProcessingError`: the caller keeps the event (the feed does
  not commit it, the inbox retries it) and the order's journal keeps the reason.
- With ``metrics`` (:class:`~vtexbridge.observability.OrderMetrics`), each processed event is counted
  by source and outcome (``error`` when it failed), and each delivery the ERP accepted by status,
  with its lag (VTEX's status change -> the ERP's acceptance; replays are counted without a lag).

The state store is synchronous; its calls run on one state thread (:func:`state_call`).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, ParamSpec, TypeVar

from vtexbridge.clock import Clock
from vtexbridge.erp.sinks import OrderDelivery, Sink, SinkError, SinkResult
from vtexbridge.errors import Category, VtexbridgeError
from vtexbridge.orders.journal import Journal, JournalEntry
from vtexbridge.orders.schema import build_document
from vtexbridge.orders.settings import OrdersSettings
from vtexbridge.state import Delivery, StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import Conflict, NotFound, OutcomeUnknown, VtexError
from vtexbridge.vtex.models.orders import Order

if TYPE_CHECKING:
    from vtexbridge.observability import OrderMetrics

__all__ = [
    "READY_FOR_HANDLING",
    "OrderEvent",
    "Outcome",
    "Pipeline",
    "ProcessingError",
    "Result",
    "in_thread",
    "parse_time",
    "state_call",
]

READY_FOR_HANDLING = "ready-for-handling"
HANDLING_STARTED = frozenset({"start-handling", "handling", "ready-for-invoicing", "invoice", "invoiced"})
"""Statuses an order reaches only through start-handling."""
_EPOCH = datetime.fromtimestamp(0, UTC)
Source = Literal["feed", "hook", "replay", "sweep"]  # h7: "sweep" (orders/sweep.py)
_log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call (a file system call, a report) off the event loop, in the default pool."""
    return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))


_state_pool: ThreadPoolExecutor | None = None
_state_pool_lock = threading.Lock()


def _state_executor() -> ThreadPoolExecutor:
    global _state_pool
    with _state_pool_lock:
        if _state_pool is None:
            _state_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtexbridge-state")
        return _state_pool


async def state_call(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a state store call off the event loop, on the process's one state thread.

    One thread, first come first served: SQLite allows one writer at a time, and writers of one
    process competing for its lock wait in its busy handler's coarse sleeps (milliseconds each),
    which under load costs far more than queueing. Each call is one short transaction.
    """
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(_state_executor(), call)


def parse_time(text: str | None) -> datetime | None:
    """VTEX's timestamps (``2024-05-01T10:00:00.1234567+00:00`` or ``...Z``) as aware UTC datetimes."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An announcement that ``order_id`` changed (to ``state``, according to the event)."""

    order_id: str
    state: str | None
    changed_at: datetime | None
    source: Source
    key: str


class Outcome(StrEnum):
    DELIVERED = "delivered"  # the sink accepted it now
    ALREADY_DELIVERED = "already-delivered"  # recorded before: the sink was not called
    IGNORED = "ignored"  # the real status is not one the ERP receives
    NOT_FOUND = "not-found"  # VTEX does not know the order (404)


@dataclass(frozen=True, slots=True)
class Result:
    order_id: str
    outcome: Outcome
    status: str | None
    erp_ref: str | None = None
    handling: str | None = None  # "started", "already", "refused", "off", or None when not applicable


class ProcessingError(VtexbridgeError):
    """An event could not be processed now; it must be kept and tried again."""

    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True

    def __init__(self, message: str, *, step: str) -> None:
        super().__init__(message)
        self.step = step


class _KeyedLocks:
    """One ``asyncio.Lock`` per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class _Facts:
    """Facts this process learnt that never become false again: (order, status) delivered, and
    handling started. Bounded (least recently used forgotten); only spares state reads."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._delivered: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._started: OrderedDict[str, None] = OrderedDict()

    def delivered(self, order_id: str, status: str, erp_ref: str | None) -> None:
        self._put(self._delivered, (order_id, status), erp_ref)

    def started(self, order_id: str) -> None:
        self._put(self._started, order_id, None)

    def was_delivered(self, order_id: str, status: str) -> tuple[bool, str | None]:
        key = (order_id, status)
        if key in self._delivered:
            self._delivered.move_to_end(key)
            return True, self._delivered[key]
        return False, None

    def was_started(self, order_id: str) -> bool:
        return order_id in self._started

    def _put(self, table: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self._size:
            table.popitem(last=False)


class Pipeline:
    """Turns order events into ERP deliveries (one instance per worker process).

    Args:
        account: the VTEX account (the state store's key).
        settings: the ``[orders]`` section.
        store: the state store; client: the VTEX client; sink: where orders go.
        clock: time for the journal and the lag.
        metrics: counts events and deliveries (optional).
        worker: this worker's name (the holder of its delivery claims).
    """

    def __init__(
        self,
        *,
        account: str,
        settings: OrdersSettings,
        store: StateStore,
        client: VtexClient,
        sink: Sink,
        clock: Clock,
        metrics: OrderMetrics | None = None,
        worker: str = "pipeline",
    ) -> None:
        self.account = account
        self.worker = worker
        # Workers of one shared (PostgreSQL) store claim a delivery before the sink; one process on
        # SQLite needs no claim: its per-order lock already serialises its deliveries.
        self._claims = store.engine.dialect.name != "sqlite"
        self.clock = clock
        self.metrics = metrics
        self.settings = settings
        self.statuses = frozenset(settings.statuses)
        self.store = store
        self.client = client
        self.sink = sink
        self.journal = Journal(store, account, clock)
        self._locks = _KeyedLocks()
        self._troubled: set[str] = set()  # orders with an error in their journal (written by us)
        self._facts = _Facts()
        self._get_order_slots = asyncio.Semaphore(settings.get_order_concurrency)
        self._start_slots = asyncio.Semaphore(settings.get_order_concurrency)

    async def process(self, event: OrderEvent) -> Result:
        """Process one event (serialised per order in this process).

        Raises:
            ProcessingError: keep the event and try again later.
        """
        async with self._locks.hold(event.order_id):
            try:
                result = await self._process(event)
            except ProcessingError as e:
                self._count(event.source, "error")
                await self._note(event, error={"step": e.step, "message": e.user_message})
                raise
            except Exception:
                self._count(event.source, "error")
                raise
            self._count(event.source, result.outcome.value)
            return result

    def _count(self, source: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.event(source, outcome)

    def _delivered(self, status: str, changed_at: datetime | None) -> None:
        if self.metrics is not None:
            self.metrics.delivered(status, changed_at, self.clock.now())

    async def deliver_order(self, order: Order, *, source: Source, replay: bool = False) -> SinkResult:
        """Hand ``order`` in its current status to the sink and record it (``orders replay``)."""
        async with self._locks.hold(order.orderId):
            status = order.status
            result = await self._sink(order, status, replay=replay)
            await self._record(order.orderId, status, result.erp_ref)
            self._count(source, Outcome.DELIVERED.value)
            self._delivered(status, None)  # a replay's lag would only measure the order's age
            await self._note_order(
                order.orderId,
                JournalEntry(note=f"{'replayed' if replay else 'delivered'} {status} ({source})"),
            )
            return result

    async def _process(self, event: OrderEvent) -> Result:
        announced = await self._announced_delivery(event)
        if announced is not None:
            known = await self._already_delivered(event, announced)
            if known is not None:
                return known
        order = await self._get_order(event)
        if order is None:
            await self._note(event, seen_status=None, outcome=Outcome.NOT_FOUND)
            return Result(event.order_id, Outcome.NOT_FOUND, None)
        status = order.status
        await state_call(
            self.store.orders.note_status,
            self.account,
            order.orderId,
            status,
            changed_at=parse_time(order.lastChange),
        )
        if announced is not None and event.state == READY_FOR_HANDLING and status in HANDLING_STARTED:
            # delivered ready-for-handling, not recorded as started, and handling has started since:
            # our own start-handling whose answer was lost (or someone else's). Record it.
            await self._mark_started(order.orderId)
        if status not in self.statuses:
            await self._note(event, seen_status=status, outcome=Outcome.IGNORED)
            return Result(order.orderId, Outcome.IGNORED, status)
        outcome, erp_ref, first = await self._deliver_once(event, order, announced)
        handling, refusal = None, None
        if status == READY_FOR_HANDLING:
            if self.settings.start_handling:
                # A first delivery cannot have been started: start-handling only follows a delivery.
                handling, refusal = await self._start_handling(order.orderId, known_unstarted=first)
            else:
                handling = "off"
        error = {"step": "start-handling", "message": refusal} if refusal else None
        if error is not None or status != event.state or order.orderId in self._troubled:
            await self._note(event, seen_status=status, outcome=outcome, handling=handling, error=error)
        return Result(order.orderId, outcome, status, erp_ref, handling)

    async def _announced_delivery(self, event: OrderEvent) -> Delivery | None:
        """The recorded delivery of the status the event announces (None: none, or not configured)."""
        if event.state is None or event.state not in self.statuses:
            return None
        cached, ref = self._facts.was_delivered(event.order_id, event.state)
        if cached:
            return Delivery(self.account, event.order_id, event.state, self.sink.name, ref, _EPOCH)
        announced = await state_call(
            self.store.orders.get_delivery, self.account, event.order_id, event.state
        )
        if announced is not None:
            self._facts.delivered(event.order_id, event.state, announced.erp_ref)
        return announced

    async def _deliver_once(
        self, event: OrderEvent, order: Order, announced: Delivery | None
    ) -> tuple[Outcome, str | None, bool]:
        """(outcome, ERP reference, first delivery): the sink is called only when nothing is recorded."""
        status = order.status
        if status == event.state:
            delivered = announced  # read a moment ago
        else:
            delivered = await state_call(self.store.orders.get_delivery, self.account, order.orderId, status)
        if delivered is not None:
            return Outcome.ALREADY_DELIVERED, delivered.erp_ref, False
        async with self._claim(order.orderId, status) as recorded:
            if recorded is not None:  # another worker delivered it while we read the order
                return Outcome.ALREADY_DELIVERED, recorded.erp_ref, False
            sink_result = await self._sink(order, status, replay=False)
            first = await self._record(order.orderId, status, sink_result.erp_ref)
        self._delivered(status, parse_time(order.lastChange) or event.changed_at)
        return Outcome.DELIVERED, sink_result.erp_ref, first

    @asynccontextmanager
    async def _claim(self, order_id: str, status: str) -> AsyncIterator[Delivery | None]:
        """Hold the delivery claim of (order, status) across workers of a shared store; yields the
        delivery recorded meanwhile by another worker (None: ours to deliver).

        Raises:
            ProcessingError: another worker holds the claim (it is delivering the order now).
        """
        if not self._claims:
            yield None
            return
        name = f"orders.delivery:{self.account}:{order_id}:{status}"
        ttl = timedelta(seconds=self.settings.delivery_claim_s)
        if not await state_call(self.store.leases.acquire, name, self.worker, ttl):
            raise ProcessingError(
                f"another worker is delivering order {order_id} ({status}) now; tried again later",
                step="sink",
            )
        try:
            yield await state_call(self.store.orders.get_delivery, self.account, order_id, status)
        finally:
            await state_call(self.store.leases.release, name, self.worker)

    async def _record(self, order_id: str, status: str, erp_ref: str | None) -> bool:
        """Record the sink's acceptance (True the first time)."""
        first = await state_call(
            self.store.orders.record_delivery,
            self.account,
            order_id,
            status,
            sink=self.sink.name,
            erp_ref=erp_ref,
        )
        self._facts.delivered(order_id, status, erp_ref)
        return first

    async def _already_delivered(self, event: OrderEvent, delivered: Delivery) -> Result | None:
        """The result for an event announcing a status the ERP already has, without reading the order.

        Its news is already delivered, and any later change of the order comes with an event of its
        own; the one exception is a ``ready-for-handling`` order whose start-handling has not been
        recorded (a crash after the delivery): None, so that it is read and started.
        """
        handling = None
        if event.state == READY_FOR_HANDLING and self.settings.start_handling:
            if not self._facts.was_started(event.order_id):
                state = await state_call(self.store.orders.get, self.account, event.order_id)
                if state is None or state.handling_started_at is None:
                    return None
                self._facts.started(event.order_id)
            handling = "already"
        if event.order_id in self._troubled:
            await self._note(event, seen_status=None, outcome=Outcome.ALREADY_DELIVERED, handling=handling)
        return Result(event.order_id, Outcome.ALREADY_DELIVERED, event.state, delivered.erp_ref, handling)

    async def _get_order(self, event: OrderEvent) -> Order | None:
        async with self._get_order_slots:
            try:
                return await self.client.orders.get_order(event.order_id)
            except NotFound:
                return None
            except VtexError as e:
                raise ProcessingError(f"Get Order failed: {e.user_message}", step="get-order") from e

    async def _sink(self, order: Order, status: str, *, replay: bool) -> SinkResult:
        document = build_document(order.model_dump(mode="json"), status=status, account=self.account)
        delivery = OrderDelivery(self.account, order.orderId, status, document, replay=replay)
        try:
            return await self.sink.deliver(delivery)
        except SinkError as e:
            raise ProcessingError(f"the ERP sink did not accept it: {e.user_message}", step="sink") from e

    async def _start_handling(self, order_id: str, *, known_unstarted: bool) -> tuple[str, str | None]:
        """("started" | "already" | "refused", VTEX's refusal); raises ProcessingError to retry.

        Start handling is safe to repeat (the client retries it like a read; VTEX answers a repeat
        409). A 409, or a failure whose outcome is unknown (5xx, timeout, dropped connection after
        the retries), is resolved by reading the order's status: moved on to handling means started
        (perhaps by our own attempt whose answer was lost), still ``ready-for-handling`` means not
        started (ProcessingError: the event is kept), anything else (canceled ...) is a refusal.
        """
        if not known_unstarted:
            state = await state_call(self.store.orders.get, self.account, order_id)
            if state is not None and state.handling_started_at is not None:
                return "already", None
        try:
            async with self._start_slots:
                await self.client.orders.start_handling(order_id)
        except VtexError as e:
            return await self._resolve_start(order_id, e)
        await self._mark_started(order_id)
        return "started", None

    async def _resolve_start(self, order_id: str, error: VtexError) -> tuple[str, str | None]:
        """What a failed start-handling call means, from the order's status (see above)."""
        conflict = isinstance(error, Conflict)
        if not conflict and not error.retryable and not isinstance(error, OutcomeUnknown):
            if error.category == "config":  # credentials refused: nothing is started, keep the event
                raise ProcessingError(f"start-handling failed: {error.user_message}", step="start-handling")
            _log.warning("start-handling of %s refused: %s", order_id, error.user_message)
            return "refused", error.user_message
        try:
            async with self._get_order_slots:
                status = (await self.client.orders.get_order(order_id)).status
        except VtexError as e:
            raise ProcessingError(
                f"start-handling failed ({error.user_message}) and the order's status could not be "
                f"read to tell whether it went through: {e.user_message}",
                step="start-handling",
            ) from e
        if status in HANDLING_STARTED:
            await self._mark_started(order_id)
            # a 409 to the first attempt: someone else started it; to a repeat: our lost attempt did
            first_try = conflict and (error.attempts or 1) <= 1
            return ("already" if first_try else "started"), None
        if status == READY_FOR_HANDLING or not conflict:
            raise ProcessingError(
                f"start-handling failed: {error.user_message} (the order is still {status})",
                step="start-handling",
            ) from error
        # OMS003: the order is neither ready-for-handling nor handling (canceled meanwhile ...)
        _log.info("start-handling of %s refused: %s", order_id, error.user_message)
        return "refused", error.user_message

    async def _mark_started(self, order_id: str) -> None:
        await state_call(self.store.orders.mark_handling_started, self.account, order_id)
        self._facts.started(order_id)

    async def _note(
        self,
        event: OrderEvent,
        *,
        seen_status: str | None = None,
        outcome: Outcome | None = None,
        handling: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        seen: dict[str, Any] = {"source": event.source, "event": event.state, "status": seen_status}
        seen["outcome"] = outcome.value if outcome is not None else "error"
        if handling is not None:
            seen["handling"] = handling
        done = outcome in (Outcome.DELIVERED, Outcome.ALREADY_DELIVERED)
        if error is not None:
            self._troubled.add(event.order_id)
        elif done:
            self._troubled.discard(event.order_id)
        await self._note_order(event.order_id, JournalEntry(seen=seen, error=error, clear_errors=done))

    async def _note_order(self, order_id: str, entry: JournalEntry) -> None:
        try:
            await state_call(self.journal.add, order_id, entry)
        except VtexbridgeError as e:  # the journal is diagnostic: never fail an order for it
            _log.warning("could not update the journal of order %s: %s", order_id, e.user_message)
