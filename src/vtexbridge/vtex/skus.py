"""Catalog API (``VTEX - Catalog API.json``), the SKU half: SKUs, their specifications, files and
EANs, the RefId/EAN lookups, the id listing, and the seller SKU change notification
(``client.skus``; the rest of the Catalog API is :mod:`vtexbridge.vtex.catalog`).

Every method is one request: build the body from a model, send it through the transport, read the
answer into a model. Lookups by ``RefId`` answer ``None`` when VTEX knows no such entity.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from pydantic import TypeAdapter

from vtexbridge.errors import RecordRef
from vtexbridge.vtex.errors import NotFound
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.catalog import (
    Sku,
    SkuCreate,
    SkuFile,
    SkuFileCreate,
    SkuFileUpdate,
    SkuOfProduct,
    SkuSpecification,
    SkuSpecificationCreate,
    SkuSpecificationUpdate,
    SkuUpdate,
)
from vtexbridge.vtex.paging import id_pages
from vtexbridge.vtex.paths import segments
from vtexbridge.vtex.transport import Transport

SKUS = "/api/catalog/pvt/stockkeepingunit"
SKU = "/api/catalog/pvt/stockkeepingunit/{skuId}"
SKU_ID_BY_REF_ID = "/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/{refId}"
SKU_IDS = "/api/catalog_system/pvt/sku/stockkeepingunitids"
SKU_IDS_BY_REF_IDS = "/api/catalog_system/pub/sku/stockkeepingunitidsbyrefids"
SKU_BY_EAN = "/api/catalog_system/pvt/sku/stockkeepingunitbyean/{ean}"
SKUS_OF_PRODUCT = "/api/catalog_system/pvt/sku/stockkeepingunitByProductId/{productId}"
SKU_SPECIFICATIONS = "/api/catalog/pvt/stockkeepingunit/{skuId}/specification"
SKU_SPECIFICATION = "/api/catalog/pvt/stockkeepingunit/{skuId}/specification/{specificationId}"
SKU_FILES = "/api/catalog/pvt/stockkeepingunit/{skuId}/file"
SKU_FILE = "/api/catalog/pvt/stockkeepingunit/{skuId}/file/{skuFileId}"
SKU_EANS = "/api/catalog/pvt/stockkeepingunit/{skuId}/ean"
SKU_EAN = "/api/catalog/pvt/stockkeepingunit/{skuId}/ean/{ean}"
SELLER_SKU_CHANGE = "/api/catalog_system/pvt/skuseller/changenotification/{sellerId}/{sellerSkuId}"
SKU_CHANGE = "/api/catalog_system/pvt/skuseller/changenotification/{skuId}"
SKU_IDS_PAGE_MAX = 1000
REF_IDS_PER_LOOKUP = 50
"""RefIds per ``stockkeepingunitidsbyrefids`` request (VTEX publishes no maximum: kept small)."""
_REF_ID_MAP = TypeAdapter(dict[str, str | int | None])
_SKU_IDS = TypeAdapter(list[int])
_SKUS_OF_PRODUCT = TypeAdapter(list[SkuOfProduct])
_SKU_SPECS = TypeAdapter(list[SkuSpecification])
_SKU_FILES = TypeAdapter(list[SkuFile])
_EANS = TypeAdapter(list[str])


def _one_file(data: Any) -> SkuFile:
    # The spec answers SKU file writes with an array, VTEX with the object: take either.
    if isinstance(data, list):
        files = _SKU_FILES.validate_python(data)
        if len(files) != 1:
            raise ValueError(f"expected one SKU file in the answer, got {len(files)}")
        return files[0]
    return SkuFile.model_validate(data)


class SkuAPI:
    """The SKU endpoints of the Catalog API."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def create_sku(self, sku: SkuCreate, *, record: RecordRef | None = None) -> Sku:
        r = await self._t.request(Api.CATALOG, "POST", SKUS, json=sku.body(), record=record)
        return Sku.model_validate(r.json())

    async def update_sku(self, sku_id: int, sku: SkuUpdate, *, record: RecordRef | None = None) -> Sku:
        r = await self._t.request(
            Api.CATALOG, "PUT", SKU, path=segments(skuId=sku_id), json=sku.body(), record=record
        )
        return Sku.model_validate(r.json())

    async def get_sku(self, sku_id: int, *, record: RecordRef | None = None) -> Sku:
        r = await self._t.request(Api.CATALOG, "GET", SKU, path=segments(skuId=sku_id), record=record)
        return Sku.model_validate(r.json())

    async def get_sku_id_by_ref_id(self, ref_id: str, *, record: RecordRef | None = None) -> int | None:
        """The id of the SKU whose ``RefId`` is ``ref_id``, or None when there is none."""
        try:
            r = await self._t.request(
                Api.CATALOG, "GET", SKU_ID_BY_REF_ID, path=segments(refId=ref_id), record=record
            )
        except NotFound:
            return None
        data = r.json() if r.content else None
        return int(data) if data not in (None, "") else None

    async def get_sku_by_ref_id(self, ref_id: str, *, record: RecordRef | None = None) -> Sku | None:
        """The SKU whose ``RefId`` is ``ref_id``, or None when there is none."""
        try:
            r = await self._t.request(Api.CATALOG, "GET", SKUS, params={"RefId": ref_id}, record=record)
        except NotFound:
            return None
        data = r.json() if r.content else None
        return Sku.model_validate(data) if data else None

    async def get_sku_ids_by_ref_ids(
        self, ref_ids: list[str], *, record: RecordRef | None = None
    ) -> dict[str, int]:
        """``RefId -> SKU id`` of the given RefIds that VTEX knows (at most :data:`REF_IDS_PER_LOOKUP`,
        no repeats: VTEX answers 500 to a repeated RefId)."""
        if not 1 <= len(ref_ids) <= REF_IDS_PER_LOOKUP or len(set(ref_ids)) != len(ref_ids):
            raise ValueError(f"give 1..{REF_IDS_PER_LOOKUP} distinct RefIds")
        r = await self._t.request(Api.CATALOG, "POST", SKU_IDS_BY_REF_IDS, json=ref_ids, record=record)
        data = _REF_ID_MAP.validate_python(r.json() or {})
        return {ref: int(sku) for ref, sku in data.items() if sku not in (None, "") and str(sku).isdigit()}

    async def get_sku_id_by_ean(self, ean: str, *, record: RecordRef | None = None) -> int | None:
        """The id of the SKU that has the EAN ``ean``, or None when no SKU has it."""
        try:
            r = await self._t.request(Api.CATALOG, "GET", SKU_BY_EAN, path=segments(ean=ean), record=record)
        except NotFound:
            return None
        data = r.json() if r.content else None
        sku_id = data.get("Id") if isinstance(data, dict) else None
        return sku_id if isinstance(sku_id, int) and not isinstance(sku_id, bool) else None

    async def list_sku_ids(
        self, *, page: int = 1, page_size: int = SKU_IDS_PAGE_MAX, record: RecordRef | None = None
    ) -> list[int]:
        """One page of every SKU id of the account (``page`` starts at 1, at most 1000 per page)."""
        if page < 1 or not 1 <= page_size <= SKU_IDS_PAGE_MAX:
            raise ValueError(f"page starts at 1 and page_size is 1..{SKU_IDS_PAGE_MAX}")
        r = await self._t.request(
            Api.CATALOG, "GET", SKU_IDS, params={"page": page, "pagesize": page_size}, record=record
        )
        return _SKU_IDS.validate_python(r.json())

    async def iter_sku_ids(
        self, *, page_size: int = SKU_IDS_PAGE_MAX, record: RecordRef | None = None
    ) -> AsyncIterator[list[int]]:
        """Every SKU id of the account, a page at a time, until a short page."""

        async def fetch(params: Mapping[str, Any], headers: Mapping[str, str]) -> httpx.Response:
            return await self._t.request(Api.CATALOG, "GET", SKU_IDS, params=params, record=record)

        async for page in id_pages(fetch, page_size=page_size):
            yield _SKU_IDS.validate_python(page)

    async def list_skus_of_product(
        self, product_id: int, *, record: RecordRef | None = None
    ) -> list[SkuOfProduct]:
        r = await self._t.request(
            Api.CATALOG, "GET", SKUS_OF_PRODUCT, path=segments(productId=product_id), record=record
        )
        return _SKUS_OF_PRODUCT.validate_python(r.json())

    async def create_sku_specification(
        self, sku_id: int, specification: SkuSpecificationCreate, *, record: RecordRef | None = None
    ) -> SkuSpecification:
        r = await self._t.request(
            Api.CATALOG,
            "POST",
            SKU_SPECIFICATIONS,
            path=segments(skuId=sku_id),
            json=specification.body(),
            record=record,
        )
        return SkuSpecification.model_validate(r.json())

    async def update_sku_specification(
        self, sku_id: int, specification: SkuSpecificationUpdate, *, record: RecordRef | None = None
    ) -> list[SkuSpecification]:
        """Change the value of one SKU specification (``specification.Id``); answers all of them."""
        r = await self._t.request(
            Api.CATALOG,
            "PUT",
            SKU_SPECIFICATIONS,
            path=segments(skuId=sku_id),
            json=specification.body(),
            record=record,
        )
        return _SKU_SPECS.validate_python(r.json())

    async def list_sku_specifications(
        self, sku_id: int, *, record: RecordRef | None = None
    ) -> list[SkuSpecification]:
        r = await self._t.request(
            Api.CATALOG, "GET", SKU_SPECIFICATIONS, path=segments(skuId=sku_id), record=record
        )
        return _SKU_SPECS.validate_python(r.json())

    async def delete_sku_specification(
        self, sku_id: int, specification_id: int, *, record: RecordRef | None = None
    ) -> None:
        await self._t.request(
            Api.CATALOG,
            "DELETE",
            SKU_SPECIFICATION,
            path=segments(skuId=sku_id, specificationId=specification_id),
            record=record,
        )

    # --- SKU files and EANs -------------------------------------------------------------------

    async def create_sku_file(
        self, sku_id: int, file: SkuFileCreate, *, record: RecordRef | None = None
    ) -> SkuFile:
        """Attach an image, by URL, to a SKU."""
        r = await self._t.request(
            Api.CATALOG, "POST", SKU_FILES, path=segments(skuId=sku_id), json=file.body(), record=record
        )
        return _one_file(r.json())

    async def update_sku_file(
        self, sku_id: int, file_id: int, file: SkuFileUpdate, *, record: RecordRef | None = None
    ) -> SkuFile:
        r = await self._t.request(
            Api.CATALOG,
            "PUT",
            SKU_FILE,
            path=segments(skuId=sku_id, skuFileId=file_id),
            json=file.body(),
            record=record,
        )
        return _one_file(r.json())

    async def delete_sku_file(self, sku_id: int, file_id: int, *, record: RecordRef | None = None) -> None:
        await self._t.request(
            Api.CATALOG, "DELETE", SKU_FILE, path=segments(skuId=sku_id, skuFileId=file_id), record=record
        )

    async def list_sku_files(self, sku_id: int, *, record: RecordRef | None = None) -> list[SkuFile]:
        r = await self._t.request(Api.CATALOG, "GET", SKU_FILES, path=segments(skuId=sku_id), record=record)
        return _SKU_FILES.validate_python(r.json())

    async def add_sku_ean(self, sku_id: int, ean: str, *, record: RecordRef | None = None) -> None:
        """Add an EAN to a SKU. An EAN cannot be changed: delete it and add the new one."""
        await self._t.request(
            Api.CATALOG, "POST", SKU_EAN, path=segments(skuId=sku_id, ean=ean), idempotent=True, record=record
        )

    async def delete_sku_ean(self, sku_id: int, ean: str, *, record: RecordRef | None = None) -> None:
        await self._t.request(
            Api.CATALOG, "DELETE", SKU_EAN, path=segments(skuId=sku_id, ean=ean), record=record
        )

    async def list_sku_eans(self, sku_id: int, *, record: RecordRef | None = None) -> list[str]:
        r = await self._t.request(Api.CATALOG, "GET", SKU_EANS, path=segments(skuId=sku_id), record=record)
        return _EANS.validate_python(r.json())

    # --- seller SKU change notification (an external seller calling a VTEX marketplace) -------

    async def notify_seller_sku_change(
        self, seller_id: str, seller_sku_id: str, *, record: RecordRef | None = None
    ) -> bool:
        """Tell the marketplace that a seller SKU changed.

        Returns True when the marketplace already sells it (it will fetch the change), False on 404:
        the marketplace does not know the SKU yet, so the seller sends a SKU suggestion instead.
        """
        return await self._notify(
            SELLER_SKU_CHANGE, {"sellerId": seller_id, "sellerSkuId": seller_sku_id}, record
        )

    async def notify_sku_change(self, sku_id: str, *, record: RecordRef | None = None) -> bool:
        """As :meth:`notify_seller_sku_change`, naming the SKU by the id the marketplace knows it by."""
        return await self._notify(SKU_CHANGE, {"skuId": sku_id}, record)

    async def _notify(self, route: str, path: dict[str, str | int], record: RecordRef | None) -> bool:
        try:
            await self._t.request(
                Api.CATALOG, "POST", route, path=segments(**path), idempotent=True, record=record
            )
        except NotFound:
            return False
        return True
