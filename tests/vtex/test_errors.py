"""The VTEX error tree: status table, body parsing, hints, context and redaction."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from vtexbridge.errors import RecordRef
from vtexbridge.log import register_secret
from vtexbridge.vtex.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Locked,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unauthorized,
    Unavailable,
    VtexConnectError,
    VtexError,
    VtexTimeout,
    VtexTransportError,
    error_class_for,
    parse_retry_after,
    parse_vtex_error,
    status_error,
    transport_error,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
CTX = {
    "method": "PUT",
    "route": "/pricing/prices/{itemId}",
    "url": "https://api.vtex.com/acme/pricing/prices/1",
}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (418, BadRequest),
        (422, BadRequest),
        (423, Locked),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, Unavailable),
    ],
)
def test_one_table_from_status_to_class(status: int, cls: type[VtexError]) -> None:
    assert error_class_for(status) is cls


def test_categories_drive_retries_and_exit_codes() -> None:
    assert Unauthorized.category == "config" and Unauthorized.exit_code == 2
    assert BadRequest.category == "record" and not BadRequest.retryable
    assert RateLimited.retryable and Locked.retryable and ServerError.retryable
    assert VtexConnectError.retryable and not OutcomeUnknown.retryable
    assert issubclass(OutcomeUnknown, VtexTimeout)


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        (b'{"error": {"code": "OMS003", "message": "Order status should be ready-for-handling"}}',
         ("OMS003", "Order status should be ready-for-handling")),
        (b'{"Message": "Access denied"}', (None, "Access denied")),
        (b'{"code": 17, "message": "bad"}', ("17", "bad")),
        (b'{"error": "invalid_grant", "error_description": "expired"}', (None, "expired")),
        (b'"plain json string"', (None, "plain json string")),
        (b"Unable to acquire lock for key: acme_1_wh", (None, "Unable to acquire lock for key: acme_1_wh")),
        (b"[1, 2]", (None, None)),
        (b"", (None, None)),
    ],
)  # fmt: skip
def test_vtex_error_bodies_in_their_several_shapes(
    body: bytes, parsed: tuple[str | None, str | None]
) -> None:
    assert parse_vtex_error(body) == parsed


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_as_seconds_or_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_status_error_carries_context_code_request_id_and_hint() -> None:
    request = httpx.Request("PUT", CTX["url"])
    response = httpx.Response(
        429,
        json={"error": {"code": "TooMany", "message": "slow down"}},
        headers={"Retry-After": "3", "X-VTEX-Request-Id": "abc"},
        request=request,
    )
    err = status_error(response, {**CTX, "record": RecordRef("price", key="SKU-1")}, now=NOW)
    assert isinstance(err, RateLimited)
    assert (err.status, err.vtex_code, err.vtex_message, err.request_id, err.retry_after) == (
        429, "TooMany", "slow down", "abc", 3.0,
    )  # fmt: skip
    assert err.url == CTX["url"] and err.method == "PUT"
    assert str(err) == (
        "price (price SKU-1): PUT /pricing/prices/{itemId} -> 429: Too Many Requests: [TooMany] slow down "
        "(request id abc)"
    )


def test_a_5xx_hint_is_kept_too() -> None:
    response = httpx.Response(503, headers={"Retry-After": "9"}, request=httpx.Request("GET", CTX["url"]))
    assert status_error(response, CTX, now=NOW).retry_after == 9.0


@pytest.mark.parametrize(
    ("exc", "cls", "sent"),
    [
        (httpx.ConnectError("refused"), VtexConnectError, False),
        (httpx.ConnectTimeout("slow dns"), VtexTimeout, False),
        (httpx.PoolTimeout("pool full"), VtexTimeout, False),
        (httpx.ReadTimeout("slow"), VtexTimeout, True),
        (httpx.WriteTimeout("slow"), VtexTimeout, True),
        (httpx.RemoteProtocolError("server disconnected"), VtexTransportError, True),
        (httpx.ReadError("reset by peer"), VtexTransportError, True),
    ],
)
def test_transport_errors_say_whether_the_request_was_sent(
    exc: httpx.TransportError, cls: type[VtexTransportError], sent: bool
) -> None:
    err = transport_error(exc, CTX)
    assert type(err) is cls and err.request_sent is sent and err.status is None


def test_outcome_unknown_keeps_the_context_and_says_how_to_resolve() -> None:
    sent = VtexTimeout("timed out", **CTX)
    sent.attempts = 2
    unknown = OutcomeUnknown.from_error(sent, "no answer")
    assert (unknown.method, unknown.route, unknown.url, unknown.attempts) == (
        "PUT",
        CTX["route"],
        CTX["url"],
        2,
    )
    assert "resolve it by looking the entity up" in str(unknown)


def test_secrets_are_redacted_from_str_and_repr() -> None:
    register_secret("vtexappkey-acme-SECRETKEY")
    err = Forbidden("forbidden", vtex_message="key vtexappkey-acme-SECRETKEY lacks a role", **CTX, status=403)
    assert "SECRETKEY" not in str(err) and "SECRETKEY" not in repr(err)
    assert repr(err).startswith("Forbidden('PUT /pricing/prices/{itemId} -> 403: forbidden: key *** lacks")
