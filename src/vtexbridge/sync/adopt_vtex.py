"""What VTEX already holds, read once per run: the adoption's only source of VTEX's copies.

Each reader is cached for the run (a category's groups are read once however many groups the ERP
gives it) and uses a listing wherever VTEX has one that is cheaper than one lookup per record:

==================  ===========================================================================
kind                read
==================  ===========================================================================
category            the category tree (one request), then each *matched* category by id
brand               the brand list (pages of 100), then each matched brand by id
spec group          the groups of each matched category (one request per category)
spec field          the fields of each matched category, then each candidate field by id
spec value          the values of each matched field (one request per field)
product             by RefId (one request per product)
SKU                 ``stockkeepingunitidsbyrefids`` (50 RefIds a request), then each match by id;
                    by EAN when the RefId is unknown
SKU children        files, EANs, specifications of each matched SKU (one request each)
product children    specifications and trade policies of each matched product
price, stock        one request per matched SKU (Pricing, Logistics)
all products, SKUs  ``GetProductAndSkuIds`` (250 products a request; ``adopt``: what the ERP lacks)
warehouse, dock     the lists (one request each)
customer, address   a Master Data scroll of CL / AD (1,000 documents a request); a sync that
                    creates few searches for each e-mail / customer instead
==================  ===========================================================================

Nothing here writes. Reads run concurrently: ``concurrency`` at a time (the client's connections:
more requests than connections make the HTTP pool spend its time re-assigning them) and at most
``per_route`` of them on one reader (route), so that a route waiting for its own budget holds up
the others only when several do (the account's budget is then spent at its rate anyway), and the
budgets of different routes are spent side by side; the client's transport keeps every route within
VTEX's limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar

import httpx

from vtexbridge.sync.calls_base import _or_none
from vtexbridge.sync.stop import Reach
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.catalog import CategoryTreeNode
from vtexbridge.vtex.skus import REF_IDS_PER_LOOKUP

__all__ = ["VtexHoldings"]

T = TypeVar("T")
_TREE_LEVELS = 30
_BRAND_PAGE = 100
_IDS_PAGE = 250
PRODUCT_AND_SKU_IDS = "/api/catalog_system/pvt/products/GetProductAndSkuIds"
"""Every product with its SKU ids, 250 products a request (no client method: only adoption lists it)."""


class _Cache:
    """One async read per key for the whole run (concurrent callers share the pending read)."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[Any]] = {}

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = asyncio.ensure_future(read())
        result: T = await task
        return result


class VtexHoldings:
    """Lazy, cached readers of an account's catalog, logistics and Master Data."""

    def __init__(
        self, client: VtexClient, *, concurrency: int = 32, per_route: int = 0, reach: Reach | None = None
    ) -> None:
        self.client = client
        self.reach = reach or Reach()
        self.catalog = client.catalog
        self.skus = client.skus
        self._cache = _Cache()
        self._per_route = per_route or max(2, concurrency // 4)
        self._routes: dict[str, asyncio.Semaphore] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._probe = asyncio.Lock()
        self._refused: Exception | None = None

    async def _limited(self, route: str, read: Callable[[], Awaitable[T]]) -> T:
        """``read`` with at most ``concurrency`` others of ``route``; until VTEX has answered once, one
        read at a time (refused credentials or an unreachable host stop the run at the first read,
        not after a volley)."""
        if not self.reach.answered:
            async with self._probe:
                if self._refused is not None:  # the first read failed: so would this one
                    raise self._refused
                if not self.reach.answered:
                    try:
                        return await self._slotted(route, read)
                    except Exception as e:
                        self._refused = e
                        raise
        return await self._slotted(route, read)

    async def _slotted(self, route: str, read: Callable[[], Awaitable[T]]) -> T:
        slots = self._routes.get(route)
        if slots is None:
            slots = self._routes[route] = asyncio.Semaphore(self._per_route)
        async with slots, self._slots:  # the route's share, then one of the connections
            result = await read()
        self.reach.answered = True  # VTEX answers: later connection failures are retried
        return result

    async def _read(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        route = str(key[0] if isinstance(key, tuple) else key)
        return await self._cache.get(key, lambda: self._limited(route, read))

    # --- categories and brands ------------------------------------------------------------------

    async def categories(self) -> list[tuple[int, int | None, str]]:
        """``(id, parent id, name)`` of every category (the tree, one request)."""

        async def read() -> list[tuple[int, int | None, str]]:
            tree = await self.catalog.get_category_tree(_TREE_LEVELS)
            out: list[tuple[int, int | None, str]] = []

            def walk(nodes: list[CategoryTreeNode], parent: int | None) -> None:
                for n in nodes:
                    out.append((n.id, parent, n.name))
                    walk(n.children, n.id)

            walk(tree, None)
            return out

        return await self._read("categories", read)

    async def category(self, category_id: int) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            found = await _or_none(self.catalog.get_category(category_id))
            return None if found is None else found.model_dump()

        return await self._read(("category", category_id), read)

    async def brands(self) -> list[tuple[int, str]]:
        """``(id, name)`` of every brand (pages of 100)."""

        async def read() -> list[tuple[int, str]]:
            out: list[tuple[int, str]] = []
            page = 1
            while True:
                got = await self.catalog.list_brands(page=page, page_size=_BRAND_PAGE)
                out.extend((b.id, b.name) for b in got.items)
                if len(got.items) < _BRAND_PAGE or page >= got.paging.pages:
                    return out
                page += 1

        return await self._read("brands", read)

    async def brand(self, brand_id: int) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            found = await _or_none(self.catalog.get_brand(brand_id))
            return None if found is None else found.model_dump()

        return await self._read(("brand", brand_id), read)

    # --- specifications -------------------------------------------------------------------------

    async def groups(self, category_id: int) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            groups = await _or_none(self.catalog.list_specification_groups(category_id))
            return [g.model_dump() for g in groups or []]

        return await self._read(("groups", category_id), read)

    async def fields(self, category_id: int) -> list[tuple[int, str]]:
        """``(id, name)`` of the specification fields of a category."""

        async def read() -> list[tuple[int, str]]:
            fields = await _or_none(self.catalog.list_category_specification_fields(category_id))
            return [(f.FieldId, f.Name) for f in fields or []]

        return await self._read(("fields", category_id), read)

    async def field(self, field_id: int) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            found = await _or_none(self.catalog.get_specification_field(field_id))
            return None if found is None else found.model_dump()

        return await self._read(("field", field_id), read)

    async def values(self, field_id: int) -> list[dict[str, Any]]:
        """The values of a field, in the shape of our payload (``FieldId``, ``Name``, ...)."""

        async def read() -> list[dict[str, Any]]:
            values = await _or_none(self.catalog.list_specification_values(field_id))
            return [
                {
                    "Id": v.FieldValueId,
                    "FieldId": field_id,
                    "Name": v.Value,
                    "IsActive": v.IsActive,
                    "Position": v.Position,
                }
                for v in values or []
            ]

        return await self._read(("values", field_id), read)

    # --- products and SKUs ----------------------------------------------------------------------

    async def product_by_ref(self, ref_id: str) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            found = await self.catalog.get_product_by_ref_id(ref_id)
            return None if found is None else found.model_dump()

        return await self._read(("product-ref", ref_id), read)

    async def product(self, product_id: int) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            found = await _or_none(self.catalog.get_product(product_id))
            return None if found is None else found.model_dump()

        return await self._read(("product", product_id), read)

    async def product_sku_ids(self) -> dict[int, list[int]]:
        """``product id -> its SKU ids`` of every product (``GetProductAndSkuIds``, 250 a request; the
        pages after the first are read concurrently)."""

        async def page(start: int) -> tuple[dict[int, list[int]], int]:
            span = {"_from": start, "_to": start + _IDS_PAGE - 1}

            async def get() -> httpx.Response:
                return await self.client.transport.request(
                    Api.CATALOG, "GET", PRODUCT_AND_SKU_IDS, params=span
                )

            body = (await self._limited("product-sku-ids", get)).json()
            data = {int(p): [int(s) for s in skus or []] for p, skus in (body.get("data") or {}).items()}
            return data, int((body.get("range") or {}).get("total") or 0)

        async def read() -> dict[int, list[int]]:
            out, total = await page(1)
            rest = await asyncio.gather(*(page(s) for s in range(1 + _IDS_PAGE, total + 1, _IDS_PAGE)))
            for part, _total in rest:
                out.update(part)
            return out

        return await self._cache.get("product-sku-ids", read)  # each page is limited

    async def sku_ids_by_ref(self, ref_ids: Iterable[str]) -> dict[str, int]:
        """``RefId -> SKU id`` of the RefIds VTEX knows (50 a request, concurrently)."""
        wanted = sorted(set(ref_ids))
        chunks = [wanted[i : i + REF_IDS_PER_LOOKUP] for i in range(0, len(wanted), REF_IDS_PER_LOOKUP)]

        async def one(chunk: list[str]) -> dict[str, int]:
            return await self._limited("sku-refs", lambda: self.skus.get_sku_ids_by_ref_ids(chunk))

        out: dict[str, int] = {}
        for part in await asyncio.gather(*(one(c) for c in chunks)):
            out.update(part)
        return out

    async def sku_id_by_ean(self, ean: str) -> int | None:
        async def read() -> int | None:
            return await self.skus.get_sku_id_by_ean(ean)

        return await self._read(("sku-ean", ean), read)

    async def all_sku_ids(self) -> set[int]:
        async def read() -> set[int]:
            out: set[int] = set()
            async for page in self.skus.iter_sku_ids():
                out.update(page)
            return out

        return await self._read("sku-ids", read)

    async def sku(self, sku_id: int) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            found = await _or_none(self.skus.get_sku(sku_id))
            return None if found is None else found.model_dump()

        return await self._read(("sku", sku_id), read)

    async def sku_files(self, sku_id: int) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            return [f.model_dump() for f in await _or_none(self.skus.list_sku_files(sku_id)) or []]

        return await self._read(("files", sku_id), read)

    async def sku_eans(self, sku_id: int) -> list[str]:
        async def read() -> list[str]:
            return list(await _or_none(self.skus.list_sku_eans(sku_id)) or [])

        return await self._read(("eans", sku_id), read)

    async def sku_specs(self, sku_id: int) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            specs = await _or_none(self.skus.list_sku_specifications(sku_id))
            return [s.model_dump() for s in specs or []]

        return await self._read(("sku-specs", sku_id), read)

    async def product_specs(self, product_id: int) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            specs = await _or_none(self.catalog.list_product_specifications(product_id))
            return [s.model_dump() for s in specs or []]

        return await self._read(("product-specs", product_id), read)

    async def trade_policies(self, product_id: int) -> set[int]:
        async def read() -> set[int]:
            links = await _or_none(self.catalog.list_product_trade_policies(product_id))
            return {p.StoreId for p in links or []}

        return await self._read(("policies", product_id), read)

    # --- pricing and logistics ------------------------------------------------------------------

    async def price(self, sku_id: int) -> dict[str, Any] | None:
        async def read() -> dict[str, Any] | None:
            price = await self.client.pricing.get_price(sku_id)
            return None if price is None else price.model_dump(by_alias=True)

        return await self._read(("price", sku_id), read)

    async def stock(self, sku_id: int) -> dict[str, dict[str, Any]]:
        """``warehouse id -> {quantity, unlimitedQuantity, leadTime}`` of a SKU."""

        async def read() -> dict[str, dict[str, Any]]:
            balance = await _or_none(self.client.logistics.get_inventory(sku_id))
            if balance is None:
                return {}
            return {
                b.warehouseId: {
                    "quantity": b.totalQuantity,
                    "unlimitedQuantity": b.hasUnlimitedQuantity,
                    "leadTime": b.leadTime,
                }
                for b in balance.balance
            }

        return await self._read(("stock", sku_id), read)

    async def warehouses(self) -> dict[str, dict[str, Any]]:
        async def read() -> dict[str, dict[str, Any]]:
            return {w.id: w.model_dump() for w in await self.client.logistics.list_warehouses()}

        return await self._read("warehouses", read)

    async def docks(self) -> dict[str, dict[str, Any]]:
        async def read() -> dict[str, dict[str, Any]]:
            return {d.id: d.model_dump() for d in await self.client.logistics.list_docks()}

        return await self._read("docks", read)

    # --- Master Data ----------------------------------------------------------------------------

    async def search(self, acronym: str, where: str) -> list[dict[str, Any]]:
        """The documents of a Master Data entity matching ``where`` (one search, up to 100)."""

        async def read() -> list[dict[str, Any]]:
            page = await self.client.masterdata.search_documents(acronym, where=where, size=100)
            return list(page.items)

        return await self._read(("search", acronym, where), read)

    async def documents(self, acronym: str) -> list[dict[str, Any]]:
        """Every document of a Master Data entity (a scroll, 1,000 a request)."""

        async def read() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            async for batch in self.client.masterdata.iter_documents(acronym):
                out.extend(batch)
            return out

        return await self._read(("documents", acronym), read)
