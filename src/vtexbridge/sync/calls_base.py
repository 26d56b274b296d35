"""What every VTEX call of the sync shares: the step's outcome (:class:`Done`), the in-flight marks,
the id allocator, and :class:`CallContext` (the client, the mapper, bodies, lookups by natural key).

The calls themselves are plain functions ``(ctx, step, resolve) -> Done``, one module per API area
(:mod:`.calls_taxonomy`, :mod:`.calls_products`, :mod:`.calls_pricing`, :mod:`.calls_logistics`,
:mod:`.calls_masterdata`), each with its table of ``(Kind, Action) -> call``, dispatched by
:class:`vtexbridge.sync.calls.Calls`.
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
from vtexbridge.vtex.errors import NotFound, OutcomeUnknown

__all__ = ["Call", "CallContext", "CallTable", "Done", "Flights", "IdAllocator", "Resolve"]

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


class CallContext:
    """The client, the mapper, the in-flight marks and the id allocator the calls share, and what one
    run's calls remember (a product's SKUs read for their activation)."""

    def __init__(self, client: VtexClient, mapper: Mapper, flights: Flights, ids: IdAllocator) -> None:
        self.client = client
        self.catalog = client.catalog
        self.skus = client.skus
        self.mapper = mapper
        self.flights = flights
        self.ids = ids
        self._ticks = 0
        self.product_locks: dict[int, asyncio.Lock] = {}
        self.product_skus: dict[int, tuple[int, dict[int, bool | None]]] = {}

    def body(self, step: Step, resolve: Resolve) -> dict[str, Any]:
        assert step.values is not None, f"{step.describe()} has no payload"
        return self.mapper.body(step.kind, step.values, resolve)

    async def mark(self, step: Step, operation: str = "create") -> None:
        await self.flights.mark(step.kind.value, step.key, operation)

    def tick(self) -> int:
        """A moment of the run (the executor ticks when a step becomes ready)."""
        self._ticks += 1
        return self._ticks

    async def create_by_lookup(
        self, step: Step, find: Callable[[], Awaitable[Any]], create: Callable[[], Awaitable[T]]
    ) -> Any:
        """Create, unless an earlier create of this entity is found; resolve unknown outcomes by lookup."""
        if step.resolve:
            found = await find()
            if found is not None:
                return found
        await self.mark(step)
        try:
            return await create()
        except OutcomeUnknown:
            found = await find()
            if found is not None:
                return found
            return await create()


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


Call = Callable[[CallContext, Step, Resolve], Awaitable[Done]]
CallTable = dict[tuple[Kind, Action], Call]
"""The requests of each ``(kind, action)`` of an API area."""


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
