"""The planner, pure: (ERP snapshot, state) -> :class:`~vtexbridge.sync.steps.Plan`.

It reads each entity once, in :class:`~vtexbridge.erp.records.Entity` order (parents first), against
the state index of its kind (``erp_key -> (vtex_id, payload_hash, active)``), and decides per record:

- new, or an earlier create's outcome unknown (in flight) -> ``create`` (looked up first when in flight);
- payload hash differs from the one VTEX last accepted -> ``update``;
- SKU wanted active but inactive in VTEX -> ``activate``; the other way round -> ``deactivate``;
- link entities (EANs, trade policies) -> ``link`` / ``unlink``;
- otherwise ``unchanged``: counted, nothing kept.

Records in the state but missing from a complete read are deactivated (categories, brands, products,
every SKU, warehouses) or removed (images, EANs, specifications, trade-policy links, prices; a stock
line is set to zero). Links of a parent that is itself gone are left as they are: the parent is
deactivated, and they come back unchanged if it returns. Nothing of an entity whose read was
incomplete is deactivated or removed, and nothing named in an error either.

Every record is checked before anything is planned for it (:mod:`vtexbridge.sync.validate`, unknown
or failed parents, duplicate keys, mandatory specifications, one EAN per SKU); a bad record gets an
error naming its file or key and field, and every step that depends on it is held back with
:class:`~vtexbridge.errors.DependencyBlocked` naming it.

Memory: one kind's state index at a time, plus ``key -> VTEX id`` of the parents later kinds refer to,
plus the steps. The planner's only inputs are the two interfaces below; it does no I/O of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar, cast

from vtexbridge.erp.errors import UnknownColumn, makes_incomplete
from vtexbridge.erp.records import (
    KEY_SEPARATOR,
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
from vtexbridge.errors import DependencyBlocked, RecordError, RecordInvalid, RecordRef
from vtexbridge.state.models import IndexEntry
from vtexbridge.sync.graph import ENTITIES_OF, KIND_ORDER, Kind, kinds_of, topological_order
from vtexbridge.sync.mapping import Mapper, Values, link_hash
from vtexbridge.sync.steps import WRITES, Action, Parent, Plan, PlanError, Step
from vtexbridge.sync.validate import canonical_trade_policy, checker, state_key

__all__ = ["Snapshot", "StateView", "make_plan"]

R = TypeVar("R")
Refs = tuple[tuple[Kind, str, str], ...] | list[tuple[Kind, str, str]]


class Snapshot(Protocol):
    """The ERP snapshot: a :class:`~vtexbridge.erp.readers.Reader` is one."""

    def entities(self) -> set[Entity]: ...

    def read(self, entity: Entity) -> Iterator[Record | RecordError]: ...


class StateView(Protocol):
    """What the planner reads of the state store."""

    def index(self, kind: str) -> dict[str, IndexEntry]:
        """Every entity of ``kind`` (a fresh dict: the planner consumes it)."""
        ...

    def in_flight(self) -> Mapping[tuple[str, str], str]:
        """``(kind, erp_key) -> operation`` of the writes sent and never confirmed."""
        ...

    def error_keys(self) -> Mapping[str, set[str]]:
        """``kind -> keys`` that have a recorded error."""
        ...


_SEEN: Any = object()
_HAS_ID = frozenset(
    {
        Kind.CATEGORY, Kind.BRAND, Kind.SPEC_GROUP, Kind.SPEC_FIELD, Kind.SPEC_VALUE, Kind.PRODUCT,
        Kind.SKU, Kind.SKU_SPEC, Kind.IMAGE, Kind.DOCK, Kind.WAREHOUSE, Kind.CUSTOMER, Kind.ADDRESS,
    }
)  # fmt: skip
"""Kinds whose state entry holds the VTEX id (the others are identified by their parents' ids)."""
_MERGED = frozenset({Entity.FIXED_PRICES, Entity.WAREHOUSE_DOCKS})
_LABEL = {
    Kind.CATEGORY: "category",
    Kind.BRAND: "brand",
    Kind.SPEC_GROUP: "specification group",
    Kind.SPEC_FIELD: "specification field",
    Kind.SPEC_VALUE: "specification value",
    Kind.PRODUCT: "product",
    Kind.SKU: "SKU",
    Kind.PRICE: "price",
    Kind.DOCK: "dock",
    Kind.WAREHOUSE: "warehouse",
    Kind.CUSTOMER: "customer",
}
_RESERVING = (Kind.CATEGORY, Kind.BRAND)  # kinds whose ids the sync chooses (VTEX requires it for brands)
_LINK_HASH = {k: link_hash(k) for k in (Kind.TRADE_POLICY, Kind.EAN)}


def make_plan(
    snapshot: Snapshot,
    state: StateView,
    *,
    mapper: Mapper | None = None,
    only: Iterable[Entity] | None = None,
    sources: Mapping[Entity, str] | None = None,
) -> Plan:
    """Plan the sync of ``snapshot`` against ``state``.

    Args:
        snapshot: the ERP records (a reader).
        state: the state store's view.
        mapper: payload mapping (default settings when None).
        only: plan only these entities (the others are taken as they are in the state store).
        sources: a name per entity for errors found by the planner (the file it was read from).
    """
    return _Planner(snapshot, state, mapper or Mapper(), only, sources or {}).run()


class _Planner:
    def __init__(
        self,
        snapshot: Snapshot,
        state: StateView,
        mapper: Mapper,
        only: Iterable[Entity] | None,
        sources: Mapping[Entity, str],
    ) -> None:
        self.snapshot = snapshot
        self.state = state
        self.mapper = mapper
        self.sources = sources
        provided = snapshot.entities()
        wanted = set(Entity) if only is None else _with_companions(only)
        self.provided = provided
        self.managed = {k for k in kinds_of(wanted) if ENTITIES_OF[k][0] in provided}
        self.plan = Plan(kinds=tuple(k for k in KIND_ORDER if k in self.managed))
        self.in_flight = state.in_flight()
        self.error_keys = state.error_keys()
        self.known: dict[Kind, dict[str, str | None]] = {k: {} for k in Kind}
        self.step_of: dict[Kind, dict[str, Step]] = {k: {} for k in Kind}
        self.bad: dict[Kind, dict[str, RecordError]] = {k: {} for k in Kind}
        self.retro: set[tuple[str, str]] = set()
        self.activation: dict[str, Step] = {}
        self.weight_unit = mapper.settings.weight_unit
        # small side tables of the catalog's structure
        self.group_category: dict[str, str] = {}
        self.field_info: dict[str, SpecificationField] = {}
        self.value_field: dict[str, str] = {}
        self.category_parent: dict[str, str | None] = {}
        self.required: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self.product_category: dict[str, str] = {}
        self.dock_names: dict[str, str] = {}
        self.pending_product_specs: dict[str, set[str]] = {}
        self.pending_sku_specs: dict[str, set[str]] = {}
        self._last_error_row: tuple[str | None, int | None] | None = None
        self.unchanged: dict[Kind, int] = dict.fromkeys(Kind, 0)
        self.error_keys_of: dict[Kind, set[str]] = {
            Kind(k): set(v) for k, v in self.error_keys.items() if v and k in Kind._value2member_map_
        }

    # --- driver ---------------------------------------------------------------------------------

    def run(self) -> Plan:
        passes: list[tuple[Kind, Callable[[], None]]] = [
            (Kind.CATEGORY, self._categories),
            (Kind.BRAND, self._brands),
            (Kind.SPEC_GROUP, self._spec_groups),
            (Kind.SPEC_FIELD, self._spec_fields),
            (Kind.SPEC_VALUE, self._spec_values),
            (Kind.PRODUCT, self._products),
            (Kind.PRODUCT_SPEC, self._product_specs),
            (Kind.SKU, self._skus),
            (Kind.SKU_SPEC, self._sku_specs),
            (Kind.IMAGE, self._images),
            (Kind.EAN, self._eans),
            (Kind.PRICE, self._prices),
            (Kind.DOCK, self._docks),
            (Kind.WAREHOUSE, self._warehouses),
            (Kind.INVENTORY, self._inventory),
            (Kind.CUSTOMER, self._customers),
            (Kind.ADDRESS, self._addresses),
        ]
        needed = self._parent_kinds_needed()
        for kind, run in passes:
            if kind in self.managed:
                run()
            elif kind in needed:
                self._from_state(kind)
        self._finish()
        return self.plan

    def _parent_kinds_needed(self) -> set[Kind]:
        from vtexbridge.sync.graph import KIND_PARENTS

        needed: set[Kind] = set()
        for kind in self.managed:
            needed.update(KIND_PARENTS[kind])
        if Kind.SPEC_FIELD in needed or Kind.SPEC_VALUE in needed:
            needed.update({Kind.SPEC_FIELD, Kind.SPEC_VALUE})
        return needed

    def _from_state(self, kind: Kind) -> None:
        """A kind this run does not manage: its entities are taken as they are in the state store."""
        self.known[kind] = {k: e.vtex_id for k, e in self.state.index(kind.value).items()}

    # --- shared helpers -------------------------------------------------------------------------

    def _ref(self, entity: Entity, key: str | None) -> RecordRef:
        return RecordRef(entity.value, key, self.sources.get(entity))

    def _records(
        self,
        entity: Entity,
        kind: Kind,
        record_type: type[R],
        *,
        merged_errors: dict[str, RecordError] | None = None,
    ) -> Iterator[R]:
        """The entity's records; reader errors are recorded (and their keys marked bad) on the way.

        Errors of rows merged into another record's payload go to ``merged_errors`` by owner key.
        """
        if entity not in self.provided:
            return
        for item in self.snapshot.read(entity):
            if isinstance(item, RecordError):
                owner = self._reader_error(entity, kind, item)
                if owner is not None and merged_errors is not None:
                    merged_errors.setdefault(owner, item)
            else:
                yield cast(R, item)

    def _reader_error(self, entity: Entity, kind: Kind, error: RecordError) -> str | None:
        """Record a reader's error; returns the key of the record it names (its owner's, for rows
        merged into another kind's payload), which is then held back with its dependents."""
        if isinstance(error, UnknownColumn):
            self.plan.warnings.append(PlanError(kind, None, error))
            return None
        if makes_incomplete(error):
            self.plan.incomplete.add(entity)
        ref = error.record
        key = ref.key if ref is not None else None
        owner = None
        if key is not None:
            owner = key.split(KEY_SEPARATOR, 1)[0] if entity in _MERGED else key
            owner = state_key(owner)
        where = (ref.source, ref.row) if ref is not None else None
        if where is None or where != self._last_error_row:  # one row may have several bad fields
            self._count(kind, Action.BLOCKED)
        self._last_error_row = where
        if owner is not None and entity not in _MERGED:
            self.bad[kind].setdefault(owner, error)
        self.plan.errors.append(PlanError(kind, None if key is None else state_key(key), error))
        return owner

    def _count(self, kind: Kind, action: Action, n: int = 1) -> None:
        per = self.plan.counts.setdefault(kind, {})
        per[action] = per.get(action, 0) + n

    def _emit(self, step: Step) -> Step:
        self.plan.steps.append(step)
        self._count(step.kind, step.action)
        return step

    def _keep(self, step: Step) -> Step:
        """Emit a step and remember it as the one of its key (to drop it if the key turns bad)."""
        self.step_of[step.kind][step.key] = self._emit(step)
        return step

    def _unchanged(self, kind: Kind, key: str) -> None:
        self.unchanged[kind] += 1
        errors = self.error_keys_of.get(kind)
        if errors is not None and key in errors:
            self.plan.cleared.setdefault(kind, []).append(key)

    def _block(self, kind: Kind, key: str | None, error: RecordError) -> None:
        """``key`` will not be sent: record why, and hold back what depends on it."""
        self._count(kind, Action.BLOCKED)
        if key is not None:
            self.bad[kind].setdefault(key, error)
        self.plan.errors.append(PlanError(kind, key, error))

    def _invalid(
        self, kind: Kind, entity: Entity, key: str, field: str | None, message: str
    ) -> RecordInvalid:
        error = RecordInvalid(message, record=self._ref(entity, key), field=field)
        self._block(kind, state_key(key), error)
        return error

    def _drop(self, kind: Kind, key: str, *, count: bool = True) -> None:
        """Undo what was planned or counted for ``key`` (found bad after the fact)."""
        step = self.step_of[kind].pop(key, None)
        self.known[kind].pop(key, None)
        if step is not None and not step.dead:
            step.dead = True
            self._count(kind, step.action, -1)
            if count:
                self._count(kind, Action.BLOCKED)
        activation = self.activation.pop(key, None) if kind is Kind.SKU else None
        if activation is not None and activation is not step and not activation.dead:
            activation.dead = True
            self._count(kind, activation.action, -1)
        self.retro.add((kind.value, key))

    def _parent(
        self, kind: Kind, key: str, child: RecordRef, field: str, child_kind: Kind
    ) -> Parent | RecordError:
        """The parent ``kind``/``key`` of a child record, or the error that holds the child back."""
        bad = self.bad[kind].get(key)
        if bad is not None:
            return _held_back(kind, key, bad, child, field)
        step = self.step_of[kind].get(key)
        if step is not None and step.action is Action.CREATE:
            return Parent(kind.value, key, None, step)
        known = self.known[kind]
        if key in known and known[key] is not None:
            return Parent(kind.value, key, known[key], None)
        where = "" if kind in self.managed else " (it is not in the state store: sync it first)"
        return RecordInvalid(
            f"unknown {_LABEL.get(kind, kind.value)} {key!r}{where}", record=child, field=field
        )

    def _parents(self, child_kind: Kind, entity: Entity, child_key: str, refs: Refs) -> Refs | RecordError:
        """``refs`` when every parent is usable, else the error that holds the child back.

        Only membership is checked here (the common, unchanged case); :meth:`_build` makes the
        :class:`Parent` values when a step is planned.
        """
        known = self.known
        for kind, key, field in refs:
            if key not in known[kind]:
                p = self._parent(kind, key, self._ref(entity, child_key), field, child_kind)
                if isinstance(p, RecordError):
                    return p
        return refs

    def _build(self, refs: Refs) -> tuple[Parent, ...]:
        out = []
        for kind, key, _field in refs:
            step = self.step_of[kind].get(key)
            if step is not None and step.action is Action.CREATE:
                out.append(Parent(kind.value, key, None, step))
            else:
                out.append(Parent(kind.value, key, self.known[kind].get(key), None))
        return tuple(out)

    def _first_sight(self, index: dict[str, Any], kind: Kind, entity: Entity, key: str, field: str) -> Any:
        """The state entry of ``key``, marking it seen; ``_SEEN`` when the key was already seen."""
        entry = index.get(key)
        if entry is _SEEN:
            self._duplicate(kind, entity, key, field)
            return _SEEN
        index[key] = _SEEN
        return entry

    def _duplicate(self, kind: Kind, entity: Entity, key: str, field: str) -> None:
        already_bad = key in self.bad[kind]
        message = (
            f"duplicate key: more than one row has {field} {key!r}; "
            "VTEX identifies the record by it, so every row with it is held back"
        )
        error = RecordInvalid(message, record=self._ref(entity, key), field=field)
        if not already_bad:
            if key in self.step_of[kind]:
                self._drop(kind, key, count=False)
            else:
                self.known[kind].pop(key, None)
                self.unchanged[kind] -= 1
                self.retro.add((kind.value, key))
            self._count(kind, Action.BLOCKED)
            self.bad[kind][key] = error
        self.plan.errors.append(PlanError(kind, key, error))

    def _problems(self, kind: Kind, entity: Entity, record: Record, check: Callable[[Record], Any]) -> bool:
        problems = check(record)
        if not problems:
            return False
        ref = self._ref(entity, record.key)
        key = state_key(record.key)
        self._block(kind, key, RecordInvalid(problems[0][1], record=ref, field=problems[0][0]))
        for field, message in problems[1:]:
            self.plan.errors.append(PlanError(kind, key, RecordInvalid(message, record=ref, field=field)))
        return True

    def _diff(
        self,
        kind: Kind,
        key: str,
        entry: IndexEntry | None,
        values: Values,
        refs: Refs,
        entity: Entity,
        raw_key: str,
        *,
        active: bool = True,
        parent_key: str | None = None,
        create: Action = Action.CREATE,
        change: Action = Action.UPDATE,
    ) -> Step | None:
        """Plan ``key``: create, update, or count it unchanged (the hot path: keep it lean)."""
        digest = self.mapper.kinds[kind].hash(values)
        if (
            entry is not None
            and entry.payload_hash == digest
            and entry.active == active
            and (entry.vtex_id is not None or kind not in _HAS_ID)
        ):
            self.known[kind][key] = entry.vtex_id
            self.unchanged[kind] += 1
            errors = self.error_keys_of.get(kind)
            if errors is not None and key in errors:
                self.plan.cleared.setdefault(kind, []).append(key)
            return None
        parents = self._build(refs)
        ref = self._ref(entity, raw_key)
        if entry is None or (entry.vtex_id is None and kind in _HAS_ID):
            op = self.in_flight.get((kind.value, key))
            step = Step(
                kind, key, create, values, digest, None, parents, _deps(parents),
                parent_key, active, active, op is not None, _reserved(op), ref,
            )  # fmt: skip
            self._keep(step)
            self.known[kind][key] = None
            return step
        self.known[kind][key] = entry.vtex_id
        step = Step(
            kind, key, change, values, digest, entry.vtex_id, parents, _deps(parents),
            parent_key, active, active, ref=ref,
        )  # fmt: skip
        return self._keep(step)

    def _missing(self, index: dict[str, Any]) -> Iterator[tuple[str, IndexEntry]]:
        for key, entry in index.items():
            if entry is not _SEEN:
                yield key, entry

    def _can_remove(self, kind: Kind, key: str) -> bool:
        if any(e in self.plan.incomplete for e in ENTITIES_OF[kind]):
            return False
        return key not in self.bad[kind]

    def _owner_present(self, kind: Kind, key: str) -> str | None:
        """The VTEX id of a link's owner (``key``'s part before ``|``) when it is still in the ERP."""
        owner = key.split(KEY_SEPARATOR, 1)[0]
        if owner in self.bad[kind]:
            return None
        known = self.known[kind]
        return known.get(owner) if owner in known else None

    def _remove(self, kind: Kind, key: str, action: Action, parents: tuple[Parent, ...], **kw: Any) -> Step:
        step = Step(kind, key, action, parents=parents, deps=_deps(parents), **kw)
        return self._emit(step)

    # --- categories and brands -----------------------------------------------------------------

    def _categories(self) -> None:
        kind, entity = Kind.CATEGORY, Entity.CATEGORIES
        index = self.state.index(kind.value)
        next_id = self._next_id(kind, index)
        records: dict[str, Any] = {}
        dup: set[str] = set()
        check = checker(entity)
        for r in self._records(entity, kind, Category):
            if r.key in records or r.key in dup:
                dup.add(r.key)
                records.pop(r.key, None)
                continue
            records[r.key] = r
        for key in sorted(dup):
            self._duplicate_first(kind, entity, key, "key")
        order, cyclic = topological_order(
            records, lambda k: records[k].parent_key if records[k].parent_key in records else None
        )
        for key in sorted(cyclic):
            index.pop(key, None)
            self._invalid(
                kind, entity, key, "parent_key", "the category tree has a cycle through this category"
            )
        km = self.mapper[kind]
        for key in order:
            r = records[key]
            entry = index.pop(key, None)
            if key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            parents: Refs | RecordError = ()
            if r.parent_key:
                parents = self._parents(kind, entity, key, ((kind, r.parent_key, "parent_key"),))
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            self.category_parent[key] = r.parent_key
            step = self._diff(kind, key, entry, km.values(r), parents, entity, key, active=r.is_active)
            if step is not None and step.action is Action.CREATE and step.reserved_id is None:
                step.reserved_id, next_id = next_id, next_id + 1
        self.plan.next_ids[kind] = next_id
        for key in dup:
            index.pop(key, None)
        self._deactivate_missing(kind, index)

    def _brands(self) -> None:
        kind, entity = Kind.BRAND, Entity.BRANDS
        index = self.state.index(kind.value)
        next_id = self._next_id(kind, index)
        check = checker(entity)
        km = self.mapper[kind]
        for r in self._records(entity, kind, Brand):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            step = self._diff(kind, key, entry, km.values(r), (), entity, key, active=r.is_active)
            if step is not None and step.action is Action.CREATE and step.reserved_id is None:
                step.reserved_id, next_id = next_id, next_id + 1
        self.plan.next_ids[kind] = next_id
        self._deactivate_missing(kind, index)

    def _next_id(self, kind: Kind, index: Mapping[str, IndexEntry]) -> int:
        """One more than any id this account's state knows of (recorded, or reserved in flight)."""
        top = self.mapper.settings.first_id - 1
        for entry in index.values():
            if entry.vtex_id is not None and entry.vtex_id.isdigit():
                top = max(top, int(entry.vtex_id))
        for (k, _key), op in self.in_flight.items():
            reserved = _reserved(op)
            if k == kind.value and reserved is not None:
                top = max(top, reserved)
        return top + 1

    def _duplicate_first(self, kind: Kind, entity: Entity, key: str, field: str) -> None:
        message = (
            f"duplicate key: more than one row has {field} {key!r}; "
            "VTEX identifies the record by it, so every row with it is held back"
        )
        self._invalid(kind, entity, key, field, message)

    def _deactivate_missing(self, kind: Kind, index: dict[str, Any]) -> None:
        """Deactivate what left the ERP (read VTEX's copy, switch it off)."""
        for key, entry in self._missing(index):
            if entry.active and entry.vtex_id is not None and self._can_remove(kind, key):
                step = Step(kind, key, Action.DEACTIVATE, vtex_id=entry.vtex_id, active=False, live=False)
                self._emit(step)

    # --- specifications -------------------------------------------------------------------------

    def _spec_groups(self) -> None:
        kind, entity = Kind.SPEC_GROUP, Entity.SPECIFICATION_GROUPS
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r in self._records(entity, kind, SpecificationGroup):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            parents = self._parents(kind, entity, key, ((Kind.CATEGORY, r.category_key, "category_key"),))
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            self.group_category[key] = r.category_key
            self._diff(kind, key, entry, km.values(r), parents, entity, key, parent_key=r.category_key)

    def _spec_fields(self) -> None:
        kind, entity = Kind.SPEC_FIELD, Entity.SPECIFICATION_FIELDS
        index = self.state.index(kind.value)
        check = checker(entity)
        required: dict[str, tuple[set[str], set[str]]] = {}
        for r in self._records(entity, kind, SpecificationField):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            category = self.group_category.get(r.group_key)
            refs: list[tuple[Kind, str, str]] = [(Kind.SPEC_GROUP, r.group_key, "group_key")]
            if category is not None:
                refs.append((Kind.CATEGORY, category, "group_key"))
            parents = self._parents(kind, entity, key, refs)
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            if category is None:  # the group is not managed this run: its category is unknown
                self._invalid(
                    kind, entity, key, "group_key", f"the group {r.group_key!r} is not being synced"
                )
                continue
            self.field_info[key] = r
            if r.is_required and r.is_active:
                sku_fields, product_fields = required.setdefault(category, (set(), set()))
                (sku_fields if r.is_sku else product_fields).add(key)
            values = self.mapper.spec_field(r, category)
            self._diff(kind, key, entry, values, parents, entity, key, parent_key=r.group_key)
        self.required = {c: (frozenset(s), frozenset(p)) for c, (s, p) in required.items()}

    def _spec_values(self) -> None:
        kind, entity = Kind.SPEC_VALUE, Entity.SPECIFICATION_VALUES
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r in self._records(entity, kind, SpecificationValue):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            parents = self._parents(kind, entity, key, ((Kind.SPEC_FIELD, r.field_key, "field_key"),))
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            info = self.field_info.get(r.field_key)
            if info is not None and not SpecFieldType(info.field_type).has_values:
                self._invalid(
                    kind, entity, key, "field_key",
                    f"the field {r.field_key!r} is of type {info.field_type}: it takes free text, not values",
                )  # fmt: skip
                continue
            self.value_field[key] = r.field_key
            self._diff(kind, key, entry, km.values(r), parents, entity, key, parent_key=r.field_key)

    def _spec_link_problem(
        self, field_key: str, value_keys: tuple[str, ...], text: str | None, *, sku: bool
    ) -> tuple[str, str] | None:
        """Why a product/SKU specification row does not fit its field, or None."""
        info = self.field_info.get(field_key)
        if info is None:
            return None  # the field is not managed this run (taken from the state as it is)
        if info.is_sku != sku:
            where = "sku_specifications" if info.is_sku else "product_specifications"
            return (
                "field_key",
                f"{field_key!r} is a {'SKU' if info.is_sku else 'product'} field: give it in {where}",
            )
        has_values = SpecFieldType(info.field_type).has_values
        if has_values and not value_keys:
            return "value_keys", f"the field {field_key!r} ({info.field_type}) takes predefined values"
        if not has_values and text is None:
            return "value_text", f"the field {field_key!r} ({info.field_type}) takes free text"
        if len(value_keys) > 1 and info.field_type is not SpecFieldType.CHECKBOX:
            return "value_keys", f"the field {field_key!r} ({info.field_type}) takes one value"
        for v in value_keys:
            owner = self.value_field.get(v)
            if owner is not None and owner != field_key:
                return "value_keys" if not sku else "value_key", f"the value {v!r} belongs to field {owner!r}"
        return None

    # --- products and their trade policies -------------------------------------------------------

    def _required_of(self, category: str) -> tuple[frozenset[str], frozenset[str]]:
        """The required (SKU fields, product fields) of a category: its own and its ancestors'."""
        sku: set[str] = set()
        product: set[str] = set()
        node: str | None = category
        seen: set[str] = set()
        while node is not None and node not in seen:
            seen.add(node)
            s, p = self.required.get(node, (frozenset(), frozenset()))
            sku |= s
            product |= p
            node = self.category_parent.get(node)
        return frozenset(sku), frozenset(product)

    def _products(self) -> None:
        kind, entity = Kind.PRODUCT, Entity.PRODUCTS
        index = self.state.index(kind.value)
        links = self.state.index(Kind.TRADE_POLICY.value) if Kind.TRADE_POLICY in self.managed else None
        check = checker(entity, weight_unit=self.weight_unit)
        km = self.mapper[kind]
        for r in self._records(entity, kind, Product):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            parents = self._parents(
                kind,
                entity,
                key,
                ((Kind.CATEGORY, r.category_key, "category_key"), (Kind.BRAND, r.brand_key, "brand_key")),
            )
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            if self.required:
                self.product_category[key] = r.category_key
                _sku_fields, product_fields = self._required_of(r.category_key)
                if product_fields:
                    self.pending_product_specs[key] = set(product_fields)
            step = self._diff(kind, key, entry, km.values(r), parents, entity, key, active=r.is_active)
            if links is not None:
                self._trade_policies(r, links, step)
        self._deactivate_missing(kind, index)
        if links is not None:
            for lkey, _entry in self._missing(links):
                product_id = self._owner_present(kind, lkey)
                if product_id is None or not self._can_remove(Kind.TRADE_POLICY, lkey):
                    continue
                product_key = lkey.split(KEY_SEPARATOR, 1)[0]
                parent = Parent(kind.value, product_key, product_id, None)
                self._remove(Kind.TRADE_POLICY, lkey, Action.UNLINK, (parent,), parent_key=product_key)

    def _trade_policies(self, r: Product, links: dict[str, Any], product_step: Step | None) -> None:
        digest = _LINK_HASH[Kind.TRADE_POLICY]
        for policy in r.trade_policies:
            lkey = f"{r.key}{KEY_SEPARATOR}{canonical_trade_policy(policy)}"
            entry = links.get(lkey)
            links[lkey] = _SEEN
            if entry is None:
                parents = self._build(((Kind.PRODUCT, r.key, "trade_policies"),))
                step = Step(
                    Kind.TRADE_POLICY, lkey, Action.LINK, (), digest, None, parents, _deps(parents),
                    r.key, ref=self._ref(Entity.PRODUCTS, r.key),
                )  # fmt: skip
                self._emit(step)
            elif entry is not _SEEN:
                self._unchanged(Kind.TRADE_POLICY, lkey)

    def _product_specs(self) -> None:
        kind, entity = Kind.PRODUCT_SPEC, Entity.PRODUCT_SPECIFICATIONS
        index = self.state.index(kind.value)
        pending = self.pending_product_specs
        for r in self._records(entity, kind, ProductSpecification):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "field_key")
            if entry is _SEEN or key in self.bad[kind]:
                continue
            problem = self._spec_link_problem(r.field_key, r.value_keys, r.value_text, sku=False)
            if problem is not None:
                self._invalid(kind, entity, key, problem[0], problem[1])
                continue
            refs = [(Kind.PRODUCT, r.product_key, "product_key"), (Kind.SPEC_FIELD, r.field_key, "field_key")]
            refs += [(Kind.SPEC_VALUE, v, "value_keys") for v in r.value_keys]
            parents = self._parents(kind, entity, key, refs)
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            waiting = pending.get(r.product_key)
            if waiting:
                waiting.discard(r.field_key)
            self._diff(
                kind, key, entry, self.mapper.product_spec(r), parents, entity, key,
                parent_key=r.product_key, create=Action.LINK,
            )  # fmt: skip
        for product, fields in pending.items():
            if fields:
                self._missing_required(
                    Kind.PRODUCT, Entity.PRODUCTS, product, fields, "product_specifications"
                )
        for key, _entry in self._missing(index):
            product_id = self._owner_present(Kind.PRODUCT, key)
            field_key = key.split(KEY_SEPARATOR, 1)[1]
            field_id = self.known[Kind.SPEC_FIELD].get(field_key)
            if product_id is None or field_id is None or not self._can_remove(kind, key):
                continue
            product_key = key.split(KEY_SEPARATOR, 1)[0]
            removal = (
                Parent(Kind.PRODUCT.value, product_key, product_id, None),
                Parent(Kind.SPEC_FIELD.value, field_key, field_id, None),
            )
            self._remove(kind, key, Action.UNLINK, removal, parent_key=product_key)

    def _missing_required(self, kind: Kind, entity: Entity, key: str, fields: set[str], where: str) -> None:
        names = ", ".join(sorted(fields))
        error = RecordInvalid(
            f"required specification(s) {names} not given in {where}: VTEX will not activate it",
            record=self._ref(entity, key),
            field=sorted(fields)[0],
        )
        if key not in self.bad[kind]:
            self.bad[kind][key] = error
            if key in self.step_of[kind]:
                self._drop(kind, key)
            else:
                self.known[kind].pop(key, None)
                self.unchanged[kind] -= 1
                self._count(kind, Action.BLOCKED)
                self.retro.add((kind.value, key))
        self.plan.errors.append(PlanError(kind, key, error))

    # --- SKUs and what hangs off them -----------------------------------------------------------

    def _skus(self) -> None:
        kind, entity = Kind.SKU, Entity.SKUS
        index = self.state.index(kind.value)
        check = checker(entity, weight_unit=self.weight_unit)
        km = self.mapper[kind]
        product_steps = self.step_of[Kind.PRODUCT]
        for r in self._records(entity, kind, Sku):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            parents = self._parents(kind, entity, key, ((Kind.PRODUCT, r.product_key, "product_key"),))
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            if self.required:
                category = self.product_category.get(r.product_key)
                if category is not None:
                    sku_fields, _product_fields = self._required_of(category)
                    if sku_fields:
                        self.pending_sku_specs[key] = set(sku_fields)
            values = km.values(r)
            digest = km.hash(values)
            want = r.is_active
            if (
                entry is not None
                and entry.vtex_id is not None
                and entry.payload_hash == digest
                and entry.active == want
            ):
                self.known[kind][key] = entry.vtex_id
                self._unchanged(kind, key)
                continue
            built = self._build(parents)
            ref = self._ref(entity, key)
            product_step = product_steps.get(r.product_key)
            if entry is None or entry.vtex_id is None:
                op = self.in_flight.get((kind.value, key))
                step = Step(
                    kind, key, Action.CREATE, values, digest, None, built, _deps(built),
                    r.product_key, False, False, op is not None, ref=ref,
                )  # fmt: skip
                self._keep(step)
                self.known[kind][key] = None
                if want:
                    self._activation(step, values, digest, built, product_step, ref)
                continue
            self.known[kind][key] = entry.vtex_id
            if entry.payload_hash != digest:
                live = want and entry.active
                step = Step(
                    kind, key, Action.UPDATE, values, digest, entry.vtex_id, built, _deps(built),
                    r.product_key, live, live, ref=ref,
                )  # fmt: skip
                self._keep(step)
                if want and not entry.active:
                    self._activation(step, values, digest, built, product_step, ref)
            elif want:
                self._activation(None, values, digest, built, product_step, ref, vtex_id=entry.vtex_id)
            else:
                step = Step(
                    kind, key, Action.DEACTIVATE, values, digest, entry.vtex_id, built, _deps(built),
                    r.product_key, False, False, ref=ref,
                )  # fmt: skip
                self._keep(step)
        self._deactivate_missing(kind, index)

    def _activation(
        self,
        after: Step | None,
        values: Values,
        digest: bytes,
        parents: tuple[Parent, ...],
        product_step: Step | None,
        ref: RecordRef,
        *,
        vtex_id: str | None = None,
    ) -> None:
        key = ref.key or ""
        deps = [s for s in (after, product_step) if s is not None]
        step = Step(
            Kind.SKU, key, Action.ACTIVATE, values, digest, vtex_id, parents, deps,
            parents[0].key, True, True, ref=ref,
        )  # fmt: skip
        if after is not None:
            step.parents = (*parents, Parent(Kind.SKU.value, key, None, after))
        self._emit(step)
        self.activation[key] = step
        if after is None:
            self.step_of[Kind.SKU][key] = step

    def _sku_child(self, step: Step | None, sku_key: str) -> None:
        """A SKU's activation waits for the writes to its specifications, images and EANs."""
        if step is not None:
            activation = self.activation.get(sku_key)
            if activation is not None:
                activation.deps.append(step)

    def _sku_specs(self) -> None:
        kind, entity = Kind.SKU_SPEC, Entity.SKU_SPECIFICATIONS
        index = self.state.index(kind.value)
        pending = self.pending_sku_specs
        for r in self._records(entity, kind, SkuSpecification):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "field_key")
            if entry is _SEEN or key in self.bad[kind]:
                continue
            problem = self._spec_link_problem(r.field_key, (r.value_key,), None, sku=True)
            if problem is not None:
                self._invalid(kind, entity, key, problem[0], problem[1])
                continue
            parents = self._parents(
                kind, entity, key, (
                    (Kind.SKU, r.sku_key, "sku_key"),
                    (Kind.SPEC_FIELD, r.field_key, "field_key"),
                    (Kind.SPEC_VALUE, r.value_key, "value_key"),
                ),
            )  # fmt: skip
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            waiting = pending.get(r.sku_key)
            if waiting:
                waiting.discard(r.field_key)
            step = self._diff(
                kind,
                key,
                entry,
                self.mapper.sku_spec(r),
                parents,
                entity,
                key,
                parent_key=r.sku_key,
                create=Action.LINK,
            )
            self._sku_child(step, r.sku_key)
        for sku, fields in pending.items():
            if fields:
                self._missing_required(Kind.SKU, Entity.SKUS, sku, fields, "sku_specifications")
        for key, entry in self._missing(index):
            sku_id = self._owner_present(Kind.SKU, key)
            if sku_id is None or entry.vtex_id is None or not self._can_remove(kind, key):
                continue
            sku_key = key.split(KEY_SEPARATOR, 1)[0]
            parent = Parent(Kind.SKU.value, sku_key, sku_id, None)
            self._remove(kind, key, Action.UNLINK, (parent,), vtex_id=entry.vtex_id, parent_key=sku_key)

    def _images(self) -> None:
        kind, entity = Kind.IMAGE, Entity.SKU_IMAGES
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r in self._records(entity, kind, SkuImage):
            raw = r.key
            key = state_key(raw)
            entry = self._first_sight(index, kind, entity, key, "url")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            parents = self._parents(kind, entity, raw, ((Kind.SKU, r.sku_key, "sku_key"),))
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            step = self._diff(
                kind,
                key,
                entry,
                km.values(r),
                parents,
                entity,
                r.key,
                parent_key=r.sku_key,
                create=Action.LINK,
            )
            self._sku_child(step, r.sku_key)
        self._unlink_missing(kind, index, need_id=True)

    def _unlink_missing(self, kind: Kind, index: dict[str, Any], *, need_id: bool) -> None:
        for key, entry in self._missing(index):
            sku_id = self._owner_present(Kind.SKU, key)
            if sku_id is None or (need_id and entry.vtex_id is None) or not self._can_remove(kind, key):
                continue
            sku_key = key.split(KEY_SEPARATOR, 1)[0]
            parent = Parent(Kind.SKU.value, sku_key, sku_id, None)
            step = self._remove(
                kind, key, Action.UNLINK, (parent,), vtex_id=entry.vtex_id, parent_key=sku_key
            )
            self._sku_child(step, sku_key)

    def _eans(self) -> None:
        kind, entity = Kind.EAN, Entity.EANS
        index = self.state.index(kind.value)
        owners: dict[str, str] = {}
        digest = _LINK_HASH[kind]
        for r in self._records(entity, kind, Ean):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "ean")
            if entry is _SEEN or key in self.bad[kind]:
                continue
            first = owners.setdefault(r.ean, r.sku_key)
            if first != r.sku_key:
                self._invalid(
                    kind, entity, key, "ean",
                    f"the EAN {r.ean} is also given to SKU {first!r}; VTEX allows an EAN on one SKU only",
                )  # fmt: skip
                continue
            parents = self._parents(kind, entity, key, ((Kind.SKU, r.sku_key, "sku_key"),))
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            if entry is None:
                built = self._build(parents)
                ref = self._ref(entity, key)
                step = Step(kind, key, Action.LINK, (), digest, None, built, _deps(built), r.sku_key, ref=ref)
                self._sku_child(self._keep(step), r.sku_key)
            else:
                self._unchanged(kind, key)
        self._unlink_missing(kind, index, need_id=False)

    # --- prices ---------------------------------------------------------------------------------

    def _prices(self) -> None:
        kind, entity = Kind.PRICE, Entity.PRICES
        fixed, fixed_bad = self._fixed_prices()
        index = self.state.index(kind.value)
        check = checker(entity)
        for r in self._records(entity, kind, Price):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "sku_key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                fixed.pop(key, None)
                continue
            parents = self._parents(kind, entity, key, ((Kind.SKU, r.sku_key, "sku_key"),))
            if isinstance(parents, RecordError):
                fixed.pop(key, None)
                self._block(kind, key, parents)
                continue
            bad_fixed = fixed_bad.get(key)
            if bad_fixed is not None:
                fixed.pop(key, None)
                self._block(
                    kind, key,
                    DependencyBlocked(
                        f"held back: a fixed price of this SKU has an error ({bad_fixed.user_message}); "
                        "the PUT replaces every fixed price, so it would remove that one",
                        record=self._ref(entity, key), field="fixed_prices",
                    ),
                )  # fmt: skip
                continue
            values = self.mapper.price(r, fixed.pop(key, []))
            self._diff(kind, key, entry, values, parents, entity, key, parent_key=r.sku_key)
        for sku_key, rows in fixed.items():
            cause = self.bad[kind].get(sku_key)
            for row in rows:
                ref = self._ref(Entity.FIXED_PRICES, row.key)
                if cause is not None:  # its price row is bad: held back with it
                    self._block(kind, state_key(row.key), _held_back(kind, sku_key, cause, ref, "sku_key"))
                    continue
                parent = self._parent(Kind.SKU, sku_key, ref, "sku_key", kind)
                if isinstance(parent, RecordError):
                    self._block(kind, state_key(row.key), parent)
                    continue
                self._invalid(
                    kind, Entity.FIXED_PRICES, row.key, "sku_key",
                    f"SKU {sku_key!r} has fixed prices but no row in prices: VTEX needs a base price first",
                )  # fmt: skip
        self._unlink_missing(kind, index, need_id=False)

    def _fixed_prices(self) -> tuple[dict[str, list[FixedPrice]], dict[str, RecordError]]:
        """Fixed prices grouped by SKU, and the first error of each SKU whose fixed prices are bad
        (that SKU's price is held back: the PUT would drop the bad row's fixed price)."""
        entity = Entity.FIXED_PRICES
        groups: dict[str, list[FixedPrice]] = {}
        bad: dict[str, RecordError] = {}
        seen: set[str] = set()
        check = checker(entity)
        if entity not in self.provided:
            return groups, bad
        for item in self.snapshot.read(entity):
            if isinstance(item, RecordError):
                owner = self._reader_error(entity, Kind.PRICE, item)
                if owner is not None:
                    bad.setdefault(owner, item)
                continue
            assert isinstance(item, FixedPrice)
            problems = check(item)
            if item.key in seen:
                problems = (
                    (
                        "min_quantity",
                        "duplicate fixed price: same SKU, trade policy, minimum quantity and start",
                    ),
                )
            seen.add(item.key)
            if problems:
                error = RecordInvalid(
                    problems[0][1], record=self._ref(entity, item.key), field=problems[0][0]
                )
                bad.setdefault(item.sku_key, error)
                self._count(Kind.PRICE, Action.BLOCKED)
                self.plan.errors.append(PlanError(Kind.PRICE, state_key(item.key), error))
                continue
            groups.setdefault(item.sku_key, []).append(item)
        return groups, bad

    # --- logistics ------------------------------------------------------------------------------

    def _docks(self) -> None:
        kind, entity = Kind.DOCK, Entity.DOCKS
        index = self.state.index(kind.value)
        check = checker(entity)
        for r in self._records(entity, kind, Dock):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            self.dock_names[key] = r.name
            self._diff(kind, key, entry, self.mapper.dock(r), (), entity, key)
            self.known[kind][key] = key

    def _warehouses(self) -> None:
        kind, entity = Kind.WAREHOUSE, Entity.WAREHOUSES
        links: dict[str, list[WarehouseDock]] = {}
        link_errors: dict[str, RecordError] = {}
        for wd in self._records(Entity.WAREHOUSE_DOCKS, kind, WarehouseDock, merged_errors=link_errors):
            ref = self._ref(Entity.WAREHOUSE_DOCKS, wd.key)
            dock = self._parent(Kind.DOCK, wd.dock_key, ref, "dock_key", kind)
            if isinstance(dock, RecordError):
                link_errors.setdefault(wd.warehouse_key, dock)
                continue
            links.setdefault(wd.warehouse_key, []).append(wd)
        index = self.state.index(kind.value)
        check = checker(entity)
        for r in self._records(entity, kind, Warehouse):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            error = link_errors.get(key)
            if error is not None:
                self._block(kind, key, error)
                continue
            docks = links.get(key, [])
            parents = self._parents(kind, entity, key, [(Kind.DOCK, d.dock_key, "dock_key") for d in docks])
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            values = self.mapper.warehouse(r, docks, self.dock_names)
            self._diff(kind, key, entry, values, parents, entity, key, active=r.is_active)
            self.known[kind][key] = key
        for key, entry in self._missing(index):
            if entry.active and self._can_remove(kind, key):
                self._emit(
                    Step(kind, key, Action.DEACTIVATE, vtex_id=entry.vtex_id or key, active=False, live=False)
                )

    def _inventory(self) -> None:
        kind, entity = Kind.INVENTORY, Entity.INVENTORY
        index = self.state.index(kind.value)
        km = self.mapper[kind]
        for r in self._records(entity, kind, StockLevel):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "warehouse_key")
            if entry is _SEEN or key in self.bad[kind]:
                continue
            parents = self._parents(
                kind,
                entity,
                key,
                ((Kind.SKU, r.sku_key, "sku_key"), (Kind.WAREHOUSE, r.warehouse_key, "warehouse_key")),
            )
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            self._diff(kind, key, entry, km.values(r), parents, entity, key, parent_key=r.sku_key)
        for key, _entry in self._missing(index):
            sku_id = self._owner_present(Kind.SKU, key)
            warehouse = key.split(KEY_SEPARATOR, 1)[1]
            if (
                sku_id is None
                or warehouse not in self.known[Kind.WAREHOUSE]
                or not self._can_remove(kind, key)
            ):
                continue
            sku_key = key.split(KEY_SEPARATOR, 1)[0]
            removal = (
                Parent(Kind.SKU.value, sku_key, sku_id, None),
                Parent(Kind.WAREHOUSE.value, warehouse, warehouse, None),
            )
            # stock of a line the ERP no longer lists: zero, so the SKU is not sold from there
            self._remove(
                kind, key, Action.DEACTIVATE, removal, values=(0, False, "0.00:00:00"), parent_key=sku_key
            )

    # --- customers ------------------------------------------------------------------------------

    def _customers(self) -> None:
        kind, entity = Kind.CUSTOMER, Entity.CUSTOMERS
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r in self._records(entity, kind, Customer):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            step = self._diff(kind, key, entry, km.values(r), (), entity, key)
            doc_id = self.mapper.customer_id(key)
            self.known[kind][key] = doc_id
            if step is not None:
                step.vtex_id = doc_id

    def _addresses(self) -> None:
        kind, entity = Kind.ADDRESS, Entity.ADDRESSES
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r in self._records(entity, kind, Address):
            key = r.key
            entry = self._first_sight(index, kind, entity, key, "key")
            if entry is _SEEN or key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            parents = self._parents(kind, entity, key, ((Kind.CUSTOMER, r.customer_key, "customer_key"),))
            if isinstance(parents, RecordError):
                self._block(kind, key, parents)
                continue
            step = self._diff(kind, key, entry, km.values(r), parents, entity, key, parent_key=r.customer_key)
            if step is not None:
                step.vtex_id = self.mapper.address_id(key)

    # --- the end --------------------------------------------------------------------------------

    def _finish(self) -> None:
        """Hold back what depends on a record found bad after its dependents were planned; number
        the steps (every step after the steps it waits for)."""
        steps = self.plan.steps
        dependents: dict[int, list[Step]] = {}
        for step in steps:
            for dep in step.deps:
                dependents.setdefault(id(dep), []).append(step)
        queue = [s for s in steps if s.dead]
        retro = self.retro
        if retro:
            for step in steps:
                if step.dead:
                    continue
                for p in step.parents:
                    if (p.kind, p.key) in retro:
                        self._kill(step, p.kind, p.key)
                        queue.append(step)
                        break
        while queue:
            parent = queue.pop()
            for child in dependents.get(id(parent), ()):
                if not child.dead:
                    self._kill(child, parent.kind.value, parent.key)
                    queue.append(child)
        order = {k: i for i, k in enumerate(KIND_ORDER)}
        live = sorted(
            (s for s in steps if not s.dead), key=lambda s: (order[s.kind], s.action is Action.ACTIVATE)
        )
        for i, step in enumerate(live):
            step.index = i
            step.deps = [d for d in step.deps if not d.dead]
        self.plan.steps = live
        for kind, n in self.unchanged.items():
            if n:
                self._count(kind, Action.UNCHANGED, n)
        for kind in list(self.plan.counts):
            self.plan.counts[kind] = {a: n for a, n in self.plan.counts[kind].items() if n}

    def _kill(self, step: Step, parent_kind: str, parent_key: str) -> None:
        step.dead = True
        self._count(step.kind, step.action, -1)
        if step.action in WRITES and step.ref is not None:
            error = DependencyBlocked(
                f"held back: its {_LABEL.get(Kind(parent_kind), parent_kind)} {parent_key!r} has an error",
                record=step.ref,
            )
            self._count(step.kind, Action.BLOCKED)
            self.plan.errors.append(PlanError(step.kind, step.key, error))


def _held_back(
    kind: Kind, key: str, cause: RecordError, child: RecordRef, field: str | None
) -> DependencyBlocked:
    """The error of a record held back because its parent ``kind``/``key`` failed with ``cause``.

    The message names the parent and the first failure of the chain (not every link of it).
    """
    root: RecordError = getattr(cause, "root", cause)
    how = "is held back" if isinstance(cause, DependencyBlocked) else "has an error"
    error = DependencyBlocked(
        f"held back: its {_LABEL.get(kind, kind.value)} {key!r} {how} ({root.user_message})",
        record=child,
        field=field,
    )
    error.root = root  # type: ignore[attr-defined]
    return error


def _deps(parents: tuple[Parent, ...]) -> list[Step]:
    return [p.step for p in parents if p.step is not None]


def _reserved(op: str | None) -> int | None:
    """The id reserved by an in-flight create (``"create:123"``)."""
    if op is None or ":" not in op:
        return None
    tail = op.split(":", 1)[1]
    return int(tail) if tail.isdigit() else None


_SPECS = {Entity.SPECIFICATION_GROUPS, Entity.SPECIFICATION_FIELDS, Entity.SPECIFICATION_VALUES}


def _with_companions(entities: Iterable[Entity]) -> set[Entity]:
    """Entities merged into one kind travel together (prices with fixed prices ...), and so do the
    specification groups, fields and values (a field's category is its group's)."""
    out = set(entities)
    for kind in kinds_of(out):
        out.update(ENTITIES_OF[kind])
    if out & _SPECS:
        out |= _SPECS
    return out
