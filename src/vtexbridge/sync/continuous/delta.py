"""A batch of ERP changes, checked record by record and grouped into *units*.

A batch names records by entity, in the JSON Lines format of ``docs/erp-format.md`` (one object per
record, keys = column names), plus deletions by key::

    {"batchId": "erp-0001",
     "records": {"inventory": [{"sku_key": "S1", "warehouse_key": "W1", "quantity": 7}]},
     "deleted": {"skus": ["S9"]}}

A record with ``"_deleted": true`` is a deletion of its key too (the delta files of the folder watch
use that form). Each record is checked as the folder reader checks a JSON line (the same
:class:`~vtexbridge.erp.rows.RowBuilder`, the same messages) and by the planner's local rules
(:func:`~vtexbridge.sync.validate.checker`); a bad record is refused with its entity, position, key
and field, and the rest of the batch is kept.

A *unit* is what one VTEX write is made from, keyed like the state store keys it (kind, key): one
record, except a SKU's price, which travels with every fixed price of the SKU (the PUT replaces the
list: a ``prices`` row replaces the SKU's fixed prices with the ``fixed_prices`` rows of the same
batch), and a warehouse with its docks. Within a batch, and later across batches (the loop's
coalescing), the last value of a unit wins; a unit both changed and deleted in one batch is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from vtexbridge.erp.coerce import CoerceError
from vtexbridge.erp.records import KEY_SEPARATOR, Entity, Record
from vtexbridge.erp.rows import RowBuilder
from vtexbridge.errors import RecordError
from vtexbridge.sync.graph import Kind, kind_of
from vtexbridge.sync.validate import checker, state_key

__all__ = [
    "DELETE",
    "UPSERT",
    "Batch",
    "Refusal",
    "Unit",
    "build_records",
    "parse_batch",
    "priority_of",
]

UPSERT = "upsert"
DELETE = "delete"
_FAST = frozenset({Kind.INVENTORY, Kind.PRICE})
"""Kinds applied first when changes wait (stock and price before catalog enrichment)."""
_MERGED_OWNER = {Entity.FIXED_PRICES: "sku_key", Entity.WAREHOUSE_DOCKS: "warehouse_key"}
"""Entities whose rows travel with another record (their owner), by the field naming the owner."""
_MERGED_MAIN = {Entity.FIXED_PRICES: Entity.PRICES, Entity.WAREHOUSE_DOCKS: Entity.WAREHOUSES}


def priority_of(kind: str) -> int:
    """0 for stock and prices, 1 for the rest (lower is applied first)."""
    return 0 if kind in _FAST else 1


@dataclass(frozen=True, slots=True)
class Unit:
    """One entity to write: ``rows`` are ``(entity, JSON object)`` pairs (none for a deletion)."""

    kind: str
    key: str
    op: str
    entity: str
    rows: tuple[tuple[str, dict[str, Any]], ...] = ()

    @property
    def priority(self) -> int:
        return priority_of(self.kind)

    def to_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "rows": [[e, r] for e, r in self.rows]}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused record: its entity, its position in the batch's list (from 1), key, field, reason."""

    entity: str
    index: int | None
    key: str | None
    field: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "index": self.index,
            "key": self.key,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class Batch:
    """A checked batch: its units, the records refused, warnings (unknown columns), and counts."""

    units: list[Unit] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    warnings: list[Refusal] = field(default_factory=list)
    accepted: int = 0


def parse_batch(
    records: Mapping[str, Any] | None,
    deleted: Mapping[str, Any] | None = None,
    *,
    source: str = "push",
    max_key_length: int = 255,
    weight_unit: str = "g",
) -> Batch:
    """Check a batch (``records``: entity -> list of objects; ``deleted``: entity -> list of keys).

    Raises:
        ValueError: the batch's shape is wrong (not an object of lists, an unknown entity): the
            whole batch is refused, naming the member.
    """
    batch = Batch()
    units: dict[tuple[str, str], Unit] = {}
    merged: list[tuple[Entity, int, dict[str, Any], Record]] = []
    for entity, items in _lists(records, "records"):
        builder = RowBuilder(entity.record_type, None, source=f"{source}:{entity.value}")
        check = checker(entity, weight_unit=weight_unit)
        reported: set[str] = set()
        for index, obj in enumerate(items, start=1):
            if not isinstance(obj, dict):
                batch.refused.append(
                    Refusal(entity.value, index, None, None, f"expected an object, got {type(obj).__name__}")
                )
                continue
            _unknown(builder, obj, entity, index, reported, batch)
            if obj.get("_deleted") is True:
                _delete(batch, units, entity, index, builder.key_of(obj), max_key_length)
                continue
            record = _record(builder, check, obj, entity, index, max_key_length, batch)
            if record is None:
                continue
            plain = _plain(obj)
            if entity in _MERGED_OWNER:
                merged.append((entity, index, plain, record))
                continue
            key = state_key(record.key)
            units[(kind_of(entity).value, key)] = Unit(
                kind_of(entity).value, key, UPSERT, entity.value, ((entity.value, plain),)
            )
            batch.accepted += 1
    _attach_merged(batch, units, merged)
    for entity, keys in _lists(deleted, "deleted"):
        for index, key in enumerate(keys, start=1):
            _delete(batch, units, entity, index, key if isinstance(key, str) else None, max_key_length)
    batch.units = list(units.values())
    return batch


def build_records(unit_rows: Iterable[tuple[str, dict[str, Any]]], source: str) -> list[Record | RecordError]:
    """The records of a unit's rows (checked when queued; a rule changed since is reported)."""
    out: list[Record | RecordError] = []
    for entity_name, obj in unit_rows:
        entity = Entity(entity_name)
        builder = RowBuilder(entity.record_type, None, source=source)
        try:
            out.append(builder.build(obj))
        except CoerceError:
            out.extend(builder.explain(obj, None))
    return out


# --- helpers ----------------------------------------------------------------------------------------


def _lists(members: Mapping[str, Any] | None, name: str) -> list[tuple[Entity, list[Any]]]:
    if members is None:
        return []
    if not isinstance(members, Mapping):
        raise ValueError(f"{name}: expected an object of entity -> list, got {type(members).__name__}")
    out = []
    for entity_name, items in members.items():
        if entity_name not in Entity._value2member_map_:
            known = ", ".join(e.value for e in Entity)
            raise ValueError(f"{name}.{entity_name}: unknown entity (known: {known})")
        if not isinstance(items, list):
            raise ValueError(f"{name}.{entity_name}: expected a list, got {type(items).__name__}")
        out.append((Entity(entity_name), items))
    return out


def _unknown(
    builder: RowBuilder, obj: dict[str, Any], entity: Entity, index: int, seen: set[str], batch: Batch
) -> None:
    for name in obj:
        if name not in builder.known and not name.startswith("_") and name not in seen:
            seen.add(name)
            error = builder.unknown_field_error(name, index)
            batch.warnings.append(Refusal(entity.value, index, None, name, error.message))


def _record(
    builder: RowBuilder,
    check: Any,
    obj: dict[str, Any],
    entity: Entity,
    index: int,
    max_key_length: int,
    batch: Batch,
) -> Record | None:
    """The record of ``obj``, or None with its problems refused (the folder reader's messages)."""
    try:
        record = builder.build(obj)
    except CoerceError:
        for e in builder.explain(obj, index):
            key = e.record.key if e.record is not None else None
            batch.refused.append(Refusal(entity.value, index, key, getattr(e, "field", None), e.message))
        return None
    problems = list(check(record))
    if len(record.key) > max_key_length:
        problems.insert(0, (record.key_fields[0], f"the key is longer than {max_key_length} characters"))
    for field_name, message in problems:
        batch.refused.append(Refusal(entity.value, index, record.key, field_name, message))
    return None if problems else record


def _attach_merged(
    batch: Batch, units: dict[tuple[str, str], Unit], merged: list[tuple[Entity, int, dict[str, Any], Record]]
) -> None:
    """Fixed prices and warehouse docks join their owner's unit (which must be in the batch)."""
    for entity, index, plain, record in merged:
        owner_field = _MERGED_OWNER[entity]
        owner = state_key(str(getattr(record, owner_field)))
        kind = kind_of(entity).value
        unit = units.get((kind, owner))
        if unit is None or unit.op != UPSERT:
            main = _MERGED_MAIN[entity].value
            batch.refused.append(
                Refusal(
                    entity.value, index, record.key, owner_field,
                    f"{entity.value} travel with their {main} row: send the {main} row of {owner!r} in the "
                    f"same batch, with every {entity.value} row it keeps (VTEX replaces the whole list)",
                )
            )  # fmt: skip
            continue
        units[(kind, owner)] = Unit(kind, owner, UPSERT, unit.entity, (*unit.rows, (entity.value, plain)))
        batch.accepted += 1


def _delete(
    batch: Batch,
    units: dict[tuple[str, str], Unit],
    entity: Entity,
    index: int,
    key: str | None,
    max_key_length: int,
) -> None:
    if entity in _MERGED_OWNER:
        main = _MERGED_MAIN[entity].value
        batch.refused.append(
            Refusal(
                entity.value, index, key, "_deleted",
                f"a single {entity.value} row cannot be deleted: send the {main} row with the rows it keeps",
            )
        )  # fmt: skip
        return
    problem = _key_problem(key, entity, max_key_length)
    if problem is not None or key is None:
        batch.refused.append(Refusal(entity.value, index, key, "key", problem or "a key is required"))
        return
    kind = kind_of(entity).value
    skey = state_key(key)
    units[(kind, skey)] = Unit(kind, skey, DELETE, entity.value)
    batch.accepted += 1


def _key_problem(key: str | None, entity: Entity, max_key_length: int) -> str | None:
    if key is None or not key.strip():
        return "a key is required (a non-empty string)"
    if len(key) > max_key_length:
        return f"the key is longer than {max_key_length} characters"
    parts = len(entity.record_type.key_fields)
    if entity.record_type.key_fields == ("key",):
        return None
    if key.count(KEY_SEPARATOR) + 1 < min(parts, 2):
        fields = KEY_SEPARATOR.join(entity.record_type.key_fields)
        return f"a {entity.value} key is made of {fields}"
    return None


def _plain(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as plain JSON for the queue: exact decimals as text (the converters read both)."""
    return {k: _plain_value(v) for k, v in obj.items() if not k.startswith("_")}


def _plain_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # datetime too (a SQL source's cells)
        return value.isoformat()
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_value(v) for k, v in value.items()}
    return value
