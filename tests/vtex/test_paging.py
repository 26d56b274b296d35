"""The paginators, each against a respx-mocked VTEX listing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest
import respx

from vtexbridge.clock import FakeClock
from vtexbridge.vtex import paging
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.paging import Fetch
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Transport

STORE = "https://acme.vtexcommercestable.com.br"


@pytest.fixture
def vtex() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True) as router:
        yield router


@pytest.fixture
async def transport() -> AsyncIterator[Transport]:
    async with Transport(
        VtexSettings(account="acme", app_key="k" * 8, app_token="t" * 8), clock=FakeClock()
    ) as t:
        yield t


def fetcher(transport: Transport, api: Api, route: str, **base: Any) -> Fetch:
    async def fetch(params: Mapping[str, Any], headers: Mapping[str, str]) -> httpx.Response:
        return await transport.request(api, "GET", route, params={**base, **params}, headers=headers)

    return fetch


async def collect(pages: AsyncIterator[list[Any]]) -> list[list[Any]]:
    return [page async for page in pages]


def params(route: respx.Route) -> list[dict[str, str]]:
    return [dict(call.request.url.params) for call in route.calls]


async def test_pages_follow_paging_pages(vtex: respx.MockRouter, transport: Transport) -> None:
    def orders(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json={"list": [f"o{page}a", f"o{page}b"], "paging": {"pages": 3}})

    route = vtex.get(f"{STORE}/api/oms/pvt/orders").mock(side_effect=orders)
    fetch = fetcher(transport, Api.ORDERS, "/api/oms/pvt/orders", f_status="invoiced")
    items = [item async for item in paging.flatten(paging.pages(fetch, per_page=2))]
    assert items == ["o1a", "o1b", "o2a", "o2b", "o3a", "o3b"]
    assert params(route) == [{"f_status": "invoiced", "page": str(p), "per_page": "2"} for p in (1, 2, 3)]


async def test_pages_stop_at_max_pages_and_on_an_empty_page(
    vtex: respx.MockRouter, transport: Transport
) -> None:
    route = vtex.get(f"{STORE}/api/oms/pvt/orders").mock(
        side_effect=[
            httpx.Response(200, json={"list": [1], "paging": {"pages": 99}}),
            httpx.Response(200, json={"list": [2], "paging": {"pages": 99}}),
            httpx.Response(200, json={"list": [], "paging": {"pages": 99}}),
        ]
    )
    fetch = fetcher(transport, Api.ORDERS, "/api/oms/pvt/orders")
    assert await collect(paging.pages(fetch, max_pages=2)) == [[1], [2]]
    assert await collect(paging.pages(fetch)) == []
    assert route.call_count == 3


async def test_page_sizes_beyond_vtex_maximums_are_refused() -> None:
    async def never(params: Mapping[str, Any], headers: Mapping[str, str]) -> httpx.Response:
        raise AssertionError("not called")

    cases = [
        (paging.pages(never, per_page=101), "per_page must be between 1 and 100"),
        (paging.from_to(never, size=251), "size must be between 1 and 250"),
        (paging.md_search(never, page_size=0), "page_size must be between 1 and 100"),
        (paging.md_scroll(never, size=1001), "size must be between 1 and 1000"),
        (paging.id_pages(never, page_size=1001), "page_size must be between 1 and 1000"),
    ]
    for pages, message in cases:
        with pytest.raises(ValueError, match=message):
            await anext(pages)


async def test_from_to_ranges_until_the_total(vtex: respx.MockRouter, transport: Transport) -> None:
    route = vtex.get(f"{STORE}/api/catalog_system/pvt/products/GetProductAndSkuIds").mock(
        side_effect=[
            httpx.Response(
                200, json={"data": {"1": [10, 11], "2": [20]}, "range": {"total": 3, "from": 1, "to": 2}}
            ),
            httpx.Response(200, json={"data": {"3": []}, "range": {"total": 3, "from": 3, "to": 4}}),
        ]
    )
    fetch = fetcher(transport, Api.CATALOG, "/api/catalog_system/pvt/products/GetProductAndSkuIds")
    pages = await collect(paging.from_to(fetch, size=2))
    assert pages == [[("1", [10, 11]), ("2", [20])], [("3", [])]]
    assert params(route) == [{"_from": "1", "_to": "2"}, {"_from": "3", "_to": "4"}]


async def test_md_search_sends_rest_range_and_stops_at_the_total(
    vtex: respx.MockRouter, transport: Transport
) -> None:
    def search(request: httpx.Request) -> httpx.Response:
        first, end = map(int, request.headers["REST-Range"].removeprefix("resources=").split("-"))
        docs = [{"id": i} for i in range(first, min(end, 5))]
        return httpx.Response(200, json=docs, headers={"REST-Content-Range": f"resources {first}-{end}/5"})

    route = vtex.get(f"{STORE}/api/dataentities/CL/search").mock(side_effect=search)
    fetch = fetcher(transport, Api.MASTERDATA, "/api/dataentities/CL/search", _fields="id")
    items = [d["id"] async for d in paging.flatten(paging.md_search(fetch, page_size=2))]
    assert items == [0, 1, 2, 3, 4]
    assert [c.request.headers["REST-Range"] for c in route.calls] == [
        "resources=0-2", "resources=2-4", "resources=4-6",
    ]  # fmt: skip


async def test_md_search_honours_a_limit(vtex: respx.MockRouter, transport: Transport) -> None:
    route = vtex.get(f"{STORE}/api/dataentities/CL/search").respond(
        200, json=[{"id": 0}, {"id": 1}, {"id": 2}], headers={"REST-Content-Range": "resources=0-3/500"}
    )
    fetch = fetcher(transport, Api.MASTERDATA, "/api/dataentities/CL/search")
    assert await collect(paging.md_search(fetch, limit=3)) == [[{"id": 0}, {"id": 1}, {"id": 2}]]
    assert route.calls.last.request.headers["REST-Range"] == "resources=0-3"


def test_content_range_parsing_accepts_space_or_equals() -> None:
    assert paging.parse_content_range("resources 0-100/243") == (0, 100, 243)
    assert paging.parse_content_range("resources=100-200/243") == (100, 200, 243)
    assert paging.parse_content_range("items 0-1") is None
    assert paging.parse_content_range(None) is None


async def test_md_scroll_passes_the_token_until_an_empty_page(
    vtex: respx.MockRouter, transport: Transport
) -> None:
    route = vtex.get(f"{STORE}/api/dataentities/CL/scroll").mock(
        side_effect=[
            httpx.Response(200, json=[{"id": "a"}, {"id": "b"}], headers={"X-VTEX-MD-TOKEN": "tok-1"}),
            httpx.Response(200, json=[{"id": "c"}], headers={"X-VTEX-MD-TOKEN": "tok-1"}),
            httpx.Response(200, json=[]),
        ]
    )
    fetch = fetcher(transport, Api.MASTERDATA, "/api/dataentities/CL/scroll")
    pages = await collect(paging.md_scroll(fetch, size=2))
    assert pages == [[{"id": "a"}, {"id": "b"}], [{"id": "c"}]]
    assert params(route) == [{"_size": "2"}, {"_token": "tok-1"}, {"_token": "tok-1"}]


async def test_md_scroll_without_a_token_is_an_error(vtex: respx.MockRouter, transport: Transport) -> None:
    vtex.get(f"{STORE}/api/dataentities/CL/scroll").respond(200, json=[{"id": "a"}])
    fetch = fetcher(transport, Api.MASTERDATA, "/api/dataentities/CL/scroll")
    with pytest.raises(ValueError, match="X-VTEX-MD-TOKEN"):
        await collect(paging.md_scroll(fetch))


async def test_id_pages_until_a_short_page(vtex: respx.MockRouter, transport: Transport) -> None:
    route = vtex.get(f"{STORE}/api/catalog_system/pvt/sku/stockkeepingunitids").mock(
        side_effect=[httpx.Response(200, json=[1, 2, 3]), httpx.Response(200, json=[4])]
    )
    fetch = fetcher(transport, Api.CATALOG, "/api/catalog_system/pvt/sku/stockkeepingunitids")
    assert await collect(paging.id_pages(fetch, page_size=3)) == [[1, 2, 3], [4]]
    assert params(route) == [{"page": "1", "pagesize": "3"}, {"page": "2", "pagesize": "3"}]


async def test_id_pages_with_other_parameter_names_stop_on_empty(
    vtex: respx.MockRouter, transport: Transport
) -> None:
    route = vtex.get(f"{STORE}/api/catalog_system/pvt/brand/pagedlist").mock(
        side_effect=[httpx.Response(200, json=[1, 2]), httpx.Response(200, json=[])]
    )
    fetch = fetcher(transport, Api.CATALOG, "/api/catalog_system/pvt/brand/pagedlist")
    assert await collect(paging.id_pages(fetch, page_size=2, size_param="pageSize")) == [[1, 2]]
    assert params(route)[1] == {"page": "2", "pageSize": "2"}
