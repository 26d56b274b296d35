"""The planner's machinery: its inputs, its bookkeeping, and the rules every entity's pass shares.

:class:`PlanContext` holds what one planning run knows (the plan so far, the keys usable as parents
and their VTEX ids, the keys found bad, the steps by key) and the operations every pass uses:
reading records with their reader errors, checking parents (membership only, on the hot path),
planning a record (:meth:`PlanContext.diff`), duplicate keys, removals. It is passed explicitly to
every pass (plain functions, one module per entity family: see :mod:`vtexbridge.sync.plan`); the
final step, which holds back what depends on a record found bad late, is :mod:`.plan_finish`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar, cast

from vtexbridge.erp.errors import UnknownColumn, makes_incomplete
from vtexbridge.erp.records import (
    KEY_SEPARATOR,
    Entity,
    Record,
    SpecificationField,
)
from vtexbridge.errors import DependencyBlocked, RecordError, RecordInvalid, RecordRef
from vtexbridge.state.models import IndexEntry
from vtexbridge.sync.graph import ENTITIES_OF, KIND_ORDER, KIND_PARENTS, Kind, kinds_of
from vtexbridge.sync.mapping import Mapper, Values, link_hash
from vtexbridge.sync.steps import Action, Parent, Plan, PlanError, Step
from vtexbridge.sync.validate import state_key

__all__ = ["PlanContext", "Refs", "Snapshot", "StateView"]

log = logging.getLogger(__name__)

R = TypeVar("R")
RecordT = TypeVar("RecordT", bound=Record)
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

    def known_parents(self) -> Mapping[str, Mapping[str, str | None]]:
        """``kind -> {erp_key: vtex_id}`` of parents outside the view: a delta plan sees only the
        entities its changes name (:mod:`vtexbridge.sync.continuous.plan`); empty for a full plan."""
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
_PARENT_KINDS = frozenset(k for parents in KIND_PARENTS.values() for k in parents)
"""Kinds other kinds refer to: only theirs are kept as ``key -> VTEX id`` (a million SKUs' images,
specifications or stock lines need no such map: nothing refers to them)."""
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


class PlanContext:
    """The state of one planning run, and the operations its passes share."""

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
        for kind_name, ids in state.known_parents().items():
            self.known[Kind(kind_name)].update(ids)
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
        self.kept_absent: dict[Kind, int] = {}
        """Per kind: records absent from an incomplete read, not deactivated or removed for it."""
        self.error_keys_of: dict[Kind, set[str]] = {
            Kind(k): set(v) for k, v in self.error_keys.items() if v and k in Kind._value2member_map_
        }

    def from_state(self, kind: Kind) -> None:
        """A kind this run does not manage: its entities are taken as they are in the state store."""
        self.known[kind] = {k: e.vtex_id for k, e in self.state.index(kind.value).items()}

    # --- shared helpers -------------------------------------------------------------------------

    def ref(self, entity: Entity, key: str | None) -> RecordRef:
        return RecordRef(entity.value, key, self.sources.get(entity))

    def records(
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
                owner = self.reader_error(entity, kind, item)
                if owner is not None and merged_errors is not None:
                    merged_errors.setdefault(owner, item)
            else:
                yield cast(R, item)

    def reader_error(self, entity: Entity, kind: Kind, error: RecordError) -> str | None:
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
            self.count(kind, Action.BLOCKED)
        self._last_error_row = where
        if owner is not None and entity not in _MERGED:
            self.bad[kind].setdefault(owner, error)
        self.plan.errors.append(PlanError(kind, None if key is None else state_key(key), error))
        return owner

    def count(self, kind: Kind, action: Action, n: int = 1) -> None:
        per = self.plan.counts.setdefault(kind, {})
        per[action] = per.get(action, 0) + n

    def emit(self, step: Step) -> Step:
        self.plan.steps.append(step)
        if step.main is None:  # a step completing another one is not a record of its own
            self.count(step.kind, step.action)
        return step

    def keep(self, step: Step) -> Step:
        """Emit a step and remember it as the one of its key (to drop it if the key turns bad)."""
        self.step_of[step.kind][step.key] = self.emit(step)
        return step

    def count_unchanged(self, kind: Kind, key: str) -> None:
        self.unchanged[kind] += 1
        errors = self.error_keys_of.get(kind)
        if errors is not None and key in errors:
            self.plan.cleared.setdefault(kind, []).append(key)

    def block(self, kind: Kind, key: str | None, error: RecordError) -> None:
        """``key`` will not be sent: record why, and hold back what depends on it."""
        self.count(kind, Action.BLOCKED)
        if key is not None:
            self.bad[kind].setdefault(key, error)
        self.plan.errors.append(PlanError(kind, key, error))

    def mapped(
        self, kind: Kind, entity: Entity, key: str, build: Callable[..., Values], *args: Any
    ) -> Values | None:
        """``build(*args)``: a record's payload; None (and the record in error) when building it raised.

        Mapping is pure and checked, so this is a bug of ours met on a record's data: it is that
        record's error (named, with the exception), never the run's.
        """
        try:
            return build(*args)
        except Exception as e:
            log.error("planning %s %r failed", kind.value, key, exc_info=True)
            self.invalid(
                kind, entity, key, None,
                f"could not be planned ({type(e).__name__}: {e}); the record is held back "
                "(this is a vtexbridge bug: please report it with the row)",
            )  # fmt: skip
            return None

    def invalid(self, kind: Kind, entity: Entity, key: str, field: str | None, message: str) -> RecordInvalid:
        error = RecordInvalid(message, record=self.ref(entity, key), field=field)
        self.block(kind, state_key(key), error)
        return error

    def drop(self, kind: Kind, key: str, *, count: bool = True) -> None:
        """Undo what was planned or counted for ``key`` (found bad after the fact)."""
        step = self.step_of[kind].pop(key, None)
        self.known[kind].pop(key, None)
        if step is not None and not step.dead:
            step.dead = True
            self.count(kind, step.action, -1)
            if count:
                self.count(kind, Action.BLOCKED)
        activation = self.activation.pop(key, None) if kind is Kind.SKU else None
        if activation is not None and activation is not step and not activation.dead:
            activation.dead = True
            if activation.main is None:
                self.count(kind, activation.action, -1)
        self.retro.add((kind.value, key))

    def parent(
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

    def parents(self, child_kind: Kind, entity: Entity, child_key: str, refs: Refs) -> Refs | RecordError:
        """``refs`` when every parent is usable, else the error that holds the child back.

        Only membership is checked here (the common, unchanged case); :meth:`build` makes the
        :class:`Parent` values when a step is planned.
        """
        known = self.known
        for kind, key, field in refs:
            if key not in known[kind]:
                p = self.parent(kind, key, self.ref(entity, child_key), field, child_kind)
                if isinstance(p, RecordError):
                    return p
        return refs

    def parents_or_block(
        self, kind: Kind, entity: Entity, key: str, refs: Refs, *, raw_key: str | None = None
    ) -> Refs | None:
        """:meth:`parents`, blocking ``key`` (and returning None) when a parent holds it back.

        ``raw_key`` is the record's key as read, when ``key`` is its state key (errors name the former).
        """
        parents = self.parents(kind, entity, key if raw_key is None else raw_key, refs)
        if isinstance(parents, RecordError):
            self.block(kind, key, parents)
            return None
        return parents

    def build(self, refs: Refs) -> tuple[Parent, ...]:
        out = []
        for kind, key, _field in refs:
            step = self.step_of[kind].get(key)
            if step is not None and step.action is Action.CREATE:
                out.append(Parent(kind.value, key, None, step))
            else:
                out.append(Parent(kind.value, key, self.known[kind].get(key), None))
        return tuple(out)

    def first_sight(self, index: dict[str, Any], kind: Kind, entity: Entity, key: str, field: str) -> Any:
        """The state entry of ``key``, marking it seen; ``_SEEN`` when the key was already seen."""
        entry = index.get(key)
        if entry is _SEEN:
            self.duplicate(kind, entity, key, field)
            return _SEEN
        index[key] = _SEEN
        return entry

    def fresh(
        self,
        entity: Entity,
        kind: Kind,
        record_type: type[RecordT],
        index: dict[str, Any],
        field: str,
        check: Callable[[Record], Any] | None = None,
        *,
        state_keyed: bool = False,
        skipped: Callable[[RecordT], None] | None = None,
    ) -> Iterator[tuple[RecordT, str, IndexEntry | None]]:
        """``(record, key, state entry)`` of the entity's records worth planning, in order.

        Each record's key is marked seen (:meth:`first_sight`, ``field`` naming it) before anything
        else; a duplicate, a key already found bad, or a record failing ``check`` (when given: the
        passes without one check their records themselves, or not at all) is skipped. The key is
        the record's own, or its :func:`state_key` when ``state_keyed``. ``skipped`` is told of every
        record skipped (to hold back what the record itself carries, e.g. a product's trade policies).
        """
        for r in self.records(entity, kind, record_type):
            key = state_key(r.key) if state_keyed else r.key
            entry = self.first_sight(index, kind, entity, key, field)
            if (
                entry is _SEEN
                or key in self.bad[kind]
                or (check is not None and self.problems(kind, entity, r, check))
            ):
                if skipped is not None:
                    skipped(r)
                continue
            yield r, key, entry

    def duplicate(self, kind: Kind, entity: Entity, key: str, field: str) -> None:
        already_bad = key in self.bad[kind]
        message = (
            f"duplicate key: more than one row has {field} {key!r}; "
            "VTEX identifies the record by it, so every row with it is held back"
        )
        error = RecordInvalid(message, record=self.ref(entity, key), field=field)
        if not already_bad:
            if key in self.step_of[kind]:
                self.drop(kind, key, count=False)
            else:
                self.known[kind].pop(key, None)
                self.unchanged[kind] -= 1
                self.retro.add((kind.value, key))
            self.count(kind, Action.BLOCKED)
            self.bad[kind][key] = error
        self.plan.errors.append(PlanError(kind, key, error))

    def problems(self, kind: Kind, entity: Entity, record: Record, check: Callable[[Record], Any]) -> bool:
        problems = check(record)
        if not problems:
            return False
        ref = self.ref(entity, record.key)
        key = state_key(record.key)
        self.block(kind, key, RecordInvalid(problems[0][1], record=ref, field=problems[0][0]))
        for field, message in problems[1:]:
            self.plan.errors.append(PlanError(kind, key, RecordInvalid(message, record=ref, field=field)))
        return True

    def diff(
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
            if kind in _PARENT_KINDS:
                self.known[kind][key] = entry.vtex_id
            self.unchanged[kind] += 1
            errors = self.error_keys_of.get(kind)
            if errors is not None and key in errors:
                self.plan.cleared.setdefault(kind, []).append(key)
            return None
        parents = self.build(refs)
        ref = self.ref(entity, raw_key)
        if entry is None or (entry.vtex_id is None and kind in _HAS_ID):
            op = self.in_flight.get((kind.value, key))
            step = Step(
                kind, key, create, values, digest, None, parents, _deps(parents),
                parent_key, active, active, op is not None, _reserved(op), ref,
            )  # fmt: skip
            self.keep(step)
            if kind in _PARENT_KINDS:
                self.known[kind][key] = None
            return step
        if kind in _PARENT_KINDS:
            self.known[kind][key] = entry.vtex_id
        step = Step(
            kind, key, change, values, digest, entry.vtex_id, parents, _deps(parents),
            parent_key, active, active, ref=ref,
        )  # fmt: skip
        return self.keep(step)

    def missing(self, index: dict[str, Any]) -> Iterator[tuple[str, IndexEntry]]:
        for key, entry in index.items():
            if entry is not _SEEN:
                yield key, entry

    def deactivate_missing(self, kind: Kind, index: dict[str, Any], *, keyed: bool = False) -> None:
        """Deactivate what left the ERP and is active in VTEX (``keyed``: VTEX's id is the ERP key)."""
        for key, entry in self.missing(index):
            vtex_id = entry.vtex_id or (key if keyed else None)
            if entry.active and vtex_id is not None and self.can_remove(kind, key):
                self.emit(Step(kind, key, Action.DEACTIVATE, vtex_id=vtex_id, active=False, live=False))

    def can_remove(self, kind: Kind, key: str) -> bool:
        if any(e in self.plan.incomplete for e in ENTITIES_OF[kind]):
            self.kept_absent[kind] = self.kept_absent.get(kind, 0) + 1
            return False
        return key not in self.bad[kind]

    def owner_present(self, kind: Kind, key: str) -> str | None:
        """The VTEX id of a link's owner (``key``'s part before ``|``) when it is still in the ERP."""
        owner = key.split(KEY_SEPARATOR, 1)[0]
        if owner in self.bad[kind]:
            return None
        known = self.known[kind]
        return known.get(owner) if owner in known else None

    def remove(self, kind: Kind, key: str, action: Action, parents: tuple[Parent, ...], **kw: Any) -> Step:
        step = Step(kind, key, action, parents=parents, deps=_deps(parents), **kw)
        return self.emit(step)

    def unlink_missing(self, kind: Kind, index: dict[str, Any], *, need_id: bool) -> None:
        for key, entry in self.missing(index):
            sku_id = self.owner_present(Kind.SKU, key)
            if sku_id is None or (need_id and entry.vtex_id is None) or not self.can_remove(kind, key):
                continue
            sku_key = key.split(KEY_SEPARATOR, 1)[0]
            parent = Parent(Kind.SKU.value, sku_key, sku_id, None)
            step = self.remove(kind, key, Action.UNLINK, (parent,), vtex_id=entry.vtex_id, parent_key=sku_key)
            self.sku_child(step, sku_key)

    def sku_child(self, step: Step | None, sku_key: str) -> None:
        """A SKU's activation waits for the writes to its specifications, images and EANs."""
        if step is not None:
            activation = self.activation.get(sku_key)
            if activation is not None:
                activation.deps.append(step)


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
