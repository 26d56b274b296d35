"""Errors of the protocol endpoints, each carrying the HTTP status the endpoint answers with."""

from __future__ import annotations

from typing import ClassVar

from vtexbridge.errors import Category, PeerRefusal

__all__ = [
    "BadProtocolRequest",
    "EndpointClosed",
    "NotAuthorized",
    "ProtocolConflict",
    "ProtocolError",
    "UnknownOrder",
]


class ProtocolError(PeerRefusal):
    """A protocol call we cannot honour; ``status`` is what we answer (the body names the reason)."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "MKP000"


class BadProtocolRequest(ProtocolError):
    category: ClassVar[Category] = "record"
    status: ClassVar[int] = 400
    code: ClassVar[str] = "MKP400"


class NotAuthorized(ProtocolError):
    category: ClassVar[Category] = "config"
    status: ClassVar[int] = 401
    code: ClassVar[str] = "MKP401"


class EndpointClosed(ProtocolError):
    """The endpoint is not open: the credentials it needs are not configured."""

    category: ClassVar[Category] = "config"
    status: ClassVar[int] = 503
    code: ClassVar[str] = "MKP503"


class UnknownOrder(ProtocolError):
    category: ClassVar[Category] = "record"
    status: ClassVar[int] = 404
    code: ClassVar[str] = "MKP404"


class ProtocolConflict(ProtocolError):
    category: ClassVar[Category] = "record"
    status: ClassVar[int] = 409
    code: ClassVar[str] = "MKP409"
