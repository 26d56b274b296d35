"""SQL sink: order and item rows in one transaction, keyed by (order, status)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from vtexbridge.erp.order_document import build_document
from vtexbridge.erp.sinks import OrderDelivery
from vtexbridge.erp.sinks.sql import SqlSink

ORDER: dict[str, Any] = {
    "orderId": "O-1",
    "status": "ready-for-handling",
    "sequence": "500001",
    "value": 9980,
    "totals": [{"id": "Items", "value": 9980}],
    "items": [
        {"id": "100", "name": "A", "quantity": 1, "sellingPrice": 4990, "price": 4990},
        {"id": "200", "name": "B", "quantity": 1, "sellingPrice": 4990, "price": 4990},
    ],
    "clientProfileData": {"email": "a@b.c", "firstName": "Ana", "lastName": "Lima"},
    "storePreferencesData": {"currencyCode": "BRL"},
}


def delivery(replay: bool = False, order: dict[str, Any] | None = None) -> OrderDelivery:
    doc = build_document(order or ORDER, status="ready-for-handling", account="acme")
    return OrderDelivery("acme", "O-1", "ready-for-handling", doc, replay=replay)


def rows(url: str, table: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2, 3"))]
    engine.dispose()
    return out


async def test_inserts_order_and_items_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    sink = SqlSink(url)
    first = await sink.deliver(delivery())
    second = await sink.deliver(delivery())
    await sink.aclose()
    assert first.written and not second.written
    assert first.erp_ref == "vtex_orders:O-1:ready-for-handling"
    [order] = rows(url, "vtex_orders")
    assert (
        order["customer_name"] == "Ana Lima" and order["total_cents"] == 9980 and order["currency"] == "BRL"
    )
    assert float(order["total"]) == 99.8
    items = rows(url, "vtex_order_items")
    assert [(i["line"], i["sku_id"], i["unit_price_cents"]) for i in items] == [
        (0, "100", 4990),
        (1, "200", 4990),
    ]


async def test_replay_replaces_the_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    sink = SqlSink(url, orders_table="erp_orders", items_table="erp_lines")
    await sink.deliver(delivery())
    smaller = {**ORDER, "items": ORDER["items"][:1]}
    assert (await sink.deliver(delivery(replay=True, order=smaller))).written
    await sink.aclose()
    assert len(rows(url, "erp_lines")) == 1 and len(rows(url, "erp_orders")) == 1


async def test_on_postgresql(pg_url: str) -> None:
    import uuid

    schema = f"erp_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        sink = SqlSink(pg_url, orders_table=f"{schema}.vtex_orders", items_table=f"{schema}.vtex_order_items")
        assert (await sink.deliver(delivery())).written
        assert not (await sink.deliver(delivery())).written
        await sink.aclose()
        with admin.connect() as conn:
            n = conn.exec_driver_sql(f'SELECT count(*) FROM "{schema}".vtex_order_items').scalar()
        assert n == 2
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
