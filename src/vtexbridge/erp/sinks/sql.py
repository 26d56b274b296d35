"""The SQL sink: an order and its lines as rows of two ERP tables, in one transaction.

Tables (names configurable; created when absent unless ``create_tables`` is off)::

    vtex_orders        (order_id, status) primary key; account, sequence, creation_date,
                       customer_email, customer_name, currency, total_cents, total (decimal),
                       document (the full vtexbridge.order/1 JSON), delivered_at
    vtex_order_items   (order_id, status, line) primary key; sku_id, ref_id, name, quantity,
                       unit_price_cents, total_cents, total (decimal)

Idempotency: the primary key (order id, status) makes a second delivery find the row and change
nothing. A replay deletes the order's rows for that status and inserts them again, in the same
transaction.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkResult

__all__ = ["SqlSink"]


def _tables(orders_table: str, items_table: str) -> tuple[sa.MetaData, sa.Table, sa.Table]:
    def split(name: str) -> tuple[str | None, str]:
        schema, _, table = name.rpartition(".")
        return (schema or None), table

    md = sa.MetaData()
    o_schema, o_name = split(orders_table)
    i_schema, i_name = split(items_table)
    orders = sa.Table(
        o_name,
        md,
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(64), primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("sequence", sa.String(32)),
        sa.Column("creation_date", sa.String(40)),
        sa.Column("customer_email", sa.String(320)),
        sa.Column("customer_name", sa.String(200)),
        sa.Column("currency", sa.String(8)),
        sa.Column("total_cents", sa.BigInteger),
        sa.Column("total", sa.Numeric(18, 2)),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        schema=o_schema,
    )
    items = sa.Table(
        i_name,
        md,
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(64), primary_key=True),
        sa.Column("line", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sku_id", sa.String(64)),
        sa.Column("ref_id", sa.String(100)),
        sa.Column("name", sa.String(400)),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger),
        sa.Column("total_cents", sa.BigInteger),
        sa.Column("total", sa.Numeric(18, 2)),
        schema=i_schema,
    )
    return md, orders, items


def _decimal(text: Any) -> Decimal | None:
    return Decimal(text) if isinstance(text, str) else None


class SqlSink:
    """Inserts each delivery into ``orders_table`` and ``items_table`` of the database at ``url``."""

    name = "sql"

    def __init__(
        self,
        url: str,
        *,
        orders_table: str = "vtex_orders",
        items_table: str = "vtex_order_items",
        create_tables: bool = True,
    ) -> None:
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        self.metadata, self.orders, self.items = _tables(orders_table, items_table)
        self._create = create_tables
        self._created = False

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        return await asyncio.to_thread(self.write, delivery)

    async def aclose(self) -> None:
        self.engine.dispose()

    def write(self, delivery: OrderDelivery) -> SinkResult:
        """The synchronous insert (what :meth:`deliver` runs in a thread)."""
        ref = f"{self.orders.fullname}:{delivery.key}"
        try:
            if self._create and not self._created:
                self.metadata.create_all(self.engine, checkfirst=True)
                self._created = True
            with self.engine.begin() as conn:
                where = sa.and_(
                    self.orders.c.order_id == delivery.order_id, self.orders.c.status == delivery.status
                )
                exists = conn.execute(sa.select(self.orders.c.order_id).where(where)).first() is not None
                if exists and not delivery.replay:
                    return SinkResult(ref, written=False)
                if exists:
                    conn.execute(
                        sa.delete(self.items).where(
                            self.items.c.order_id == delivery.order_id, self.items.c.status == delivery.status
                        )
                    )
                    conn.execute(sa.delete(self.orders).where(where))
                conn.execute(sa.insert(self.orders), [self._order_row(delivery)])
                rows = self._item_rows(delivery)
                if rows:
                    conn.execute(sa.insert(self.items), rows)
        except IntegrityError:
            # Another writer inserted the same (order, status) between our check and our insert.
            return SinkResult(ref, written=False)
        except SQLAlchemyError as e:
            raise SinkError(f"SQL sink {self.engine.url.render_as_string(hide_password=True)}: {e}") from e
        return SinkResult(ref, written=True)

    def _order_row(self, delivery: OrderDelivery) -> dict[str, Any]:
        doc = delivery.document
        customer = doc.get("customer") or {}
        totals = doc.get("totals") or {}
        name = " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p) or None
        return {
            "order_id": delivery.order_id,
            "status": delivery.status,
            "account": delivery.account,
            "sequence": doc.get("sequence"),
            "creation_date": doc.get("creationDate"),
            "customer_email": customer.get("email"),
            "customer_name": name,
            "currency": doc.get("currency"),
            "total_cents": totals.get("totalCents"),
            "total": _decimal(totals.get("total")),
            "document": json.dumps(doc, ensure_ascii=False),
            "delivered_at": datetime.now(UTC),
        }

    def _item_rows(self, delivery: OrderDelivery) -> list[dict[str, Any]]:
        return [
            {
                "order_id": delivery.order_id,
                "status": delivery.status,
                "line": item.get("line", n),
                "sku_id": item.get("skuId"),
                "ref_id": item.get("refId"),
                "name": item.get("name"),
                "quantity": item.get("quantity") or 0,
                "unit_price_cents": item.get("sellingPriceCents"),
                "total_cents": item.get("totalCents"),
                "total": _decimal(item.get("total")),
            }
            for n, item in enumerate(delivery.document.get("items") or [])
        ]
