"""The HTTP sink: POST each order document to the ERP's endpoint, through the one transport.

Every request carries ``Content-Type: application/json``, the configured headers (e.g. an
``Authorization``), ``Idempotency-Key: <orderId>:<status>`` and, for ``vtexbridge orders replay``,
``X-Vtexbridge-Replay: 1``. The ERP must treat the key as the delivery's identity; so every delivery
is idempotent, and is sent again after any failure that may hide a success.

The calls go through :class:`~vtexbridge.vtex.transport.Transport` (target ``erp-sink``: its
:class:`~vtexbridge.vtex.retry.RetryPolicy`, circuit breaker and metrics; our VTEX credentials are
never sent). Answers: 2xx accepted (the ERP reference is taken from a JSON body's
``id``/``reference``, else the ``Location`` header); 409 accepted too (the ERP already has this order
in this status); 408, 425, 429, 5xx or no answer are retried with the policy's doubling, jittered
wait (a ``Retry-After`` is obeyed; one longer than ``backoff_max_s`` ends the attempts, and the
pipeline delivers the order again later) and, once the attempts are spent, raise :class:`SinkError`;
any other 4xx raises :class:`SinkRejected` with the ERP's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkRejected, SinkResult
from vtexbridge.vtex.errors import VtexError, VtexStatusError
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.metrics import TransportMetrics
from vtexbridge.vtex.retry import RetryPolicy
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call, Transport

__all__ = ["HttpSink"]

TARGET = "erp-sink"
_ACCEPTED = frozenset({409})


def _reference(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        for key in ("id", "reference", "erpRef", "number"):
            value = body.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
    location = response.headers.get("location")
    return str(location) if location else None


def _failure(error: VtexError) -> str:
    if isinstance(error, VtexStatusError) and error.status is not None:
        excerpt = (error.vtex_message or "").strip()[:300]
        return f"HTTP {error.status}" + (f": {excerpt}" if excerpt else "")
    return error.message


class HttpSink:
    """POSTs each delivery to ``url``.

    Args:
        url: the ERP's endpoint (a user and password in it are sent as basic auth, never shown).
        headers: sent with every delivery.
        timeout_s: for connecting and for the answer.
        attempts, backoff_s, backoff_max_s: the retry policy's figures.
        clock: time and sleeping.
        transport: replaces the network (tests).
        metrics: where the calls are counted (``/metrics``, target ``erp-sink``).
    """

    name = "http"

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
        attempts: int = 5,
        backoff_s: float = 0.5,
        backoff_max_s: float = 30.0,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        metrics: TransportMetrics | None = None,
    ) -> None:
        self.url = url
        self.shown_url = str(httpx.URL(url).copy_with(username=None, password=None))
        """The URL without its user and password: the one named in errors."""
        self.attempts = max(1, attempts)
        self.clock: Clock = clock or SystemClock()
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        settings = VtexSettings(
            timeout_s=timeout_s,
            connect_timeout_s=timeout_s,
            max_retries=self.attempts - 1,
            backoff_base_s=backoff_s,
            backoff_max_s=backoff_max_s,
        )
        self._transport = Transport(
            settings,
            http_transport=transport,
            clock=self.clock,
            metrics=metrics,
            retry_policy=RetryPolicy.from_settings(settings, self.clock),
        )

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        headers = {**self._headers, "Idempotency-Key": delivery.key}
        if delivery.replay:
            headers["X-Vtexbridge-Replay"] = "1"
        call = Call(
            Api.EXTERNAL,
            "POST",
            "",
            json=delivery.document,
            headers=headers,
            idempotent=True,
            base_url=self.url,
            target=TARGET,
            credentials=False,
            accept=_ACCEPTED,
        )
        try:
            response = await self._transport.send(call)
        except VtexError as e:
            if isinstance(e, VtexStatusError) and not e.retryable:
                raise SinkRejected(
                    f"the ERP at {self.shown_url} refused order {delivery.key}: {_failure(e)}"
                ) from None
            raise SinkError(
                f"the ERP at {self.shown_url} did not accept order {delivery.key} "
                f"after {e.attempts} attempts: {_failure(e)}"
            ) from None
        written = response.status_code not in _ACCEPTED
        return SinkResult(_reference(response) or delivery.key, written=written)


def header_values(headers: Mapping[str, Any]) -> dict[str, str]:
    """Plain header values from settings (``SecretStr`` values unwrapped)."""
    out = {}
    for name, value in headers.items():
        getter = getattr(value, "get_secret_value", None)
        out[name] = str(getter() if callable(getter) else value)
    return out
