"""Master Data entities as VTEX has them: created before use (v1) or by a first write / a schema (v2),
the spec-required REST-Range, v2 rules on v2 entities, and the documented lenient mode."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.store import Store

MD = "/api/dataentities"
RANGE = {"REST-Range": "resources=0-100"}


async def test_a_first_write_to_an_unknown_entity_creates_a_v2_entity(
    sandbox_client: httpx.AsyncClient,
) -> None:
    created = await sandbox_client.post(f"{MD}/Newsletter/documents", json={"email": "a@example.com"})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"Id", "Href", "DocumentId"}  # the v2 answer, not v1's {id, href, documentId}
    entities = (await sandbox_client.get("/_sandbox/masterdata/entities")).json()["entities"]
    assert entities == [{"name": "Newsletter", "version": 2, "schemas": {}}]
    doc = f"{MD}/Newsletter/documents/{body['DocumentId']}"
    refused = await sandbox_client.get(doc, params={"_fields": "email"})
    assert refused.status_code == 400
    assert "_schema" in refused.json()["Message"]
    assert (await sandbox_client.get(doc)).status_code == 200
    unknown_schema = await sandbox_client.get(doc, params={"_fields": "email", "_schema": "nope"})
    assert unknown_schema.status_code == 400
    schema = {"properties": {"email": {"type": "string"}}}
    assert (await sandbox_client.put(f"{MD}/Newsletter/schemas/s1", json=schema)).status_code == 200
    read = await sandbox_client.get(doc, params={"_fields": "email", "_schema": "s1"})
    assert read.json() == {"email": "a@example.com"}
    upsert = await sandbox_client.patch(f"{MD}/Newsletter/documents", json={"id": body["DocumentId"]})
    assert upsert.status_code == 200  # v2: 200 {Id, Href, DocumentId}, never v1's 304
    assert set(upsert.json()) == {"Id", "Href", "DocumentId"}


async def test_reads_of_an_entity_never_created_are_404(sandbox_client: httpx.AsyncClient) -> None:
    for url in (f"{MD}/ZZ/documents/abc", f"{MD}/ZZ/search", f"{MD}/ZZ/scroll", f"{MD}/ZZ/schemas"):
        response = await sandbox_client.get(url, headers=RANGE)
        assert response.status_code == 404, url
        assert "ZZ" in response.json()["Message"]
    assert (await sandbox_client.delete(f"{MD}/ZZ/documents/abc")).status_code == 404
    # CL and AD exist in every store.
    assert (await sandbox_client.get(f"{MD}/CL/search", headers=RANGE)).json() == []
    assert (await sandbox_client.get(f"{MD}/AD/search", headers=RANGE)).status_code == 200


async def test_search_without_rest_range_is_refused(sandbox_client: httpx.AsyncClient) -> None:
    refused = await sandbox_client.get(f"{MD}/CL/search")
    assert refused.status_code == 400
    assert "REST-Range" in refused.json()["Message"]


async def test_v1_entities_are_created_by_the_admin_and_keep_v1_rules(
    sandbox_client: httpx.AsyncClient,
) -> None:
    assert (
        await sandbox_client.post("/_sandbox/masterdata/entities", json={"name": "PE"})
    ).status_code == 201
    created = await sandbox_client.post(f"{MD}/PE/documents", json={"firstName": "Maria"})
    assert set(created.json()) == {"id", "href", "documentId"}
    found = await sandbox_client.get(f"{MD}/PE/search", params={"_where": "firstName=Maria"}, headers=RANGE)
    assert len(found.json()) == 1  # no _schema needed on a v1 entity
    schema = {"properties": {"a": {"type": "string"}}}
    assert (await sandbox_client.put(f"{MD}/PE/schemas/s", json=schema)).status_code == 400
    again = await sandbox_client.post("/_sandbox/masterdata/entities", json={"name": "PE", "version": 2})
    assert again.status_code == 409
    assert (
        await sandbox_client.post("/_sandbox/masterdata/entities", json={"name": "9x"})
    ).status_code == 400


class TestLenientMode:
    @pytest.fixture
    def sandbox_app(self, sandbox_store: Store) -> Starlette:
        return create_app(SandboxOptions(masterdata="lenient"), store=sandbox_store)

    async def test_every_entity_exists_with_v1_rules_and_search_defaults_to_15(
        self, sandbox_client: httpx.AsyncClient
    ) -> None:
        for n in range(20):
            created = await sandbox_client.post(f"{MD}/ZZ/documents", json={"n": n})
            assert created.status_code == 201
            assert set(created.json()) == {"id", "href", "documentId"}
        default = await sandbox_client.get(f"{MD}/ZZ/search", params={"_fields": "n"})
        assert default.status_code == 200
        assert len(default.json()) == 15
        assert (await sandbox_client.get(f"{MD}/YY/search")).json() == []


async def test_v2_search_filters_and_sorts_only_by_indexed_fields(sandbox_client: httpx.AsyncClient) -> None:
    schema = {"properties": {"email": {"type": "string"}, "age": {"type": "integer"}}, "v-indexed": ["email"]}
    assert (await sandbox_client.put(f"{MD}/Club/schemas/s1", json=schema)).status_code == 200
    for n in range(3):
        await sandbox_client.post(f"{MD}/Club/documents", json={"email": f"m{n}@example.com", "age": 20 + n})
    url = f"{MD}/Club/search"
    indexed = await sandbox_client.get(url, params={"_schema": "s1", "_where": "email=m1*"}, headers=RANGE)
    assert indexed.status_code == 200, indexed.text
    assert len(indexed.json()) == 1
    for params in ({"_where": "age>20"}, {"age": "21"}, {"_sort": "age DESC"}):
        refused = await sandbox_client.get(url, params={"_schema": "s1", **params}, headers=RANGE)
        assert refused.status_code == 400, params
        assert "'age' is not indexed" in refused.json()["Message"]
    scroll = await sandbox_client.get(f"{MD}/Club/scroll", params={"_schema": "s1", "_sort": "age ASC"})
    assert scroll.status_code == 400


async def test_builtin_entities_stay_v1(sandbox_client: httpx.AsyncClient) -> None:
    as_v2 = await sandbox_client.post("/_sandbox/masterdata/entities", json={"name": "CL", "version": 2})
    assert as_v2.status_code == 409
    schema = {"properties": {"email": {"type": "string"}}}
    assert (await sandbox_client.put(f"{MD}/CL/schemas/s", json=schema)).status_code == 400


class TestLenientModeSchemas:
    @pytest.fixture
    def sandbox_app(self, sandbox_store: Store) -> Starlette:
        return create_app(SandboxOptions(masterdata="lenient"), store=sandbox_store)

    async def test_schemas_still_make_v2_entities(self, sandbox_client: httpx.AsyncClient) -> None:
        schema = {"properties": {"email": {"type": "string"}}}
        assert (await sandbox_client.put(f"{MD}/Club/schemas/s1", json=schema)).status_code == 200
        created = await sandbox_client.post(f"{MD}/Club/documents", json={"email": "a@example.com"})
        assert set(created.json()) == {"Id", "Href", "DocumentId"}
