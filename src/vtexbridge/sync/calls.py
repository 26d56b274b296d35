"""The VTEX requests of each step, used only by :mod:`vtexbridge.sync.apply`.

One method per (kind, action). Creates are made safe to repeat:

- **brands and categories** get an id chosen by the sync (VTEX requires it for brands), reserved in
  the in-flight mark (``create:<id>``) before sending; an unknown outcome, or a 409 "already exists",
  is resolved by reading that id back: ours (same name and parent) -> adopted, someone else's -> the
  next free id;
- **products and SKUs** get VTEX's ids; an unknown outcome, a 409, or a create left in flight by a
  killed run is resolved by looking the ``RefId`` (the ERP key) up before creating again;
- **specification groups, fields, values, SKU files and SKU specifications** are looked up by their
  natural key (name in the category/group/field, URL of the file, field of the SKU);
- product specifications are *set*: read the product's values of the field, delete the ones not
  wanted, add the missing ones — repeating it changes nothing;
- everything else is an idempotent PUT or upsert (prices, stock, warehouses, docks, Master Data
  documents under ids derived from the ERP key, EANs, trade-policy links).

An adopted entity is updated only when VTEX's copy differs from the payload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Mapper, Ref
from vtexbridge.sync.steps import Action, Step
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import Conflict, NotFound, OutcomeUnknown
from vtexbridge.vtex.models.catalog import (
    BrandCreate,
    BrandUpdate,
    CategoryCreate,
    CategoryUpdate,
    ProductCreate,
    ProductSpecificationCreate,
    ProductUpdate,
    SkuCreate,
    SkuFileCreate,
    SkuFileUpdate,
    SkuSpecificationCreate,
    SkuSpecificationUpdate,
    SkuUpdate,
    SpecificationFieldCreate,
    SpecificationFieldUpdate,
    SpecificationGroupCreate,
    SpecificationGroupUpdate,
    SpecificationValueCreate,
    SpecificationValueUpdate,
)
from vtexbridge.vtex.models.logistics import DockUpsert, InventoryUpdate, WarehouseUpsert
from vtexbridge.vtex.models.pricing import PriceUpdate

__all__ = ["Calls", "Done", "Flights", "IdAllocator", "Resolve"]

_CHOSEN_ID_TRIES = 20
T = TypeVar("T")
Resolve = Callable[[Ref], Any]


@dataclass(frozen=True, slots=True)
class Done:
    """What a step achieved: the entity's VTEX id, whether it is active, or that it is gone."""

    vtex_id: str | None = None
    active: bool | None = None
    forget: bool = False


class Flights(Protocol):
    """Marks a write as sent before it is sent (committed to the state store when it returns)."""

    async def mark(self, kind: str, key: str, operation: str) -> None: ...


class IdAllocator(Protocol):
    def next_id(self, kind: Kind) -> int: ...


class Calls:
    """The requests of every (kind, action)."""

    def __init__(self, client: VtexClient, mapper: Mapper, flights: Flights, ids: IdAllocator) -> None:
        self.client = client
        self.catalog = client.catalog
        self.mapper = mapper
        self.flights = flights
        self.ids = ids
        self._ticks = 0
        self._product_locks: dict[int, asyncio.Lock] = {}
        self._product_skus: dict[int, tuple[int, dict[int, bool | None]]] = {}
        self._table: dict[tuple[Kind, Action], Callable[[Step, Resolve], Awaitable[Done]]] = {
            (Kind.CATEGORY, Action.CREATE): self.create_category,
            (Kind.CATEGORY, Action.UPDATE): self.update_category,
            (Kind.CATEGORY, Action.DEACTIVATE): self.deactivate_category,
            (Kind.BRAND, Action.CREATE): self.create_brand,
            (Kind.BRAND, Action.UPDATE): self.update_brand,
            (Kind.BRAND, Action.DEACTIVATE): self.deactivate_brand,
            (Kind.SPEC_GROUP, Action.CREATE): self.create_group,
            (Kind.SPEC_GROUP, Action.UPDATE): self.update_group,
            (Kind.SPEC_FIELD, Action.CREATE): self.create_field,
            (Kind.SPEC_FIELD, Action.UPDATE): self.update_field,
            (Kind.SPEC_FIELD, Action.DEACTIVATE): self.deactivate_field,
            (Kind.SPEC_VALUE, Action.CREATE): self.create_value,
            (Kind.SPEC_VALUE, Action.UPDATE): self.update_value,
            (Kind.SPEC_VALUE, Action.DEACTIVATE): self.deactivate_value,
            (Kind.PRODUCT, Action.CREATE): self.create_product,
            (Kind.PRODUCT, Action.UPDATE): self.update_product,
            (Kind.PRODUCT, Action.DEACTIVATE): self.deactivate_product,
            (Kind.PRODUCT_SPEC, Action.LINK): self.set_product_spec,
            (Kind.PRODUCT_SPEC, Action.UPDATE): self.set_product_spec,
            (Kind.PRODUCT_SPEC, Action.UNLINK): self.set_product_spec,
            (Kind.TRADE_POLICY, Action.LINK): self.link_trade_policy,
            (Kind.TRADE_POLICY, Action.UNLINK): self.unlink_trade_policy,
            (Kind.SKU, Action.CREATE): self.create_sku,
            (Kind.SKU, Action.UPDATE): self.update_sku,
            (Kind.SKU, Action.ACTIVATE): self.activate_sku,
            (Kind.SKU, Action.DEACTIVATE): self.deactivate_sku,
            (Kind.SKU_SPEC, Action.LINK): self.link_sku_spec,
            (Kind.SKU_SPEC, Action.UPDATE): self.update_sku_spec,
            (Kind.SKU_SPEC, Action.UNLINK): self.unlink_sku_spec,
            (Kind.IMAGE, Action.LINK): self.link_image,
            (Kind.IMAGE, Action.UPDATE): self.update_image,
            (Kind.IMAGE, Action.UNLINK): self.unlink_image,
            (Kind.EAN, Action.LINK): self.link_ean,
            (Kind.EAN, Action.UNLINK): self.unlink_ean,
            (Kind.PRICE, Action.CREATE): self.put_price,
            (Kind.PRICE, Action.UPDATE): self.put_price,
            (Kind.PRICE, Action.UNLINK): self.delete_price,
            (Kind.DOCK, Action.CREATE): self.put_dock,
            (Kind.DOCK, Action.UPDATE): self.put_dock,
            (Kind.WAREHOUSE, Action.CREATE): self.put_warehouse,
            (Kind.WAREHOUSE, Action.UPDATE): self.put_warehouse,
            (Kind.WAREHOUSE, Action.DEACTIVATE): self.deactivate_warehouse,
            (Kind.INVENTORY, Action.CREATE): self.put_inventory,
            (Kind.INVENTORY, Action.UPDATE): self.put_inventory,
            (Kind.INVENTORY, Action.DEACTIVATE): self.zero_inventory,
            (Kind.CUSTOMER, Action.CREATE): self.put_customer,
            (Kind.CUSTOMER, Action.UPDATE): self.put_customer,
            (Kind.ADDRESS, Action.CREATE): self.put_address,
            (Kind.ADDRESS, Action.UPDATE): self.put_address,
        }

    async def run(self, step: Step, resolve: Resolve) -> Done:
        """Make the requests of ``step``."""
        call = self._table.get((step.kind, step.action))
        if call is None:
            raise NotImplementedError(f"no request for {step.action.value} {step.kind.value}")
        return await call(step, resolve)

    def body(self, step: Step, resolve: Resolve) -> dict[str, Any]:
        assert step.values is not None, f"{step.describe()} has no payload"
        return self.mapper.body(step.kind, step.values, resolve)

    async def _mark(self, step: Step, operation: str = "create") -> None:
        await self.flights.mark(step.kind.value, step.key, operation)

    # --- categories and brands (ids chosen here) ------------------------------------------------

    async def create_category(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)

        async def create(chosen: int) -> int:
            created = await self.catalog.create_category(CategoryCreate(Id=chosen, **body), record=step.ref)
            return created.Id

        async def read(chosen: int) -> dict[str, Any] | None:
            found = await _or_none(self.catalog.get_category(chosen, record=step.ref))
            return None if found is None else found.model_dump()

        def ours(found: Mapping[str, Any]) -> bool:
            return bool(
                found["Name"] == body["Name"] and found.get("FatherCategoryId") == body["FatherCategoryId"]
            )

        async def update(chosen: int) -> None:
            await self.catalog.update_category(chosen, CategoryUpdate(**body), record=step.ref)

        return await self._create_with_chosen_id(step, body, create, read, ours, update)

    async def update_category(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        await self.catalog.update_category(_int(step.vtex_id), CategoryUpdate(**body), record=step.ref)
        return Done(step.vtex_id)

    async def deactivate_category(self, step: Step, resolve: Resolve) -> Done:
        current = (await self.catalog.get_category(_int(step.vtex_id), record=step.ref)).model_dump()
        if current.get("IsActive") is False:
            return Done(step.vtex_id, active=False)
        body = _fields_of(CategoryUpdate, current)
        body.update(IsActive=False, Score=current.get("Score") or 0)
        for name in ("Keywords", "Title", "Description"):
            body[name] = body.get(name) or ""
        body.setdefault("GlobalCategoryId", 0)
        await self.catalog.update_category(_int(step.vtex_id), CategoryUpdate(**body), record=step.ref)
        return Done(step.vtex_id, active=False)

    async def create_brand(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)

        async def create(chosen: int) -> int:
            created = await self.catalog.create_brand(BrandCreate(Id=chosen, **body), record=step.ref)
            return created.Id

        async def read(chosen: int) -> dict[str, Any] | None:
            found = await _or_none(self.catalog.get_brand(chosen, record=step.ref))
            return None if found is None else found.model_dump()

        def ours(found: Mapping[str, Any]) -> bool:
            return bool(found["Name"] == body["Name"])

        async def update(chosen: int) -> None:
            await self.catalog.update_brand(chosen, BrandUpdate(Id=chosen, **body), record=step.ref)

        return await self._create_with_chosen_id(step, body, create, read, ours, update)

    async def update_brand(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        brand_id = _int(step.vtex_id)
        await self.catalog.update_brand(brand_id, BrandUpdate(Id=brand_id, **body), record=step.ref)
        return Done(step.vtex_id)

    async def deactivate_brand(self, step: Step, resolve: Resolve) -> Done:
        brand_id = _int(step.vtex_id)
        current = (await self.catalog.get_brand(brand_id, record=step.ref)).model_dump()
        if current.get("Active") is False:
            return Done(step.vtex_id, active=False)
        body = _fields_of(BrandUpdate, current)
        body.update(Id=brand_id, Active=False)
        await self.catalog.update_brand(brand_id, BrandUpdate(**body), record=step.ref)
        return Done(step.vtex_id, active=False)

    async def _create_with_chosen_id(
        self,
        step: Step,
        body: dict[str, Any],
        create: Callable[[int], Awaitable[int]],
        read: Callable[[int], Awaitable[dict[str, Any] | None]],
        ours: Callable[[Mapping[str, Any]], bool],
        update: Callable[[int], Awaitable[None]],
    ) -> Done:
        """Create under an id of our choosing; a lost or conflicting create is read back by that id."""
        chosen = step.reserved_id or self.ids.next_id(step.kind)
        check_first = step.resolve
        for _ in range(_CHOSEN_ID_TRIES):
            if check_first:
                found = await read(chosen)
                if found is not None:
                    if ours(found):
                        if _differs(body, found):
                            await update(chosen)
                        return Done(str(chosen))
                    chosen = self.ids.next_id(step.kind)  # taken by an entity that is not ours
                    continue
            await self._mark(step, f"create:{chosen}")
            try:
                return Done(str(await create(chosen)))
            except (Conflict, OutcomeUnknown):
                check_first = True
        raise RuntimeError(f"no free id found for {step.kind.value} {step.key!r} in {_CHOSEN_ID_TRIES} tries")

    # --- specifications -------------------------------------------------------------------------

    async def create_group(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        category_id = body["CategoryId"]

        async def find() -> Any:
            groups = await self.catalog.list_specification_groups(category_id, record=step.ref)
            return next((g for g in groups if g.Name == body["Name"]), None)

        group = await self._create_by_lookup(
            step,
            find,
            lambda: self.catalog.create_specification_group(
                SpecificationGroupCreate(CategoryId=category_id, Name=body["Name"]), record=step.ref
            ),
        )
        position = body.get("Position")
        if position is not None and group.Position != position:
            update = SpecificationGroupUpdate(
                CategoryId=category_id, Id=group.Id, Name=body["Name"], Position=position
            )
            await self.catalog.update_specification_group(group.Id, update, record=step.ref)
        return Done(str(group.Id))

    async def update_group(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        group_id = _int(step.vtex_id)
        position = body.get("Position")
        if position is None:
            position = (await self.catalog.get_specification_group(group_id, record=step.ref)).Position or 0
        update = SpecificationGroupUpdate(
            CategoryId=body["CategoryId"], Id=group_id, Name=body["Name"], Position=position
        )
        await self.catalog.update_specification_group(group_id, update, record=step.ref)
        return Done(step.vtex_id)

    async def create_field(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)

        async def find() -> Any:
            fields = await self.catalog.list_category_specification_fields(
                body["CategoryId"], record=step.ref
            )
            hit = next((f for f in fields if f.Name == body["Name"]), None)
            return None if hit is None else _Found(hit.FieldId)

        found = await self._create_by_lookup(
            step,
            find,
            lambda: self.catalog.create_specification_field(
                SpecificationFieldCreate(**body), record=step.ref
            ),
        )
        field_id = found.Id
        if isinstance(found, _Found):  # adopted: make it match
            await self.catalog.update_specification_field(
                field_id, SpecificationFieldUpdate(**body), record=step.ref
            )
        return Done(str(field_id))

    async def update_field(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        await self.catalog.update_specification_field(
            _int(step.vtex_id), SpecificationFieldUpdate(**body), record=step.ref
        )
        return Done(step.vtex_id)

    async def deactivate_field(self, step: Step, resolve: Resolve) -> Done:
        """Gone from the ERP: switch VTEX's field off as it is (its PUT takes every attribute)."""
        field_id = _int(step.vtex_id)
        current = (await self.catalog.get_specification_field(field_id, record=step.ref)).model_dump()
        if current.get("IsActive") is False:
            return Done(step.vtex_id, active=False)
        body = _fields_of(SpecificationFieldUpdate, current)
        for name, default in _FIELD_DEFAULTS.items():
            body.setdefault(name, default)
        body["IsActive"] = False
        await self.catalog.update_specification_field(
            field_id, SpecificationFieldUpdate(**body), record=step.ref
        )
        return Done(step.vtex_id, active=False)

    async def deactivate_value(self, step: Step, resolve: Resolve) -> Done:
        value_id = _int(step.vtex_id)
        current = await self.catalog.get_specification_value(value_id, record=step.ref)
        if current.IsActive is False:
            return Done(step.vtex_id, active=False)
        if current.FieldId is None:
            raise ValueError(f"VTEX's specification value {value_id} has no FieldId")
        update = SpecificationValueUpdate(
            FieldId=current.FieldId,
            Name=current.Name,
            Text=current.Text,
            IsActive=False,
            Position=current.Position,
        )
        await self.catalog.update_specification_value(value_id, update, record=step.ref)
        return Done(step.vtex_id, active=False)

    async def create_value(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)

        async def find() -> Any:
            values = await self.catalog.list_specification_values(body["FieldId"], record=step.ref)
            hit = next((v for v in values if v.Value == body["Name"]), None)
            return None if hit is None else _Found(hit.FieldValueId)

        found = await self._create_by_lookup(
            step,
            find,
            lambda: self.catalog.create_specification_value(
                SpecificationValueCreate(**body), record=step.ref
            ),
        )
        value_id = found.Id if isinstance(found, _Found) else found.FieldValueId
        if isinstance(found, _Found):
            await self.catalog.update_specification_value(
                value_id, SpecificationValueUpdate(**body), record=step.ref
            )
        return Done(str(value_id))

    async def update_value(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        await self.catalog.update_specification_value(
            _int(step.vtex_id), SpecificationValueUpdate(**body), record=step.ref
        )
        return Done(step.vtex_id)

    async def _create_by_lookup(
        self, step: Step, find: Callable[[], Awaitable[Any]], create: Callable[[], Awaitable[T]]
    ) -> Any:
        """Create, unless an earlier create of this entity is found; resolve unknown outcomes by lookup."""
        if step.resolve:
            found = await find()
            if found is not None:
                return found
        await self._mark(step)
        try:
            return await create()
        except OutcomeUnknown:
            found = await find()
            if found is not None:
                return found
            return await create()

    # --- products -------------------------------------------------------------------------------

    async def create_product(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)

        async def adopt() -> Done | None:
            found = await self.catalog.get_product_by_ref_id(step.key, record=step.ref)
            if found is None:
                return None
            if _differs(body, found.model_dump()):
                await self.catalog.update_product(found.Id, ProductUpdate(**body), record=step.ref)
            return Done(str(found.Id))

        if step.resolve and (done := await adopt()) is not None:
            return done
        await self._mark(step)
        try:
            created = await self.catalog.create_product(ProductCreate(**body), record=step.ref)
        except (Conflict, OutcomeUnknown):
            if (done := await adopt()) is not None:
                return done
            created = await self.catalog.create_product(ProductCreate(**body), record=step.ref)
        return Done(str(created.Id))

    async def update_product(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        await self.catalog.update_product(_int(step.vtex_id), ProductUpdate(**body), record=step.ref)
        return Done(step.vtex_id)

    async def deactivate_product(self, step: Step, resolve: Resolve) -> Done:
        product_id = _int(step.vtex_id)
        current = (await self.catalog.get_product(product_id, record=step.ref)).model_dump()
        if current.get("IsActive") is False:
            return Done(step.vtex_id, active=False)
        body = _fields_of(ProductUpdate, current)
        body["IsActive"] = False
        await self.catalog.update_product(product_id, ProductUpdate(**body), record=step.ref)
        return Done(step.vtex_id, active=False)

    async def link_trade_policy(self, step: Step, resolve: Resolve) -> Done:
        product, policy = step.key.split("|", 1)
        product_id = resolve(Ref(Kind.PRODUCT.value, product))
        await self.catalog.add_product_trade_policy(product_id, int(policy), record=step.ref)
        return Done()

    async def unlink_trade_policy(self, step: Step, resolve: Resolve) -> Done:
        product, policy = step.key.split("|", 1)
        product_id = resolve(Ref(Kind.PRODUCT.value, product))
        await self.catalog.remove_product_trade_policy(product_id, int(policy), record=step.ref)
        return Done(forget=True)

    async def set_product_spec(self, step: Step, resolve: Resolve) -> Done:
        """Make the product's values of one field exactly the wanted ones."""
        product, field = step.key.split("|", 1)
        product_id = resolve(Ref(Kind.PRODUCT.value, product))
        field_id = resolve(Ref(Kind.SPEC_FIELD.value, field))
        wanted: list[int] = []
        text: str | None = None
        if step.action is not Action.UNLINK:
            body = self.body(step, resolve)
            wanted = [int(v) for v in body["FieldValueIds"]]
            text = body["Text"]
        fresh = step.action is Action.LINK and not step.resolve
        current = [] if fresh else await self.catalog.list_product_specifications(product_id, record=step.ref)
        kept: set[int | str] = set()
        for spec in current:
            if spec.FieldId != field_id:
                continue
            keep = (
                (spec.FieldValueId in wanted) if wanted else (text is not None and (spec.Text or "") == text)
            )
            if keep and (spec.FieldValueId or spec.Text or "") not in kept:
                kept.add(spec.FieldValueId or spec.Text or "")
            else:
                await self.catalog.delete_product_specification(product_id, spec.Id, record=step.ref)
        creates: list[ProductSpecificationCreate] = [
            ProductSpecificationCreate(FieldId=field_id, FieldValueId=v) for v in wanted if v not in kept
        ]
        if text is not None and not wanted and text not in kept:
            creates.append(ProductSpecificationCreate(FieldId=field_id, Text=text))
        if creates:
            await self._mark(step)
        for create in creates:
            try:
                await self.catalog.create_product_specification(product_id, create, record=step.ref)
            except OutcomeUnknown:
                specs = await self.catalog.list_product_specifications(product_id, record=step.ref)
                if not any(
                    s.FieldId == field_id
                    and (s.FieldValueId == create.FieldValueId or (s.Text or "") == create.Text)
                    for s in specs
                ):
                    await self.catalog.create_product_specification(product_id, create, record=step.ref)
        return Done(forget=step.action is Action.UNLINK)

    # --- SKUs -----------------------------------------------------------------------------------

    async def create_sku(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)

        async def adopt() -> Done | None:
            found = await self.catalog.get_sku_by_ref_id(step.key, record=step.ref)
            if found is None:
                return None
            active = bool(found.IsActive)
            if _differs(body, found.model_dump()):
                await self.catalog.update_sku(found.Id, SkuUpdate(**body, IsActive=active), record=step.ref)
            return Done(str(found.Id), active=active)

        if step.resolve and (done := await adopt()) is not None:
            return done
        await self._mark(step)
        try:
            created = await self.catalog.create_sku(SkuCreate(**body, IsActive=False), record=step.ref)
        except (Conflict, OutcomeUnknown):
            if (done := await adopt()) is not None:
                return done
            created = await self.catalog.create_sku(SkuCreate(**body, IsActive=False), record=step.ref)
        return Done(str(created.Id), active=bool(created.IsActive))

    async def update_sku(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        sku = await self.catalog.update_sku(
            _int(step.vtex_id), SkuUpdate(**body, IsActive=step.live), record=step.ref
        )
        return Done(step.vtex_id, active=bool(sku.IsActive))

    async def activate_sku(self, step: Step, resolve: Resolve) -> Done:
        """Switch a SKU on, unless VTEX already did (``ActivateIfPossible``): read, then write if needed.

        The read is of the product's SKUs (one request serves the siblings activated after it), taken
        after this step became ready, i.e. after every write it waited for.
        """
        sku_id = _int(step.vtex_id) if step.vtex_id else resolve(Ref(Kind.SKU.value, step.key))
        active = await self._sku_active(step, sku_id, resolve)
        if active:
            return Done(str(sku_id), active=True)
        body = self.body(step, resolve)
        await self.catalog.update_sku(sku_id, SkuUpdate(**body, IsActive=True), record=step.ref)
        return Done(str(sku_id), active=True)

    def tick(self) -> int:
        """A moment of the run (the executor ticks when a step becomes ready)."""
        self._ticks += 1
        return self._ticks

    async def _sku_active(self, step: Step, sku_id: int, resolve: Resolve) -> bool:
        """Whether VTEX has the SKU active: read with its product's SKUs, after ``step`` was ready."""
        product_key = step.parent_key
        product_id = resolve(Ref(Kind.PRODUCT.value, product_key)) if product_key else None
        if product_id is None:
            return bool((await self.catalog.get_sku(sku_id, record=step.ref)).IsActive)
        lock = self._product_locks.setdefault(product_id, asyncio.Lock())
        async with lock:
            seen = self._product_skus.get(product_id)
            if seen is None or seen[0] <= step.ready:
                moment = self.tick()
                skus = await self.catalog.list_skus_of_product(product_id, record=step.ref)
                seen = (moment, {s.Id: s.IsActive for s in skus})
                self._product_skus[product_id] = seen
        active = seen[1].get(sku_id)
        if active is None:
            return bool((await self.catalog.get_sku(sku_id, record=step.ref)).IsActive)
        return active

    async def deactivate_sku(self, step: Step, resolve: Resolve) -> Done:
        sku_id = _int(step.vtex_id)
        if step.values is not None:
            body = self.body(step, resolve)
        else:  # gone from the ERP: switch VTEX's copy off as it is
            current = (await self.catalog.get_sku(sku_id, record=step.ref)).model_dump()
            if current.get("IsActive") is False and current.get("ActivateIfPossible") is False:
                return Done(step.vtex_id, active=False)
            body = _fields_of(SkuUpdate, current)
            body.pop("IsActive", None)
            body["ActivateIfPossible"] = False
            if isinstance(body.get("PackagedWeightKg"), float):
                body["PackagedWeightKg"] = round(body["PackagedWeightKg"])
        await self.catalog.update_sku(sku_id, SkuUpdate(**body, IsActive=False), record=step.ref)
        return Done(step.vtex_id, active=False)

    async def link_sku_spec(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))

        async def find() -> Any:
            specs = await self.catalog.list_sku_specifications(sku_id, record=step.ref)
            return next((s for s in specs if s.FieldId == body["FieldId"]), None)

        spec = await self._create_by_lookup(
            step,
            find,
            lambda: self.catalog.create_sku_specification(
                sku_id,
                SkuSpecificationCreate(FieldId=body["FieldId"], FieldValueId=body["FieldValueId"]),
                record=step.ref,
            ),
        )
        if spec.FieldValueId != body["FieldValueId"]:
            update = SkuSpecificationUpdate(
                Id=spec.Id, SkuId=sku_id, FieldId=body["FieldId"], FieldValueId=body["FieldValueId"]
            )
            await self.catalog.update_sku_specification(sku_id, update, record=step.ref)
        return Done(str(spec.Id))

    async def update_sku_spec(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))
        update = SkuSpecificationUpdate(
            Id=_int(step.vtex_id), SkuId=sku_id, FieldId=body["FieldId"], FieldValueId=body["FieldValueId"]
        )
        try:
            await self.catalog.update_sku_specification(sku_id, update, record=step.ref)
        except NotFound:  # removed in VTEX meanwhile: add it again
            step.resolve = True
            return await self.link_sku_spec(step, resolve)
        return Done(step.vtex_id)

    async def unlink_sku_spec(self, step: Step, resolve: Resolve) -> Done:
        sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))
        await _gone_is_fine(
            self.catalog.delete_sku_specification(sku_id, _int(step.vtex_id), record=step.ref)
        )
        return Done(forget=True)

    async def link_image(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))

        async def find() -> Any:
            files = await self.catalog.list_sku_files(sku_id, record=step.ref)
            return next((f for f in files if f.Url == body["Url"]), None)

        file = await self._create_by_lookup(
            step, find, lambda: self.catalog.create_sku_file(sku_id, SkuFileCreate(**body), record=step.ref)
        )
        if step.resolve and _differs(body, file.model_dump()):
            await self.catalog.update_sku_file(sku_id, file.Id, SkuFileUpdate(**body), record=step.ref)
        return Done(str(file.Id))

    async def update_image(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))
        await self.catalog.update_sku_file(sku_id, _int(step.vtex_id), SkuFileUpdate(**body), record=step.ref)
        return Done(step.vtex_id)

    async def unlink_image(self, step: Step, resolve: Resolve) -> Done:
        sku_id = resolve(Ref(Kind.SKU.value, step.key.split("|", 1)[0]))
        await _gone_is_fine(self.catalog.delete_sku_file(sku_id, _int(step.vtex_id), record=step.ref))
        return Done(forget=True)

    async def link_ean(self, step: Step, resolve: Resolve) -> Done:
        sku, ean = step.key.split("|", 1)
        await self.catalog.add_sku_ean(resolve(Ref(Kind.SKU.value, sku)), ean, record=step.ref)
        return Done()

    async def unlink_ean(self, step: Step, resolve: Resolve) -> Done:
        sku, ean = step.key.split("|", 1)
        await _gone_is_fine(
            self.catalog.delete_sku_ean(resolve(Ref(Kind.SKU.value, sku)), ean, record=step.ref)
        )
        return Done(forget=True)

    # --- prices, logistics, customers -----------------------------------------------------------

    async def put_price(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        sku_id = resolve(Ref(Kind.SKU.value, step.key))
        await self.client.pricing.replace_price(sku_id, PriceUpdate(**body), record=step.ref)
        return Done()

    async def delete_price(self, step: Step, resolve: Resolve) -> Done:
        sku_id = resolve(Ref(Kind.SKU.value, step.key))
        await self.client.pricing.delete_price(sku_id, record=step.ref)
        return Done(forget=True)

    async def put_dock(self, step: Step, resolve: Resolve) -> Done:
        await self.client.logistics.upsert_dock(DockUpsert(**self.body(step, resolve)), record=step.ref)
        return Done(step.key)

    async def put_warehouse(self, step: Step, resolve: Resolve) -> Done:
        body = self.body(step, resolve)
        await self.client.logistics.upsert_warehouse(WarehouseUpsert(**body), record=step.ref)
        return Done(step.key)

    async def deactivate_warehouse(self, step: Step, resolve: Resolve) -> Done:
        await self.client.logistics.deactivate_warehouse(step.vtex_id or step.key, record=step.ref)
        return Done(step.vtex_id, active=False)

    async def put_inventory(self, step: Step, resolve: Resolve) -> Done:
        sku, warehouse = step.key.split("|", 1)
        body = self.body(step, resolve)
        sku_id = resolve(Ref(Kind.SKU.value, sku))
        await self.client.logistics.update_inventory(
            sku_id, warehouse, InventoryUpdate(**body), record=step.ref
        )
        return Done()

    async def zero_inventory(self, step: Step, resolve: Resolve) -> Done:
        await self.put_inventory(step, resolve)
        return Done(forget=True)

    async def put_customer(self, step: Step, resolve: Resolve) -> Done:
        return await self._put_document(step, resolve, "CL", self.mapper.customer_id(step.key))

    async def put_address(self, step: Step, resolve: Resolve) -> Done:
        return await self._put_document(step, resolve, "AD", self.mapper.address_id(step.key))

    async def _put_document(self, step: Step, resolve: Resolve, acronym: str, doc_id: str) -> Done:
        body = {k: v for k, v in self.body(step, resolve).items() if v is not None}
        await self.client.masterdata.replace_document(acronym, doc_id, body, record=step.ref)
        return Done(doc_id)


_FIELD_DEFAULTS: dict[str, Any] = {
    "Description": "",
    "Position": 0,
    "IsFilter": False,
    "IsRequired": False,
    "IsOnProductDetails": False,
    "IsStockKeepingUnit": False,
    "IsWizard": False,
    "IsTopMenuLinkActive": False,
    "IsSideMenuLinkActive": False,
    "DefaultValue": "",
}
"""What a specification field's PUT needs when VTEX's copy has no value (it takes every attribute)."""


@dataclass(frozen=True, slots=True)
class _Found:
    """An entity found by lookup (an earlier create that did reach VTEX): only its id is known."""

    Id: int


def _int(value: str | None) -> int:
    if value is None:
        raise ValueError("the entity's VTEX id is unknown")
    return int(value)


async def _or_none(call: Awaitable[T]) -> T | None:
    try:
        return await call
    except NotFound:
        return None


async def _gone_is_fine(call: Awaitable[Any]) -> None:
    """A removal that finds nothing to remove has nothing left to do."""
    try:
        await call
    except NotFound:
        return


def _fields_of(model: type[Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of VTEX's copy that ``model`` takes (to write it back with one change)."""
    names = set(model.model_fields)
    return {k: v for k, v in current.items() if k in names and v is not None}


def _differs(body: Mapping[str, Any], found: Mapping[str, Any]) -> bool:
    """Whether VTEX's copy differs from what we would send (missing, null and "" count as equal)."""
    for name, value in body.items():
        if value is None or name not in found:
            continue
        have = found[name]
        if have in (None, "") and value in (None, ""):
            continue
        if isinstance(value, int | float) and isinstance(have, int | float) and not isinstance(value, bool):
            if float(value) != float(have):
                return True
            continue
        if have != value:
            return True
    return False


async def read_current(calls: Calls, step: Step, resolve: Resolve) -> dict[str, Any] | None:
    """VTEX's copy of a step's entity (for ``--show``'s field diff), or None when there is none to read."""
    c = calls.client
    kind, vtex_id = step.kind, step.vtex_id
    if kind is Kind.CATEGORY and vtex_id:
        return (await c.catalog.get_category(int(vtex_id))).model_dump()
    if kind is Kind.BRAND and vtex_id:
        return (await c.catalog.get_brand(int(vtex_id))).model_dump()
    if kind is Kind.PRODUCT and vtex_id:
        return (await c.catalog.get_product(int(vtex_id))).model_dump()
    if kind is Kind.SKU and vtex_id:
        return (await c.catalog.get_sku(int(vtex_id))).model_dump()
    if kind is Kind.PRICE:
        price = await c.pricing.get_price(resolve(Ref(Kind.SKU.value, step.key)))
        return None if price is None else price.model_dump(by_alias=True)
    if kind is Kind.INVENTORY:
        sku, warehouse = step.key.split("|", 1)
        balance = await c.logistics.get_inventory(resolve(Ref(Kind.SKU.value, sku)))
        line = next((b for b in balance.balance if b.warehouseId == warehouse), None)
        if line is None:
            return None
        return {
            "quantity": line.totalQuantity,
            "unlimitedQuantity": line.hasUnlimitedQuantity,
            "leadTime": line.leadTime,
        }
    if kind in (Kind.CUSTOMER, Kind.ADDRESS):
        acronym = "CL" if kind is Kind.CUSTOMER else "AD"
        doc_id = (
            calls.mapper.customer_id(step.key) if kind is Kind.CUSTOMER else calls.mapper.address_id(step.key)
        )
        return await _or_none(c.masterdata.get_document(acronym, doc_id))
    return None
