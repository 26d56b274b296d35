"""The sandbox's settings: where it listens, which account and credentials it plays, its faults and limits.

One frozen value built by the CLI (or by a test) and handed to :func:`vtexbridge.sandbox.app.create_app`;
nothing here reads the environment or files.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8710
DEFAULT_ACCOUNT = "sandbox"
DEFAULT_APP_KEY = "vtexappkey-sandbox-KEY"
DEFAULT_APP_TOKEN = "sandbox-token"

LimitsMode = Literal["real", "off"]
MasterDataMode = Literal["strict", "lenient"]


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    """VTEX's published limits (vtex-api-notes §h); every figure can be overridden.

    Pricing: POST/PUT/PATCH routes share a token bucket of ``pricing_write_burst`` credits refilled at
    ``pricing_write_per_second``; DELETE routes have their own bucket; GET is not limited. Catalog: a
    per-account budget per minute and a per-endpoint (method + route template) budget per minute.
    """

    pricing_write_per_second: float = 33.0
    pricing_write_burst: int = 500
    pricing_delete_per_second: float = 16.0
    pricing_delete_burst: int = 300
    catalog_account_per_minute: int = 45_000
    catalog_endpoint_per_minute: int = 15_000


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    """Everything ``vtexbridge sandbox`` can be told.

    Attributes:
        host, port: where uvicorn listens (``host`` also decides whether the admin API is open).
        state: SQLite file keeping the store across restarts; ``None`` keeps it in memory.
        account: the account used when neither the ``Host`` header nor a path prefix names one.
        credentials: accepted ``X-VTEX-API-AppKey`` -> ``X-VTEX-API-AppToken`` pairs.
        user_tokens: accepted ``VtexIdclientAutCookie`` values (none by default).
        faults: a fault SPEC (see :mod:`vtexbridge.sandbox.faults`) installed at start.
        fault_seed: seed of the fault RNG, for reproducible runs; ``None`` draws from the OS.
        allow_remote_admin: open ``/_sandbox/*`` even when bound to a non-loopback address.
        seed: name of a seed data set applied at start (``"demo"``), or ``None``.
        limits: ``"real"`` enforces :class:`RateLimitSettings`; ``"off"`` enforces nothing.
        rate_limits: the figures enforced when ``limits == "real"``.
        inventory_lock_ms: window in which a second inventory update of the same SKU+warehouse gets 423.
        request_log_size: how many recent requests the request log keeps (counters are exact anyway).
        masterdata: ``"strict"`` (default) answers Master Data as VTEX does: an entity exists once created
            (CL and AD always), a first write to an unknown entity creates a v2 entity (v2 answers and
            rules), reads of an unknown entity answer 404, a search without ``REST-Range`` answers 400;
            ``"lenient"`` is the sandbox's former leniency: every entity exists with v1 semantics and a
            search without ``REST-Range`` answers the first 15 documents.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    state: Path | None = None
    account: str = DEFAULT_ACCOUNT
    credentials: dict[str, str] = field(default_factory=lambda: {DEFAULT_APP_KEY: DEFAULT_APP_TOKEN})
    user_tokens: frozenset[str] = frozenset()
    faults: str | None = None
    fault_seed: int | None = None
    allow_remote_admin: bool = False
    seed: str | None = None
    limits: LimitsMode = "real"
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    inventory_lock_ms: float = 150.0
    request_log_size: int = 10_000
    masterdata: MasterDataMode = "strict"

    @property
    def real_limits(self) -> bool:
        """Whether VTEX's rate limits are enforced."""
        return self.limits == "real"

    @property
    def admin_enabled(self) -> bool:
        """The admin API is served on loopback binds, or anywhere with ``allow_remote_admin``."""
        return self.allow_remote_admin or is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """``True`` for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
