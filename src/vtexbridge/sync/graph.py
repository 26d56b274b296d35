"""The kinds of VTEX entity the sync manages, where each comes from, and the order they depend on.

A *kind* is what the state store keys an entity by (``entity_map.kind``) and what the plan and the
reports count. Most kinds are one ERP entity; a few merge or split entities:

- ``price`` is one ``PUT /pricing/prices/{skuId}`` per SKU, carrying the ``prices`` row and every
  ``fixed_prices`` row of the SKU (the PUT replaces the fixed-price list);
- ``warehouse`` carries its ``warehouse_docks`` rows (the warehouse body lists its docks);
- ``product_trade_policy`` (a product's link to a trade policy) comes from ``products.trade_policies``;
- a SKU's activation is a step of kind ``sku`` (action ``activate``/``deactivate``).

:data:`KIND_ORDER` is the order of the printed plan and a valid creation order: every kind only
refers to kinds listed before it. The executor does not run kinds one after the other: each step
starts as soon as the steps it depends on are done (see :mod:`vtexbridge.sync.apply`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

from vtexbridge.erp.records import Entity

__all__ = [
    "AREA",
    "ENTITIES_OF",
    "KIND_ORDER",
    "KIND_PARENTS",
    "Area",
    "Kind",
    "kind_of",
    "kinds_of",
    "topological_order",
]


class Kind(StrEnum):
    CATEGORY = "category"
    BRAND = "brand"
    SPEC_GROUP = "specification_group"
    SPEC_FIELD = "specification_field"
    SPEC_VALUE = "specification_value"
    PRODUCT = "product"
    PRODUCT_SPEC = "product_specification"
    TRADE_POLICY = "product_trade_policy"
    SKU = "sku"
    SKU_SPEC = "sku_specification"
    IMAGE = "sku_image"
    EAN = "ean"
    PRICE = "price"
    DOCK = "dock"
    WAREHOUSE = "warehouse"
    INVENTORY = "inventory"
    CUSTOMER = "customer"
    ADDRESS = "address"


class Area(StrEnum):
    """The VTEX API area a kind's requests go to: each has its own concurrency budget."""

    CATALOG = "catalog"
    PRICING = "pricing"
    LOGISTICS = "logistics"
    MASTERDATA = "masterdata"


KIND_ORDER: tuple[Kind, ...] = tuple(Kind)

AREA: Mapping[Kind, Area] = {
    **{k: Area.CATALOG for k in KIND_ORDER[: KIND_ORDER.index(Kind.EAN) + 1]},
    Kind.PRICE: Area.PRICING,
    Kind.DOCK: Area.LOGISTICS,
    Kind.WAREHOUSE: Area.LOGISTICS,
    Kind.INVENTORY: Area.LOGISTICS,
    Kind.CUSTOMER: Area.MASTERDATA,
    Kind.ADDRESS: Area.MASTERDATA,
}

ENTITIES_OF: Mapping[Kind, tuple[Entity, ...]] = {
    Kind.CATEGORY: (Entity.CATEGORIES,),
    Kind.BRAND: (Entity.BRANDS,),
    Kind.SPEC_GROUP: (Entity.SPECIFICATION_GROUPS,),
    Kind.SPEC_FIELD: (Entity.SPECIFICATION_FIELDS,),
    Kind.SPEC_VALUE: (Entity.SPECIFICATION_VALUES,),
    Kind.PRODUCT: (Entity.PRODUCTS,),
    Kind.PRODUCT_SPEC: (Entity.PRODUCT_SPECIFICATIONS,),
    Kind.TRADE_POLICY: (Entity.PRODUCTS,),
    Kind.SKU: (Entity.SKUS,),
    Kind.SKU_SPEC: (Entity.SKU_SPECIFICATIONS,),
    Kind.IMAGE: (Entity.SKU_IMAGES,),
    Kind.EAN: (Entity.EANS,),
    Kind.PRICE: (Entity.PRICES, Entity.FIXED_PRICES),
    Kind.DOCK: (Entity.DOCKS,),
    Kind.WAREHOUSE: (Entity.WAREHOUSES, Entity.WAREHOUSE_DOCKS),
    Kind.INVENTORY: (Entity.INVENTORY,),
    Kind.CUSTOMER: (Entity.CUSTOMERS,),
    Kind.ADDRESS: (Entity.ADDRESSES,),
}
"""The ERP entities a kind is made from (the first one is its main entity)."""

KIND_PARENTS: Mapping[Kind, tuple[Kind, ...]] = {
    Kind.CATEGORY: (Kind.CATEGORY,),
    Kind.BRAND: (),
    Kind.SPEC_GROUP: (Kind.CATEGORY,),
    Kind.SPEC_FIELD: (Kind.SPEC_GROUP, Kind.CATEGORY),
    Kind.SPEC_VALUE: (Kind.SPEC_FIELD,),
    Kind.PRODUCT: (Kind.CATEGORY, Kind.BRAND),
    Kind.PRODUCT_SPEC: (Kind.PRODUCT, Kind.SPEC_FIELD, Kind.SPEC_VALUE),
    Kind.TRADE_POLICY: (Kind.PRODUCT,),
    Kind.SKU: (Kind.PRODUCT,),
    Kind.SKU_SPEC: (Kind.SKU, Kind.SPEC_FIELD, Kind.SPEC_VALUE),
    Kind.IMAGE: (Kind.SKU,),
    Kind.EAN: (Kind.SKU,),
    Kind.PRICE: (Kind.SKU,),
    Kind.DOCK: (),
    Kind.WAREHOUSE: (Kind.DOCK,),
    Kind.INVENTORY: (Kind.SKU, Kind.WAREHOUSE),
    Kind.CUSTOMER: (),
    Kind.ADDRESS: (Kind.CUSTOMER,),
}
"""Whose VTEX ids a kind's requests need (a step waits for the steps that create them)."""

_KIND_OF: dict[Entity, Kind] = {}
for _kind, _entities in ENTITIES_OF.items():
    _KIND_OF.setdefault(_entities[0], _kind)
_KIND_OF[Entity.FIXED_PRICES] = Kind.PRICE
_KIND_OF[Entity.WAREHOUSE_DOCKS] = Kind.WAREHOUSE


def kind_of(entity: Entity) -> Kind:
    """The kind an ERP entity's records end up in (``fixed_prices`` -> ``price``)."""
    return _KIND_OF[entity]


def kinds_of(entities: Iterable[Entity]) -> set[Kind]:
    """Every kind made from any of ``entities`` (``products`` -> product and its trade-policy links)."""
    wanted = set(entities)
    return {k for k, ents in ENTITIES_OF.items() if wanted & set(ents)}


K = TypeVar("K", bound=Hashable)


def topological_order(keys: Iterable[K], parent_of: Callable[[K], K | None]) -> tuple[list[K], set[K]]:
    """``keys`` with every parent before its children, and the keys caught in (or below) a cycle.

    A parent that is not among ``keys`` counts as a root (the caller checks that it exists).
    """
    pending = list(dict.fromkeys(keys))
    wanted = set(pending)
    done: set[K] = set()
    order: list[K] = []
    cyclic: set[K] = set()
    for start in pending:
        if start in done or start in cyclic:
            continue
        path: list[K] = []
        on_path: set[K] = set()
        node: K | None = start
        while node is not None and node in wanted and node not in done and node not in cyclic:
            if node in on_path:
                cyclic.update(path[path.index(node) :])
                break
            path.append(node)
            on_path.add(node)
            node = parent_of(node)
        bad = node is not None and node in cyclic
        for n in reversed(path):
            if bad or n in cyclic:
                cyclic.add(n)
                bad = True
            else:
                done.add(n)
                order.append(n)
    return order, cyclic
