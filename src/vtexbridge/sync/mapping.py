"""ERP record -> VTEX payload, pure: what the sync sends for each kind, and the hash that says "changed".

A payload is a tuple of values in the order of its kind's :attr:`KindMap.fields` (VTEX's own field
names). Values are JSON scalars, tuples, or a :class:`Ref` — a parent named by its *ERP key*
(``Ref("brand", "acme")``), resolved to the VTEX id only when the request is built
(:meth:`Mapper.body`). So the payload, and its hash, do not depend on VTEX ids: the hash changes when
the ERP data changes, not when an id is learnt.

The hash is ``blake2b(repr(values), digest_size=HASH_SIZE, salt=salt)``. ``repr`` of a tuple of str, int,
float, bool and None is canonical (it tells ``1`` from ``"1"``, ``1.0`` and ``True``) and about five
times cheaper than canonical JSON, which matters on the no-change path of a million SKUs. The salt is
the kind, the mapping version and the field names, so a change of mapping or overrides changes the
hash of every entity of the kind, and they are re-sent once.

Defaults worth knowing (each can be overridden per field, see :class:`FieldOverrides`):

- categories: ``Title`` defaults to the name, ``Keywords`` are joined by ``", "``, ``Score`` 0,
  ``show_in_storefront`` is both ``ShowInStoreFront`` and ``ActiveStoreFrontLink``,
  ``StockKeepingUnitSelectionMode`` ``SPECIFICATION``;
- SKU images: ``label`` is both the image's ``Label`` and its ``Text`` (alt text);
- products: ``RefId`` is the ERP key, ``ReleaseDate`` at midnight;
- SKUs: ``RefId`` is the ERP key; weights are sent in grams by default (``sync.weight_unit``), as
  ``PackagedWeightKg`` is an integer "in the unit configured in the store"; ``ActivateIfPossible``
  follows ``is_active`` (``IsActive`` itself is the activation step's business, not the payload's);
- prices: a base price without cost price is sent as ``basePrice`` = ``costPrice`` (markup 0), which
  is what VTEX does with a lone base price; the fixed prices are sorted;
- customers and addresses: Master Data documents with ids derived from the ERP key
  (:func:`document_id`), so a ``PUT`` is a create-or-replace that can be repeated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from vtexbridge.erp.records import (
    Dock,
    FixedPrice,
    Price,
    ProductSpecification,
    SkuSpecification,
    SpecificationField,
    Warehouse,
    WarehouseDock,
)
from vtexbridge.errors import ConfigError
from vtexbridge.state.tables import HASH_SIZE
from vtexbridge.sync.config import FieldOverrides, SyncSettings
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping_defaults import (
    _CATEGORY,
    _DEFAULTS,
    _DOCK,
    _FIELDS,
    _OVERRIDABLE,
    _RECORD_TYPES,
    _SPEC_FIELD,
    _SPEC_GROUP,
    _SPEC_VALUE,
    Ref,
    Values,
    _cents,
    _num,
    grams,
)

__all__ = [
    "MAPPING_VERSION",
    "KindMap",
    "Mapper",
    "Ref",
    "Values",
    "document_id",
    "grams",
    "link_hash",
]

MAPPING_VERSION = "1"
Resolve = Callable[["Ref"], Any]
_DOCUMENT_NS = uuid.UUID("7a3c1e52-3f0b-4c56-9d0e-5b1f4b6c2a10")


def document_id(acronym: str, key: str) -> str:
    """The Master Data document id of an ERP key (a UUID derived from it: the same key, the same id)."""
    return str(uuid.uuid5(_DOCUMENT_NS, f"{acronym}:{key}"))


def _salt(text: str) -> bytes:
    """blake2b's 16-byte salt for a kind's hashes, derived from its mapping's description."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _hash(salt: bytes, values: Values) -> bytes:
    return hashlib.blake2b(repr(values).encode(), digest_size=HASH_SIZE, salt=salt).digest()


def link_hash(kind: Kind) -> bytes:
    """The hash of a link with no payload of its own (an EAN, a trade-policy link)."""
    return _hash(_salt(f"{MAPPING_VERSION}:{kind.value}"), ())


@dataclass(frozen=True, slots=True)
class KindMap:
    """How one kind's payload is made: field names, the value function, and its hash salt."""

    kind: Kind
    fields: tuple[str, ...]
    values: Callable[[Any], Values]
    salt: bytes

    def hash(self, values: Values) -> bytes:
        return hashlib.blake2b(repr(values).encode(), digest_size=HASH_SIZE, salt=self.salt).digest()


def _with_overrides(
    kind: Kind, fields: tuple[str, ...], base: Callable[[Any], Values], over: FieldOverrides
) -> tuple[tuple[str, ...], Callable[[Any], Values]]:
    record_fields = {f.name for f in dataclasses.fields(_RECORD_TYPES[kind])}
    problems = [
        f"sync.mapping.{kind.value}.fields.{vtex}: the ERP record has no field {erp!r} "
        f"(it has {', '.join(sorted(record_fields))})"
        for vtex, erp in over.fields.items()
        if erp not in record_fields
    ]
    problems += [
        f"sync.mapping.{kind.value}: {name!r} is given both as a constant and as a field"
        for name in set(over.constants) & set(over.fields)
    ]
    if problems:
        raise ConfigError("invalid sync mapping overrides", problems=problems)
    names = list(fields)
    for name in (*over.constants, *over.fields):
        if name not in names:
            names.append(name)
    setters: list[tuple[int, bool, Any]] = [
        (names.index(n), True, _freeze(v)) for n, v in over.constants.items()
    ]
    setters += [(names.index(n), False, e) for n, e in over.fields.items()]
    extra = len(names) - len(fields)

    def values(record: Any) -> Values:
        out = list(base(record))
        out.extend([None] * extra)
        for pos, constant, value in setters:
            raw = value if constant else getattr(record, value)
            out[pos] = raw if constant else _jsonable(raw)
        return tuple(out)

    return tuple(names), values


def _jsonable(value: Any) -> Any:
    """An ERP field's value as a payload value (overrides taking a VTEX field from another ERP field)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    return _freeze(value)


class _Object(tuple[tuple[str, Any], ...]):
    """A JSON object inside a payload, frozen (hashable, canonical) as sorted pairs."""

    __slots__ = ()


def _freeze(value: Any) -> Any:
    """A configured constant made hashable: lists become tuples, objects :class:`_Object`."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return _Object(sorted((str(k), _freeze(v)) for k, v in value.items()))
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, _Object):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


class Mapper:
    """Every kind's :class:`KindMap`, with the configured overrides applied.

    Raises:
        ConfigError: an override names an unknown kind, a kind that takes none, or an ERP field the
            record does not have.
    """

    def __init__(self, settings: SyncSettings | None = None) -> None:
        self.settings = settings = settings or SyncSettings()
        unknown = sorted(set(settings.mapping) - {k.value for k in Kind})
        fixed = sorted({k for k in settings.mapping if k in {x.value for x in Kind} - _OVERRIDABLE})
        problems = [f"sync.mapping.{k}: not a kind ({', '.join(sorted(_OVERRIDABLE))})" for k in unknown]
        problems += [f"sync.mapping.{k}: this kind's payload has no overridable fields" for k in fixed]
        if problems:
            raise ConfigError("invalid sync mapping overrides", problems=problems)
        self.kinds: dict[Kind, KindMap] = {}
        for kind in Kind:
            fields = _FIELDS[kind]
            default = _DEFAULTS.get(kind)
            if default is None:
                values: Callable[[Any], Values] = _no_values
            else:
                values = _bind(default, settings)
            over = settings.mapping.get(kind.value)
            if over is not None and (over.constants or over.fields):
                fields, values = _with_overrides(kind, fields, values, over)
            salt = _salt(f"{MAPPING_VERSION}:{kind.value}:{','.join(fields)}")
            self.kinds[kind] = KindMap(kind, fields, values, salt)

    def __getitem__(self, kind: Kind) -> KindMap:
        return self.kinds[kind]

    # --- payloads made of several records -------------------------------------------------------

    def spec_field(self, f: SpecificationField, category_key: str) -> Values:
        """A specification field (its category is the group's)."""
        from vtexbridge.erp.records import SpecFieldType

        return (
            SpecFieldType(f.field_type).vtex_id,
            Ref(_CATEGORY, category_key),
            Ref(_SPEC_GROUP, f.group_key),
            f.name,
            f.description or "",
            f.position or 0,
            f.is_filter,
            f.is_required,
            f.is_on_product_details,
            f.is_sku,
            False,
            f.is_active,
            False,
            False,
            f.default_value or "",
        )

    def product_spec(self, s: ProductSpecification) -> Values:
        values = tuple(Ref(_SPEC_VALUE, v) for v in s.value_keys)
        return (Ref(_SPEC_FIELD, s.field_key), values, s.value_text)

    def sku_spec(self, s: SkuSpecification) -> Values:
        return (Ref(_SPEC_FIELD, s.field_key), Ref(_SPEC_VALUE, s.value_key))

    def price(self, p: Price, fixed: list[FixedPrice]) -> Values:
        """A SKU's price with its fixed prices (sorted: the ERP's row order does not matter).

        VTEX's PUT takes two of base price, cost price and markup, and the client requires a cost
        price whenever a markup is sent. A lone base price is sent with ``costPrice`` equal to it
        (markup 0: what VTEX does with a lone base price); a base price with a markup is sent with
        the cost price VTEX would derive, ``base / (1 + markup/100)`` rounded to cents.
        """
        base, cost, markup = p.base_price, p.cost_price, p.markup
        if base is not None and cost is None:
            cost = base if markup is None else _cents(base / (1 + Decimal(markup) / 100))
            markup = None
        rows = sorted(
            (
                (
                    f.trade_policy,
                    float(f.value),
                    _num(f.list_price),
                    f.min_quantity,
                    None if f.date_from is None else f.date_from.isoformat(),
                    None if f.date_to is None else f.date_to.isoformat(),
                )
                for f in fixed
            ),
            key=_none_first,
        )
        return (_num(base), _num(p.list_price), _num(cost), markup, tuple(rows))

    def dock(self, d: Dock) -> Values:
        country = d.country or self.settings.default_country
        address = (
            d.postal_code or "",
            country,
            d.city or "",
            d.state or "",
            d.neighborhood or "",
            d.street or "",
            d.number or "",
            d.complement or "",
        )
        return (
            d.key,
            d.name,
            d.priority,
            d.dock_time,
            d.time_overhead,
            d.trade_policies,
            d.trade_policies[0] if d.trade_policies else "1",
            d.freight_table_ids,
            None,
            address,
        )

    def warehouse(self, w: Warehouse, docks: list[WarehouseDock], dock_names: Mapping[str, str]) -> Values:
        links = tuple(
            sorted(
                (
                    Ref(_DOCK, wd.dock_key),
                    dock_names.get(wd.dock_key, wd.dock_key),
                    wd.time,
                    f"{wd.cost:.2f}",
                )
                for wd in docks
            )
        )
        return (w.key, w.name, links, w.priority, w.is_active)

    def customer_id(self, key: str) -> str:
        return document_id("CL", key)

    def address_id(self, key: str) -> str:
        return document_id("AD", key)

    # --- request bodies -------------------------------------------------------------------------

    def body(self, kind: Kind, values: Values, resolve: Resolve) -> dict[str, Any]:
        """The JSON body of ``kind`` for ``values``, parents resolved to VTEX ids by ``resolve``."""
        fields = self.kinds[kind].fields
        out: dict[str, Any] = {}
        for name, value in zip(fields, values, strict=True):
            if value.__class__ is Ref:
                out[name] = resolve(value)
            elif isinstance(value, tuple) and name in _NESTED:
                out[name] = _NESTED[name](value, resolve)
            elif isinstance(value, tuple):
                out[name] = _thaw(value)
            else:
                out[name] = value
        return out


def _none_first(row: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    """A sort key for rows with optional fields: None sorts before any value (a plain tuple sort would
    compare ``None`` with a number when two rows agree on every field before it)."""
    return tuple((v is not None, 0 if v is None else v) for v in row)


def _bind(fn: Callable[[Any, SyncSettings], Values], settings: SyncSettings) -> Callable[[Any], Values]:
    def values(record: Any) -> Values:
        return fn(record, settings)

    return values


def _no_values(record: Any) -> Values:
    return ()


def _fixed_prices(rows: tuple[Any, ...], resolve: Resolve) -> list[dict[str, Any]]:
    out = []
    for policy, value, list_price, min_quantity, date_from, date_to in rows:
        item: dict[str, Any] = {"tradePolicyId": policy, "value": value, "minQuantity": min_quantity}
        if list_price is not None:
            item["listPrice"] = list_price
        if date_from is not None:
            item["dateRange"] = {"from": date_from, "to": date_to}
        out.append(item)
    return out


def _warehouse_docks(rows: tuple[Any, ...], resolve: Resolve) -> list[dict[str, Any]]:
    return [
        {
            "dockId": resolve(dock),
            "name": name,
            "time": time,
            "cost": cost,
            "translateDays": "0",
            "costToDisplay": cost,
        }
        for dock, name, time, cost in rows
    ]


def _dock_address(row: tuple[Any, ...], resolve: Resolve) -> dict[str, Any]:
    postal, country, city, state, neighborhood, street, number, complement = row
    return {
        "postalCode": postal,
        "country": {"acronym": country, "name": country},
        "city": city,
        "state": state,
        "neighborhood": neighborhood,
        "street": street,
        "number": number,
        "complement": complement,
        "coordinates": [],
    }


def _refs(rows: tuple[Any, ...], resolve: Resolve) -> list[Any]:
    return [resolve(r) if r.__class__ is Ref else r for r in rows]


_NESTED: dict[str, Callable[[tuple[Any, ...], Resolve], Any]] = {
    "fixedPrices": _fixed_prices,
    "warehouseDocks": _warehouse_docks,
    "address": _dock_address,
    "FieldValueIds": _refs,
    "salesChannels": lambda rows, resolve: list(rows),
    "freightTableIds": lambda rows, resolve: list(rows),
    "geoCoordinate": lambda rows, resolve: list(rows),
}
