"""Master Data entities: which exist, and whether an entity follows v1 or v2 rules.

VTEX serves Master Data v1 and v2 on the same URLs (``/api/dataentities/{name}/...``); what decides the
rules is the entity. A v1 entity is created in the admin (the sandbox: ``POST
/_sandbox/masterdata/entities``), ``CL`` and ``AD`` exist in every store; a v2 entity is created by
``PUT /api/dataentities/{name}/schemas/{schemaName}`` or, as the v2 spec says of ``POST .../documents``,
by the first document written to a name that does not exist yet. An entity with documents in a store
written before entities were tracked counts as a v1 entity. With ``SandboxOptions.masterdata ==
"lenient"`` every entity exists with v1 rules (the sandbox's former behaviour).

Kind ``mdentity`` (key = entity name): ``{name, version: 1|2, schemas: {schemaName: JSON schema}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vtexbridge.sandbox.context import SandboxContext
from vtexbridge.sandbox.rules import RuleError

__all__ = ["BUILTIN_V1", "ENTITY", "MAX_SCHEMAS", "Entity", "create_entity", "find_entity", "put_schema"]

ENTITY = "mdentity"
BUILTIN_V1 = frozenset({"CL", "AD"})
MAX_SCHEMAS = 60  # VTEX: each v2 data entity can have up to 60 schemas


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    version: int
    schemas: dict[str, Any] = field(default_factory=dict)

    @property
    def v2(self) -> bool:
        return self.version == 2

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "schemas": self.schemas}


def _known(ctx: SandboxContext, name: str) -> Entity | None:
    """The entity as it really exists: registered, built in (CL, AD), or holding documents."""
    doc = ctx.table(ENTITY).get(name)
    if doc is not None:
        return Entity(name, int(doc["version"]), dict(doc.get("schemas") or {}))
    if name in BUILTIN_V1 or len(ctx.table(f"document:{name}")):
        return Entity(name, 1)
    return None


def find_entity(ctx: SandboxContext, name: str) -> Entity | None:
    """The entity ``name``, or ``None`` when it was never created (lenient mode: a v1 entity)."""
    known = _known(ctx, name)
    if known is None and ctx.options.masterdata == "lenient":
        return Entity(name, 1)
    return known


def create_entity(ctx: SandboxContext, name: str, version: int) -> Entity:
    """Register ``name`` (no-op when it exists with that version; 409 when it exists as the other one)."""
    current = _known(ctx, name)
    if current is not None and current.version != version:
        raise RuleError(409, f"Data entity {name} already exists as a Master Data v{current.version} entity")
    if current is not None and ctx.table(ENTITY).get(name) is not None:
        return current
    entity = current or Entity(name, version)
    ctx.table(ENTITY)[name] = entity.to_json()
    return entity


def put_schema(ctx: SandboxContext, name: str, schema_name: str, schema: dict[str, Any]) -> Entity:
    """Create or replace a v2 schema (creating the v2 entity when needed; 400 for a v1 entity)."""
    current = _known(ctx, name)
    if current is not None and not current.v2:
        raise RuleError(400, f"Data entity {name} is a Master Data v1 entity: schemas are a v2 feature")
    entity = current or create_entity(ctx, name, 2)
    schemas = dict(entity.schemas)
    if schema_name not in schemas and len(schemas) >= MAX_SCHEMAS:
        raise RuleError(400, f"Data entity {name} already has {MAX_SCHEMAS} schemas, the maximum")
    schemas[schema_name] = schema
    updated = Entity(name, 2, schemas)
    ctx.table(ENTITY)[name] = updated.to_json()
    return updated
