"""Master Data v1 bodies (``VTEX - MasterData API - v10.2.json``).

Documents of any data entity travel as plain dicts; the two entities the middleware writes itself,
customer profiles (``CL``) and addresses (``AD``), have typed models with the documented fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices, Field

from vtexbridge.vtex.models.base import RequestModel, ResponseModel

Document = dict[str, Any]

SEARCH_PAGE_MAX = 100
SCROLL_SIZE_MAX = 1000


class DocumentRef(ResponseModel):
    """What a create or upsert answers: ``{id, href, documentId}`` (``{Id, Href}`` on CL/AD routes).

    ``id`` may be prefixed with the entity (``CL-…``); ``documentId`` is the bare id.
    """

    id: str = Field(validation_alias=AliasChoices("id", "Id"))
    href: str | None = Field(default=None, validation_alias=AliasChoices("href", "Href"))
    documentId: str | None = Field(default=None, validation_alias=AliasChoices("documentId", "DocumentId"))


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One page of a search: documents ``start`` to ``end - 1`` of ``total`` (None when VTEX did not
    say, i.e. answered without ``REST-Content-Range``)."""

    items: list[Document]
    start: int
    end: int
    total: int | None

    @property
    def has_more(self) -> bool:
        return self.total is not None and self.end < self.total


@dataclass(frozen=True, slots=True)
class ScrollPage:
    """One batch of a scroll. Pass ``token`` to the next call; an empty batch ends the scroll."""

    items: list[Document]
    token: str | None
    total: int | None = None

    @property
    def done(self) -> bool:
        return not self.items


# --- CL: customer profile ---------------------------------------------------------------------


class CollectionRestriction(RequestModel):
    collectionIds: list[str]


class CreditCardRestriction(RequestModel):
    creditCards: list[str]


class PaymentSystemRestriction(RequestModel):
    paymentSystemIds: list[str]


class CustomerRestrictions(RequestModel):
    """What a (B2B) customer may see and pay with."""

    catalog: CollectionRestriction | None = Field(default=None, alias="vtex.catalog")
    checkout: CreditCardRestriction | None = Field(default=None, alias="vtex.checkout")
    payments: PaymentSystemRestriction | None = Field(default=None, alias="vtex.payments")


class CustomerProfile(RequestModel):
    """A ``CL`` document. On an update only the fields given are sent, the others stay as they are."""

    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    phone: str | None = None
    documentType: str | None = None
    document: str | None = None
    isCorporate: bool | None = None
    isNewsletterOptIn: bool | None = None
    localeDefault: str | None = None
    corporateDocument: str | None = None
    homePhone: str | None = None
    cellPhone: str | None = None
    corporateName: str | None = None
    tradeName: str | None = None
    stateRegistration: str | None = None
    isFreeStateRegistration: bool | None = None
    priceTables: str | None = None
    restrictions: CustomerRestrictions | None = None


class CustomerProfileDocument(ResponseModel):
    """A ``CL`` document as read back (any custom fields land in ``model_extra``)."""

    id: str
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    phone: str | None = None
    documentType: str | None = None
    document: str | None = None
    isCorporate: bool | None = None
    isNewsletterOptIn: bool | None = None
    localeDefault: str | None = None
    corporateDocument: str | None = None
    homePhone: str | None = None
    cellPhone: str | None = None
    corporateName: str | None = None
    tradeName: str | None = None
    stateRegistration: str | None = None
    isFreeStateRegistration: bool | None = None
    priceTables: str | None = None
    accountId: str | None = None
    accountName: str | None = None
    dataEntityId: str | None = None


# --- AD: customer address ---------------------------------------------------------------------


class CustomerAddress(RequestModel):
    """An ``AD`` document; ``userId`` is the ``id`` answered when the ``CL`` profile was created."""

    addressName: str | None = None
    addressLabel: str | None = None
    addressType: str | None = None
    receiverName: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    postalCode: str | None = None
    street: str | None = None
    number: str | None = None
    neighborhood: str | None = None
    complement: str | None = None
    reference: str | None = None
    geoCoordinate: str | None = None
    userId: str | None = None


class CustomerAddressDocument(ResponseModel):
    id: str
    addressName: str | None = None
    addressLabel: str | None = None
    addressType: str | None = None
    receiverName: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    postalCode: str | None = None
    street: str | None = None
    number: str | None = None
    neighborhood: str | None = None
    complement: str | None = None
    reference: str | None = None
    geoCoordinate: str | None = None
    userId: str | None = None
    accountId: str | None = None
    accountName: str | None = None
    dataEntityId: str | None = None
