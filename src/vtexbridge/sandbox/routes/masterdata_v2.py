"""Master Data v2 schemas (``VTEX - Master Data API - v2.json``) and the admin route creating v1 entities.

- ``PUT /api/dataentities/{name}/schemas/{schemaName}`` ``{properties: {...}, "v-indexed"?: [...]}``:
  creates or replaces a schema, creating the v2 entity when needed -> 200 ``{"Message"}``; 400 for a
  v1 entity, a body without a ``properties`` object, or a 61st schema;
- ``GET .../schemas`` -> ``[{name, schema}]`` (404 for an unknown entity); ``GET|DELETE
  .../schemas/{schemaName}`` -> the schema / 204 (404 when unknown).
- Admin: ``POST /_sandbox/masterdata/entities`` ``{"name", "version"?: 1|2}`` creates an entity as the
  admin does (201; 409 when it exists as the other version); ``GET /_sandbox/masterdata/entities``
  lists the registered entities.

See :mod:`vtexbridge.sandbox.mdentity` for what makes an entity v1 or v2.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import read_json, rule_errors, sandbox
from vtexbridge.sandbox.mdentity import ENTITY, create_entity, find_entity, put_schema
from vtexbridge.sandbox.routes.masterdata import _md
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules.masterdata import ENTITY_PATTERN

__all__ = ["routes"]

SCHEMA_NAME_MAX = 100


def _schema_name(request: Request) -> str:
    name = str(request.path_params["schemaName"])
    if not name or len(name) > SCHEMA_NAME_MAX:
        raise RuleError(400, f"The schema name must have 1 to {SCHEMA_NAME_MAX} characters")
    return name


@_md
async def save_schema(request: Request) -> Response:
    ctx = sandbox(request)
    acronym, name = request.path_params["acronym"], _schema_name(request)
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise RuleError(400, "The schema must be a JSON object with a 'properties' object")
    indexed = body.get("v-indexed", [])
    if not isinstance(indexed, list) or not all(isinstance(i, str) for i in indexed):
        raise RuleError(400, "v-indexed must be a list of property names")
    put_schema(ctx, acronym, name, body)
    return JSONResponse({"Message": f"Schema {name} of data entity {acronym} saved."})


def _v2_entity_schemas(request: Request) -> dict[str, object]:
    ctx = sandbox(request)
    acronym = request.path_params["acronym"]
    entity = find_entity(ctx, acronym)
    if entity is None:
        raise RuleError(404, f"Data entity {acronym} not found")
    return entity.schemas


@_md
async def list_schemas(request: Request) -> Response:
    schemas = _v2_entity_schemas(request)
    return JSONResponse([{"name": name, "schema": schema} for name, schema in sorted(schemas.items())])


@_md
async def get_schema(request: Request) -> Response:
    name = _schema_name(request)
    schema = _v2_entity_schemas(request).get(name)
    if schema is None:
        raise RuleError(404, f"Schema {name} not found")
    return JSONResponse(schema)


@_md
async def delete_schema(request: Request) -> Response:
    ctx = sandbox(request)
    name = _schema_name(request)
    if name not in _v2_entity_schemas(request):
        raise RuleError(404, f"Schema {name} not found")
    acronym = request.path_params["acronym"]
    doc = dict(ctx.table(ENTITY)[acronym])
    doc["schemas"] = {k: v for k, v in doc["schemas"].items() if k != name}
    ctx.table(ENTITY)[acronym] = doc
    return Response(status_code=204)


@rule_errors("admin")
async def admin_entities(request: Request) -> Response:
    """``GET|POST /_sandbox/masterdata/entities``."""
    ctx = sandbox(request)
    if request.method == "POST":
        body = await read_json(request)
        name = body.get("name") if isinstance(body, dict) else None
        version = body.get("version", 1) if isinstance(body, dict) else None
        if not isinstance(name, str) or not ENTITY_PATTERN.match(name):
            raise RuleError(400, "name must be a data entity name (a letter, then letters, digits, _)")
        if version not in (1, 2):
            raise RuleError(400, "version must be 1 or 2")
        entity = create_entity(ctx, name, int(version))
        return JSONResponse(entity.to_json(), status_code=201)
    entities = [dict(d) for _k, d in sorted(ctx.table(ENTITY).items())]
    return JSONResponse({"account": ctx.account, "entities": entities})


def routes() -> list[BaseRoute]:
    base = "/api/dataentities/{acronym}/schemas"
    return [
        Route(base, list_schemas, methods=["GET"]),
        Route(f"{base}/{{schemaName}}", save_schema, methods=["PUT"]),
        Route(f"{base}/{{schemaName}}", get_schema, methods=["GET"]),
        Route(f"{base}/{{schemaName}}", delete_schema, methods=["DELETE"]),
        Route("/_sandbox/masterdata/entities", admin_entities, methods=["GET", "POST"]),
    ]
