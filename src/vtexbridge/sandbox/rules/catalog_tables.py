"""The catalog's table operations shared by every area: an entity by id (or 404), new ids, lookups.

The catalog rules (``catalog_*`` modules) work on the account's tables through a
:class:`~vtexbridge.sandbox.context.SandboxContext` (tables, id sequences, clock); they never see the
request. Lookups by anything but the key go through the indexes of
:mod:`vtexbridge.sandbox.catalog_index` and answer in table order, like the scans they replace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules
from vtexbridge.sandbox.store import Index

if TYPE_CHECKING:
    from vtexbridge.sandbox.context import SandboxContext

Doc = dict[str, Any]
Writer = Callable[["SandboxContext", int, Doc, "Doc | None"], Doc]  # (ctx, id, body, current) -> stored doc


def now(ctx: SandboxContext) -> str:
    """The Catalog's timestamp form (no fraction, no zone)."""
    return ctx.clock.now().strftime("%Y-%m-%dT%H:%M:%S")


def get(ctx: SandboxContext, kind: str, raw_id: str, what: str) -> Doc:
    """The ``kind`` document of a path id, or 404 ``"{what} not found."``."""
    doc = ctx.table(kind).get(str(rules.path_id(raw_id, what)))
    if doc is None:
        raise RuleError(404, f"{what} not found.")
    return doc


def new_id(ctx: SandboxContext, kind: str, body: Doc, what: str, *, required: bool = False) -> int:
    """The body's caller-chosen ``Id`` (409 when taken) or the next free id of ``kind``'s sequence."""
    chosen = rules.caller_id(body, required=required)
    if chosen is None:
        table = ctx.table(kind)
        while True:
            candidate = ctx.store.next_id(ctx.account, kind)
            if str(candidate) not in table:
                return candidate
    if str(chosen) in ctx.table(kind):
        raise RuleError(409, f"{what} with Id {chosen} already exists.")
    ctx.store.bump_id(ctx.account, kind, chosen)
    return chosen


def create(
    ctx: SandboxContext,
    kind: str,
    write: Writer,
    body: Doc,
    what: str | None = None,
    *,
    id_required: bool = False,
) -> Doc:
    """``POST`` of an entity. With ``what`` (the entity takes a caller-chosen ``Id``): that ``Id``
    (409 when taken; 400 when missing and ``id_required``) or a fresh one; without: the next of
    ``kind``'s sequence, taken before validation.
    """
    if what is None:
        return write(ctx, ctx.store.next_id(ctx.account, kind), body, None)
    return write(ctx, new_id(ctx, kind, body, what, required=id_required), body, None)


def by_id(docs: Iterable[Doc], key: str = "Id") -> list[Doc]:
    """``docs`` ordered by their integer ``key``."""
    return sorted(docs, key=lambda d: int(d[key]))


def find(ctx: SandboxContext, index: Index, value: Any) -> list[Doc]:
    """The documents of ``index.kind`` filed under ``value``, in table order."""
    return ctx.table(index.kind).find(index, value)


def delete_docs(ctx: SandboxContext, kind: str, docs: Iterable[Doc], key: str = "Id") -> None:
    table = ctx.table(kind)
    for doc in list(docs):
        del table[str(doc[key])]


def next_position(docs: Iterable[Doc]) -> int:
    """One past the highest ``Position`` of ``docs`` (1 for none)."""
    return max((int(d.get("Position") or 0) for d in docs), default=0) + 1


def named(docs: Iterable[Doc], name: str) -> Doc | None:
    """The first of ``docs`` whose ``Name`` is ``name``."""
    return next((d for d in docs if d["Name"] == name), None)


def owned(ctx: SandboxContext, kind: str, raw_key: str, owner_key: str, owner_id: Any) -> Doc | None:
    """The ``kind`` document with key ``raw_key`` when it belongs to the owner, else ``None``."""
    doc = ctx.table(kind).get(raw_key)
    return doc if doc is not None and doc[owner_key] == owner_id else None
