"""Orders hook: configuration rules, the notification body and the delivery retry schedule.

- ``POST /api/orders/hook/config`` takes the feed's ``filter`` (same 400/409 rules) and
  ``hook: {url, headers}``; VTEX then POSTs ``{"hookConfig": "ping"}`` to the URL with those headers
  and refuses the configuration (400) unless it answers 200 (the ping itself is done by the route);
- every matching event is POSTed as ``{Domain, OrderId, State, LastState, LastChange, CurrentChange,
  Origin: {Account, Key}}`` with the configured headers; the receiver must answer 200 within 5 s,
  failures are retried on a geometric back-off (:class:`RetryPolicy`);
- a hook configuration with no notification for 3 days is removed (:data:`IDLE_SECONDS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vtexbridge.sandbox.rules.feed import EventFilter, FeedRuleError, parse_filter
from vtexbridge.sandbox.rules.orders import OrderEvent

__all__ = ["IDLE_SECONDS", "PING", "RetryPolicy", "notification", "parse_hook_config"]

PING: dict[str, str] = {"hookConfig": "ping"}
IDLE_SECONDS = 3 * 24 * 3600


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Delivery attempts: ``timeout`` each, then waits of ``base * factor**n`` (capped) between them."""

    timeout: float = 5.0
    max_attempts: int = 8
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 600.0

    def delay(self, failed_attempts: int) -> float | None:
        """Seconds to wait after ``failed_attempts`` failures, or ``None`` when it is time to give up."""
        if failed_attempts >= self.max_attempts:
            return None
        return float(min(self.max_delay, self.base_delay * self.factor ** (failed_attempts - 1)))

    def to_json(self) -> dict[str, Any]:
        return {
            "timeoutSeconds": self.timeout,
            "maxAttempts": self.max_attempts,
            "baseDelaySeconds": self.base_delay,
            "factor": self.factor,
            "maxDelaySeconds": self.max_delay,
        }

    @classmethod
    def from_json(cls, raw: Any, base: RetryPolicy | None = None) -> RetryPolicy:
        """``base`` with the fields of :meth:`to_json` that ``raw`` gives overridden."""
        base = base or cls()
        if not isinstance(raw, dict):
            raise FeedRuleError(400, "hook options must be a JSON object")
        values = base.to_json()
        for key in values:
            if key in raw:
                value = raw[key]
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    raise FeedRuleError(400, f"{key} must be a non-negative number")
                values[key] = value
        if (
            int(values["maxAttempts"]) < 1
            or float(values["factor"]) < 1
            or float(values["timeoutSeconds"]) <= 0
        ):
            raise FeedRuleError(400, "maxAttempts must be >= 1, factor >= 1 and timeoutSeconds > 0")
        return cls(
            timeout=float(values["timeoutSeconds"]),
            max_attempts=int(values["maxAttempts"]),
            base_delay=float(values["baseDelaySeconds"]),
            factor=float(values["factor"]),
            max_delay=float(values["maxDelaySeconds"]),
        )


def parse_hook_config(body: Any) -> tuple[EventFilter, str, dict[str, str]]:
    """Validate ``POST /api/orders/hook/config``: (filter, url, headers)."""
    if not isinstance(body, dict):
        raise FeedRuleError(400, "The hook configuration must be a JSON object")
    event_filter = parse_filter(body.get("filter"))
    hook = body.get("hook")
    if not isinstance(hook, dict):
        raise FeedRuleError(400, "hook is required: {url, headers}")
    url = hook.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedRuleError(400, f"hook.url must be an http(s) URL, got {url!r}")
    headers = hook.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise FeedRuleError(400, "hook.headers must be an object of string values")
    return event_filter, str(url), dict(headers)


def notification(event: OrderEvent, *, account: str, app_key: str) -> dict[str, Any]:
    """The body POSTed to the hook URL for ``event``."""
    return {
        "Domain": event.domain,
        "OrderId": event.order_id,
        "State": event.state,
        "LastState": event.last_state,
        "LastChange": event.last_change,
        "CurrentChange": event.current_change,
        "Origin": {"Account": account, "Key": app_key},
    }
