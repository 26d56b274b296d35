"""The HTTP sink: POST each order document to the ERP's endpoint, with retries.

Every request carries ``Content-Type: application/json``, the configured headers (e.g. an
``Authorization``), ``Idempotency-Key: <orderId>:<status>`` and, for ``vtexbridge orders replay``,
``X-Vtexbridge-Replay: 1``. The ERP must treat the key as the delivery's identity.

Answers: 2xx accepted (the ERP reference is taken from a JSON body's ``id``/``reference``, else the
``Location`` header); 409 accepted too (the ERP already has this order in this status); 408, 425,
429 and 5xx or no answer are retried with a doubling wait (``Retry-After`` obeyed) and, once the
attempts are spent, raise :class:`SinkError`; any other 4xx raises :class:`SinkRejected` with the
ERP's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from vtexbridge.clock import Clock, SystemClock
from vtexbridge.erp.sinks import OrderDelivery, SinkError, SinkRejected, SinkResult

__all__ = ["HttpSink"]

_RETRY_STATUSES = frozenset({408, 425, 429})


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


class HttpSink:
    """POSTs each delivery to ``url``."""

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
    ) -> None:
        self.url = url
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.clock: Clock = clock or SystemClock()
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout_s)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        headers = {**self._headers, "Idempotency-Key": delivery.key}
        if delivery.replay:
            headers["X-Vtexbridge-Replay"] = "1"
        last = ""
        for attempt in range(1, self.attempts + 1):
            wait: float | None = None
            try:
                response = await self._client.post(self.url, json=delivery.document, headers=headers)
            except httpx.HTTPError as e:
                last = f"{type(e).__name__}: {e}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return SinkResult(_reference(response) or delivery.key, written=True)
                if status == 409:
                    return SinkResult(_reference(response) or delivery.key, written=False)
                excerpt = response.text[:300].strip()
                last = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
                if status not in _RETRY_STATUSES and status < 500:
                    raise SinkRejected(f"the ERP at {self.url} refused order {delivery.key}: {last}")
                wait = _retry_after(response)
            if attempt < self.attempts:
                delay = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1))
                await self.clock.sleep(max(delay, wait or 0.0))
        raise SinkError(
            f"the ERP at {self.url} did not accept order {delivery.key} "
            f"after {self.attempts} attempts: {last}"
        )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return min(float(value), 300.0) if value else None
    except ValueError:
        return None


def header_values(headers: Mapping[str, Any]) -> dict[str, str]:
    """Plain header values from settings (``SecretStr`` values unwrapped)."""
    out = {}
    for name, value in headers.items():
        getter = getattr(value, "get_secret_value", None)
        out[name] = str(getter() if callable(getter) else value)
    return out
