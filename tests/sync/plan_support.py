"""Pure-planner test support: a snapshot held in lists, a small store, and a fake "apply"."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from vtexbridge.erp.records import (
    Address,
    Brand,
    Category,
    Customer,
    Dock,
    Ean,
    Entity,
    FixedPrice,
    Price,
    Product,
    ProductSpecification,
    Record,
    Sku,
    SkuImage,
    SkuSpecification,
    SpecFieldType,
    SpecificationField,
    SpecificationGroup,
    SpecificationValue,
    StockLevel,
    Warehouse,
    WarehouseDock,
)
from vtexbridge.errors import RecordError
from vtexbridge.state.models import Accepted
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.plan import make_plan
from vtexbridge.sync.stateview import MemoryState
from vtexbridge.sync.steps import Action, Plan


class ListSnapshot:
    """An ERP snapshot in memory: ``{entity: [record or error, ...]}``."""

    def __init__(self, data: dict[Entity, list[Any]]) -> None:
        self.data = data

    def entities(self) -> set[Entity]:
        return set(self.data)

    def read(self, entity: Entity) -> Iterator[Record | RecordError]:
        yield from self.data.get(entity, [])

    def replace(self, entity: Entity, key: str, **changes: Any) -> None:
        rows = self.data[entity]
        for i, r in enumerate(rows):
            if not isinstance(r, RecordError) and r.key == key:
                rows[i] = replace(r, **changes)
                return
        raise KeyError(key)

    def drop(self, entity: Entity, predicate: Any) -> None:
        self.data[entity] = [r for r in self.data[entity] if isinstance(r, RecordError) or not predicate(r)]


def small_store(*, skus_per_product: int = 2, products: int = 2) -> ListSnapshot:
    """A complete little store: a category tree, a brand, a SKU field with values, products, SKUs with
    an image, an EAN, a spec, a price (with a fixed price), stock, a warehouse, a customer and address."""
    data: dict[Entity, list[Any]] = {
        Entity.CATEGORIES: [Category("dep", "Department"), Category("cat", "Category", parent_key="dep")],
        Entity.BRANDS: [Brand("acme", "Acme")],
        Entity.SPECIFICATION_GROUPS: [SpecificationGroup("grp", "dep", "Specs", position=1)],
        Entity.SPECIFICATION_FIELDS: [
            SpecificationField("color", "grp", "Color", SpecFieldType.COMBO, is_sku=True),
            SpecificationField("material", "grp", "Material", SpecFieldType.CHECKBOX),
        ],
        Entity.SPECIFICATION_VALUES: [
            SpecificationValue("red", "color", "Red"),
            SpecificationValue("blue", "color", "Blue"),
            SpecificationValue("nylon", "material", "Nylon"),
        ],
        Entity.PRODUCTS: [],
        Entity.PRODUCT_SPECIFICATIONS: [],
        Entity.SKUS: [],
        Entity.SKU_SPECIFICATIONS: [],
        Entity.SKU_IMAGES: [],
        Entity.EANS: [],
        Entity.PRICES: [],
        Entity.FIXED_PRICES: [],
        Entity.DOCKS: [Dock("dk", "Dock", country="BRA")],
        Entity.WAREHOUSES: [Warehouse("wh", "Warehouse")],
        Entity.WAREHOUSE_DOCKS: [WarehouseDock("wh", "dk")],
        Entity.INVENTORY: [],
        Entity.CUSTOMERS: [Customer("c1", "ana@example.com", first_name="Ana")],
        Entity.ADDRESSES: [Address("a1", "c1", "01310-100", "Av Paulista", "Sao Paulo", "BRA")],
    }
    eans = _eans()
    for p in range(1, products + 1):
        pk = f"P{p}"
        data[Entity.PRODUCTS].append(Product(pk, f"Product {p}", "cat", "acme"))
        data[Entity.PRODUCT_SPECIFICATIONS].append(ProductSpecification(pk, "material", ("nylon",)))
        for s in range(1, skus_per_product + 1):
            sk = f"{pk}-{s}"
            data[Entity.SKUS].append(
                Sku(sk, pk, f"SKU {sk}", Decimal(10), Decimal(20), Decimal(30), Decimal("0.5"))
            )
            data[Entity.SKU_SPECIFICATIONS].append(SkuSpecification(sk, "color", "red" if s % 2 else "blue"))
            data[Entity.SKU_IMAGES].append(SkuImage(sk, f"https://img.example.com/{sk}.jpg", is_main=True))
            data[Entity.EANS].append(Ean(sk, next(eans)))
            data[Entity.PRICES].append(Price(sk, base_price=Decimal("10.00"), list_price=Decimal("12.00")))
            data[Entity.FIXED_PRICES].append(FixedPrice(sk, "1", Decimal("9.00"), min_quantity=3))
            data[Entity.INVENTORY].append(StockLevel(sk, "wh", quantity=5))
    return ListSnapshot(data)


def _eans() -> Iterator[str]:
    from vtexbridge.erp.coerce import gtin_check_digit

    for n in itertools.count(1):
        body = f"789{n:09d}"
        yield body + str(gtin_check_digit(body))


def apply_all(plan: Plan, state: MemoryState, *, fail: set[str] | None = None) -> None:
    """Record every step as the executor would after VTEX accepted it (fake ids for creates)."""
    ids = itertools.count(1000)
    made: dict[int, str] = {}
    rows: list[Accepted] = []
    for step in plan.steps:
        if fail and step.key in fail:
            continue
        vtex_id = step.vtex_id
        if step.action in (Action.CREATE, Action.LINK) and vtex_id is None:
            vtex_id = str(next(ids))
        made[step.index] = vtex_id or ""
        if step.action is Action.UNLINK or (
            step.kind.value == "inventory" and step.action is Action.DEACTIVATE
        ):
            state.accept(rows)
            rows = []
            state.forget(step.kind.value, [step.key])
            continue
        rows.append(Accepted(step.kind.value, step.key, vtex_id, step.hash, step.parent_key, step.active))
    state.accept(rows)


def plan(snapshot: ListSnapshot, state: MemoryState | None = None, **kw: Any) -> Plan:
    return make_plan(snapshot, state or MemoryState(), mapper=kw.pop("mapper", None) or Mapper(), **kw)
