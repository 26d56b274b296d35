"""Master Data v1 (``VTEX - MasterData API - v10.2.json``): documents of any data entity, plus
typed customer profiles (``CL``) and addresses (``AD``).

Every call asks for ``Accept: application/vnd.vtex.ds.v10+json``, as the spec declares. Search pages
through the ``REST-Range`` header (at most 100 documents per call, suited to 10,000 documents in all);
beyond that, scroll: the first call sets the filter and page size, the next ones send only the token
VTEX answered in ``X-VTEX-MD-TOKEN`` (valid 20 minutes after each use) until a batch comes back empty.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from pydantic import TypeAdapter

from vtexbridge.errors import RecordRef
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.masterdata import (
    SCROLL_SIZE_MAX,
    SEARCH_PAGE_MAX,
    CustomerAddress,
    CustomerAddressDocument,
    CustomerProfile,
    CustomerProfileDocument,
    Document,
    DocumentPage,
    DocumentRef,
    ScrollPage,
)
from vtexbridge.vtex.paging import md_scroll, parse_content_range
from vtexbridge.vtex.paths import segments
from vtexbridge.vtex.transport import Transport

DOCUMENTS = "/api/dataentities/{acronym}/documents"
DOCUMENT = "/api/dataentities/{acronym}/documents/{id}"
SEARCH = "/api/dataentities/{acronym}/search"
SCROLL = "/api/dataentities/{acronym}/scroll"
PROFILES = "/api/dataentities/CL/documents"
PROFILE = "/api/dataentities/CL/documents/{id}"
ADDRESSES = "/api/dataentities/AD/documents"
ADDRESS = "/api/dataentities/AD/documents/{addressId}"

MD_ACCEPT = {"Accept": "application/vnd.vtex.ds.v10+json"}
ALL_FIELDS = "_all"

_DOCUMENTS = TypeAdapter(list[Document])


def _fields(fields: Sequence[str] | str | None) -> str | None:
    if fields is None or isinstance(fields, str):
        return fields
    return ",".join(fields)


def _ref_or_none(response: httpx.Response) -> DocumentRef | None:
    return DocumentRef.model_validate(response.json()) if response.content else None


class MasterDataAPI:
    """Master Data v1 of one account."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    # --- any entity ---------------------------------------------------------------------------

    async def create_document(
        self, acronym: str, document: Mapping[str, Any], *, record: RecordRef | None = None
    ) -> DocumentRef:
        """Create a document; VTEX chooses its id."""
        r = await self._t.request(
            Api.MASTERDATA,
            "POST",
            DOCUMENTS,
            path=segments(acronym=acronym),
            json=dict(document),
            headers=MD_ACCEPT,
            record=record,
        )
        return DocumentRef.model_validate(r.json())

    async def upsert_document(
        self, acronym: str, document: Mapping[str, Any], *, record: RecordRef | None = None
    ) -> DocumentRef | None:
        """Create the document, or update the fields sent when ``document["id"]`` exists.

        Returns None when VTEX answers ``304 Not Modified`` (nothing changed).
        """
        r = await self._t.request(
            Api.MASTERDATA,
            "PATCH",
            DOCUMENTS,
            path=segments(acronym=acronym),
            json=dict(document),
            headers=MD_ACCEPT,
            idempotent="id" in document,
            record=record,
        )
        return _ref_or_none(r)

    async def replace_document(
        self, acronym: str, document_id: str, document: Mapping[str, Any], *, record: RecordRef | None = None
    ) -> None:
        """Create the document under ``document_id``, or replace it entirely (fields left out are cleared)."""
        await self._t.request(
            Api.MASTERDATA,
            "PUT",
            DOCUMENT,
            path=segments(acronym=acronym, id=document_id),
            json=dict(document),
            headers=MD_ACCEPT,
            record=record,
        )

    async def update_document(
        self, acronym: str, document_id: str, fields: Mapping[str, Any], *, record: RecordRef | None = None
    ) -> None:
        """Change only the fields sent; the others keep their values."""
        await self._t.request(
            Api.MASTERDATA,
            "PATCH",
            DOCUMENT,
            path=segments(acronym=acronym, id=document_id),
            json=dict(fields),
            headers=MD_ACCEPT,
            idempotent=True,
            record=record,
        )

    async def get_document(
        self,
        acronym: str,
        document_id: str,
        *,
        fields: Sequence[str] | str = ALL_FIELDS,
        record: RecordRef | None = None,
    ) -> Document:
        """The document with the given fields (all of them by default)."""
        r = await self._t.request(
            Api.MASTERDATA,
            "GET",
            DOCUMENT,
            path=segments(acronym=acronym, id=document_id),
            params={"_fields": _fields(fields)},
            headers=MD_ACCEPT,
            record=record,
        )
        document: Document = r.json()
        return document

    async def delete_document(
        self, acronym: str, document_id: str, *, record: RecordRef | None = None
    ) -> None:
        await self._t.request(
            Api.MASTERDATA,
            "DELETE",
            DOCUMENT,
            path=segments(acronym=acronym, id=document_id),
            headers=MD_ACCEPT,
            record=record,
        )

    async def search_documents(
        self,
        acronym: str,
        *,
        where: str | None = None,
        fields: Sequence[str] | str = ALL_FIELDS,
        sort: str | None = None,
        start: int = 0,
        size: int = SEARCH_PAGE_MAX,
        record: RecordRef | None = None,
    ) -> DocumentPage:
        """Documents ``start`` to ``start + size - 1`` matching ``where`` (e.g. ``"email=a@b.c"``).

        Without ``sort`` (``"field ASC"``) VTEX does not guarantee the order across pages.
        """
        if start < 0 or not 1 <= size <= SEARCH_PAGE_MAX:
            raise ValueError(f"start must be >= 0 and size 1..{SEARCH_PAGE_MAX}")
        r = await self._t.request(
            Api.MASTERDATA,
            "GET",
            SEARCH,
            path=segments(acronym=acronym),
            params={"_where": where, "_fields": _fields(fields), "_sort": sort},
            headers={**MD_ACCEPT, "REST-Range": f"resources={start}-{start + size}"},
            record=record,
        )
        items = _DOCUMENTS.validate_python(r.json())
        content_range = parse_content_range(r.headers.get("REST-Content-Range"))
        if content_range is None:
            return DocumentPage(items=items, start=start, end=start + len(items), total=None)
        first, end, total = content_range
        return DocumentPage(items=items, start=first, end=end, total=total)

    async def scroll_documents(
        self,
        acronym: str,
        *,
        token: str | None = None,
        where: str | None = None,
        fields: Sequence[str] | str = ALL_FIELDS,
        sort: str | None = None,
        size: int = SCROLL_SIZE_MAX,
        record: RecordRef | None = None,
    ) -> ScrollPage:
        """One batch of a scroll over the whole entity.

        The first call (no ``token``) sets the filter, fields, order and batch size (at most 1000);
        every next call passes the ``token`` of the previous page and nothing else. A page with no
        items (``page.done``) ends the scroll.
        """
        params: dict[str, Any]
        if token is None:
            if not 1 <= size <= SCROLL_SIZE_MAX:
                raise ValueError(f"size must be 1..{SCROLL_SIZE_MAX}")
            params = {"_size": size, "_where": where, "_fields": _fields(fields), "_sort": sort}
        else:
            params = {"_token": token}
        r = await self._t.request(
            Api.MASTERDATA,
            "GET",
            SCROLL,
            path=segments(acronym=acronym),
            params=params,
            headers=MD_ACCEPT,
            record=record,
        )
        total = r.headers.get("REST-Content-Total")
        return ScrollPage(
            items=_DOCUMENTS.validate_python(r.json()),
            token=r.headers.get("X-VTEX-MD-TOKEN") or token,
            total=int(total) if total and total.isdigit() else None,
        )

    async def iter_documents(
        self,
        acronym: str,
        *,
        where: str | None = None,
        fields: Sequence[str] | str = ALL_FIELDS,
        sort: str | None = None,
        size: int = SCROLL_SIZE_MAX,
        record: RecordRef | None = None,
    ) -> AsyncIterator[list[Document]]:
        """Every document matching ``where``, in batches of ``size``, scrolling to the end."""
        first = {"_where": where, "_fields": _fields(fields), "_sort": sort}

        async def fetch(params: Mapping[str, Any], headers: Mapping[str, str]) -> httpx.Response:
            query = {**first, **params} if "_token" not in params else dict(params)
            return await self._t.request(
                Api.MASTERDATA,
                "GET",
                SCROLL,
                path=segments(acronym=acronym),
                params=query,
                headers={**MD_ACCEPT, **headers},
                record=record,
            )

        async for batch in md_scroll(fetch, size=size):
            yield _DOCUMENTS.validate_python(batch)

    # --- CL: customer profiles ----------------------------------------------------------------

    async def create_customer_profile(
        self, profile: CustomerProfile, *, record: RecordRef | None = None
    ) -> DocumentRef:
        """Create a ``CL`` document; keep the answered id to link addresses (``userId``)."""
        r = await self._t.request(
            Api.MASTERDATA, "POST", PROFILES, json=profile.body(), headers=MD_ACCEPT, record=record
        )
        return DocumentRef.model_validate(r.json())

    async def update_customer_profile(
        self, profile_id: str, profile: CustomerProfile, *, record: RecordRef | None = None
    ) -> None:
        """Change the profile fields given in ``profile``; the others keep their values."""
        await self._t.request(
            Api.MASTERDATA,
            "PATCH",
            PROFILE,
            path=segments(id=profile_id),
            json=profile.body(),
            headers=MD_ACCEPT,
            idempotent=True,
            record=record,
        )

    async def get_customer_profile(
        self, profile_id: str, *, record: RecordRef | None = None
    ) -> CustomerProfileDocument:
        data = await self.get_document("CL", profile_id, record=record)
        return CustomerProfileDocument.model_validate(data)

    # --- AD: customer addresses ---------------------------------------------------------------

    async def create_customer_address(
        self, address: CustomerAddress, *, record: RecordRef | None = None
    ) -> DocumentRef:
        r = await self._t.request(
            Api.MASTERDATA, "POST", ADDRESSES, json=address.body(), headers=MD_ACCEPT, record=record
        )
        return DocumentRef.model_validate(r.json())

    async def update_customer_address(
        self, address_id: str, address: CustomerAddress, *, record: RecordRef | None = None
    ) -> None:
        await self._t.request(
            Api.MASTERDATA,
            "PATCH",
            ADDRESS,
            path=segments(addressId=address_id),
            json=address.body(),
            headers=MD_ACCEPT,
            idempotent=True,
            record=record,
        )

    async def get_customer_address(
        self, address_id: str, *, record: RecordRef | None = None
    ) -> CustomerAddressDocument:
        r = await self._t.request(
            Api.MASTERDATA,
            "GET",
            ADDRESS,
            path=segments(addressId=address_id),
            params={"_fields": ALL_FIELDS},
            headers=MD_ACCEPT,
            record=record,
        )
        return CustomerAddressDocument.model_validate(r.json())
