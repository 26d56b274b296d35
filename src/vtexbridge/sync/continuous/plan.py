"""A delta's plan: the sync's own planner (:func:`~vtexbridge.sync.plan.make_plan`) over a subset.

The planner deactivates or removes what the state knows and the snapshot lacks. Over a delta that
would be everything the delta does not mention, so the planner is given a view of the state
(:class:`DeltaState`) that holds only what the delta names: the entries of its units (so a changed
record is compared with what VTEX last accepted, and a *deleted* key, present in the state and absent
from the snapshot, is deactivated or removed by the planner's usual rules), a changed product's
trade-policy links (the product record carries them all), and the parents its records refer to
(``known_parents``: their VTEX ids). Nothing else is in view, so nothing else can be deactivated.

Categories and brands choose their VTEX ids (the next one after the highest known): a delta creating
one is planned with ``first_id`` above every id the state holds, not only the delta's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from vtexbridge.erp.records import KEY_SEPARATOR, Entity, Record, parents
from vtexbridge.errors import RecordError
from vtexbridge.state.changes import QueuedChange
from vtexbridge.state.models import IndexEntry
from vtexbridge.state.store import StateStore
from vtexbridge.sync.continuous.delta import DELETE, build_records
from vtexbridge.sync.graph import Kind, kind_of
from vtexbridge.sync.mapping import Mapper
from vtexbridge.sync.plan import make_plan
from vtexbridge.sync.stateview import StoreView
from vtexbridge.sync.steps import Plan

__all__ = ["Delta", "DeltaSnapshot", "DeltaState", "coalesce", "plan_delta"]

_CHOOSES_IDS = (Kind.CATEGORY, Kind.BRAND)


@dataclass
class Delta:
    """The coalesced changes of one cycle: the last change of each unit, and the ones it replaced."""

    latest: dict[tuple[str, str], QueuedChange] = field(default_factory=dict)
    replaced: list[QueuedChange] = field(default_factory=list)

    def ids_of(self, unit: tuple[str, str]) -> list[int]:
        """The queue ids settled when ``unit`` is (the latest change and every one it replaced)."""
        return [c.id for c in self.replaced if (c.kind, c.erp_key) == unit] + [self.latest[unit].id]


def coalesce(changes: Iterable[QueuedChange]) -> Delta:
    """The last change per unit wins (``changes`` in queue order)."""
    delta = Delta()
    for c in sorted(changes, key=lambda c: c.id):
        unit = (c.kind, c.erp_key)
        old = delta.latest.get(unit)
        if old is not None:
            delta.replaced.append(old)
        delta.latest[unit] = c
    return delta


class DeltaSnapshot:
    """The records of a delta, as the planner reads a snapshot; deleted units' entities are provided
    (with no record), so their keys are missing and the planner removes them."""

    def __init__(self, delta: Delta) -> None:
        self.records: dict[Entity, list[Record | RecordError]] = {}
        self.deleted: set[Entity] = set()
        for change in delta.latest.values():
            payload = change.payload or {}
            if change.op == DELETE:
                self.deleted.add(Entity(payload.get("entity") or _main_entity(change.kind)))
                continue
            rows = [(str(e), dict(r)) for e, r in payload.get("rows", [])]
            for item in build_records(rows, f"change {change.id}"):
                entity = item.entity if isinstance(item, Record) else _entity_of(item)
                self.records.setdefault(entity, []).append(item)

    def entities(self) -> set[Entity]:
        return set(self.records) | self.deleted

    def read(self, entity: Entity) -> Iterator[Record | RecordError]:
        yield from self.records.get(entity, ())


class DeltaState:
    """The planner's view of the state, narrowed to what a delta names (see the module docstring)."""

    def __init__(self, store: StateStore, account: str, delta: Delta, snapshot: DeltaSnapshot) -> None:
        self.store = store
        self.account = account
        self.queue = store.changes
        self.units: dict[str, set[str]] = {}
        for kind, key in delta.latest:
            self.units.setdefault(kind, set()).add(key)
        self.products = {
            key for (kind, key), c in delta.latest.items() if kind == Kind.PRODUCT.value and c.op != DELETE
        }
        self.referenced: dict[str, set[str]] = {}
        for records in snapshot.records.values():
            for r in records:
                if isinstance(r, Record):
                    for entity, key in parents(r):
                        self.referenced.setdefault(kind_of(entity).value, set()).add(key)
        for change in delta.latest.values():
            if change.op == DELETE:
                for kind, key in _key_parents(change):
                    self.referenced.setdefault(kind, set()).add(key)
        self._whole = StoreView(store, account)

    def index(self, kind: str) -> dict[str, IndexEntry]:
        if kind == Kind.TRADE_POLICY.value:
            return self.queue.index_by_parent(self.account, kind, self.products)
        if kind in self.units:
            return self.queue.index_of(self.account, kind, self.units[kind])
        return self.queue.index_of(self.account, kind, self.referenced.get(kind, ()))

    def known_parents(self) -> dict[str, dict[str, str | None]]:
        """``kind -> {key: VTEX id}`` of the parents the delta refers to (the planner's ``known``)."""
        out: dict[str, dict[str, str | None]] = {}
        for kind, keys in self.referenced.items():
            out[kind] = {k: e.vtex_id for k, e in self.queue.index_of(self.account, kind, keys).items()}
        return out

    def in_flight(self) -> Mapping[tuple[str, str], str]:
        return self._whole.in_flight()  # the writes never confirmed: few, and any may be a parent

    def error_keys(self) -> Mapping[str, set[str]]:
        out: dict[str, set[str]] = {}
        for e in self.store.entities.list_errors(self.account):
            mine = e.erp_key in self.units.get(e.kind, ())
            if e.kind == Kind.TRADE_POLICY.value:
                mine = e.erp_key.split(KEY_SEPARATOR, 1)[0] in self.products
            if mine:
                out.setdefault(e.kind, set()).add(e.erp_key)
        return out


def plan_delta(store: StateStore, account: str, delta: Delta, mapper: Mapper) -> Plan:
    """The plan of ``delta`` (in a worker thread: it reads the state)."""
    snapshot = DeltaSnapshot(delta)
    state = DeltaState(store, account, delta, snapshot)
    return make_plan(
        snapshot,
        state,
        mapper=_with_free_ids(store, account, state, mapper),
        sources=dict.fromkeys(snapshot.entities(), "change queue"),
    )


def _with_free_ids(store: StateStore, account: str, state: DeltaState, mapper: Mapper) -> Mapper:
    """``mapper``, or one whose ``first_id`` is above every id of the kinds that choose theirs."""
    top = 0
    for kind in _CHOOSES_IDS:
        if kind.value in state.units:
            for entry in store.entities.load_index(account, kind.value).values():
                if entry.vtex_id is not None and entry.vtex_id.isdigit():
                    top = max(top, int(entry.vtex_id))
    if top < mapper.settings.first_id:
        return mapper
    return Mapper(mapper.settings.model_copy(update={"first_id": top + 1}))


def _main_entity(kind: str) -> str:
    from vtexbridge.sync.graph import ENTITIES_OF

    return ENTITIES_OF[Kind(kind)][0].value


def _entity_of(error: RecordError) -> Entity:
    name = error.record.entity if error.record is not None else ""
    return Entity(name) if name in Entity._value2member_map_ else Entity.SKUS


def _key_parents(change: QueuedChange) -> Sequence[tuple[str, str]]:
    """The parents a deleted link's key names (``S1|W1`` of ``inventory``: SKU S1, warehouse W1)."""
    payload = change.payload or {}
    entity = Entity(payload.get("entity") or _main_entity(change.kind))
    fields = entity.record_type.key_fields
    refs = entity.record_type.references
    parts = change.erp_key.split(KEY_SEPARATOR, len(fields) - 1)
    return [
        (kind_of(refs[name]).value, part) for name, part in zip(fields, parts, strict=False) if name in refs
    ]
