"""Match the entities a plan would create with the ones VTEX already holds, by natural key.

For every step that would create an entity (``create``/``link``), the matcher looks for VTEX's copy:

- categories by name under the same parent, brands by name;
- specification groups by name in the category, fields by name in the group, values by name in
  the field;
- products by RefId; SKUs by RefId, then by EAN;
- images by URL, then by name, in the SKU; SKU specifications by field; EANs and trade-policy
  links by value; product specifications by field (the set of values compared);
- prices and stock lines of the SKU; warehouses and docks by id;
- customers by e-mail, then document; addresses by customer and address name.

A child is looked up only when its parent exists in VTEX (known in state, or matched now): under a
parent being created there is nothing to find. Each match is compared with what the sync would send
(the same comparison as the executor's lookups: a field VTEX does not return is not compared):
*same* (recorded, nothing sent) or *differs* (recorded with no hash: the next plan updates it).
Two VTEX entities with one natural key are an error naming both ids: nothing is created for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from vtexbridge.errors import RecordError
from vtexbridge.sync.adopt_vtex import VtexHoldings
from vtexbridge.sync.apply import _NUMERIC_IDS
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.mapping import Mapper, Ref
from vtexbridge.sync.steps import Action, Plan, PlanError, Step

__all__ = ["Ambiguous", "Match", "Matcher", "Matches", "same_copy"]

_NUMERIC = _NUMERIC_IDS  # the kinds whose VTEX ids are numbers (the executor's list)
_CREATES = (Action.CREATE, Action.LINK)
_FEW_DOCUMENTS = 100
"""Up to this many customer (address) creates, a sync searches Master Data for each instead of
scrolling through the whole entity (which a store of a million customers takes 1,000 reads)."""
_LINK_READS: dict[Kind, tuple[Kind, str]] = {
    Kind.PRODUCT_SPEC: (Kind.PRODUCT, "product_specs"),
    Kind.TRADE_POLICY: (Kind.PRODUCT, "trade_policies"),
    Kind.SKU_SPEC: (Kind.SKU, "sku_specs"),
    Kind.IMAGE: (Kind.SKU, "sku_files"),
    Kind.EAN: (Kind.SKU, "sku_eans"),
    Kind.PRICE: (Kind.SKU, "price"),
    Kind.INVENTORY: (Kind.SKU, "stock"),
}
"""The read that finds a link kind's entities, by the kind that owns them (prefetched on a match)."""


class Ambiguous(RecordError):
    """VTEX holds two (or more) entities with the natural key of one ERP record."""


class _NoParent(Exception):
    """A parent is being created: the entity cannot exist in VTEX yet."""


@dataclass(frozen=True, slots=True)
class Match:
    """An ERP record found in VTEX: its id there, whether VTEX's copy is what we would send."""

    kind: Kind
    key: str
    vtex_id: str | None
    same: bool
    active: bool
    parent_key: str | None
    wanted: dict[str, Any]
    current: dict[str, Any]
    digest: bytes | None = None
    """The hash of the payload the plan would send (recorded as VTEX's when ``same``)."""


@dataclass
class Matches:
    """What the matcher found: matches per kind, the ambiguous records, VTEX entities no ERP record
    matched (``left``: ids per kind, for the kinds read in full)."""

    found: dict[Kind, dict[str, Match]] = field(default_factory=dict)
    ambiguous: list[PlanError] = field(default_factory=list)
    left: dict[Kind, set[str]] = field(default_factory=dict)

    def of(self, kind: Kind) -> dict[str, Match]:
        return self.found.setdefault(kind, {})


Finder = Callable[[Step, dict[str, Any]], Awaitable["Match | None"]]


class Matcher:
    """Finds VTEX's copy of every entity a plan would create.

    Args:
        holdings: VTEX's entities, read once per run.
        mapper: the payload mapping of the plan.
        full: look every product up by RefId, and every SKU VTEX does not know by RefId by its EANs
            (``vtexbridge adopt``). Otherwise (a sync) SKUs are looked up by RefId in bulk (50 a
            request), and a product or an EAN only when some SKU was found: a first sync into an
            empty store pays one read per 50 SKUs. A product create that meets an existing RefId
            is still resolved by the executor (its 409).
    """

    def __init__(self, holdings: VtexHoldings, mapper: Mapper, *, full: bool = True) -> None:
        self.vtex = holdings
        self.mapper = mapper
        self.full = full
        self._products_found: set[str] = set()
        self._few: dict[str, bool] = {}
        self.result = Matches()
        self._sku_ids: dict[str, int] = {}
        self._eans_of: dict[str, list[str]] = {}
        self._links: dict[str, set[Kind]] = {}
        self._prefetched: list[asyncio.Future[Any]] = []
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._sku_lookup: asyncio.Future[None] | None = None
        self._finders: dict[Kind, Finder] = {
            Kind.CATEGORY: self._category,
            Kind.BRAND: self._brand,
            Kind.SPEC_GROUP: self._group,
            Kind.SPEC_FIELD: self._field,
            Kind.SPEC_VALUE: self._value,
            Kind.PRODUCT: self._product,
            Kind.PRODUCT_SPEC: self._product_spec,
            Kind.TRADE_POLICY: self._trade_policy,
            Kind.SKU: self._sku,
            Kind.SKU_SPEC: self._sku_spec,
            Kind.IMAGE: self._image,
            Kind.EAN: self._ean,
            Kind.PRICE: self._price,
            Kind.DOCK: self._dock,
            Kind.WAREHOUSE: self._warehouse,
            Kind.INVENTORY: self._stock,
            Kind.CUSTOMER: self._customer,
            Kind.ADDRESS: self._address,
        }

    async def match(self, plan: Plan) -> Matches:
        """Match every create of ``plan``, each record as soon as the records it refers to are matched
        (no level waits for another): every read whose inputs are known is issued at once, and the
        holdings keep each route busy up to its limit. A SKU's links are read as soon as its id is
        known (the bulk RefId lookup), a product's as soon as it is found."""
        steps: list[Step] = []
        for step in plan.steps:
            if step.action in _CREATES and step.main is None and step.values is not None:
                steps.append(step)
                if step.kind in _LINK_READS:
                    self._links.setdefault(step.key.split("|", 1)[0], set()).add(step.kind)
        self._remember_eans(plan)
        for kind, acronym in ((Kind.CUSTOMER, "CL"), (Kind.ADDRESS, "AD")):
            self._few[acronym] = sum(1 for s in steps if s.kind is kind) <= _FEW_DOCUMENTS
        skus = [s for s in steps if s.kind is Kind.SKU]
        self._sku_lookup = asyncio.ensure_future(self._lookup_skus(skus))
        for step in steps:
            self._pending[id(step)] = asyncio.ensure_future(self._one(step))
        try:
            await asyncio.gather(self._sku_lookup, *self._pending.values())
        except BaseException:  # a read that stops the run: so do the reads still waiting
            for task in (self._sku_lookup, *self._pending.values(), *self._prefetched):
                task.cancel()
            raise
        finally:
            await asyncio.gather(*self._prefetched, return_exceptions=True)
        return self.result

    async def _lookup_skus(self, skus: list[Step]) -> None:
        """The SKU ids of the SKUs' RefIds (50 a request); each found SKU's links are read at once."""
        if not skus:
            return
        self._sku_ids = await self.vtex.sku_ids_by_ref(s.key for s in skus)
        self._products_found = {s.parent_key or "" for s in skus if s.key in self._sku_ids}
        for key, sku_id in self._sku_ids.items():
            self._prefetch(Kind.SKU, key, sku_id)

    def _prefetch(self, owner: Kind, key: str, vtex_id: Any) -> None:
        """Start reading the links the plan would create of a product or SKU found in VTEX."""
        if vtex_id is None or not str(vtex_id).isdigit():
            return
        for kind in self._links.get(key, ()):
            kind_owner, read = _LINK_READS[kind]
            if kind_owner is owner:
                self._prefetched.append(asyncio.ensure_future(getattr(self.vtex, read)(int(vtex_id))))

    async def _one(self, step: Step) -> None:
        kind = step.kind
        for p in step.parents:  # wait for the parents being matched now
            pending = self._pending.get(id(p.step)) if p.vtex_id is None and p.step is not None else None
            if pending is not None:
                await asyncio.shield(pending)
        try:
            wanted = self.mapper.body(kind, step.values or (), self._resolver(step))
        except _NoParent:
            return
        try:
            match = await self._finders[kind](step, wanted)
        except _NoParent:
            return
        except Ambiguous as e:
            self.result.ambiguous.append(PlanError(kind, step.key, e))
            return
        if match is not None:
            self.result.of(kind)[step.key] = match
            if kind is Kind.PRODUCT or (kind is Kind.SKU and step.key not in self._sku_ids):
                self._prefetch(kind, match.key, match.vtex_id)

    def _resolver(self, step: Step) -> Callable[[Ref], Any]:
        def resolve(ref: Ref) -> Any:
            for p in step.parents:
                if p.kind == ref.kind and p.key == ref.key:
                    value = p.vtex_id
                    if value is None:
                        found = self.result.of(Kind(p.kind)).get(p.key)
                        value = found.vtex_id if found is not None else None
                    if value is None:
                        raise _NoParent(ref)
                    return int(value) if ref.kind in _NUMERIC and value.isdigit() else value
            raise _NoParent(ref)

        return resolve

    def _found(
        self,
        step: Step,
        vtex_id: Any,
        wanted: dict[str, Any],
        current: dict[str, Any],
        *,
        same: bool | None = None,
        active: bool | None = None,
    ) -> Match:
        if same is None:
            same = same_copy(wanted, current)
        return Match(
            step.kind,
            step.key,
            None if vtex_id is None else str(vtex_id),
            same,
            step.active if active is None else active,
            step.parent_key,
            wanted,
            current,
            step.hash,
        )

    def _left(self, kind: Kind, ids: set[str]) -> None:
        self.result.left.setdefault(kind, set()).update(ids)

    # --- categories and brands ------------------------------------------------------------------

    async def _category(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        tree = await self.vtex.categories()
        if Kind.CATEGORY not in self.result.left:
            self._left(Kind.CATEGORY, {str(i) for i, _p, _n in tree})
        parent = wanted.get("FatherCategoryId")
        ids = [i for i, p, n in tree if p == parent and n == wanted["Name"]]
        category_id = _one_id(step, ids, "categories named {name!r} under the same parent", wanted["Name"])
        if category_id is None:
            return None
        current = await self.vtex.category(category_id) or {}
        return self._found(step, category_id, wanted, current)

    async def _brand(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        brands = await self.vtex.brands()
        if Kind.BRAND not in self.result.left:
            self._left(Kind.BRAND, {str(i) for i, _n in brands})
        ids = [i for i, n in brands if n == wanted["Name"]]
        brand_id = _one_id(step, ids, "brands named {name!r}", wanted["Name"])
        if brand_id is None:
            return None
        current = await self.vtex.brand(brand_id) or {}
        return self._found(step, brand_id, wanted, current)

    # --- specifications -------------------------------------------------------------------------

    async def _group(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        groups = await self.vtex.groups(wanted["CategoryId"])
        hits = [g for g in groups if g["Name"] == wanted["Name"]]
        group_id = _one_id(
            step, [g["Id"] for g in hits], "specification groups named {name!r}", wanted["Name"]
        )
        if group_id is None:
            return None
        self._left(Kind.SPEC_GROUP, {str(g["Id"]) for g in groups})
        return self._found(step, group_id, wanted, hits[0])

    async def _field(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        fields = await self.vtex.fields(wanted["CategoryId"])
        self._left(Kind.SPEC_FIELD, {str(i) for i, _n in fields})
        named = [i for i, n in fields if n == wanted["Name"]]
        copies = [c for c in await asyncio.gather(*(self.vtex.field(i) for i in named)) if c is not None]
        hits = [c for c in copies if c.get("FieldGroupId") in (None, wanted["FieldGroupId"])]
        field_id = _one_id(
            step, [c["Id"] for c in hits], "specification fields named {name!r}", wanted["Name"]
        )
        if field_id is None:
            return None
        return self._found(step, field_id, wanted, hits[0])

    async def _value(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        values = await self.vtex.values(wanted["FieldId"])
        self._left(Kind.SPEC_VALUE, {str(v["Id"]) for v in values})
        hits = [v for v in values if v["Name"] == wanted["Name"]]
        value_id = _one_id(
            step, [v["Id"] for v in hits], "specification values named {name!r}", wanted["Name"]
        )
        if value_id is None:
            return None
        return self._found(step, value_id, wanted, hits[0])

    # --- products and their links ---------------------------------------------------------------

    async def _product(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        if not self.full:
            await self._looked_up()
        if not (self.full or step.resolve or step.key in self._products_found):
            return None  # a product left in flight by a killed run is looked up too
        current = await self.vtex.product_by_ref(step.key)
        if current is None:
            return None
        return self._found(step, current["Id"], wanted, current)

    async def _product_spec(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        product_id = self._parent_id(step, Kind.PRODUCT)
        specs = [s for s in await self.vtex.product_specs(product_id) if s["FieldId"] == wanted["FieldId"]]
        if not specs:
            return None
        have_values = sorted(s["FieldValueId"] for s in specs if s.get("FieldValueId"))
        have_text = [s.get("Text") or "" for s in specs if not s.get("FieldValueId")]
        want_values = sorted(int(v) for v in wanted["FieldValueIds"])
        if want_values:
            same = have_values == want_values and not have_text
        else:
            same = not have_values and have_text == [wanted.get("Text") or ""]
        current = {"FieldId": wanted["FieldId"], "FieldValueIds": have_values, "Text": ";".join(have_text)}
        return self._found(step, None, wanted, current, same=same)

    async def _trade_policy(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        product_id = self._parent_id(step, Kind.PRODUCT)
        policy = int(step.key.split("|", 1)[1])
        if policy not in await self.vtex.trade_policies(product_id):
            return None
        return self._found(step, None, {}, {}, same=True)

    # --- SKUs and their links -------------------------------------------------------------------

    async def _sku(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        await self._looked_up()
        sku_id = self._sku_ids.get(step.key)
        if sku_id is None and (self.full or self._sku_ids):
            sku_id = await self._sku_by_ean(step)
        if sku_id is None:
            return None
        current = await self.vtex.sku(sku_id)
        if current is None:
            return None
        active = bool(current.get("IsActive"))
        return self._found(step, sku_id, wanted, current, active=active)

    async def _sku_by_ean(self, step: Step) -> int | None:
        for ean in self._eans_of.get(step.key, ()):
            found = await self.vtex.sku_id_by_ean(ean)
            if found is not None:
                return found
        return None

    async def _looked_up(self) -> None:
        if self._sku_lookup is not None:
            await asyncio.shield(self._sku_lookup)

    def _remember_eans(self, plan: Plan) -> None:
        """The EANs each SKU is given (a SKU unknown by RefId is looked up by them)."""
        for step in plan.steps:
            if step.kind is Kind.EAN and step.action is Action.LINK:
                sku, ean = step.key.split("|", 1)
                self._eans_of.setdefault(sku, []).append(ean)

    async def _sku_spec(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        sku_id = self._parent_id(step, Kind.SKU)
        specs = [s for s in await self.vtex.sku_specs(sku_id) if s["FieldId"] == wanted["FieldId"]]
        spec_id = _one_id(
            step, [s["Id"] for s in specs], "specifications of field {name!r}", wanted["FieldId"]
        )
        if spec_id is None:
            return None
        return self._found(step, spec_id, wanted, specs[0])

    async def _image(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        sku_id = self._parent_id(step, Kind.SKU)
        files = await self.vtex.sku_files(sku_id)
        self._left(Kind.IMAGE, {str(f["Id"]) for f in files})
        hits = [f for f in files if wanted.get("Url") and f.get("Url") == wanted["Url"]]
        if not hits:
            hits = [f for f in files if wanted.get("Name") and f.get("Name") == wanted["Name"]]
        file_id = _one_id(
            step, [f["Id"] for f in hits], "images {name!r}", wanted.get("Url") or wanted["Name"]
        )
        if file_id is None:
            return None
        return self._found(step, file_id, wanted, hits[0])

    async def _ean(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        sku_id = self._parent_id(step, Kind.SKU)
        ean = step.key.split("|", 1)[1]
        if ean not in await self.vtex.sku_eans(sku_id):
            return None
        return self._found(step, None, {}, {}, same=True)

    async def _price(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        current = await self.vtex.price(self._parent_id(step, Kind.SKU))
        if current is None:
            return None
        same = _same_price(wanted, current)
        return self._found(step, None, wanted, current, same=same)

    async def _stock(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        warehouse = step.key.split("|", 1)[1]
        line = (await self.vtex.stock(self._parent_id(step, Kind.SKU))).get(warehouse)
        if line is None:
            return None
        return self._found(step, None, wanted, line)

    # --- logistics and Master Data --------------------------------------------------------------

    async def _dock(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        docks = await self.vtex.docks()
        self._left(Kind.DOCK, set(docks))
        current = docks.get(step.key)
        return None if current is None else self._found(step, step.key, wanted, current)

    async def _warehouse(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        warehouses = await self.vtex.warehouses()
        self._left(Kind.WAREHOUSE, set(warehouses))
        current = warehouses.get(step.key)
        if current is None:
            return None
        same = same_copy({k: v for k, v in wanted.items() if k != "warehouseDocks"}, current)
        same = same and _dock_links(wanted) == _dock_links(current)
        return self._found(step, step.key, wanted, current, same=same)

    async def _documents(self, acronym: str, field: str, value: Any) -> list[dict[str, Any]]:
        """The documents of ``acronym`` that may have ``field`` = ``value``: the whole entity (one scroll,
        counted for "left alone") or, when a sync creates only a few, a search for that value."""
        text = str(value or "")
        if self.full or self._few.get(acronym) is not True or not text or '"' in text:
            docs = await self.vtex.documents(acronym)
            self._left(Kind.CUSTOMER if acronym == "CL" else Kind.ADDRESS, {str(d.get("id")) for d in docs})
            return docs
        return await self.vtex.search(acronym, f'{field}="{text}"')

    async def _customer(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        email = str(wanted.get("email") or "").casefold()
        docs = await self._documents("CL", "email", email)
        hits = [d for d in docs if email and str(d.get("email") or "").casefold() == email]
        if not hits and wanted.get("document"):
            docs = await self._documents("CL", "document", wanted["document"])
            hits = [d for d in docs if d.get("document") == wanted["document"]]
        doc_id = _one_id(step, [d["id"] for d in hits], "customers {name!r}", wanted.get("email"))
        if doc_id is None:
            return None
        return self._found(step, doc_id, wanted, hits[0])

    async def _address(self, step: Step, wanted: dict[str, Any]) -> Match | None:
        docs = await self._documents("AD", "userId", wanted["userId"])
        hits = [
            d
            for d in docs
            if d.get("userId") == wanted["userId"] and d.get("addressName") == wanted["addressName"]
        ]
        doc_id = _one_id(step, [d["id"] for d in hits], "addresses named {name!r}", wanted["addressName"])
        if doc_id is None:
            return None
        return self._found(step, doc_id, wanted, hits[0])

    def _parent_id(self, step: Step, kind: Kind) -> int:
        for p in step.parents:
            if p.kind == kind.value:
                value = p.vtex_id
                if value is None:
                    found = self.result.of(kind).get(p.key)
                    value = found.vtex_id if found is not None else None
                if value is None:
                    raise _NoParent(p.key)
                return int(value)
        raise _NoParent(kind.value)


def _one_id(step: Step, ids: list[Any], what: str, name: Any) -> Any:
    """The one id of ``ids``, None for none; two or more are ambiguous (an error naming them)."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    listed = ", ".join(str(i) for i in unique)
    raise Ambiguous(
        f"VTEX holds more than one {what.format(name=name)} (ids {listed}): "
        "nothing is created or updated for it until all but one are removed or renamed",
        record=step.ref,
    )


def _same_price(wanted: dict[str, Any], current: dict[str, Any]) -> bool:
    for name in ("basePrice", "listPrice", "costPrice"):
        w, c = wanted.get(name), current.get(name)
        if w is not None and (c is None or float(w) != float(c)):
            return False
    fixed_w = sorted(
        (str(f["tradePolicyId"]), float(f["value"]), f.get("listPrice"), int(f["minQuantity"]))
        for f in wanted.get("fixedPrices") or []
    )
    fixed_c = sorted(
        (str(f["tradePolicyId"]), float(f["value"]), f.get("listPrice"), int(f["minQuantity"]))
        for f in current.get("fixedPrices") or []
    )
    return fixed_w == fixed_c


def _dock_links(body: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((str(d.get("dockId")), str(d.get("time"))) for d in body.get("warehouseDocks") or [])


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not value)


def _same(wanted: Any, current: Any) -> bool:
    if _empty(wanted) and _empty(current):
        return True
    if isinstance(wanted, dict) and isinstance(current, dict):
        return all(_same(v, current[k]) for k, v in wanted.items() if k in current)
    if isinstance(wanted, list | tuple) and isinstance(current, list | tuple):
        return len(wanted) == len(current) and all(_same(w, c) for w, c in zip(wanted, current, strict=True))
    numbers = (int, float)
    if isinstance(wanted, numbers) and isinstance(current, numbers) and not isinstance(wanted, bool):
        return not isinstance(current, bool) and float(wanted) == float(current)
    return bool(wanted == current)


def same_copy(wanted: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether VTEX's copy is what we would send: fields VTEX does not return, and values we do not
    send, are not compared; missing, null, "" and [] are equal; nested objects compare the same way."""
    return all(_same(v, current[k]) for k, v in wanted.items() if v is not None and k in current)
