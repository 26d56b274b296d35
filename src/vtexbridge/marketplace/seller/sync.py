"""The external seller's sync (model A): tell the VTEX marketplace what changed in the ERP, and only that.

``vtexbridge sync`` runs this instead of the store sync when ``[marketplace.seller]`` is configured
(``vtex.account`` is then the marketplace, which keeps no copy of our catalog, prices or stock: it
asks our simulation). One run:

1. reads the ERP snapshot (the ``[erp]`` reader) into offers (:func:`~.simulation.load_offers`: price
   of the configured trade policy with its fixed prices, stock over active warehouses) and SKU
   suggestions (:func:`~.catalog.build_offers`);
2. hashes, per seller SKU, what the marketplace must hear about: the SKU's content (the suggestion
   without its price and stock), its price (base, list, fixed prices, and the price in force now, so
   a promotion that starts is notified), its stock (``None`` = unlimited; a SKU gone from the
   snapshot is "gone");
3. compares them with the hashes last accepted, kept in the state store's entity map under the
   account ``"<marketplace>:seller:<seller_id>"`` (kinds ``sku``, ``price``, ``inventory``), which
   never mixes with a store sync of the same account;
4. sends: for a SKU never offered or whose content changed, the catalog change notification and, when
   the marketplace answers 404, the SKU suggestion (:func:`~.outbound.offer_new_skus`); for a SKU
   already offered whose price changed, one price notification; whose stock changed, one inventory
   notification (:func:`~.outbound.notify_changes`); nothing for an unchanged SKU;
5. before notifying, waits (bounded) for a running ``serve`` to answer from this snapshot
   (:func:`wait_for_serve`): the marketplace simulates right after a notification;
6. records a hash only once the marketplace accepted the call. A refused call is an entity error
   (SKU key, VTEX's status and message) and is sent again by the next run.

A SKU without a price in the snapshot is not offered (nothing to sell). Work goes in batches of
:data:`BATCH` SKUs, each recorded before the next one starts, so an interrupted run resumes where it
stopped. A dry run reads the state and the snapshot and sends nothing: the report counts what it would
send (``sku: create`` = offer, ``price``/``inventory: update`` = notification) and
``SyncOutcome.extra["notifications"]`` lists the SKUs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.config import Settings
from vtexbridge.erp.readers import Reader
from vtexbridge.errors import ConfigError
from vtexbridge.marketplace.runtime import marketplace_settings
from vtexbridge.marketplace.seller.catalog import build_offers
from vtexbridge.marketplace.seller.orders import SCOPE
from vtexbridge.marketplace.seller.outbound import NotifyReport, SkuOffer, notify_changes, offer_new_skus
from vtexbridge.marketplace.seller.service import index_key
from vtexbridge.marketplace.seller.simulation import Offer, OfferIndex, load_offers, snapshot_version
from vtexbridge.marketplace.settings import SellerSettings
from vtexbridge.state.leases import hold_sync_lease, holder_id
from vtexbridge.state.models import Accepted, ErrorRow, RunStatus
from vtexbridge.state.store import StateStore
from vtexbridge.sync.apply import Progress
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.report import RunReport, write_report
from vtexbridge.sync.runner import SyncOptions, SyncOutcome, erp_reader
from vtexbridge.sync.steps import Action, Plan
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import VtexError
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.transport import Transport

__all__ = [
    "BATCH",
    "OFFER",
    "PRICE",
    "STOCK",
    "SellerChanges",
    "diff_seller",
    "hash_price",
    "hash_sku",
    "hash_stock",
    "run_seller_sync",
    "seller_namespace",
    "wait_for_serve",
]

_log = logging.getLogger(__name__)

OFFER = "sku"
PRICE = "price"
STOCK = "inventory"
BATCH = 500
"""SKUs sent (and then recorded) at a time."""
_KIND = {OFFER: Kind.SKU, PRICE: Kind.PRICE, STOCK: Kind.INVENTORY}
_NOTIFY_KIND = {"suggestion": OFFER, "price": PRICE, "inventory": STOCK}


def seller_namespace(account: str, seller_id: str) -> str:
    """The state store account the seller sync keeps its hashes, errors and runs under."""
    return f"{account}:seller:{seller_id}"


def _digest(value: Any) -> bytes:
    raw = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.blake2b(raw, digest_size=16).digest()


GONE = _digest("gone")
"""The stock hash of a SKU no longer in the snapshot (or no longer active)."""


def hash_price(offer: Offer, now: float) -> bytes:
    """What a price notification is about: base and list price, the fixed prices, the price in force."""
    current = offer.unit_prices(1, now)
    fixed = [[f.value, f.list_price, f.min_quantity, f.starts, f.ends] for f in offer.fixed]
    return _digest(["price", offer.price, offer.list_price, fixed, current[:2] if current else None])


def hash_stock(offer: Offer) -> bytes:
    return _digest(["stock", offer.stock])


def hash_sku(offer: SkuOffer) -> bytes:
    """The SKU's content as a suggestion carries it, without price and stock (notified apart)."""
    if offer.suggestion is None:
        return _digest(["unbuildable", offer.reason])
    content = offer.suggestion.model_dump(mode="json", exclude={"AvailableQuantity", "Pricing"})
    return _digest(["sku", content])


@dataclass
class SellerChanges:
    """What one run has to tell the marketplace, with the hashes to record once it is accepted."""

    offer: list[SkuOffer] = field(default_factory=list)
    price: list[str] = field(default_factory=list)
    stock: list[str] = field(default_factory=list)
    hashes: dict[tuple[str, str], bytes] = field(default_factory=dict)
    """(kind, SKU) -> hash to record when that kind's call for the SKU is accepted."""
    unchanged: int = 0
    unpriced: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.offer) + len(self.price) + len(self.stock)

    def lists(self) -> dict[str, list[str]]:
        return {
            "offer": [o.seller_sku_id for o in self.offer],
            "price": list(self.price),
            "inventory": list(self.stock),
        }


def diff_seller(
    offers: Sequence[Offer],
    built: Iterable[SkuOffer],
    state: Mapping[str, Mapping[str, bytes | None]],
    now: float,
) -> SellerChanges:
    """Compare the snapshot with the hashes last accepted (``state[kind][sku]``).

    A SKU never offered (or whose content changed) is offered, and its price and stock hashes are
    recorded with the offer (the marketplace simulates it when it takes it in). A SKU already
    offered gets a price and/or inventory notification for what changed. A SKU the state knows but
    the snapshot no longer sells gets one inventory notification.
    """
    changes = SellerChanges()
    content = {o.seller_sku_id: o for o in built}
    offered, prices, stocks = state.get(OFFER, {}), state.get(PRICE, {}), state.get(STOCK, {})
    seen: set[str] = set()
    for offer in offers:
        sku = offer.sku_id
        seen.add(sku)
        price_hash, stock_hash = hash_price(offer, now), hash_stock(offer)
        known = sku in offered
        if not known and offer.price is None:
            changes.unpriced.append(sku)
            continue
        candidate = content.get(sku) or SkuOffer(sku, None, "the SKU is not in the snapshot's catalog")
        sku_hash = hash_sku(candidate)
        touched = False
        if offered.get(sku) != sku_hash:
            changes.offer.append(candidate)
            changes.hashes[(OFFER, sku)] = sku_hash
            touched = True
            if not known:
                # the marketplace simulates a SKU it takes in: no separate notifications
                changes.hashes[(PRICE, sku)] = price_hash
                changes.hashes[(STOCK, sku)] = stock_hash
                continue
        if prices.get(sku) != price_hash:
            changes.price.append(sku)
            changes.hashes[(PRICE, sku)] = price_hash
            touched = True
        if stocks.get(sku) != stock_hash:
            changes.stock.append(sku)
            changes.hashes[(STOCK, sku)] = stock_hash
            touched = True
        if not touched:
            changes.unchanged += 1
    for sku, last in stocks.items():
        if sku not in seen and last != GONE:
            changes.stock.append(sku)
            changes.hashes[(STOCK, sku)] = GONE
    return changes


def _seller(settings: Settings) -> SellerSettings:
    seller = marketplace_settings(settings).seller
    if seller is None:
        raise ConfigError("the seller sync needs a [marketplace.seller] section")
    return seller


def _read(
    reader: Reader, seller: SellerSettings, read_at: float
) -> tuple[list[Offer], list[SkuOffer], float]:
    offers = load_offers(reader, trade_policy=seller.trade_policy)
    index = OfferIndex()
    index.replace(offers)
    built, skipped = build_offers(reader, seller, index)
    version = snapshot_version(reader, read_at)
    return offers, [*built, *(SkuOffer(s.sku_key, None, s.reason) for s in skipped)], version


async def wait_for_serve(
    store: StateStore, account: str, seller: SellerSettings, version: float, clock: Clock
) -> str:
    """Wait until ``serve`` answers the simulation from a snapshot at least as new as ``version``.

    The marketplace simulates a SKU right after its notification: notifying before ``serve``
    reloaded would index the old price. ``serve`` records the snapshot it loaded (see
    :meth:`~.service.SellerProtocol.refresh`); no record, or one older than two reload intervals,
    means no ``serve`` is running on this state store, and nothing is waited for. The wait is bounded
    by one reload interval plus a minute, after which the run notifies anyway (and says so).

    Returns:
        ``"current"``, ``"no serve"`` or ``"timeout"``.
    """
    key = index_key(account, seller.seller_id)
    deadline = clock.monotonic() + seller.index_refresh_s + 60
    while True:
        record = await asyncio.to_thread(store.values.get, SCOPE, key)
        if not isinstance(record, Mapping):
            return "no serve"
        if float(record.get("version") or 0) >= version:
            return "current"
        if float(record.get("loadedAt") or 0) < clock.now().timestamp() - 2 * seller.index_refresh_s - 60:
            return "no serve"
        if clock.monotonic() >= deadline:
            _log.warning(
                "seller sync: serve has not reloaded the ERP snapshot in %.0f s; notifying anyway "
                "(the marketplace may index the previous price or stock until the next change)",
                seller.index_refresh_s + 60,
            )
            return "timeout"
        await clock.sleep(min(2.0, seller.index_refresh_s))


async def run_seller_sync(
    settings: Settings,
    options: SyncOptions | None = None,
    *,
    http_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
    reader: Reader | None = None,
    metrics: TransportMetrics | None = None,
) -> SyncOutcome:
    """One seller sync of ``settings.marketplace.seller`` against the marketplace ``settings.vtex.account``.

    ``options.only`` is ignored (the three kinds go together); ``options.show`` names a seller SKU
    whose pending notifications a dry run details in ``report.diffs``.

    Raises:
        ConfigError: ``[erp]`` or ``[marketplace.seller]`` missing, missing credentials.
        StateLocked: another seller sync of this seller is running.
    """
    options = options or SyncOptions()
    seller = _seller(settings)
    reader = erp_reader(settings, reader)
    if not options.dry_run:
        settings.vtex.require_credentials()
    clock = clock or SystemClock()
    namespace = seller_namespace(settings.vtex.account, seller.seller_id)
    started = datetime.now(UTC)
    store = StateStore.open(settings.state.url, create=True)
    lease = None
    try:
        if not options.dry_run:
            lease = hold_sync_lease(store.leases, namespace, settings.sync.lease_ttl_s)
        offers, built, version = await asyncio.to_thread(_read, reader, seller, clock.now().timestamp())
        state = {kind: await asyncio.to_thread(_hashes, store, namespace, kind) for kind in _KIND}
        changes = diff_seller(offers, built, state, clock.now().timestamp())
        plan = _plan(changes)
        report = RunReport(account=namespace, dry_run=options.dry_run, started_at=started)
        report.planned = {k: dict(v) for k, v in plan.rows()}
        if changes.unpriced:
            shown = ", ".join(changes.unpriced[:10]) + (" ..." if len(changes.unpriced) > 10 else "")
            report.warnings.append(
                {
                    "kind": "sku",
                    "key": None,
                    "type": "Unpriced",
                    "category": "record",
                    "message": f"{len(changes.unpriced)} SKU(s) have no price in trade policy "
                    f"{seller.trade_policy} and are not offered: {shown}",
                }
            )
        outcome = SyncOutcome(plan, report, extra={"notifications": changes.lists()})
        if options.dry_run:
            report.status = "dry-run"
            if options.show:
                report.diffs = _diffs(changes, offers, options.show)
            _log.info(
                "seller sync (dry run): would offer %d SKU(s), notify %d price and %d inventory change(s)",
                len(changes.offer),
                len(changes.price),
                len(changes.stock),
            )
        else:
            metrics = metrics or TransportMetrics(CollectorRegistry())
            if changes.total:
                outcome.extra["serve"] = await wait_for_serve(
                    store, settings.vtex.account, seller, version, clock
                )
            await _apply(
                settings, seller, store, namespace, changes, report, http_transport, clock, metrics, progress
            )
        report.finished_at = datetime.now(UTC)
        if options.write_report:
            outcome.report_file = write_report(
                report, None, options.report_path or _report_path(settings, report, seller)
            )
        return outcome
    finally:
        if lease is not None:
            lease.release()
        store.close()


def _hashes(store: StateStore, namespace: str, kind: str) -> dict[str, bytes | None]:
    return {k: e.payload_hash for k, e in store.entities.load_index(namespace, kind).items()}


def _plan(changes: SellerChanges) -> Plan:
    plan = Plan(kinds=(Kind.SKU, Kind.PRICE, Kind.INVENTORY))
    plan.counts = {
        Kind.SKU: {Action.CREATE: len(changes.offer), Action.UNCHANGED: changes.unchanged},
        Kind.PRICE: {Action.UPDATE: len(changes.price)},
        Kind.INVENTORY: {Action.UPDATE: len(changes.stock)},
    }
    return plan


def _report_path(settings: Settings, report: RunReport, seller: SellerSettings) -> Path:
    stamp = report.started_at.strftime("%Y%m%dT%H%M%SZ")
    run = f"-{report.run_id}" if report.run_id is not None else ""
    kind = "seller-plan" if report.dry_run else "seller-sync"
    name = f"{kind}-{settings.vtex.account}-{seller.seller_id}{run}-{stamp}.json"
    return Path(settings.sync.report_dir or Path("sync-reports")) / name


def _diffs(changes: SellerChanges, offers: Sequence[Offer], key: str) -> list[dict[str, Any]]:
    offer = next((o for o in offers if o.sku_id == key), None)
    out: list[dict[str, Any]] = []
    if any(o.seller_sku_id == key for o in changes.offer):
        out.append({"kind": OFFER, "key": key, "action": "offer", "fields": [], "note": None})
    if key in changes.price:
        fields = [] if offer is None else [{"field": "price", "wanted": offer.price, "changed": True}]
        out.append({"kind": PRICE, "key": key, "action": "notify", "fields": fields, "note": None})
    if key in changes.stock:
        wanted = "gone" if offer is None else offer.stock
        fields = [{"field": "stock", "wanted": wanted, "changed": True}]
        out.append({"kind": STOCK, "key": key, "action": "notify", "fields": fields, "note": None})
    if not out:
        note = "unchanged since the last notification (or not sold)"
        out.append({"kind": "-", "key": key, "action": "no change", "fields": [], "note": note})
    return out


def _batches(changes: SellerChanges) -> list[tuple[list[SkuOffer], list[str], list[str]]]:
    out = []
    for n in range(0, max(len(changes.offer), len(changes.price), len(changes.stock)), BATCH):
        out.append((changes.offer[n : n + BATCH], changes.price[n : n + BATCH], changes.stock[n : n + BATCH]))
    return out


async def _apply(
    settings: Settings,
    seller: SellerSettings,
    store: StateStore,
    namespace: str,
    changes: SellerChanges,
    report: RunReport,
    http_transport: httpx.AsyncBaseTransport | None,
    clock: Clock,
    metrics: TransportMetrics,
    progress: Progress | None,
) -> None:
    run_id = await asyncio.to_thread(store.runs.start, namespace, "sync", holder=holder_id())
    report.run_id = run_id
    client = VtexClient(Transport(settings.vtex, http_transport=http_transport, clock=clock, metrics=metrics))
    done: dict[Kind, dict[Action, int]] = {
        Kind.SKU: {Action.CREATE: 0, Action.LINK: 0},
        Kind.PRICE: {Action.UPDATE: 0},
        Kind.INVENTORY: {Action.UPDATE: 0},
    }
    failed: dict[Kind, int] = {}
    status = RunStatus.FAILED
    message: str | None = None
    if progress is not None:
        progress.start(
            {Kind.SKU: len(changes.offer), Kind.PRICE: len(changes.price), Kind.INVENTORY: len(changes.stock)}
        )
    try:
        await asyncio.to_thread(_clear_stale_errors, store, namespace, changes)
        for offers, price, stock in _batches(changes):
            offered = await offer_new_skus(client, seller.seller_id, offers)
            notified = await notify_changes(client, seller.seller_id, price, stock)
            accepted = _accepted(changes, offered, notified)
            errors = _errors(offered, notified)
            await asyncio.to_thread(store.entities.record_accepted, namespace, accepted)
            if errors:
                await asyncio.to_thread(store.entities.record_errors, namespace, errors, run_id=run_id)
            done[Kind.SKU][Action.CREATE] += len(offered.suggested)
            done[Kind.SKU][Action.LINK] += len(offered.known)
            done[Kind.PRICE][Action.UPDATE] += len(notified.price)
            done[Kind.INVENTORY][Action.UPDATE] += len(notified.inventory)
            for row in errors:
                failed[_KIND[row.kind]] = failed.get(_KIND[row.kind], 0) + 1
            report.errors.extend(_error_json(row) for row in errors)
            if progress is not None:
                progress.advance(Kind.SKU, len(offers))
                progress.advance(Kind.PRICE, len(price))
                progress.advance(Kind.INVENTORY, len(stock))
        status = RunStatus.PARTIAL if report.errors else RunStatus.SUCCEEDED
    except BaseException as e:
        status = RunStatus.ABORTED if isinstance(e, KeyboardInterrupt | SystemExit) else RunStatus.FAILED
        message = e.user_message if isinstance(e, VtexError) else repr(e)
        raise
    finally:
        report.done = done
        report.failed = failed
        report.requests = _requests(metrics)
        report.status = status.value
        await client.aclose()
        await asyncio.to_thread(
            store.runs.finish,
            run_id,
            status,
            counts=report.counts(),
            requests=report.requests or 0,
            errors=report.error_count,
            message=message,
        )
    for sku, kind, why in report_failures(report):
        _log.warning("seller sync: %s of SKU %s failed: %s", kind, sku, why)


def report_failures(report: RunReport) -> list[tuple[str, str, str]]:
    """(SKU, kind, message) of every failure of a seller sync report."""
    return [(str(e["key"]), str(e["kind"]), str(e["message"])) for e in report.errors if e.get("key")]


def _accepted(changes: SellerChanges, offered: NotifyReport, notified: NotifyReport) -> list[Accepted]:
    rows: list[Accepted] = []
    for sku in [*offered.suggested, *offered.known]:
        for kind in (OFFER, PRICE, STOCK):
            digest = changes.hashes.get((kind, sku))
            # price/stock hashes ride along with an offer only for a SKU offered for the first time
            if digest is not None and (
                kind == OFFER or (sku not in changes.price and sku not in changes.stock)
            ):
                rows.append(Accepted(kind, sku, None, digest))
    for kind, skus in ((PRICE, notified.price), (STOCK, notified.inventory)):
        for sku in skus:
            rows.append(Accepted(kind, sku, None, changes.hashes[(kind, sku)]))
    return rows


def _errors(*reports: NotifyReport) -> list[ErrorRow]:
    rows: list[ErrorRow] = []
    for report in reports:
        for sku, what, why in report.failed:
            kind = _NOTIFY_KIND.get(what, what)
            cause = report.causes.get((sku, what))
            label = {"suggestion": "offer", "price": "price notification"}.get(what, "inventory notification")
            rows.append(
                ErrorRow(
                    kind=kind,
                    erp_key=sku,
                    message=f"{label} of SKU {sku} was not accepted: {why}",
                    category=cause.category if cause is not None else "record",
                    vtex_status=getattr(cause, "status", None),
                    vtex_code=getattr(cause, "vtex_code", None),
                    vtex_message=getattr(cause, "vtex_message", None),
                )
            )
    return rows


def _error_json(row: ErrorRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": row.kind,
        "key": row.erp_key,
        "entity": "skus",
        "source": None,
        "row": None,
        "field": None,
        "type": "NotificationRefused",
        "category": row.category,
        "message": row.message,
    }
    if row.vtex_status is not None:
        out.update(vtex_status=row.vtex_status, vtex_code=row.vtex_code, vtex_message=row.vtex_message)
    return out


def _clear_stale_errors(store: StateStore, namespace: str, changes: SellerChanges) -> None:
    """Errors of SKUs this run has nothing to send for are gone (fixed, or no longer sold)."""
    pending: dict[str, set[str]] = {kind: set() for kind in _KIND}
    for kind, sku in changes.hashes:
        pending[kind].add(sku)
    for kind in _KIND:
        stale = [
            e.erp_key for e in store.entities.list_errors(namespace, kind) if e.erp_key not in pending[kind]
        ]
        if stale:
            store.entities.clear_errors(namespace, kind, stale)


def _requests(metrics: TransportMetrics) -> int:
    total = 0.0
    for metric in metrics.registry.collect():
        if metric.name.endswith("vtex_requests"):
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return int(total)
