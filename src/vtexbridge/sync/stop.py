"""Failing fast where nothing can succeed: refused credentials, a VTEX host that cannot be reached.

A wrong app token or an unreachable base URL fails every request of a run alike. Sending the whole
plan anyway buys hundreds of identical per-record errors (and, for a host that cannot be reached,
minutes of retries) and hides the one thing to fix. So the run stops at the first such failure with
one :class:`SyncStopped` naming the account, the host and what to check, and records no per-record
error (the records are sent by the next run, once the cause is fixed).

- A 401 or 403 stops the run whenever it comes: every call of the run uses the same credentials.
- A connection that cannot be made (refused, DNS, connect timeout) stops the run while no request of
  the run has been answered yet: the host is unreachable, not briefly away. Until then the transport
  does not retry such a failure either (:class:`FailFastRetry`); after the first answer, the usual
  retries apply (a blip in the middle of a run is retried as before).
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

import httpx

from vtexbridge.clock import Clock
from vtexbridge.errors import Category, VtexbridgeError
from vtexbridge.vtex.errors import Forbidden, Unauthorized, VtexConnectError, VtexError, VtexTimeout
from vtexbridge.vtex.retry import Attempted, Decision, GiveUp, RetryPolicy
from vtexbridge.vtex.settings import VtexSettings

__all__ = ["STOPPED_EXIT", "FailFastRetry", "Reach", "SyncStopped", "stop_for", "unreachable"]

STOPPED_EXIT = 3
"""``vtexbridge sync``'s exit code when the run was stopped because VTEX cannot be used."""


class SyncStopped(VtexbridgeError):
    """The run stopped at once: VTEX refused the credentials, or its host cannot be reached."""

    category: ClassVar[Category] = "config"
    exit_code: ClassVar[int] = STOPPED_EXIT

    def __init__(self, message: str, *, account: str, host: str, cause: VtexError) -> None:
        super().__init__(message)
        self.account = account
        self.host = host
        self.cause = cause


class Reach:
    """Whether any request of the run was answered by VTEX (whatever the status)."""

    answered: bool = False


class FailFastRetry(RetryPolicy):
    """The transport's retry policy, except that a connection that cannot be made is not retried
    while nothing of the run has been answered (``reach``)."""

    reach: Reach

    @classmethod
    def for_run(cls, settings: VtexSettings, clock: Clock, reach: Reach) -> FailFastRetry:
        policy = cls(
            max_retries=settings.max_retries,
            backoff_base_s=settings.backoff_base_s,
            backoff_max_s=settings.backoff_max_s,
            random=clock.random,
        )
        policy.reach = reach
        return policy

    def decide(self, call: Attempted, outcome: VtexError, attempt: int) -> Decision:
        if not self.reach.answered and unreachable(outcome):
            return GiveUp(outcome)
        return super().decide(call, outcome, attempt)


def unreachable(error: BaseException) -> bool:
    """The connection could not be made (nothing was sent): refused, unknown host, connect timeout."""
    if isinstance(error, VtexConnectError):
        return True
    return isinstance(error, VtexTimeout) and isinstance(error.__cause__, httpx.ConnectTimeout)


def host_of(error: VtexError) -> str:
    return urlsplit(error.url).netloc or "the VTEX host"


def stop_for(error: VtexError, account: str, *, answered: bool) -> SyncStopped | None:
    """The :class:`SyncStopped` that ``error`` means for the run, or None when it is one record's."""
    host = host_of(error)
    where = f"{error.method} {error.route}".strip()
    if isinstance(error, Unauthorized | Forbidden):
        refused = "refused the credentials" if isinstance(error, Unauthorized) else "denied permission"
        check = (
            "check vtex.app_key and vtex.app_token (VTEXBRIDGE_VTEX__APP_KEY, VTEXBRIDGE_VTEX__APP_TOKEN) "
            f"and that they belong to account {account!r}"
            if isinstance(error, Unauthorized)
            else "check that the app key's role has the permissions of this API area (License Manager: "
            "Catalog, Pricing, Logistics, Master Data) for the call named here"
        )
        detail = error.vtex_message or error.message
        return SyncStopped(
            f"stopped: VTEX {refused} of account {account!r} at {host} ({where} -> {error.status}: "
            f"{detail}); nothing else was sent and no record was marked in error; {check}",
            account=account,
            host=host,
            cause=error,
        )
    if not answered and unreachable(error):
        return SyncStopped(
            f"stopped: cannot reach {host} for account {account!r} ({where}: {error.message}); "
            "nothing was sent and no record was marked in error; check vtex.base_url and "
            "vtex.environment, the host name, and the network, proxy or firewall between here and VTEX",
            account=account,
            host=host,
            cause=error,
        )
    return None
