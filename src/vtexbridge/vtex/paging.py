"""Paginators for the five ways VTEX pages its listings, as async iterators of pages (lists).

Each takes a ``fetch(params, headers)`` callable that performs one request and returns the response
(an area module closes over its route: ``lambda p, h: transport.request(api, "GET", route,
params={**base, **p}, headers=h)``), so paging is written once and the transport still does limits,
retries and errors. A page is a list of items; :func:`flatten` turns pages into items.

- :func:`pages`: ``page``/``per_page`` with ``{list, paging{pages}}`` bodies (orders list: at most
  100 per page and 30 pages).
- :func:`from_to`: ``_from``/``_to`` inclusive ranges with ``{data, range{total}}`` bodies
  (``GetProductAndSkuIds``: at most 250 per call).
- :func:`md_search`: Master Data search, ``REST-Range: resources=x-y`` (y exclusive, at most 100 per
  call) with the total read from ``REST-Content-Range: resources x-y/total``.
- :func:`md_scroll`: Master Data scroll, ``_size`` (at most 1000) then ``_token`` from the
  ``X-VTEX-MD-TOKEN`` header, until an empty page.
- :func:`id_pages`: plain JSON arrays paged by ``page``/``pagesize`` (catalog id listings), until a
  short page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx

Fetch = Callable[[Mapping[str, Any], Mapping[str, str]], Awaitable[httpx.Response]]
T = TypeVar("T")

NO_HEADERS: Mapping[str, str] = {}
_CONTENT_RANGE = re.compile(r"resources[ =](\d+)-(\d+)/(\d+)")


def _check(name: str, value: int, high: int) -> None:
    if not 1 <= value <= high:
        raise ValueError(f"{name} must be between 1 and {high}, not {value}")


async def flatten(pages_: AsyncIterator[list[T]]) -> AsyncIterator[T]:
    """The items of every page, in order."""
    async for page in pages_:
        for item in page:
            yield item


async def pages(
    fetch: Fetch, *, per_page: int = 100, max_pages: int = 30, items_key: str = "list"
) -> AsyncIterator[list[Any]]:
    """Pages 1, 2, ... until ``paging.pages`` (or an empty page, or ``max_pages``) is reached."""
    _check("per_page", per_page, 100)
    page = 1
    while page <= max_pages:
        body = (await fetch({"page": page, "per_page": per_page}, NO_HEADERS)).json()
        items = body.get(items_key) or []
        if not items:
            return
        yield items
        last = (body.get("paging") or {}).get("pages")
        if isinstance(last, int) and page >= last:
            return
        page += 1


async def from_to(
    fetch: Fetch, *, size: int = 250, start: int = 1, data_key: str = "data"
) -> AsyncIterator[list[Any]]:
    """Ranges ``_from``..``_to`` (inclusive) of ``size`` until ``range.total``; dict data yields its items."""
    _check("size", size, 250)
    first = start
    while True:
        last = first + size - 1
        body = (await fetch({"_from": first, "_to": last}, NO_HEADERS)).json()
        data = body.get(data_key) or []
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if not items:
            return
        yield items
        total = (body.get("range") or {}).get("total")
        done = last - start + 1 >= total if isinstance(total, int) else len(items) < size
        if done:
            return
        first = last + 1


def parse_content_range(value: str | None) -> tuple[int, int, int] | None:
    """``(first, end, total)`` from ``REST-Content-Range`` (``resources 0-100/243`` or with ``=``)."""
    match = _CONTENT_RANGE.search(value or "")
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


async def md_search(
    fetch: Fetch, *, page_size: int = 100, limit: int | None = None
) -> AsyncIterator[list[Any]]:
    """Master Data search pages until the total (or ``limit`` documents) is reached."""
    _check("page_size", page_size, 100)
    first = 0
    while limit is None or first < limit:
        end = first + page_size if limit is None else min(first + page_size, limit)
        response = await fetch({}, {"REST-Range": f"resources={first}-{end}"})
        items = response.json() or []
        if not items:
            return
        yield items
        content = parse_content_range(response.headers.get("rest-content-range"))
        if content is not None and first + len(items) >= content[2]:
            return
        if content is None and len(items) < end - first:
            return
        first += len(items)


async def md_scroll(fetch: Fetch, *, size: int = 1000) -> AsyncIterator[list[Any]]:
    """Master Data scroll pages: ``_size`` first, then ``_token``, until an empty page."""
    _check("size", size, 1000)
    params: Mapping[str, Any] = {"_size": size}
    while True:
        response = await fetch(params, NO_HEADERS)
        items = response.json() or []
        if not items:
            return
        yield items
        token = response.headers.get("x-vtex-md-token") or params.get("_token")
        if not token:
            raise ValueError("Master Data scroll answered without an X-VTEX-MD-TOKEN header")
        params = {"_token": token}


async def id_pages(
    fetch: Fetch, *, page_size: int = 1000, page_param: str = "page", size_param: str = "pagesize"
) -> AsyncIterator[list[Any]]:
    """Pages of a JSON array, 1, 2, ... until an empty or short page (catalog id listings)."""
    _check("page_size", page_size, 1000)
    page = 1
    while True:
        items = (await fetch({page_param: page, size_param: page_size}, NO_HEADERS)).json() or []
        if not items:
            return
        yield items
        if len(items) < page_size:
            return
        page += 1
