"""Local rules, checked before anything is sent: a bad record gets a precise error, never a request.

The readers already enforce each field's own form (required fields, numbers, RefId lengths, EAN check
digits, image URL form, non-negative prices ...) and report it with file, row and field. The rules
here are the ones a reader cannot know: what VTEX's API accepts beyond a field's form, keys that
must work as VTEX identifiers, and rules between fields. Rules between records (unknown parents,
duplicate keys, mandatory specifications) are the planner's, which sees every record.

Each check returns the problems of one record as ``(field, message)`` pairs (an empty tuple when
the record is fine — the usual case, kept cheap: the checks run on every record of every sync).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, get_args

from vtexbridge.erp.records import (
    KEY_SEPARATOR,
    Customer,
    Dock,
    Entity,
    FixedPrice,
    Price,
    Product,
    Record,
    Sku,
    SkuImage,
    Warehouse,
)
from vtexbridge.sync.mapping import grams
from vtexbridge.vtex.models.catalog import MeasurementUnitCode

__all__ = [
    "MEASUREMENT_UNITS",
    "STATE_KEY_MAX",
    "Problem",
    "canonical_trade_policy",
    "check_key",
    "checker",
    "state_key",
]

Problem = tuple[str, str]
NO_PROBLEMS: tuple[Problem, ...] = ()
MEASUREMENT_UNITS = frozenset(get_args(MeasurementUnitCode))
STATE_KEY_MAX = 255
PRODUCT_REFID_MAX = 100
SKU_REFID_MAX = 50

_BAD_KEY_CHARS = re.compile(r"[|\x00-\x1f\x7f]")
_BAD_REFID_CHARS = re.compile(r"[|/\\?#%\x00-\x1f\x7f]")
_LOGISTICS_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_IMAGE_URL = re.compile(r"(?i)^https?://\S+\.(jpg|png|gif)$")

# Entities whose key is the identity of a VTEX object (a RefId, a warehouse id, a document key).
_KEYED = frozenset(
    {
        Entity.CATEGORIES,
        Entity.BRANDS,
        Entity.SPECIFICATION_GROUPS,
        Entity.SPECIFICATION_FIELDS,
        Entity.SPECIFICATION_VALUES,
        Entity.PRODUCTS,
        Entity.SKUS,
        Entity.DOCKS,
        Entity.WAREHOUSES,
        Entity.CUSTOMERS,
        Entity.ADDRESSES,
    }
)


def state_key(key: str) -> str:
    """The key under which the state store keeps an entity (at most 255 characters).

    Link keys can be long (a SKU key and an image URL): beyond the limit, the tail is replaced by a
    digest of the whole key, keeping the parent's key in front.
    """
    if len(key) <= STATE_KEY_MAX:
        return key
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return f"{key[:200]}#{digest}"


def check_key(entity: Entity, key: str) -> tuple[Problem, ...]:
    """Problems of a key as a VTEX identifier ("id canonicalisation")."""
    if entity not in _KEYED:
        return NO_PROBLEMS
    if key != key.strip():
        return (("key", f"{key!r} has leading or trailing blanks"),)
    if entity in (Entity.PRODUCTS, Entity.SKUS):
        if _BAD_REFID_CHARS.search(key):
            return (
                (
                    "key",
                    f"{key!r} cannot be a VTEX RefId here: it is looked up in URL paths, so it may not "
                    "contain '|', '/', '\\', '?', '#', '%' or control characters",
                ),
            )
        limit = PRODUCT_REFID_MAX if entity is Entity.PRODUCTS else SKU_REFID_MAX
        if len(key) > limit:
            return (("key", f"VTEX takes a RefId of at most {limit} characters, this one has {len(key)}"),)
    elif entity in (Entity.DOCKS, Entity.WAREHOUSES):
        if not _LOGISTICS_ID.match(key):
            return (
                (
                    "key",
                    f"{key!r} cannot be a VTEX {entity.value[:-1]} id: use letters, digits, '_', '-', '.'",
                ),
            )
    elif _BAD_KEY_CHARS.search(key):
        return (("key", f"{key!r} may not contain '{KEY_SEPARATOR}' or control characters"),)
    if len(key) > STATE_KEY_MAX:
        return (("key", f"a key has at most {STATE_KEY_MAX} characters, this one has {len(key)}"),)
    return NO_PROBLEMS


def canonical_trade_policy(value: str) -> str | None:
    """A trade policy id as VTEX's catalog takes it (``"01"`` -> ``"1"``), or None if not an id."""
    v = value.strip()
    if not v.isascii() or not v.isdigit() or int(v) == 0:
        return None
    return str(int(v))


# --- per-record rules ---------------------------------------------------------------------------

TEXT_LIMITS: dict[Entity, tuple[tuple[str, str, int], ...]] = {
    Entity.PRODUCTS: (("name", "Name", 150), ("title", "Title", 150), ("tax_code", "TaxCode", 150)),
    Entity.SKUS: (("name", "Name", 200),),
    Entity.SPECIFICATION_FIELDS: (("name", "Name", 100),),
    Entity.PRODUCT_SPECIFICATIONS: (("value_text", "Text", 3500),),
    Entity.CUSTOMERS: tuple(
        (name, vtex, 300)
        for name, vtex in (
            ("email", "email"),
            ("first_name", "firstName"),
            ("last_name", "lastName"),
            ("document_type", "documentType"),
            ("document", "document"),
            ("corporate_name", "corporateName"),
            ("trade_name", "tradeName"),
            ("corporate_document", "corporateDocument"),
            ("state_registration", "stateRegistration"),
        )
    ),
}
"""``entity -> (field, VTEX field, most characters)``: the lengths VTEX documents (contracts/
vtex-openapi: the Catalog API's "Limited to N characters", Master Data's customer profile
``maxLength``), checked on every record before anything is sent, so that the error names the file
and row instead of surfacing from VTEX."""
PRICE_TABLES_MAX = 50
"""Master Data's ``priceTables`` (the customer's price tables, comma-separated) ``maxLength``."""


def _too_long(record: Any, limits: tuple[tuple[str, str, int], ...]) -> list[Problem]:
    out: list[Problem] = []
    for name, vtex_field, most in limits:
        value = getattr(record, name)
        if value is not None and len(value) > most:
            out.append(
                (name, f"VTEX's {vtex_field} takes at most {most} characters, this one has {len(value)}")
            )
    return out


def _product(p: Product, weight_unit: str) -> tuple[Problem, ...]:
    bad = [t for t in p.trade_policies if canonical_trade_policy(t) is None]
    if bad:
        return (
            (
                "trade_policies",
                f"trade policy ids are numbers (1 is the main one), not {', '.join(map(repr, bad))}",
            ),
        )
    if len(set(map(canonical_trade_policy, p.trade_policies))) != len(p.trade_policies):
        return (("trade_policies", "a trade policy is listed twice"),)
    return NO_PROBLEMS


def _sku(s: Sku, weight_unit: str) -> tuple[Problem, ...]:
    problems: list[Problem] = []
    if s.measurement_unit not in MEASUREMENT_UNITS:
        problems.append(
            (
                "measurement_unit",
                f"VTEX does not know the unit {s.measurement_unit!r}; use one of "
                f"{', '.join(sorted(MEASUREMENT_UNITS))}",
            )
        )
    weight = s.packaged_weight_kg
    if weight_unit == "g" and grams(weight) < 1:
        problems.append(
            ("packaged_weight_kg", f"{weight} kg is less than a gram, VTEX needs a weight of 1 g or more")
        )
    if weight_unit == "kg" and weight != weight.to_integral_value():
        problems.append(
            (
                "packaged_weight_kg",
                f"{weight} kg is not a whole number; VTEX's PackagedWeightKg is an integer "
                "(set sync.weight_unit = 'g' to send grams)",
            )
        )
    for name in ("packaged_height", "packaged_length", "packaged_width"):
        if getattr(s, name) <= 0:
            problems.append((name, "VTEX needs packaged dimensions greater than zero"))
    return tuple(problems)


def _image(i: SkuImage, weight_unit: str) -> tuple[Problem, ...]:
    if not _IMAGE_URL.match(i.url):
        return (("url", "VTEX takes http(s) image URLs ending in .jpg, .png or .gif"),)
    return NO_PROBLEMS


def _price(p: Price, weight_unit: str) -> tuple[Problem, ...]:
    problems: list[Problem] = []
    for name in ("base_price", "list_price", "cost_price"):
        value = getattr(p, name)
        if value is not None and value < 0:
            problems.append((name, f"a price cannot be negative, got {value}"))
    if p.list_price is not None and p.base_price is not None and p.list_price < p.base_price:
        problems.append(
            ("list_price", f"the list price {p.list_price} is below the base price {p.base_price}")
        )
    if p.markup is not None and p.markup <= -100:
        problems.append(("markup", f"a markup of {p.markup}% would make the price zero or negative"))
    return tuple(problems)


def _fixed_price(f: FixedPrice, weight_unit: str) -> tuple[Problem, ...]:
    if f.value < 0:
        return (("value", f"a price cannot be negative, got {f.value}"),)
    if f.list_price is not None and f.list_price < f.value:
        return (("list_price", f"the list price {f.list_price} is below the fixed price {f.value}"),)
    if f.date_from is not None and (f.date_from.tzinfo is None or f.date_to is None):
        return (("date_from", "a date range needs both ends, with a time zone"),)
    return NO_PROBLEMS


def _dock(d: Dock, weight_unit: str) -> tuple[Problem, ...]:
    bad = [t for t in d.trade_policies if canonical_trade_policy(t) is None]
    if bad:
        return (("trade_policies", f"trade policy ids are numbers, not {', '.join(map(repr, bad))}"),)
    return NO_PROBLEMS


def _warehouse(w: Warehouse, weight_unit: str) -> tuple[Problem, ...]:
    return NO_PROBLEMS


def _customer(c: Customer, weight_unit: str) -> tuple[Problem, ...]:
    joined = ",".join(c.price_tables)
    if len(joined) > PRICE_TABLES_MAX:
        return (
            (
                "price_tables",
                f"VTEX's priceTables takes at most {PRICE_TABLES_MAX} characters (the tables joined by "
                f"','), these make {len(joined)}",
            ),
        )
    return NO_PROBLEMS


def _none(record: Any, weight_unit: str) -> tuple[Problem, ...]:
    return NO_PROBLEMS


_RULES: dict[Entity, Callable[[Any, str], tuple[Problem, ...]]] = {
    Entity.PRODUCTS: _product,
    Entity.SKUS: _sku,
    Entity.SKU_IMAGES: _image,
    Entity.PRICES: _price,
    Entity.FIXED_PRICES: _fixed_price,
    Entity.DOCKS: _dock,
    Entity.WAREHOUSES: _warehouse,
    Entity.CUSTOMERS: _customer,
}


def checker(entity: Entity, *, weight_unit: str = "g") -> Callable[[Record], tuple[Problem, ...]]:
    """The check of ``entity``'s records: key rules, VTEX's text limits and the entity's own rules."""
    rule = _RULES.get(entity, _none)
    keyed = entity in _KEYED
    limits = TEXT_LIMITS.get(entity, ())

    def check(record: Record) -> tuple[Problem, ...]:
        problems = check_key(entity, record.key) if keyed else NO_PROBLEMS
        own = rule(record, weight_unit)
        if limits:
            long = _too_long(record, limits)
            if long:
                own = (*own, *long)
        return problems + own if own else problems

    return check
