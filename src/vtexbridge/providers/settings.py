"""The ``[providers]`` section: the gift card, payment and antifraud provider protocols ``serve`` answers.

Each protocol is off until its table is present. Example::

    [providers.giftcard]
    path = "/providers/giftcard"       # VTEX's Giftcard Hub: serviceUrl = https://<bridge>/providers/giftcard
    provider_name = "erp-giftcards"
    [providers.giftcard.adapter]
    kind = "local"                     # local (folder + SQLite), sql, http or plugin
    path = "erp/providers"

    [providers.payment]
    path = "/providers/payment"
    payment_methods = ["Promissories"]
    [providers.payment.adapter]
    kind = "http"                      # url: VTEXBRIDGE_PROVIDERS__PAYMENT__ADAPTER__URL (a secret)

    [providers.antifraud]
    path = "/providers/antifraud"

The credentials VTEX presents on every call (``X-VTEX-API-AppKey``/``AppToken``, or the
``X-PROVIDER-API-*`` pair of the gift card hub) are secrets: only from the environment
(``VTEXBRIDGE_PROVIDERS__GIFTCARD__APP_KEY`` / ``__APP_TOKEN``) or the secrets file
(``[providers.giftcard] app_key = ...``), never from the TOML config. Without them every request of
that protocol is refused with 401.

This module imports only pydantic and ``vtexbridge.settings_base``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import Field, SecretStr, field_validator, model_validator

from vtexbridge.settings_base import Section

if TYPE_CHECKING:
    from vtexbridge.vtex.settings import VtexSettings

__all__ = [
    "AdapterSettings",
    "AntifraudProviderSettings",
    "GiftCardProviderSettings",
    "PaymentProviderSettings",
    "ProvidersConfig",
    "ProvidersSettings",
]

_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
AdapterKind = Literal["local", "sql", "http", "plugin"]


class AdapterSettings(Section):
    """Where a protocol's ERP side is: the reference SQLite folder, SQL, an HTTP API or a plugin."""

    kind: AdapterKind = Field(
        default="local", description="local (a SQLite folder), sql, http (the ERP's JSON API) or plugin."
    )
    path: Path = Field(
        default=Path("erp/providers"),
        description="local: the folder holding providers.db (created, and seeded from its JSON files).",
    )
    url: SecretStr | None = Field(
        default=None,
        description="sql: a SQLAlchemy URL of the ERP database; http: the ERP API's base URL (a secret: "
        "it may carry a password; environment or secrets file).",
    )
    plugin: str | None = Field(
        default=None, description="plugin: an entry point of the protocol's group, or 'module:attribute'."
    )
    options: dict[str, Any] = Field(default_factory=dict, description="plugin: keyword arguments.")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="http: headers sent to the ERP (e.g. Authorization)."
    )
    timeout_s: float = Field(
        default=2.0,
        gt=0,
        le=30,
        description="How long one ERP call may take before VTEX gets the protocol's pending/error answer.",
    )

    @model_validator(mode="after")
    def _kind_has_target(self) -> AdapterSettings:
        if self.kind in ("sql", "http") and not self.url:
            raise ValueError(f"adapter kind {self.kind!r} needs url")
        if (
            self.kind == "http"
            and self.url
            and not re.match(r"^https?://[^/\s]+", self.url.get_secret_value())
        ):
            raise ValueError("adapter url is not an http(s) URL")
        if self.kind == "plugin" and not self.plugin:
            raise ValueError("adapter kind 'plugin' needs plugin (an entry point name or 'module:attribute')")
        return self


class _Provider(Section):
    path: str = Field(description="Route prefix of the protocol's endpoints (VTEX's provider URL).")
    app_key: SecretStr | None = Field(
        default=None, description="The app key VTEX presents (environment or secrets file only)."
    )
    app_token: SecretStr | None = Field(default=None, description="Its token (environment or secrets file).")
    adapter: AdapterSettings = Field(default_factory=AdapterSettings)

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, v: str) -> str:
        v = v.rstrip("/")
        if not _PATH.match(v):
            raise ValueError(f"{v!r} must be an absolute URL path such as '/providers/giftcard'")
        return v

    @model_validator(mode="after")
    def _credentials_pair(self) -> _Provider:
        if (self.app_key is None) != (self.app_token is None):
            raise ValueError("app_key and app_token go together")
        return self


class GiftCardProviderSettings(_Provider):
    """The Gift Card Provider Protocol: the ERP's (or CRM's) gift cards and loyalty balances."""

    path: str = Field(
        default="/providers/giftcard", description="Route prefix (the Giftcard Hub's serviceUrl)."
    )
    provider_name: str = Field(
        default="vtexbridge", min_length=1, max_length=64, description="Answered as each card's provider."
    )
    allow_create: bool = Field(
        default=False, description="Answer VTEX's 'create a gift card' (else 403: cards come from the ERP)."
    )
    currency: str = Field(
        default="BRL", pattern=r"^[A-Z]{3}$", description="Currency of cards created without one (ISO 4217)."
    )


class PaymentProviderSettings(_Provider):
    """The Payment Provider Protocol: payment on the customer's ERP credit line / store credit."""

    path: str = Field(default="/providers/payment", description="Route prefix of the connector's endpoints.")
    payment_methods: list[str] = Field(
        default_factory=lambda: ["Promissories"],
        min_length=1,
        description="The manifest's payment methods (VTEX's names, e.g. 'Promissories', 'Cobranded').",
    )
    acquirer: str = Field(default="vtexbridge-erp", max_length=64, description="Answered as the acquirer.")
    delay_to_auto_settle_s: int = Field(
        default=7 * 24 * 3600,
        ge=0,
        le=7 * 24 * 3600,
        description="VTEX captures by itself after this long (also after antifraud approval): the "
        "invoice normally captures first.",
    )
    delay_to_cancel_s: int = Field(
        default=7 * 24 * 3600,
        ge=600,
        le=30 * 24 * 3600,
        description="How long VTEX waits for a pending ERP decision before it cancels the payment.",
    )
    callback_mode: Literal["notification", "retry"] = Field(
        default="notification",
        description="How a later ERP decision reaches VTEX: POST the payment's status to callbackUrl "
        "(notification), or POST to it empty so VTEX asks again (retry).",
    )
    callback_hosts: list[str] = Field(
        default_factory=lambda: ["*.vtexpayments.com.br"],
        description="Hosts a callbackUrl may point at ('*.' matches subdomains); the callback carries "
        "vtex.app_key/app_token, so no other host gets it. vtex.base_url's host is added.",
    )
    onboarding: bool = Field(
        default=False,
        description="Answer the configuration flow (authorization/token, redirect, credentials): it "
        "hands VTEX this provider's app key and token once, for a one-time code.",
    )
    callback_attempts: int = Field(
        default=8, ge=1, le=50, description="Tries of the callbackUrl notification."
    )
    callback_backoff_s: float = Field(
        default=1.0, gt=0, le=600, description="First wait before a failed callback is sent again (doubles)."
    )
    decision_poll_s: float = Field(
        default=5.0, gt=0, le=3600, description="How often serve asks the ERP about pending payments."
    )


class AntifraudProviderSettings(_Provider):
    """The Antifraud Provider Protocol: the ERP's fraud rules (blocked documents, holds, value limits)."""

    path: str = Field(default="/providers/antifraud", description="Route prefix of the provider's endpoints.")
    decision_poll_s: float = Field(
        default=5.0, gt=0, le=3600, description="How often serve asks the ERP about undecided analyses."
    )
    payment_methods: list[str] = Field(
        default_factory=lambda: ["CreditCard", "DebitCard", "GiftCard", "Promissory"],
        min_length=1,
        description="The payment methods the analysis covers (answered when an analysis is stopped).",
    )
    hook_hosts: list[str] = Field(
        default_factory=lambda: ["*.vtex.com", "*.vtexpayments.com.br", "*.vtexcommercestable.com.br"],
        description="Hosts the request's hook URL may point at (a later decision is POSTed there; it "
        "carries vtex.app_key/app_token). vtex.base_url's host is added.",
    )
    hook_attempts: int = Field(default=8, ge=1, le=50, description="Tries of the hook notification.")
    hook_backoff_s: float = Field(
        default=1.0, gt=0, le=600, description="First wait before a failed hook is sent again (doubles)."
    )
    onboarding: bool = Field(default=False, description="Answer the configuration flow (see payment).")


class ProvidersSettings(Section):
    """The three protocols; each is off until configured."""

    giftcard: GiftCardProviderSettings | None = None
    payment: PaymentProviderSettings | None = None
    antifraud: AntifraudProviderSettings | None = None


class ProvidersConfig(Protocol):
    """The sections the provider protocols read: ``[vtex]`` (callbacks carry its credentials; the
    sandbox host), ``[providers]``, and the config file whose folder relative paths start from.

    The root settings (``vtexbridge.config.Settings``) have these; the protocols see only them.
    """

    @property
    def vtex(self) -> VtexSettings: ...
    @property
    def providers(self) -> ProvidersSettings: ...
    @property
    def config_path(self) -> Path | None: ...
