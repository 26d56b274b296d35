"""The ``[vtex]`` section: which account the client talks to, with which credentials and budgets.

Mounted as ``Settings.vtex``; the client, its transport, limits and retry policy take this model
only (never the root settings), so importing the client imports no other flow's settings::

    [vtex]
    account = "mystore"              # the account name, not a URL
    environment = "vtexcommercestable"
    # app_key / app_token: VTEXBRIDGE_VTEX__APP_KEY / __APP_TOKEN or the secrets file, never this file
    max_retries = 6

    [[vtex.limits]]                  # replaces the published budget of the same pattern
    pattern = "/api/catalog/*"
    rate_per_s = 20
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from vtexbridge.errors import CredentialsError
from vtexbridge.settings_base import SECRETS_ENV, Section, env_name

__all__ = ["DEFAULT_CREDENTIAL_HOSTS", "RouteLimit", "VtexSettings"]

DEFAULT_CREDENTIAL_HOSTS = (
    "*.vtexcommercestable.com.br",
    "*.vtexcommercebeta.com.br",
    "*.vtexpayments.com.br",
    "*.myvtex.com",
    "*.vtex.com",
    "*.vtex.com.br",
)
"""VTEX's own domains: where our VTEX app key and token may go by default."""

_ACCOUNT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


class RouteLimit(Section):
    """A request budget for the routes matching ``pattern`` (a VTEX route template, ``*`` allowed).

    One bucket is shared by every matching route, unless ``per_route`` gives each matching route
    template a bucket of its own (VTEX's "per endpoint" limits).
    """

    pattern: str
    rate_per_s: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)
    methods: list[str] | None = None
    per_route: bool = False


class VtexSettings(Section):
    account: str = "sandbox"
    environment: str = "vtexcommercestable"
    base_url: str | None = Field(
        default=None,
        description="Send every API to this base URL instead of VTEX's hosts (the local sandbox).",
    )
    app_key: SecretStr | None = None
    app_token: SecretStr | None = None
    user_token: SecretStr | None = None
    secrets_file: Path | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    max_connections: int = Field(default=64, ge=1)
    max_retries: int = Field(default=6, ge=0)
    backoff_base_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    breaker_threshold: int = Field(
        default=5, ge=1, description="Consecutive 503s that open an API's breaker."
    )
    breaker_cooldown_s: float = Field(default=30.0, gt=0)
    limits: list[RouteLimit] = Field(default_factory=list, description="Overrides of the published budgets.")
    # h4-transport (#11, #15): where our credentials may go; budgets shared across processes
    credential_hosts: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CREDENTIAL_HOSTS),
        description="Hosts (exact, or '*.domain') that our app key and token may be sent to when a "
        "call names its own URL (a marketplace's services endpoint); always over https, except to "
        "loopback (the local sandbox).",
    )
    shared_limits_url: SecretStr | None = Field(
        default=None,
        description="redis://... to share the account's rate budgets between processes (several "
        "serve or sync processes of one account); unset, each process keeps its own budgets.",
    )

    @field_validator("account")
    @classmethod
    def _account_is_a_name(cls, v: str) -> str:
        v = v.strip()
        if "." in v or "/" in v or ":" in v:
            first = v.split("//")[-1].split(".")[0].split("/")[0]
            raise ValueError(
                f"{v!r} looks like a host or URL; vtex.account takes the account name only (e.g. {first!r})"
            )
        if not _ACCOUNT_RE.match(v):
            raise ValueError(f"{v!r} is not a VTEX account name (lower-case letters, digits and '-')")
        return v

    @field_validator("environment")
    @classmethod
    def _environment_is_a_label(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9-]+", v):
            raise ValueError(f"{v!r} is not a VTEX environment label (e.g. 'vtexcommercestable')")
        return v

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v.rstrip("/")

    def credentials_problem(self) -> str | None:
        """Why requests to VTEX cannot be authenticated, or None when they can."""
        if self.user_token is not None:
            return None
        if self.app_key is None or self.app_token is None:
            missing = [n for n in ("app_key", "app_token") if getattr(self, n) is None]
            names = ", ".join(env_name("vtex", n) for n in missing)
            return f"missing {', '.join(missing)}: set {names}, or give a secrets file ({SECRETS_ENV})"
        return None

    def require_credentials(self) -> None:
        problem = self.credentials_problem()
        if problem:
            raise CredentialsError(problem)
