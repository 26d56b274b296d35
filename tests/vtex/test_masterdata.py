"""MasterDataAPI: documents, REST-Range search totals, the scroll token flow, CL and AD models."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from tests.vtex.client_cases import Case, run_case
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.models.masterdata import (
    CollectionRestriction,
    CustomerAddress,
    CustomerProfile,
    CustomerRestrictions,
)
from vtexbridge.vtex.settings import VtexSettings

STORE = "https://acme.vtexcommercestable.com.br"
MD_ACCEPT = "application/vnd.vtex.ds.v10+json"
DOCS = "/api/dataentities/WL/documents"
CREATED = {"Id": "WL-0a1b", "Href": "http://acme/api/dataentities/WL/documents/0a1b", "DocumentId": "0a1b"}


CASES = [
    Case(
        "create_document",
        lambda c: c.masterdata.create_document("WL", {"email": "ana@example.com", "skus": [1, 2]}),
        "POST",
        DOCS,
        body={"email": "ana@example.com", "skus": [1, 2]},
        answer=CREATED,
        status=201,
        check=lambda r: (r.id, r.documentId) == ("WL-0a1b", "0a1b"),
    ),
    Case(
        "upsert_document",
        lambda c: c.masterdata.upsert_document("WL", {"id": "0a1b", "email": "ana@example.com"}),
        "PATCH",
        DOCS,
        body={"id": "0a1b", "email": "ana@example.com"},
        answer={"id": "WL-0a1b", "href": "h", "documentId": "0a1b"},
        status=201,
        check=lambda r: r.id == "WL-0a1b",
    ),
    Case(
        "replace_document",
        lambda c: c.masterdata.replace_document("WL", "0a1b", {"email": "ana@example.com"}),
        "PUT",
        f"{DOCS}/0a1b",
        body={"email": "ana@example.com"},
        status=204,
    ),
    Case(
        "update_document",
        lambda c: c.masterdata.update_document("WL", "0a1b", {"skus": [3]}),
        "PATCH",
        f"{DOCS}/0a1b",
        body={"skus": [3]},
        status=204,
    ),
    Case(
        "get_document",
        lambda c: c.masterdata.get_document("WL", "0a1b", fields=["email", "skus"]),
        "GET",
        f"{DOCS}/0a1b",
        query={"_fields": "email,skus"},
        answer={"id": "0a1b", "email": "ana@example.com", "skus": [1]},
        check=lambda r: r["skus"] == [1],
    ),
    Case(
        "delete_document",
        lambda c: c.masterdata.delete_document("WL", "0a1b"),
        "DELETE",
        f"{DOCS}/0a1b",
        status=204,
    ),
    Case(
        "create_customer_profile",
        lambda c: c.masterdata.create_customer_profile(
            CustomerProfile(
                email="ana@example.com",
                firstName="Ana",
                isCorporate=False,
                restrictions=CustomerRestrictions(catalog=CollectionRestriction(collectionIds=["139"])),
            )
        ),
        "POST",
        "/api/dataentities/CL/documents",
        body={
            "email": "ana@example.com",
            "firstName": "Ana",
            "isCorporate": False,
            "restrictions": {"vtex.catalog": {"collectionIds": ["139"]}},
        },
        answer={"Id": "CL-7f", "Href": "http://acme/api/dataentities/CL/documents/7f"},
        check=lambda r: r.id == "CL-7f" and r.documentId is None,
    ),
    Case(
        "update_customer_profile",
        lambda c: c.masterdata.update_customer_profile("7f", CustomerProfile(phone="+5521999990000")),
        "PATCH",
        "/api/dataentities/CL/documents/7f",
        body={"phone": "+5521999990000"},
        status=204,
    ),
    Case(
        "get_customer_profile",
        lambda c: c.masterdata.get_customer_profile("7f"),
        "GET",
        "/api/dataentities/CL/documents/7f",
        query={"_fields": "_all"},
        answer={"id": "7f", "email": "ana@example.com", "loyaltyTier": "gold"},
        check=lambda r: r.email == "ana@example.com" and r.model_extra == {"loyaltyTier": "gold"},
    ),
    Case(
        "create_customer_address",
        lambda c: c.masterdata.create_customer_address(
            CustomerAddress(userId="7f", addressName="home", postalCode="22220-070", city="Rio de Janeiro")
        ),
        "POST",
        "/api/dataentities/AD/documents",
        body={"userId": "7f", "addressName": "home", "postalCode": "22220-070", "city": "Rio de Janeiro"},
        answer={"Id": "AD-9c", "Href": "h"},
        check=lambda r: r.id == "AD-9c",
    ),
    Case(
        "update_customer_address",
        lambda c: c.masterdata.update_customer_address("9c", CustomerAddress(number="100")),
        "PATCH",
        "/api/dataentities/AD/documents/9c",
        body={"number": "100"},
        status=204,
    ),
    Case(
        "get_customer_address",
        lambda c: c.masterdata.get_customer_address("9c"),
        "GET",
        "/api/dataentities/AD/documents/9c",
        query={"_fields": "_all"},
        answer={"id": "9c", "userId": "7f", "city": "Rio de Janeiro"},
        check=lambda r: r.userId == "7f",
    ),
]
PAGING_METHODS = {"search_documents", "scroll_documents", "iter_documents"}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=STORE, assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_method_sends_vtex_request_and_reads_answer(
    case: Case, mock: respx.MockRouter, vtex: VtexClient
) -> None:
    await run_case(case, mock, vtex, accept="application/vnd.vtex.ds.v10+json")


def test_every_public_method_has_a_case() -> None:
    public = {n for n in dir(VtexClient.from_settings(VtexSettings()).masterdata) if not n.startswith("_")}
    assert public - PAGING_METHODS == {c.name for c in CASES}


async def test_upsert_not_modified_answers_none(mock: respx.MockRouter, vtex: VtexClient) -> None:
    mock.patch(DOCS).mock(return_value=httpx.Response(304))
    assert await vtex.masterdata.upsert_document("WL", {"id": "0a1b", "email": "same"}) is None


async def test_search_sends_rest_range_and_reads_the_total(mock: respx.MockRouter, vtex: VtexClient) -> None:
    route = mock.get("/api/dataentities/CL/search").mock(
        return_value=httpx.Response(
            200,
            json=[{"id": str(i)} for i in range(100)],
            headers={"REST-Content-Range": "resources=100-200/243"},
        )
    )
    page = await vtex.masterdata.search_documents(
        "CL", where="isNewsletterOptIn=true", fields=["id", "email"], sort="createdIn ASC", start=100
    )
    sent = route.calls.last.request
    assert sent.headers["REST-Range"] == "resources=100-200"
    assert sent.headers["Accept"] == MD_ACCEPT
    assert dict(sent.url.params) == {
        "_where": "isNewsletterOptIn=true",
        "_fields": "id,email",
        "_sort": "createdIn ASC",
    }
    assert (page.start, page.end, page.total, len(page.items)) == (100, 200, 243, 100)
    assert page.has_more


async def test_last_search_page_has_no_more(mock: respx.MockRouter, vtex: VtexClient) -> None:
    mock.get("/api/dataentities/CL/search").mock(
        return_value=httpx.Response(
            200, json=[{"id": "a"}], headers={"REST-Content-Range": "resources 200-243/243"}
        )
    )
    page = await vtex.masterdata.search_documents("CL", start=200, size=50)
    assert (page.total, page.has_more) == (243, False)


async def test_search_without_content_range_has_an_unknown_total(
    mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.get("/api/dataentities/CL/search").mock(return_value=httpx.Response(200, json=[{"id": "a"}]))
    page = await vtex.masterdata.search_documents("CL", size=10)
    assert (page.start, page.end, page.total, page.has_more) == (0, 1, None, False)


async def test_scroll_sends_the_filter_first_then_only_the_token(
    mock: respx.MockRouter, vtex: VtexClient
) -> None:
    route = mock.get("/api/dataentities/CL/scroll").mock(
        side_effect=[
            httpx.Response(
                200,
                json=[{"id": "1"}, {"id": "2"}],
                headers={"X-VTEX-MD-TOKEN": "tok-1", "REST-Content-Total": "3"},
            ),
            httpx.Response(200, json=[{"id": "3"}], headers={"X-VTEX-MD-TOKEN": "tok-1"}),
            httpx.Response(200, json=[]),
        ]
    )
    first = await vtex.masterdata.scroll_documents("CL", where="email is not null", fields="id", size=2)
    second = await vtex.masterdata.scroll_documents("CL", token=first.token)
    last = await vtex.masterdata.scroll_documents("CL", token=second.token)

    assert (first.token, first.total, first.done) == ("tok-1", 3, False)
    assert [d["id"] for d in second.items] == ["3"]
    assert last.done and last.token == "tok-1"
    params = [dict(c.request.url.params) for c in route.calls]
    assert params == [
        {"_size": "2", "_where": "email is not null", "_fields": "id"},
        {"_token": "tok-1"},
        {"_token": "tok-1"},
    ]
    assert all(c.request.headers["Accept"] == MD_ACCEPT for c in route.calls)


async def test_iter_documents_scrolls_to_the_end(mock: respx.MockRouter, vtex: VtexClient) -> None:
    route = mock.get("/api/dataentities/AD/scroll").mock(
        side_effect=[
            httpx.Response(200, json=[{"id": "1"}], headers={"X-VTEX-MD-TOKEN": "t"}),
            httpx.Response(200, json=[{"id": "2"}], headers={"X-VTEX-MD-TOKEN": "t"}),
            httpx.Response(200, json=[]),
        ]
    )
    batches = [b async for b in vtex.masterdata.iter_documents("AD", where="userId=7f", size=1)]
    assert batches == [[{"id": "1"}], [{"id": "2"}]]
    params = [dict(c.request.url.params) for c in route.calls]
    assert params[0] == {"_size": "1", "_where": "userId=7f", "_fields": "_all"}
    assert params[1:] == [{"_token": "t"}, {"_token": "t"}]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.masterdata.search_documents("CL", size=101),
        lambda c: c.masterdata.search_documents("CL", start=-1),
        lambda c: c.masterdata.scroll_documents("CL", size=1001),
    ],
    ids=["search_size", "search_start", "scroll_size"],
)
async def test_page_sizes_are_bounded_before_sending(
    call: Callable[[VtexClient], Awaitable[Any]], vtex: VtexClient
) -> None:
    with pytest.raises(ValueError, match=r"size|start"):
        await call(vtex)
