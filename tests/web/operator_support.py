"""Shared by the dashboard and /metrics tests: settings, a state store with a known history, the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from vtexbridge.config import Settings
from vtexbridge.state import StateStore
from vtexbridge.state.models import Accepted, ActionState, ErrorRow, RunStatus
from vtexbridge.web.app import create_app

ACCOUNT = "sandbox"
ORDER_OK = "1001-01"
ORDER_REFUSED = "1002-01"
ORDER_STUCK = "1003-01"


def make_settings(tmp_path: Path, **web: Any) -> Settings:
    return Settings.model_validate(
        {
            "vtex": {"account": ACCOUNT},
            "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
            "web": web,
        }
    )


def open_store(settings: Settings) -> StateStore:
    return StateStore.open(settings.state.url, create=True)


def digest(text: str) -> bytes:
    return text.encode().ljust(16, b"\0")[:16]


def populate(store: StateStore) -> dict[str, Any]:
    """One finished sync (with a record error and a VTEX rejection), three orders, three actions."""
    run = store.runs.start(ACCOUNT, "sync", holder="test:1")
    store.entities.record_accepted(
        ACCOUNT,
        [Accepted("category", f"cat-{i}", str(i), digest(f"c{i}")) for i in range(3)]
        + [Accepted("sku", f"SKU-{i}", str(100 + i), digest(f"s{i}")) for i in range(5)],
    )
    store.entities.record_errors(
        ACCOUNT,
        [
            ErrorRow(
                "sku",
                "P0004-02",
                "not a decimal number: '0,46' (use '.' as the decimal separator and no thousands separator)",
                field="packaged_weight_kg",
                source="examples/erp/skus.csv:14",
            ),
            ErrorRow(
                "product",
                "P0009",
                "VTEX refused the product",
                category="record",
                vtex_status=400,
                vtex_message="Category not found",
            ),
        ],
        run_id=run,
    )
    counts = {
        "category": {"create": 3},
        "sku": {"create": 5, "invalid": 1},
        "product": {"failed": 1, "unchanged": 4},
    }
    store.runs.finish(run, RunStatus.PARTIAL, counts=counts, requests=12, errors=2)

    now = datetime.now(UTC)
    store.orders.note_status(ACCOUNT, ORDER_OK, "ready-for-handling", changed_at=now - timedelta(minutes=3))
    store.orders.record_delivery(
        ACCOUNT, ORDER_OK, "ready-for-handling", sink="folder", erp_ref="erp/orders/1001-01.json"
    )
    store.orders.mark_handling_started(ACCOUNT, ORDER_OK)
    store.values.put(
        f"orders:journal:{ACCOUNT}",
        ORDER_OK,
        {
            "seen": [
                {
                    "source": "feed",
                    "event": "ready-for-handling",
                    "status": "ready-for-handling",
                    "outcome": "delivered",
                    "handling": "started",
                    "at": (now - timedelta(minutes=2)).isoformat(),
                }
            ],
            "errors": [],
            "notes": [],
        },
    )
    invoice, _ = store.actions.enqueue(
        ACCOUNT,
        ORDER_OK,
        "invoice",
        {"invoiceNumber": "NF-1"},
        dedup_key="invoice:NF-1",
        source_ref="inv-1.json",
    )
    _finish(store, invoice, ActionState.DONE)

    store.orders.note_status(ACCOUNT, ORDER_REFUSED, "handling", changed_at=now - timedelta(minutes=1))
    refused, _ = store.actions.enqueue(
        ACCOUNT, ORDER_REFUSED, "tracking", {"trackingNumber": "BR1"}, source_ref="trk-2.json"
    )
    _finish(store, refused, ActionState.REJECTED, "Invoice not found for this order", 400)

    store.orders.note_status(ACCOUNT, ORDER_STUCK, "ready-for-handling", changed_at=now - timedelta(hours=2))
    store.values.put(
        f"orders:journal:{ACCOUNT}",
        ORDER_STUCK,
        {
            "seen": [],
            "errors": [{"step": "sink", "message": "ERP folder not writable", "at": now.isoformat()}],
        },
    )
    return {"run": run, "invoice": invoice, "refused": refused}


def _finish(
    store: StateStore,
    action_id: int,
    state: ActionState,
    message: str | None = None,
    status: int | None = None,
) -> None:
    claimed = store.actions.claim_next("test-worker", account=ACCOUNT)
    assert claimed is not None and claimed.id == action_id
    store.actions.finish(action_id, state, message, vtex_status=status, worker="test-worker")


def build_app(settings: Settings, store: StateStore) -> FastAPI:
    return create_app(settings, state=store)
