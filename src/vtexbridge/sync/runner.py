"""One sync, wired: settings -> ERP reader, state store, plan, executor, run record, report.

Two syncs of one account never run at once: a live run holds the state lease ``run:sync:<account>``
(renewed by a heartbeat thread). A lease left by a process that died on this machine (same host,
pid gone — a ``kill -9``) is taken over at once instead of waiting for it to expire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.erp.errors import ReadIncomplete
from vtexbridge.erp.readers import Reader, open_reader
from vtexbridge.erp.records import Entity
from vtexbridge.errors import ConfigError, DependencyBlocked, VtexbridgeError
from vtexbridge.observability import Metrics, log_record_errors
from vtexbridge.overview import publishing
from vtexbridge.state.leases import HeldLease, hold_sync_lease, holder_id, sync_lease_name
from vtexbridge.state.models import RunStatus
from vtexbridge.state.store import StateStore
from vtexbridge.sync.adopt import Adoption, adopt_before_sync
from vtexbridge.sync.apply import ApplyResult, Executor, Progress, error_row
from vtexbridge.sync.config import SyncConfig
from vtexbridge.sync.graph import ENTITIES_OF, Kind
from vtexbridge.sync.locate import add_rows
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.plan import make_plan
from vtexbridge.sync.relay import ProgressRelay
from vtexbridge.sync.report import RunReport, write_report
from vtexbridge.sync.show import field_diffs
from vtexbridge.sync.stateview import StoreView
from vtexbridge.sync.steps import Action, Plan
from vtexbridge.sync.stop import FailFastRetry, Reach, stop_for
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import VtexError
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.transport import Transport

__all__ = ["SyncOptions", "SyncOutcome", "erp_reader", "lease_name", "run_sync"]

log = logging.getLogger(__name__)

ERP_MISSING = (
    "the [erp] section is not configured: `vtexbridge sync` needs to know where the ERP data is. "
    'Add to vtexbridge.toml:\n\n    [erp]\n    kind = "folder"\n    path = "examples/erp"\n\n'
    "or set VTEXBRIDGE_ERP__KIND=folder and VTEXBRIDGE_ERP__PATH=examples/erp (see erp/config.py for "
    "the sql and plugin kinds)"
)


@dataclass(frozen=True)
class SyncOptions:
    """What the CLI asks of one sync."""

    only: tuple[Entity, ...] = ()
    dry_run: bool = False
    show: str | None = None
    report_path: Path | None = None
    write_report: bool = True
    pause_collector: bool = False
    """Pause the cycle collector while planning (see :func:`~vtexbridge.sync.plan.make_plan`): only
    in a process that does nothing else meanwhile (``vtexbridge sync``), never in a server."""
    adopt: bool | None = None
    """h7 (#12): look VTEX up before creating (sync/adopt.py). None: a live run does, a dry run does not."""


@dataclass(repr=False)
class SyncOutcome:
    plan: Plan
    report: RunReport
    result: ApplyResult | None = None
    report_file: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every record went through, 1 when any record failed or was held back."""
        return 1 if self.report.error_count else 0

    def __repr__(self) -> str:
        return f"<SyncOutcome {self.report.status}, {self.plan!r}, {self.report.error_count} errors>"


def erp_reader(settings: SyncConfig, reader: Reader | None = None) -> Reader:
    """``reader``, or the reader of ``settings.erp`` (paths relative to the config file).

    Raises:
        ConfigError: no ``[erp]`` section and no reader given.
    """
    if reader is not None:
        return reader
    if settings.erp is None:
        raise ConfigError(ERP_MISSING)
    base = settings.config_path.parent if settings.config_path else None
    return open_reader(settings.erp, base_dir=base)


def lease_name(account: str) -> str:
    return sync_lease_name(account)


async def run_sync(
    settings: SyncConfig,
    options: SyncOptions | None = None,
    *,
    http_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
    reader: Reader | None = None,
    metrics: Metrics | None = None,
) -> SyncOutcome:
    """Plan and (unless ``dry_run``) apply one sync of ``settings.vtex.account``.

    With ``metrics``, the client counts its VTEX calls in ``metrics.transport``, every record's
    outcome is counted in ``metrics.sync`` as it is committed, and the run once it is finished.
    ``report.requests`` counts this run's requests only (its own transport's), whatever else shares
    ``metrics``.

    This is the store's own sync. In marketplace seller mode the caller runs the seller's sync
    instead; :func:`vtexbridge.web.sync_runs.run_catalog_sync` is that choice (the CLI and the
    dashboard call it).

    Raises:
        ConfigError: ``[erp]`` missing, bad mapping overrides, missing credentials.
        StateLocked: another sync of this account is running.
        VtexError: a failure that stops the run (credentials refused, permission missing).
    """
    options = options or SyncOptions()
    reader = erp_reader(settings, reader)
    mapper = Mapper(settings.sync)
    if not options.dry_run:
        settings.vtex.require_credentials()
    account = settings.vtex.account
    started = datetime.now(UTC)
    # Planning and state work run in a worker thread: the event loop (a server's, when the
    # dashboard starts a sync) keeps serving meanwhile.
    store = await asyncio.to_thread(StateStore.open, settings.state.url, create=True)
    lease = None
    outcome: SyncOutcome | None = None
    try:
        if not options.dry_run:
            lease = await asyncio.to_thread(hold_sync_lease, store.leases, account, settings.sync.lease_ttl_s)
        plan, report = await asyncio.to_thread(_plan, reader, store, mapper, account, options, started)
        outcome = SyncOutcome(plan, report)
        adoption = None
        if options.adopt if options.adopt is not None else not options.dry_run:
            # h7 (#12): match the creates with what VTEX holds, record the matches, plan again
            plan, report, adoption = await _adopted(
                settings, store, reader, plan, mapper, options, report, started, http_transport, clock
            )
            outcome = SyncOutcome(plan, report)
        if adoption is not None and (adoption.reads or adoption.rows):
            outcome.extra["adoption"] = adoption.to_json()
        await _execute(settings, store, mapper, options, outcome, http_transport, clock, progress, metrics)
        return outcome
    except Exception as e:
        if outcome is not None:  # what was planned and done, for the caller's JSON and the report file
            await asyncio.to_thread(_keep_report, e, outcome.report, settings, options)
        raise
    finally:
        await asyncio.to_thread(_close, lease, store)


async def _execute(
    settings: SyncConfig,
    store: StateStore,
    mapper: Mapper,
    options: SyncOptions,
    outcome: SyncOutcome,
    http_transport: httpx.AsyncBaseTransport | None,
    clock: Clock | None,
    progress: Progress | None,
    metrics: Metrics | None,
) -> None:
    """Apply the plan (or, on a dry run, show its diffs), then write the report file."""
    plan, report = outcome.plan, outcome.report
    if options.dry_run:
        if options.show:
            report.diffs = await _diffs(settings, plan, options.show, mapper, http_transport, clock)
        report.status = "dry-run"
    else:
        await _apply(settings, store, plan, mapper, report, outcome, http_transport, clock, progress, metrics)
    report.finished_at = datetime.now(UTC)
    if options.write_report:
        outcome.report_file = await asyncio.to_thread(
            write_report, report, settings.sync.report_dir, options.report_path
        )


def _plan(
    reader: Reader, store: StateStore, mapper: Mapper, account: str, options: SyncOptions, started: datetime
) -> tuple[Plan, RunReport]:
    """The plan and its report (in a worker thread: it reads the whole snapshot and state)."""
    plan = make_plan(
        reader,
        StoreView(store, account),
        mapper=mapper,
        only=options.only or None,
        sources=_sources(reader),
        pause_collector=options.pause_collector,
    )
    if plan.errors:
        add_rows(reader, plan.errors)  # the planner's errors name the file; this adds the row
    return plan, RunReport.of_plan(plan, account=account, dry_run=options.dry_run, started_at=started)


async def _adopted(
    settings: SyncConfig,
    store: StateStore,
    reader: Reader,
    plan: Plan,
    mapper: Mapper,
    options: SyncOptions,
    report: RunReport,
    started: datetime,
    http_transport: httpx.AsyncBaseTransport | None,
    clock: Clock | None,
) -> tuple[Plan, RunReport, Adoption]:
    """h7 (#12): :func:`~vtexbridge.sync.adopt.adopt_before_sync`, and the report of the new plan; a
    failure to read VTEX is recorded as a failed run (nothing was sent)."""
    account = settings.vtex.account
    try:
        plan, adoption = await adopt_before_sync(
            settings, store, reader, plan, mapper=mapper, only=options.only or None, sources=_sources(reader),
            record=not options.dry_run, http_transport=http_transport, clock=clock,
        )  # fmt: skip
    except VtexError as e:
        stop = stop_for(e, account, answered=False)  # refused credentials, host unreachable: stop
        failure = stop or e
        report.errors.append(
            {"type": type(failure).__name__, "message": failure.user_message, "category": failure.category}
        )
        if not options.dry_run:
            message = failure.user_message
            run_id = await asyncio.to_thread(store.runs.start, account, "sync", holder=holder_id())
            await asyncio.to_thread(
                store.runs.finish, run_id, RunStatus.FAILED, counts={}, requests=0, errors=1, message=message
            )
        if stop is not None:
            raise stop from e
        raise
    if plan.errors:
        await asyncio.to_thread(add_rows, reader, plan.errors)
    return (
        plan,
        RunReport.of_plan(plan, account=account, dry_run=options.dry_run, started_at=started),
        adoption,
    )


def _close(lease: HeldLease | None, store: StateStore) -> None:
    try:
        if lease is not None:
            lease.release()
    finally:
        store.close()


async def _apply(
    settings: SyncConfig,
    store: StateStore,
    plan: Plan,
    mapper: Mapper,
    report: RunReport,
    outcome: SyncOutcome,
    http_transport: httpx.AsyncBaseTransport | None,
    clock: Clock | None,
    progress: Progress | None,
    metrics: Metrics | None,
) -> None:
    account = settings.vtex.account
    run_id = await asyncio.to_thread(store.runs.start, account, "sync", holder=holder_id())
    report.run_id = run_id
    live = publishing(progress, store, account, run_id)  # h8 #17: every sync's progress, for the dashboard
    relay = ProgressRelay(live)  # publishing writes to the state store: not on the event loop
    await asyncio.to_thread(_record_plan_errors, store, account, plan, run_id)
    if metrics is not None:
        for kind, settled, n in _plan_outcomes(plan):
            metrics.sync.records(kind, settled, n)
    reach = Reach()
    client = _run_client(settings, http_transport, clock, metrics, reach)
    status = RunStatus.FAILED
    message: str | None = None
    try:
        executor = Executor(
            client,
            store,
            account,
            plan,
            mapper=mapper,
            settings=settings.sync,
            batch_size=settings.state.batch_size,
            run_id=run_id,
            progress=relay,
            clock=clock,
            metrics=metrics.sync if metrics is not None else None,
            reach=reach,
        )
        result = await executor.run()
        outcome.result = result
        report.add_result(result.done, result.failed, result.blocked, result.errors)
        status = RunStatus.PARTIAL if report.error_count else RunStatus.SUCCEEDED
    except VtexbridgeError as e:
        message = e.user_message
        report.errors.append({"type": type(e).__name__, "message": e.user_message, "category": e.category})
        raise
    except BaseException as e:
        status = RunStatus.ABORTED if isinstance(e, KeyboardInterrupt | SystemExit) else RunStatus.FAILED
        message = repr(e)
        raise
    finally:
        report.requests = client.transport.sent  # this run's own, whoever else shares the metrics
        report.status = status.value
        await client.aclose()
        await asyncio.to_thread(relay.close)
        await asyncio.to_thread(live.publisher.finish)
        await asyncio.to_thread(
            store.runs.finish,
            run_id,
            status,
            counts=report.counts(),
            requests=report.requests or 0,
            errors=report.error_count,
            message=message or _incomplete_warnings(report),
        )
        if metrics is not None:
            run = await asyncio.to_thread(store.runs.get, run_id)
            if run is not None:  # records were counted as they were committed
                metrics.sync.observe_run(run, count_records=False)


def _run_client(
    settings: SyncConfig,
    http_transport: httpx.AsyncBaseTransport | None,
    clock: Clock | None,
    metrics: Metrics | None,
    reach: Reach,
) -> VtexClient:
    """The run's own client: it stops at once when VTEX cannot be reached before anything answered."""
    transport_metrics = metrics.transport if metrics is not None else TransportMetrics(CollectorRegistry())
    retry = FailFastRetry.for_run(settings.vtex, clock or SystemClock(), reach)
    return VtexClient(
        Transport(
            settings.vtex,
            http_transport=http_transport,
            clock=clock,
            metrics=transport_metrics,
            retry_policy=retry,
        )
    )


def _keep_report(error: Exception, report: RunReport, settings: SyncConfig, options: SyncOptions) -> None:
    """Attach the report of a run that ended early to its error (``error.sync_report``), written to
    its file too when the run writes one (best effort: the error is what matters)."""
    report.finished_at = datetime.now(UTC)
    if report.status == "running":
        report.status = RunStatus.FAILED.value
    setattr(error, "sync_report", report)  # noqa: B010 - read back with getattr by the CLI
    if options.write_report:
        try:
            write_report(report, settings.sync.report_dir, options.report_path)
        except OSError:
            log.exception("could not write the report of the failed sync")


def _incomplete_warnings(report: RunReport) -> str | None:
    """The run's incomplete-read warnings, as the run's message (the dashboard's run page shows it)."""
    texts = [w["message"] for w in report.warnings if w["type"] == ReadIncomplete.__name__]
    return "warning: " + " | ".join(texts) if texts else None


def _record_plan_errors(store: StateStore, account: str, plan: Plan, run_id: int) -> None:
    """Record the plan's errors (one log line each); clear the errors that are gone: what was fixed,
    what left the ERP, and row errors of earlier runs (recorded again if still there)."""
    for kind, keys in plan.cleared.items():
        store.entities.clear_errors(account, kind.value, keys)
    rows = [error_row(e.kind, e.key, e.error) for e in plan.errors]
    if rows:
        store.entities.record_errors(account, rows, run_id=run_id)
        log_record_errors(rows, run_id=run_id)


def _plan_outcomes(plan: Plan) -> list[tuple[str, str, int]]:
    """``(kind, outcome, n)`` of the records the plan settles itself: ``unchanged``; ``blocked``
    for records held back by another record's error, ``invalid`` for the records in error."""
    held: dict[Kind, set[str]] = {}
    for e in plan.errors:
        if isinstance(e.error, DependencyBlocked) and e.key is not None:
            held.setdefault(e.kind, set()).add(e.key)
    out = []
    for kind, counts in plan.rows():
        unchanged = counts.get(Action.UNCHANGED, 0)
        if unchanged:
            out.append((kind.value, Action.UNCHANGED.value, unchanged))
        bad = counts.get(Action.BLOCKED, 0)
        blocked = min(bad, len(held.get(kind, ())))
        if blocked:
            out.append((kind.value, Action.BLOCKED.value, blocked))
        if bad - blocked:
            out.append((kind.value, "invalid", bad - blocked))
    return out


async def _diffs(
    settings: SyncConfig,
    plan: Plan,
    key: str,
    mapper: Mapper,
    http_transport: httpx.AsyncBaseTransport | None,
    clock: Clock | None,
) -> list[dict[str, Any]]:
    """``--show``'s field diffs, VTEX's copy read when there are credentials (:mod:`.show`)."""
    client = None
    if settings.vtex.credentials_problem() is None:
        client = VtexClient.from_settings(settings.vtex, http_transport=http_transport, clock=clock)
    return await field_diffs(plan, key, mapper, client)


def _sources(reader: Reader) -> dict[Entity, str]:
    file_of = getattr(reader, "file_of", None)
    out: dict[Entity, str] = {}
    for entity in Entity:
        path = file_of(entity) if file_of is not None else None
        if path is not None:
            out[entity] = str(path)
    return out


def entities_named(names: Iterable[str]) -> tuple[Entity, ...]:
    """``--only`` values: entity names (``skus``, ``prices``) or kind names (``sku``, ``price``)."""
    out: list[Entity] = []
    by_kind = {k.value: ents for k, ents in ENTITIES_OF.items()}
    problems = []
    for raw in names:
        for name in (n.strip() for n in raw.split(",")):
            if not name:
                continue
            if name in Entity._value2member_map_:
                out.append(Entity(name))
            elif name in by_kind:
                out.extend(by_kind[name])
            else:
                problems.append(name)
    if problems:
        known = ", ".join(e.value for e in Entity)
        raise ConfigError(f"unknown entity for --only: {', '.join(problems)} (known: {known})")
    return tuple(dict.fromkeys(out))
