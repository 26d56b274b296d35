"""Errors of the provider protocols: each carries the HTTP status and code VTEX gets."""

from __future__ import annotations

from typing import ClassVar

from vtexbridge.errors import Category, VtexbridgeError

__all__ = ["BadRequest", "Conflict", "ErpUnavailable", "NotFound", "ProviderError", "Unauthorized"]


class ProviderError(VtexbridgeError):
    """A protocol answer other than success: ``status`` and ``code`` go to VTEX with the message."""

    category: ClassVar[Category] = "record"
    status: int = 500
    code: str = "provider-error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class BadRequest(ProviderError):
    status = 400
    code = "bad-request"


class Unauthorized(ProviderError):
    status = 401
    code = "unauthorized"


class NotFound(ProviderError):
    status = 404
    code = "not-found"


class Conflict(ProviderError):
    status = 409
    code = "conflict"


class ErpUnavailable(ProviderError):
    """The ERP did not answer within the budget, or failed: VTEX gets the protocol's pending/error answer."""

    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True
    status = 503
    code = "erp-unavailable"
