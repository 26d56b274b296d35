"""An order's current status in VTEX, as an operator needs it: ``orders status`` and the dashboard.

The order pipeline records the statuses its feed and hook deliver (``orders.statuses``, by default
``ready-for-handling`` and ``canceled``), so the last status *seen* stays ``ready-for-handling`` once
the ERP invoices the order. What the operator wants is VTEX's status now, and whether an order is
only partly invoiced (VTEX keeps it in ``handling`` until invoices cover its value).

- :func:`fetch_current` asks VTEX (Get Order, through the client's transport) for a few orders and
  keeps each answer as a snapshot in the state store (``kv`` scope ``orders:vtex-status:<account>``;
  the order pipeline's own records are never touched);
- :func:`current_status` gives the best local knowledge without calling VTEX: the snapshot when it
  is at least as recent as what the pipeline saw, else the last status seen, advanced by the actions
  VTEX accepted (a cancellation, an invoice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vtexbridge.errors import VtexbridgeError
from vtexbridge.state.models import Action, OrderState
from vtexbridge.state.store import StateStore
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import CircuitOpen, VtexTransportError
from vtexbridge.vtex.models.orders import Order

__all__ = ["CurrentStatus", "current_status", "fetch_current", "snapshot_scope"]

FETCH_CONCURRENCY = 4


def snapshot_scope(account: str) -> str:
    return f"orders:vtex-status:{account}"


@dataclass(frozen=True, slots=True)
class CurrentStatus:
    """VTEX's status of an order; ``invoiced``/``value`` in cents when known; ``source`` says where
    it comes from: ``vtex`` (asked VTEX at ``at``), ``seen`` (the pipeline's last event, advanced by
    the actions VTEX accepted)."""

    status: str | None
    source: str
    at: datetime | None = None
    value: int | None = None
    invoiced: int | None = None

    @property
    def partly_invoiced(self) -> bool:
        return (
            self.status not in ("invoiced", "invoice", "canceled")
            and bool(self.invoiced)
            and self.value is not None
            and (self.invoiced or 0) < self.value
        )

    @property
    def label(self) -> str:
        """``invoiced``, ``handling, partly invoiced (50.00 of 120.00)``, ``-`` when unknown."""
        if self.partly_invoiced:
            assert self.value is not None and self.invoiced is not None
            return f"{self.status}, partly invoiced ({self.invoiced / 100:.2f} of {self.value / 100:.2f})"
        return self.status or "-"

    @property
    def short(self) -> str:
        """The label for narrow tables: ``handling, partly invoiced``."""
        return f"{self.status}, partly invoiced" if self.partly_invoiced else (self.status or "-")


def _invoiced_value(order: Order) -> int:
    packages = order.packageAttachment.packages if order.packageAttachment else []
    return sum(p.invoiceValue or 0 for p in packages if p.type in (None, "Output"))


def _snapshot(order: Order, at: datetime) -> dict[str, Any]:
    return {
        "status": order.status,
        "value": order.value,
        "invoiced": _invoiced_value(order),
        "at": at.isoformat(),
    }


async def fetch_current(
    client: VtexClient, store: StateStore, account: str, order_ids: Sequence[str]
) -> dict[str, CurrentStatus | str]:
    """Ask VTEX for each order's status now (a few at a time); an order VTEX could not answer for
    maps to the reason (a string). Each answer is kept as the order's snapshot.

    Raises:
        VtexTransportError, CircuitOpen: VTEX could not be reached at all.
    """
    slots = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(order_id: str) -> CurrentStatus | str:
        async with slots:
            try:
                order = await client.orders.get_order(order_id)
            except (VtexTransportError, CircuitOpen):
                raise  # VTEX is not reachable: no order can be answered
            except VtexbridgeError as e:
                return e.user_message
        at = datetime.now(UTC)
        value = _snapshot(order, at)
        await asyncio.to_thread(store.values.put, snapshot_scope(account), order_id, value)
        return _from_snapshot(value) or CurrentStatus(order.status, "vtex", at)

    answers = await asyncio.gather(*(one(o) for o in order_ids))
    return dict(zip(order_ids, answers, strict=True))


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _from_snapshot(value: Any) -> CurrentStatus | None:
    if not isinstance(value, dict) or not isinstance(value.get("status"), str):
        return None
    return CurrentStatus(
        value["status"],
        "vtex",
        _parse(value.get("at")),
        _int(value.get("value")),
        _int(value.get("invoiced")),
    )


def current_status(
    store: StateStore, account: str, state: OrderState | None, done_actions: Iterable[Action]
) -> CurrentStatus:
    """The order's status as best known locally (no call to VTEX); see the module docstring."""
    order_id = state.order_id if state is not None else None
    done = list(done_actions)
    if order_id is None and done:
        order_id = done[0].order_id
    snapshot = _from_snapshot(store.values.get(snapshot_scope(account), order_id)) if order_id else None
    last_local = max(
        [m for m in [state.updated_at if state else None, *(a.done_at for a in done)] if m is not None],
        default=None,
    )
    if snapshot is not None and (last_local is None or (snapshot.at and snapshot.at >= last_local)):
        return snapshot
    seen = state.last_status if state is not None else None
    accepted = [a for a in done if a.state == "done"]
    if any(a.kind == "cancel" for a in accepted):
        return CurrentStatus("canceled", "seen", last_local)
    invoices = [a for a in accepted if a.kind == "invoice"]
    if invoices and seen != "canceled":
        # Without items, an invoice covers what is left of the order; with items it may be partial,
        # which only VTEX can tell (fetch_current).
        whole = any(not (isinstance(a.payload, dict) and a.payload.get("items")) for a in invoices)
        return CurrentStatus("invoiced" if whole else "invoice accepted", "seen", last_local)
    return CurrentStatus(seen, "seen", state.status_changed_at if state else None)
