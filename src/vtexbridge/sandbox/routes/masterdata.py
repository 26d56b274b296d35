"""Master Data routes: documents, search and scroll (``VTEX - MasterData API - v10.2.json`` and
``VTEX - Master Data API - v2.json``, which share these URLs).

Documents of entity ``XX`` are the store kind ``document:XX`` (key = the bare document id). Which
entities exist and which follow v2 rules is :mod:`vtexbridge.sandbox.mdentity`'s business. With the
default ``masterdata="strict"`` option: a read (GET, search, scroll) of an entity never created answers
404 ``{"Message"}``; the first write to one creates a v2 entity, as the v2 spec says of ``POST
.../documents``; a search without the spec-required ``REST-Range`` header answers 400. A v2 entity answers
the v2 shapes (``POST`` 201 and ``PATCH`` of the collection 200, both ``{Id, Href, DocumentId}``) and
requires ``_schema`` with ``_where`` or ``_fields`` (400; an unknown ``_schema`` is 400 too); a v2
search or scroll filters and sorts only by the schema's ``v-indexed`` fields (400 naming the field). With
``masterdata="lenient"`` every entity exists with v1 rules and a search without ``REST-Range`` answers
the first 15 documents.

Answers follow the spec operation that matches the path: the generic routes answer ``POST`` with
``201 {id, href, documentId}`` and ``PATCH .../{id}`` with ``204``, while the spec documents the
specialised ``CL`` (customer) and ``AD`` (address) routes with ``200 {Id, Href}`` for ``POST`` and
``PATCH .../{id}``; the sandbox answers those two entities that way (adding ``DocumentId``). The
returned ``id``/``Id`` is prefixed with the entity (``CL-<uuid>``), ``documentId`` is the bare id, and
either form is accepted in paths. Errors answer ``{"Message": ...}``.

Semantics: ``POST`` creates (a body ``id`` is honoured: created or fully replaced); ``PATCH`` on the
collection with an ``id`` updates only the sent fields of that document (``304`` when nothing
changes) or creates it; ``PUT .../{id}`` replaces every field (creating the document if needed);
``PATCH .../{id}`` updates the sent fields (creating the document if needed); ``DELETE`` answers 404
for an unknown id. Query rules (``_where``, ``_fields``, ``_sort``, ``REST-Range``, scroll) are in
:mod:`vtexbridge.sandbox.rules.masterdata`.
"""

from __future__ import annotations

import secrets
import uuid
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import Handler, SandboxContext, catalog_error, read_json, rule_errors, sandbox
from vtexbridge.sandbox.mdentity import Entity, create_entity, find_entity
from vtexbridge.sandbox.orderflow import orders_runtime
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import masterdata as rules

__all__ = ["routes"]

SPECIALISED = frozenset({"CL", "AD"})


def _md(fn: Handler) -> Handler:
    """Check the path's data entity name (400), then answer a :class:`RuleError` as ``{"Message"}``."""
    answering = rule_errors("catalog")(fn)

    @wraps(fn)
    async def wrapper(request: Request) -> Response:
        acronym = request.path_params.get("acronym", "")
        if not rules.ENTITY_PATTERN.match(acronym):
            return catalog_error(400, f"Invalid data entity name {acronym!r}")
        return await answering(request)

    return wrapper


def _now(ctx: SandboxContext) -> str:
    return ctx.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _table(ctx: SandboxContext, acronym: str) -> Any:
    return ctx.table(f"document:{acronym}")


def _bare(acronym: str, doc_id: str) -> str:
    prefix = f"{acronym}-"
    return doc_id[len(prefix) :] if doc_id.startswith(prefix) else doc_id


def _created(ctx: SandboxContext, acronym: str, doc_id: str) -> Response:
    href = _href(ctx, acronym, doc_id)
    if acronym in SPECIALISED:
        return JSONResponse({"Id": f"{acronym}-{doc_id}", "Href": href, "DocumentId": doc_id})
    return JSONResponse({"id": f"{acronym}-{doc_id}", "href": href, "documentId": doc_id}, status_code=201)


def _href(ctx: SandboxContext, acronym: str, doc_id: str) -> str:
    return f"http://{ctx.account}.vtexcommercestable.com.br/api/dataentities/{acronym}/documents/{doc_id}"


def _v2_answer(ctx: SandboxContext, acronym: str, doc_id: str, status: int) -> Response:
    body = {"Id": f"{acronym}-{doc_id}", "Href": _href(ctx, acronym, doc_id), "DocumentId": doc_id}
    return JSONResponse(body, status_code=status)


def _writing(ctx: SandboxContext, request: Request) -> Entity:
    """The entity a write goes to: created (as a v2 entity) by the first write to a new name."""
    acronym = request.path_params["acronym"]
    entity = find_entity(ctx, acronym) or create_entity(ctx, acronym, 2)
    _check_schema(entity, request)
    return entity


def _reading(ctx: SandboxContext, request: Request) -> Entity:
    """The entity a read goes to; 404 when it was never created."""
    acronym = request.path_params["acronym"]
    entity = find_entity(ctx, acronym)
    if entity is None:
        raise RuleError(404, f"Data entity {acronym} not found: create it (or write a document to it) first")
    _check_schema(entity, request)
    return entity


def _check_schema(entity: Entity, request: Request) -> None:
    """v2 rules: ``_schema`` must name a schema of the entity, and is required with ``_where``/``_fields``."""
    if not entity.v2:
        return
    schema = request.query_params.get("_schema")
    if schema:
        if schema not in entity.schemas:
            raise RuleError(400, f"Schema {schema!r} not found for data entity {entity.name}")
        return
    if request.query_params.get("_where") or request.query_params.get("_fields"):
        raise RuleError(400, "_schema is required when using _where or _fields (Master Data v2)")


def _body_id(acronym: str, body: Any) -> str | None:
    raw = body.get("id") if isinstance(body, dict) else None
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise RuleError(400, "id must be a string")
    return _bare(acronym, raw)


@_md
async def create_document(request: Request) -> Response:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    body = await read_json(request)
    entity = _writing(ctx, request)
    fields = rules.user_fields(body)
    doc_id = _body_id(acronym, body) or str(uuid.uuid4())
    table = _table(ctx, acronym)
    now = _now(ctx)
    current = table.get(doc_id)
    table[doc_id] = (
        rules.replace_document(current, fields, now)
        if current
        else rules.new_document(ctx.account, acronym, doc_id, fields, now)
    )
    if entity.v2:
        return _v2_answer(ctx, acronym, doc_id, 201)
    return _created(ctx, acronym, doc_id)


@_md
async def upsert_document(request: Request) -> Response:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    body = await read_json(request)
    entity = _writing(ctx, request)
    fields = rules.user_fields(body)
    doc_id = _body_id(acronym, body) or str(uuid.uuid4())
    table = _table(ctx, acronym)
    now = _now(ctx)
    current = table.get(doc_id)
    if current is None:
        table[doc_id] = rules.new_document(ctx.account, acronym, doc_id, fields, now)
    else:
        merged = rules.merge_document(current, fields, now)
        if merged is not None:
            table[doc_id] = merged
        elif not entity.v2:
            return Response(status_code=304)
    if entity.v2:
        return _v2_answer(ctx, acronym, doc_id, 200)
    href = _href(ctx, acronym, doc_id)
    return JSONResponse({"id": f"{acronym}-{doc_id}", "href": href, "documentId": doc_id}, status_code=201)


def _find(ctx: SandboxContext, acronym: str, raw_id: str) -> tuple[str, dict[str, Any] | None]:
    table = _table(ctx, acronym)
    doc = table.get(raw_id)
    if doc is not None:
        return raw_id, doc
    bare = _bare(acronym, raw_id)
    return bare, table.get(bare)


@_md
async def get_document(request: Request) -> Response:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    _reading(ctx, request)
    _doc_id, doc = _find(ctx, acronym, request.path_params["id"])
    if doc is None:
        return catalog_error(404, f"Document {request.path_params['id']} not found in data entity {acronym}")
    return JSONResponse(rules.project(doc, rules.parse_fields(request.query_params.get("_fields"))))


@_md
async def put_document(request: Request) -> Response:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    _writing(ctx, request)
    doc_id, current = _find(ctx, acronym, request.path_params["id"])
    fields = rules.user_fields(await read_json(request))
    now = _now(ctx)
    _table(ctx, acronym)[doc_id] = (
        rules.replace_document(current, fields, now)
        if current
        else rules.new_document(ctx.account, acronym, doc_id, fields, now)
    )
    return Response(status_code=204)


@_md
async def patch_document(request: Request) -> Response:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    _writing(ctx, request)
    doc_id, current = _find(ctx, acronym, request.path_params["id"])
    fields = rules.user_fields(await read_json(request))
    now = _now(ctx)
    if current is None:
        _table(ctx, acronym)[doc_id] = rules.new_document(ctx.account, acronym, doc_id, fields, now)
    else:
        merged = rules.merge_document(current, fields, now)
        if merged is not None:
            _table(ctx, acronym)[doc_id] = merged
    if acronym in SPECIALISED:
        return JSONResponse({"Id": f"{acronym}-{doc_id}", "Href": _href(ctx, acronym, doc_id)})
    return Response(status_code=204)


@_md
async def delete_document(request: Request) -> Response:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    _reading(ctx, request)
    doc_id, current = _find(ctx, acronym, request.path_params["id"])
    if current is None:
        return catalog_error(404, f"Document {request.path_params['id']} not found in data entity {acronym}")
    del _table(ctx, acronym)[doc_id]
    return Response(status_code=204)


def _check_indexed(entity: Entity, request: Request) -> None:
    """v2: a search or scroll may filter and sort only by the schema's ``v-indexed`` fields."""
    schema_name = request.query_params.get("_schema")
    if not entity.v2 or not schema_name:
        return
    schema = entity.schemas.get(schema_name) or {}
    indexed = {*(schema.get("v-indexed") or []), *rules.SYSTEM_FIELDS}
    missing = [f for f in rules.filtered_fields(request.query_params) if f not in indexed]
    if missing:
        raise RuleError(
            400, f"Field '{missing[0]}' is not indexed by schema {schema_name}: add it to its v-indexed"
        )


def _matching(request: Request, acronym: str) -> list[dict[str, Any]]:
    ctx = sandbox(request)
    where = rules.parse_where(request.query_params.get("_where"))
    params = rules.matches_params(request.query_params)
    sort = rules.parse_sort(request.query_params.get("_sort"))
    docs = [d for d in _table(ctx, acronym).values() if where(d) and params(d)]
    return rules.sort_documents(docs, sort)


@_md
async def search(request: Request) -> Response:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    _check_indexed(_reading(ctx, request), request)
    required = ctx.options.masterdata == "strict"
    start, end = rules.parse_range(request.headers.get("rest-range"), required=required)
    fields = rules.parse_fields(request.query_params.get("_fields"))
    docs = _matching(request, acronym)
    page = docs[start:end]
    return JSONResponse(
        [rules.project(d, fields) for d in page],
        headers={"REST-Content-Range": rules.content_range(start, len(page), len(docs))},
    )


@_md
async def scroll(request: Request) -> Response:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    _check_indexed(_reading(ctx, request), request)
    scrolls = orders_runtime(ctx.runtime).scrolls
    now = ctx.clock.now().timestamp()
    token = request.query_params.get("_token")
    scope = f"{ctx.account}:{acronym}"
    if token:
        cursor = scrolls.get(token)
        if cursor is None or cursor.entity != scope or cursor.expired(now):
            scrolls.pop(token, None)
            return catalog_error(
                400, "The scroll token is invalid or expired (20 minutes without use); start again"
            )
    else:
        size = rules.parse_size(request.query_params.get("_size"))
        fields = rules.parse_fields(request.query_params.get("_fields"))
        ids = [str(d["id"]) for d in _matching(request, acronym)]
        for key in [k for k, c in scrolls.items() if c.expired(now)]:
            del scrolls[key]
        token = secrets.token_urlsafe(24)
        cursor = scrolls[token] = rules.ScrollCursor(scope, ids, fields, size, now + rules.SCROLL_TTL_SECONDS)
    table = _table(ctx, acronym)
    page = [table[i] for i in cursor.next_ids(now) if i in table]
    return JSONResponse(
        [rules.project(d, cursor.fields) for d in page],
        headers={"X-VTEX-MD-TOKEN": token, "REST-Content-Total": str(len(cursor.ids))},
    )


def routes() -> list[BaseRoute]:
    base = "/api/dataentities/{acronym}"
    return [
        Route(f"{base}/documents", create_document, methods=["POST"]),
        Route(f"{base}/documents", upsert_document, methods=["PATCH"]),
        Route(f"{base}/documents/{{id}}", get_document, methods=["GET"]),
        Route(f"{base}/documents/{{id}}", put_document, methods=["PUT"]),
        Route(f"{base}/documents/{{id}}", patch_document, methods=["PATCH"]),
        Route(f"{base}/documents/{{id}}", delete_document, methods=["DELETE"]),
        Route(f"{base}/search", search, methods=["GET"]),
        Route(f"{base}/scroll", scroll, methods=["GET"]),
    ]
