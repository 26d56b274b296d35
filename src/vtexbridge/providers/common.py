"""Small shared pieces of the three protocols: amounts, ids, the ERP call budget, database calls.

Amounts arrive as JSON numbers in currency units; they become integer cents here, refused when
negative, not finite, above :data:`MAX_CENTS` or with more than two decimals. Ids VTEX sends are
bounded (:data:`MAX_ID`) and derived ids are deterministic (a retry computes the same one).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from vtexbridge.providers.errors import BadRequest, ErpUnavailable
from vtexbridge.state.engine import BEGIN_OPTION

__all__ = [
    "MAX_CENTS",
    "MAX_ID",
    "cents",
    "claim_once",
    "derived_id",
    "erp_call",
    "insert_once",
    "iso",
    "mapping",
    "optional_str",
    "read",
    "required_str",
    "to_units",
    "write",
]

T = TypeVar("T")
MAX_CENTS = 10**11  # one billion currency units
MAX_ID = 128


def cents(value: Any, field: str, *, allow_zero: bool = False) -> int:
    """``value`` (a JSON number in currency units) as integer cents.

    Raises:
        BadRequest: not a number, negative (or zero unless allowed), too large, or finer than a cent.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadRequest(f"{field} must be a number, got {type(value).__name__}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadRequest(f"{field} must be a number, got {str(value)[:40]!r}") from None
    if not amount.is_finite():
        raise BadRequest(f"{field} must be a finite number")
    scaled = amount * 100
    if scaled != scaled.to_integral_value():
        raise BadRequest(f"{field} has more than two decimals: {value}")
    out = int(scaled)
    if out < 0 or (out == 0 and not allow_zero):
        raise BadRequest(f"{field} must be positive, got {value}")
    if out > MAX_CENTS:
        raise BadRequest(f"{field} is too large: {value}")
    return out


def to_units(value_cents: int) -> float:
    return value_cents / 100


def required_str(body: Mapping[str, Any], field: str, *, limit: int = MAX_ID) -> str:
    value = body.get(field)
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise BadRequest(f"{field} is required (a non-empty string)")
    text = str(value).strip()
    if len(text) > limit:
        raise BadRequest(f"{field} is longer than {limit} characters")
    return text


def optional_str(body: Mapping[str, Any], field: str, *, limit: int = 255) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise BadRequest(f"{field} must be a string")
    text = str(value).strip()
    if len(text) > limit:
        raise BadRequest(f"{field} is longer than {limit} characters")
    return text


def derived_id(*parts: str) -> str:
    """A deterministic 32-hex id of ``parts`` (the same VTEX ids always give the same id)."""
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


def iso(moment: datetime | None = None) -> str:
    """``YYYY-MM-DDThh:mm:ss.fffZ`` (UTC)."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def erp_call(
    what: str, call: Awaitable[T], timeout_s: float, observe: Callable[[float], None] | None = None
) -> T:
    """Await an ERP adapter call within ``timeout_s`` (``observe`` gets its duration in seconds).

    Raises:
        ErpUnavailable: it took longer or failed (the message names the call, never its data).
    """
    started = time.perf_counter()
    try:
        return await asyncio.wait_for(call, timeout_s)
    except TimeoutError:
        raise ErpUnavailable(f"the ERP did not answer {what} within {timeout_s:g} s") from None
    except (ErpUnavailable, BadRequest):
        raise
    except Exception as e:
        raise ErpUnavailable(f"the ERP failed on {what}: {type(e).__name__}") from e
    finally:
        if observe is not None:
            observe(time.perf_counter() - started)


async def write(engine: Engine, fn: Callable[[Connection], T]) -> T:
    """Run ``fn`` in one state-database transaction, in a worker thread (serving never blocks on it)."""

    def work() -> T:
        with engine.begin() as conn:
            return fn(conn)

    return await asyncio.to_thread(work)


async def read(engine: Engine, fn: Callable[[Connection], T]) -> T:
    """Run ``fn`` in one read-only transaction (SQLite: a deferred ``BEGIN``, never waiting on writers)."""
    reader = engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})

    def work() -> T:
        with reader.connect() as conn:
            return fn(conn)

    return await asyncio.to_thread(work)


def mapping(body: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    """``body[field]`` when it is an object, else an empty one."""
    value = body.get(field)
    return value if isinstance(value, Mapping) else {}


def insert_once(
    conn: Connection, table: sa.Table, key: sa.ColumnElement[bool], values: Mapping[str, Any]
) -> RowMapping:
    """The row ``key`` selects, inserted with ``values`` first when absent (a concurrent insert of the
    same row, e.g. VTEX retrying while the first request runs, is the same row)."""
    row = conn.execute(sa.select(table).where(key)).mappings().first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(table).values(**values))
        except IntegrityError:
            pass
        row = conn.execute(sa.select(table).where(key)).mappings().one()
    return row


def claim_once(
    conn: Connection,
    table: sa.Table,
    key: sa.ColumnElement[bool],
    values: Mapping[str, Any],
    take: Callable[[], bool],
) -> RowMapping | None:
    """The operation row ``key`` selects; when absent it is inserted and ``take()`` moves the counters
    it needs (a conditional update), in this transaction. Returns None (and no row) when ``take()``
    refuses. A concurrent identical request (the same VTEX ids) waits on the first one's row and gets
    it, instead of taking the amount a second time."""
    row = conn.execute(sa.select(table).where(key)).mappings().first()
    if row is not None:
        return row
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(table).values(**values))
    except IntegrityError:
        return conn.execute(sa.select(table).where(key)).mappings().one()
    if not take():
        conn.execute(sa.delete(table).where(key))
        return None
    return conn.execute(sa.select(table).where(key)).mappings().one()
