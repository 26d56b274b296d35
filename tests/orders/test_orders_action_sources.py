"""Action sources: the folder's file lifecycle and the SQL outbox table."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import sqlalchemy as sa

from vtexbridge.orders.action_sources import FolderSource, SqlOutboxSource
from vtexbridge.state import ActionState, StateStore


def store_at(tmp_path: Path) -> StateStore:
    return StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)


def invoice(oid: str = "O-1", number: str = "NF-1") -> dict[str, object]:
    return {"type": "invoice", "orderId": oid, "invoiceNumber": number, "issuanceDate": "2024-05-01"}


def finish_all(store: StateStore, state: ActionState, message: str | None = None) -> None:
    while (action := store.actions.claim_next("w", account="acme")) is not None:
        store.actions.finish(action.id, state, message, vtex_status=400 if state == "rejected" else None)


def test_a_file_is_queued_then_archived_to_done(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        src = FolderSource(tmp_path / "actions", store=store, account="acme", min_age_s=0)
        (tmp_path / "actions" / "inv.json").write_text(json.dumps([invoice(), invoice("O-2", "NF-2")]))
        report = src.scan()
        assert report.files_taken == 1 and report.actions_queued == 2
        assert (tmp_path / "actions" / "processing" / "inv.json").exists()
        assert src.scan().files_done == 0  # still pending
        finish_all(store, ActionState.DONE)
        assert src.scan().files_done == 1
        assert (tmp_path / "actions" / "done" / "inv.json").exists()
        assert list((tmp_path / "actions" / "processing").iterdir()) == []
        assert [a.source_ref for a in store.actions.list_for("acme")] == ["inv.json:0", "inv.json:1"]


def test_a_refused_action_sends_its_file_to_rejected_with_vtexs_message(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        src = FolderSource(tmp_path / "actions", store=store, account="acme", min_age_s=0)
        (tmp_path / "actions" / "cancel.json").write_text(json.dumps({"type": "cancel", "orderId": "O-1"}))
        src.scan()
        finish_all(store, ActionState.REJECTED, "Order O-1 is invoiced and can no longer be canceled")
        src.scan()
        rejected = tmp_path / "actions" / "rejected"
        assert (rejected / "cancel.json").exists()
        error = json.loads((rejected / "cancel.json.error.json").read_text())
        assert error["stage"] == "vtex"
        [e] = error["errors"]
        assert (
            e["state"] == "rejected"
            and e["vtexStatus"] == 400
            and "can no longer be canceled" in e["vtexMessage"]
        )
        assert e["orderId"] == "O-1" and e["row"] == "cancel.json"


def test_an_invalid_file_is_rejected_at_once_and_nothing_is_queued(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        src = FolderSource(tmp_path / "actions", store=store, account="acme", min_age_s=0)
        bad = {
            "type": "invoice",
            "orderId": "O-1",
            "invoiceNumber": "NF-1",
            "issuanceDate": "2024-05-01",
            "invoiceValue": "1.234",
            "items": [{"id": "1", "price": 1, "quantity": 1}],
        }
        (tmp_path / "actions" / "bad.json").write_text(json.dumps([invoice("O-2", "NF-2"), bad]))
        report = src.scan()
        assert report.files_rejected == 1 and store.actions.list_for("acme") == []
        error = json.loads((tmp_path / "actions" / "rejected" / "bad.json.error.json").read_text())
        assert error["stage"] == "read"
        assert error["errors"] == [
            {
                "source": "bad.json",
                "row": 1,
                "orderId": "O-1",
                "field": "invoiceValue",
                "message": "1.234 has more than two decimal places",
            }
        ]


def test_reading_the_same_file_twice_queues_nothing_new(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        src = FolderSource(tmp_path / "actions", store=store, account="acme", min_age_s=0)
        for _ in range(2):
            (tmp_path / "actions" / "inv.json").write_text(json.dumps(invoice()))
            src.scan()
        assert len(store.actions.list_for("acme")) == 1
        processing = sorted(p.name for p in (tmp_path / "actions" / "processing").iterdir())
        assert len([p for p in processing if not p.startswith(".")]) == 2  # the second copy got a free name
        finish_all(store, ActionState.DONE)
        src.scan()
        assert len(list((tmp_path / "actions" / "done").iterdir())) == 2


def test_young_hidden_and_temporary_files_are_left_alone(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        src = FolderSource(tmp_path / "actions", store=store, account="acme", min_age_s=60)
        folder = tmp_path / "actions"
        (folder / "young.json").write_text(json.dumps(invoice()))
        (folder / ".hidden.json").write_text("{}")
        (folder / "part.json.tmp").write_text("{")
        (folder / "notes.txt").write_text("hello")
        old = folder / "old.json"
        old.write_text(json.dumps(invoice("O-9", "NF-9")))
        past = time.time() - 120
        os.utime(old, (past, past))
        assert [p.name for p in src.candidates()] == ["old.json"]


def test_crash_after_queueing_before_the_move_is_harmless(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        src = FolderSource(tmp_path / "actions", store=store, account="acme", min_age_s=0)
        path = tmp_path / "actions" / "inv.json"
        path.write_text(json.dumps(invoice()))
        from vtexbridge.orders.action_sources import read_action_file
        from vtexbridge.orders.actions import enqueue

        enqueue(store, "acme", read_action_file(path))  # queued; then the process died
        report = src.scan()
        assert report.actions_queued == 0 and report.actions_existing == 1
        assert len(store.actions.list_for("acme")) == 1


def test_sql_outbox(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    with store_at(tmp_path) as store:
        src = SqlOutboxSource(url, table="vtex_actions", store=store, account="acme")
        src.scan()  # creates the table
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for payload in (json.dumps(invoice()), json.dumps({"type": "cancel"}), "not json"):
                conn.execute(sa.text("INSERT INTO vtex_actions (payload) VALUES (:p)"), {"p": payload})
        report = src.scan()
        assert report.actions_queued == 1 and len(report.problems) == 2
        finish_all(store, ActionState.REJECTED, "VTEX said no")
        src.scan()
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, status, message, action_id FROM vtex_actions ORDER BY id")
            ).all()
        assert rows[0][1:] == ("rejected", "VTEX said no", 1)
        assert rows[1][1] == "invalid" and "orderId" in rows[1][2]
        assert rows[2][1] == "invalid" and "not valid JSON" in rows[2][2]
        [action] = store.actions.list_for("acme")
        assert action.source_ref == "sql:vtex_actions:1"
        engine.dispose()
        src.close()
