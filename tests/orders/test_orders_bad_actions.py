"""One bad action is the refusal of that one action, with its reason; the rest flows (#11 "orders
that get stuck", item 3). Before the fix, each of these raised in the scanner: the file was never
moved to ``rejected/`` and no later file or row was taken."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from vtexbridge.orders.action_format import MAX_CENTS, MAX_QUANTITY, Problems, parse_action
from vtexbridge.orders.action_sources import FolderSource, SqlOutboxSource
from vtexbridge.state import StateStore

GOOD = {"type": "invoice", "orderId": "O-9", "invoiceNumber": "NF-9", "issuanceDate": "2024-05-01"}


def _nested(depth: int) -> object:
    node: object = 1
    for _ in range(depth):
        node = [node]
    return node


CSV_HEAD = "type,orderId,invoiceNumber,issuanceDate,invoiceValue,skuId,price,quantity\n"

BAD_FILES = {
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "deep-but-parsable.json": json.dumps({**GOOD, "invoiceNumber": "NF-D", "x": _nested(40)}),
    "huge-value.json": json.dumps({**GOOD, "invoiceNumber": "NF-H"}).replace(
        "}", ', "invoiceValue": 1e999999}'
    ),
    "huge-quantity.csv": CSV_HEAD + "invoice,O-1,NF-Q,2024-05-01,10.00,100,10.00," + "9" * 5000 + "\n",
    "huge-cell.csv": CSV_HEAD + 'invoice,O-1,NF-C,2024-05-01,10.00,100,10.00,"' + "x" * 200_000 + '"\n',
    "huge-int.json": json.dumps({**GOOD, "invoiceNumber": "NF-I"}).replace(
        "}", ', "invoiceValueCents": ' + "9" * 5000 + "}"
    ),
}


def store_at(tmp_path: Path) -> StateStore:
    return StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", create=True)


def test_each_bad_file_is_rejected_alone_and_the_rest_flows(tmp_path: Path) -> None:
    folder = tmp_path / "actions"
    with store_at(tmp_path) as store:
        src = FolderSource(folder, store=store, account="acme", min_age_s=0)
        past = time.time() - 60
        for n, (name, text) in enumerate(BAD_FILES.items()):
            (folder / name).write_text(text)
            os.utime(folder / name, (past + n, past + n))  # older: taken first
        (folder / "good.json").write_text(json.dumps(GOOD))
        report = src.scan()
        assert report.files_rejected == len(BAD_FILES) and report.files_taken == 1
        for name in BAD_FILES:
            assert (folder / "rejected" / name).exists()
            error = json.loads((folder / "rejected" / f"{name}.error.json").read_text())
            assert error["stage"] == "read" and error["errors"] and error["errors"][0]["message"]
            assert len(json.dumps(error)) < 5000  # the reason, not the input repeated back
        [action] = store.actions.list_for("acme")
        assert action.payload["invoiceNumber"] == "NF-9"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("invoiceValue", "1e999999", "too large"),
        ("invoiceValue", "100000000000.00", "too large"),
        ("invoiceValueCents", 10**30, "too large"),
        ("invoiceValueCents", str(MAX_CENTS + 1), "too large"),
    ],
)
def test_absurd_amounts_are_refused_with_the_field(field: str, value: object, says: str) -> None:
    with pytest.raises(Problems) as e:
        parse_action({**GOOD, field: value, "items": [{"id": "1", "price": "1.00", "quantity": 1}]})
    [problem] = e.value.problems
    assert problem.field == field and says in problem.message


@pytest.mark.parametrize("quantity", [10**20, "9" * 5000, MAX_QUANTITY + 1])
def test_absurd_quantities_are_refused(quantity: object) -> None:
    with pytest.raises(Problems) as e:
        parse_action(
            {**GOOD, "invoiceValue": "1.00", "items": [{"id": "1", "price": "1.00", "quantity": quantity}]}
        )
    [problem] = e.value.problems
    assert problem.field == "quantity" and len(problem.message) < 200


def test_bad_sql_outbox_rows_are_invalid_alone_and_the_rest_flows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    with store_at(tmp_path) as store:
        src = SqlOutboxSource(url, table="vtex_actions", store=store, account="acme")
        src.scan()  # creates the table
        bad = [text for name, text in BAD_FILES.items() if name.endswith(".json")]
        with src.engine.begin() as conn:
            conn.execute(
                sa.insert(src.table), [{"payload": t} for t in bad] + [{"payload": json.dumps(GOOD)}]
            )
        report = src.scan()
        assert report.actions_queued == 1
        with src.engine.connect() as conn:
            rows = conn.execute(
                sa.select(src.table.c.status, src.table.c.message).order_by(src.table.c.id)
            ).all()
        assert [r.status for r in rows] == ["invalid"] * len(bad) + ["queued"]
        assert all(r.message and len(r.message) < 5000 for r in rows[:-1])
        [action] = store.actions.list_for("acme")
        assert action.payload["invoiceNumber"] == "NF-9"
        src.close()
