"""Master Data v1 in the sandbox: document verbs, search with REST-Range and _where, scroll."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from vtexbridge.clock import FakeClock
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.seed import seed
from vtexbridge.sandbox.store import Store

MD = "/api/dataentities"
SYSTEM = {"id", "accountId", "accountName", "dataEntityId"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_700_000_000.0)


@pytest.fixture
def sandbox_app(sandbox_options: SandboxOptions, sandbox_store: Store, clock: FakeClock) -> Starlette:
    return create_app(sandbox_options, store=sandbox_store, clock=clock)


@pytest.fixture(autouse=True)
async def _v1_entity(sandbox_client: httpx.AsyncClient) -> None:
    """PE is a v1 entity, created as in VTEX's admin (a write to an unknown entity makes a v2 one)."""
    response = await sandbox_client.post("/_sandbox/masterdata/entities", json={"name": "PE"})
    assert response.status_code == 201


async def _create(client: httpx.AsyncClient, entity: str, doc: dict[str, Any]) -> str:
    response = await client.post(f"{MD}/{entity}/documents", json=doc)
    assert response.status_code == 201, response.text
    document_id: str = response.json()["documentId"]
    return document_id


async def _people(client: httpx.AsyncClient, n: int = 12) -> list[str]:
    names = ["Maria", "João", "Ana", "Pedro"]
    return [
        await _create(
            client,
            "PE",
            {
                "firstName": names[i % 4],
                "lastName": f"Silva {i}",
                "age": 18 + i,
                "email": f"p{i}@example.com",
                "vip": i % 3 == 0,
            },
        )
        for i in range(n)
    ]


async def test_create_answers_201_with_prefixed_id(sandbox_client: httpx.AsyncClient) -> None:
    response = await sandbox_client.post(f"{MD}/PE/documents", json={"firstName": "Maria"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "href", "documentId"}
    assert body["id"] == f"PE-{body['documentId']}"
    assert body["href"].endswith(f"/api/dataentities/PE/documents/{body['documentId']}")


async def test_customer_and_address_routes_answer_as_their_spec(sandbox_client: httpx.AsyncClient) -> None:
    created = await sandbox_client.post(
        f"{MD}/CL/documents", json={"email": "x@example.com", "firstName": "X"}
    )
    assert created.status_code == 200
    assert set(created.json()) == {"Id", "Href", "DocumentId"}
    cl_id = created.json()["DocumentId"]
    address = await sandbox_client.post(f"{MD}/AD/documents", json={"userId": cl_id, "city": "Recife"})
    patched = await sandbox_client.patch(f"{MD}/CL/documents/{cl_id}", json={"lastName": "Y"})
    assert patched.status_code == 200 and patched.json()["Id"] == f"CL-{cl_id}"
    ad = await sandbox_client.get(
        f"{MD}/AD/documents/{address.json()['DocumentId']}", params={"_fields": "userId,city"}
    )
    assert ad.json() == {"userId": cl_id, "city": "Recife"}


async def test_get_answers_system_fields_unless_fields_are_asked(sandbox_client: httpx.AsyncClient) -> None:
    doc_id = await _create(sandbox_client, "PE", {"firstName": "Maria", "age": 30})
    plain = (await sandbox_client.get(f"{MD}/PE/documents/{doc_id}")).json()
    assert set(plain) == SYSTEM and plain["id"] == doc_id and plain["dataEntityId"] == "PE"
    some = (
        await sandbox_client.get(f"{MD}/PE/documents/{doc_id}", params={"_fields": "firstName,age,missing"})
    ).json()
    assert some == {"firstName": "Maria", "age": 30, "missing": None}
    everything = (await sandbox_client.get(f"{MD}/PE/documents/{doc_id}", params={"_fields": "_all"})).json()
    assert everything["firstName"] == "Maria" and everything["createdIn"]
    prefixed = await sandbox_client.get(f"{MD}/PE/documents/PE-{doc_id}")
    assert prefixed.status_code == 200
    assert (await sandbox_client.get(f"{MD}/PE/documents/nope")).status_code == 404


async def test_put_replaces_and_patch_merges(sandbox_client: httpx.AsyncClient) -> None:
    doc_id = await _create(sandbox_client, "PE", {"firstName": "Maria", "age": 30})
    url = f"{MD}/PE/documents/{doc_id}"
    assert (await sandbox_client.put(url, json={"firstName": "Marta"})).status_code == 204
    assert (await sandbox_client.get(url, params={"_fields": "firstName,age"})).json() == {
        "firstName": "Marta",
        "age": None,
    }
    assert (await sandbox_client.patch(url, json={"age": 41})).status_code == 204
    assert (await sandbox_client.get(url, params={"_fields": "firstName,age"})).json() == {
        "firstName": "Marta",
        "age": 41,
    }
    created = await sandbox_client.put(f"{MD}/PE/documents/my-own-id", json={"firstName": "Zé"})
    assert created.status_code == 204
    assert (await sandbox_client.get(f"{MD}/PE/documents/my-own-id", params={"_fields": "id"})).json() == {
        "id": "my-own-id"
    }


async def test_patch_on_the_collection_is_an_upsert(sandbox_client: httpx.AsyncClient) -> None:
    first = await sandbox_client.patch(f"{MD}/PE/documents", json={"id": "erp-42", "firstName": "Maria"})
    assert first.status_code == 201 and first.json()["documentId"] == "erp-42"
    same = await sandbox_client.patch(f"{MD}/PE/documents", json={"id": "erp-42", "firstName": "Maria"})
    assert same.status_code == 304
    changed = await sandbox_client.patch(f"{MD}/PE/documents", json={"id": "erp-42", "age": 50})
    assert changed.status_code == 201
    doc = (await sandbox_client.get(f"{MD}/PE/documents/erp-42", params={"_fields": "firstName,age"})).json()
    assert doc == {"firstName": "Maria", "age": 50}


async def test_delete(sandbox_client: httpx.AsyncClient) -> None:
    doc_id = await _create(sandbox_client, "PE", {"firstName": "Maria"})
    assert (await sandbox_client.delete(f"{MD}/PE/documents/{doc_id}")).status_code == 204
    assert (await sandbox_client.get(f"{MD}/PE/documents/{doc_id}")).status_code == 404
    assert (await sandbox_client.delete(f"{MD}/PE/documents/{doc_id}")).status_code == 404


async def test_malformed_writes_are_400(sandbox_client: httpx.AsyncClient) -> None:
    assert (await sandbox_client.post(f"{MD}/PE/documents", json=[1, 2])).status_code == 400
    assert (await sandbox_client.post(f"{MD}/PE/documents", content=b"{nope")).status_code == 400
    assert (await sandbox_client.post(f"{MD}/P$/documents", json={})).status_code == 400


async def test_search_pages_with_rest_range(sandbox_client: httpx.AsyncClient) -> None:
    await _people(sandbox_client, 12)
    url = f"{MD}/PE/search"
    params = {"_fields": "email", "_sort": "age ASC"}
    page = await sandbox_client.get(url, params=params, headers={"REST-Range": "resources=0-5"})
    assert page.status_code == 200
    assert [d["email"] for d in page.json()] == [f"p{i}@example.com" for i in range(5)]
    assert page.headers["REST-Content-Range"] == "resources=0-5/12"
    last = await sandbox_client.get(url, params=params, headers={"REST-Range": "resources=10-20"})
    assert [d["email"] for d in last.json()] == ["p10@example.com", "p11@example.com"]
    assert last.headers["REST-Content-Range"] == "resources=10-12/12"
    assert (await sandbox_client.get(url, headers={"REST-Range": "resources=0-100"})).status_code == 200
    too_many = await sandbox_client.get(url, headers={"REST-Range": "resources=0-101"})
    assert too_many.status_code == 400 and "maximum is 100" in too_many.json()["Message"]
    assert (await sandbox_client.get(url, headers={"REST-Range": "items=0-10"})).status_code == 400
    missing = await sandbox_client.get(url)  # the spec requires REST-Range (lenient mode: first 15)
    assert missing.status_code == 400 and "REST-Range header is required" in missing.json()["Message"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("firstName=Maria", {0, 4, 8}),
        ("firstName=maria", {0, 4, 8}),
        ("firstName<>Maria AND age<22", {1, 2, 3}),
        ("(firstName=Ana OR firstName=Pedro) AND age>25", {10, 11}),
        ("age between 20 AND 22", {2, 3, 4}),
        ("email=p1*", {1, 10, 11}),
        ('lastName="Silva 3"', {3}),
        ("vip=true AND age>=27", {9}),
        ("nickname is null AND age<=18", {0}),
        ("firstName is not null AND age>28", {11}),
        ("age>29", set()),
    ],
)
async def test_search_where(sandbox_client: httpx.AsyncClient, where: str, expected: set[int]) -> None:
    await _people(sandbox_client, 12)
    response = await sandbox_client.get(
        f"{MD}/PE/search",
        params={"_where": where, "_fields": "age"},
        headers={"REST-Range": "resources=0-100"},
    )
    assert response.status_code == 200, response.text
    assert {d["age"] - 18 for d in response.json()} == expected


async def test_search_simple_filters_sort_and_errors(sandbox_client: httpx.AsyncClient) -> None:
    await _people(sandbox_client, 8)
    by_param = await sandbox_client.get(
        f"{MD}/PE/search",
        params={"firstName": "Ana", "_fields": "age", "_sort": "age DESC"},
        headers={"REST-Range": "resources=0-10"},
    )
    assert [d["age"] for d in by_param.json()] == [24, 20]
    ranged = {"REST-Range": "resources=0-10"}
    for where in ("age >> 3", "(age=3"):
        refused = await sandbox_client.get(f"{MD}/PE/search", params={"_where": where}, headers=ranged)
        assert refused.status_code == 400
        assert "REST-Range" not in refused.json()["Message"]
    bad_sort = await sandbox_client.get(f"{MD}/PE/search", params={"_sort": "age UP"}, headers=ranged)
    assert bad_sort.status_code == 400


async def test_scroll_pages_with_a_token_until_empty(sandbox_client: httpx.AsyncClient) -> None:
    await _people(sandbox_client, 7)
    url = f"{MD}/PE/scroll"
    first = await sandbox_client.get(url, params={"_size": 3, "_fields": "email", "_sort": "age ASC"})
    assert first.status_code == 200
    token = first.headers["X-VTEX-MD-TOKEN"]
    assert first.headers["REST-Content-Total"] == "7"
    pages = [first.json()]
    while True:
        response = await sandbox_client.get(url, params={"_token": token})
        assert response.status_code == 200
        if not response.json():
            break
        pages.append(response.json())
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [d["email"] for p in pages for d in p] == [f"p{i}@example.com" for i in range(7)]


async def test_scroll_limits_and_token_expiry(sandbox_client: httpx.AsyncClient, clock: FakeClock) -> None:
    await _people(sandbox_client, 4)
    url = f"{MD}/PE/scroll"
    assert (await sandbox_client.get(url, params={"_size": 1001})).status_code == 400
    assert (await sandbox_client.get(url, params={"_size": 1000})).status_code == 200
    token = (await sandbox_client.get(url, params={"_size": 1})).headers["X-VTEX-MD-TOKEN"]
    clock.advance(19 * 60)
    assert (
        await sandbox_client.get(url, params={"_token": token})
    ).status_code == 200  # use resets the timer
    clock.advance(19 * 60)
    assert (await sandbox_client.get(url, params={"_token": token})).status_code == 200
    clock.advance(20 * 60)
    expired = await sandbox_client.get(url, params={"_token": token})
    assert expired.status_code == 400 and "expired" in expired.json()["Message"]
    other = (await sandbox_client.get(url, params={"_size": 1})).headers["X-VTEX-MD-TOKEN"]
    assert (await sandbox_client.get(f"{MD}/CL/scroll", params={"_token": other})).status_code == 400


async def test_seeded_addresses_link_to_customers(
    sandbox_client: httpx.AsyncClient, sandbox_store: Store
) -> None:
    seed(sandbox_store, "sandbox", "demo")
    customers = (
        await sandbox_client.get(
            f"{MD}/CL/search",
            params={"_fields": "id,email", "email": "maria.silva@example.com"},
            headers={"REST-Range": "resources=0-10"},
        )
    ).json()
    [maria] = customers
    addresses = await sandbox_client.get(
        f"{MD}/AD/search",
        params={"_where": f"userId={maria['id']}", "_fields": "userId,city"},
        headers={"REST-Range": "resources=0-10"},
    )
    assert addresses.json() == [{"userId": maria["id"], "city": "São Paulo"}]
    dump = (await sandbox_client.get("/_sandbox/documents/CL")).json()
    assert len(dump["documents"]) == 3
