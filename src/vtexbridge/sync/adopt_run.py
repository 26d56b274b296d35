"""``vtexbridge adopt``, the flow: plan the ERP against the state, match it with what VTEX holds,
and (unless a dry run) record the matches, holding the account's sync lease. Nothing is written to
VTEX: the next ``sync`` sends only the differences (and creates what VTEX lacks)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from vtexbridge.clock import Clock
from vtexbridge.config import Settings
from vtexbridge.erp.readers import Reader
from vtexbridge.erp.records import Entity
from vtexbridge.state.leases import hold_sync_lease
from vtexbridge.state.store import StateStore
from vtexbridge.sync.adopt import Adoption, adopt_before_sync
from vtexbridge.sync.locate import add_rows
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.plan import make_plan
from vtexbridge.sync.runner import _sources, erp_reader
from vtexbridge.sync.stateview import StoreView

__all__ = ["run_adopt"]


async def run_adopt(
    settings: Settings,
    *,
    dry_run: bool = False,
    only: tuple[Entity, ...] = (),
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
        plan = make_plan(reader, StoreView(store, account), mapper=mapper, only=only or None, sources=sources)
        started = datetime.now(UTC)
        replanned, adoption = await adopt_before_sync(
            settings, store, reader, plan, mapper=mapper, only=only or None, sources=sources,
            record=not dry_run, full=True, http_transport=http_transport, clock=clock,
        )  # fmt: skip
        if replanned.errors:
            add_rows(reader, replanned.errors)
        adoption.plan = replanned
        adoption.seconds = (datetime.now(UTC) - started).total_seconds()
        return adoption
    finally:
        if lease is not None:
            lease.release()
        store.close()
