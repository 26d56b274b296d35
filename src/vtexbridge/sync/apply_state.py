"""What the executor records in the state store, off the event loop: results committed in batches
(:class:`BatchCommitter`), creates marked in flight before they are sent (:class:`InFlightMarks`),
and the ids the sync chooses for brands and categories (:class:`ChosenIds`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from vtexbridge.observability import log_record_errors
from vtexbridge.state.models import Accepted, ErrorRow
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.steps import Plan

if TYPE_CHECKING:
    from vtexbridge.sync.apply import Executor

__all__ = ["BatchCommitter", "ChosenIds", "InFlightMarks"]

_MARK_WINDOW_S = 0.003


class BatchCommitter:
    """Results waiting to be committed, flushed in batches in the state thread."""

    def __init__(self, executor: Executor) -> None:
        self.x = executor
        self.accepted: list[Accepted] = []
        self.forget: dict[str, list[str]] = {}
        self.errors: list[ErrorRow] = []
        self.clear: dict[str, list[str]] = {}
        self.outcomes: dict[tuple[str, str], int] = {}
        self.size = 0
        self.last = executor.clock.monotonic()
        self.lock = asyncio.Lock()
        self.flushes = 0

    def outcome(self, kind: Kind, outcome: str) -> None:
        """A record ended with ``outcome``: counted in the metrics once its batch is committed."""
        if self.x.metrics is not None:
            self.outcomes[(kind.value, outcome)] = self.outcomes.get((kind.value, outcome), 0) + 1

    def _added(self) -> bool:
        self.size += 1
        return self.size >= self.x.batch_size or self.x.clock.monotonic() - self.last >= self.x.interval

    async def accept(self, row: Accepted) -> None:
        self.accepted.append(row)
        if self._added():
            await self.flush()

    async def forgotten(self, kind: str, key: str) -> None:
        self.forget.setdefault(kind, []).append(key)
        if self._added():
            await self.flush()

    async def failed(self, row: ErrorRow, *, clear_flight: bool) -> None:
        self.errors.append(row)
        if clear_flight:
            self.clear.setdefault(row.kind, []).append(row.erp_key)
        if self._added():
            await self.flush()

    async def flush(self) -> None:
        async with self.lock:
            accepted, self.accepted = self.accepted, []
            forget, self.forget = self.forget, {}
            errors, self.errors = self.errors, []
            clear, self.clear = self.clear, {}
            outcomes, self.outcomes = self.outcomes, {}
            self.size = 0
            self.last = self.x.clock.monotonic()
            if accepted or forget or errors or clear:
                self.flushes += 1
                await self.x.in_state_thread(lambda: self._write(accepted, forget, errors, clear))
            metrics = self.x.metrics
            if metrics is not None:
                for (kind, outcome), n in outcomes.items():
                    metrics.records(kind, outcome, n)

    def _write(
        self,
        accepted: list[Accepted],
        forget: dict[str, list[str]],
        errors: list[ErrorRow],
        clear: dict[str, list[str]],
    ) -> None:
        store, account = self.x.store, self.x.account
        if accepted:
            store.entities.record_accepted(account, accepted)
        for kind, keys in forget.items():
            store.entities.forget(account, kind, keys)
            store.entities.clear_errors(account, kind, keys)
            store.entities.clear_in_flight(account, kind, keys)
        if errors:
            store.entities.record_errors(account, errors, run_id=self.x.run_id)
            log_record_errors(errors, run_id=self.x.run_id)
        for kind, keys in clear.items():
            store.entities.clear_in_flight(account, kind, keys)


class InFlightMarks:
    """In-flight marks, grouped: the creates that become ready together are marked in one transaction."""

    def __init__(self, executor: Executor) -> None:
        self.x = executor
        self.pending: list[tuple[str, str, str, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    async def mark(self, kind: str, key: str, operation: str) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((kind, key, operation, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        # Wait a moment for the creates that become ready around the same time: one transaction
        # marks them all (a transaction per create would cost more than the request it guards).
        await asyncio.sleep(_MARK_WINDOW_S)
        while self.pending:
            batch, self.pending = self.pending, []
            groups: dict[tuple[str, str], list[str]] = {}
            for kind, key, operation, _f in batch:
                groups.setdefault((kind, operation), []).append(key)
            try:
                await self.x.in_state_thread(lambda g=groups: self._write(g))  # type: ignore[misc]
            except BaseException as e:
                for *_rest, f in batch:
                    if not f.done():
                        f.set_exception(e)
                raise
            for *_rest, f in batch:
                if not f.done():
                    f.set_result(None)

    def _write(self, groups: dict[tuple[str, str], list[str]]) -> None:
        for (kind, operation), keys in groups.items():
            self.x.store.entities.mark_in_flight(
                self.x.account, kind, keys, operation=operation, run_id=self.x.run_id
            )


class ChosenIds:
    """Ids the sync chooses (brands, categories): from the plan's next id on."""

    def __init__(self, plan: Plan) -> None:
        self.next = dict(plan.next_ids)
        for step in plan.steps:
            if step.reserved_id is not None:
                self.next[step.kind] = max(self.next.get(step.kind, 1), step.reserved_id + 1)

    def next_id(self, kind: Kind) -> int:
        value = self.next.get(kind, 1)
        self.next[kind] = value + 1
        return value
