"""The ``[marketplace]`` section of the configuration (to be mounted as ``Settings.marketplace``).

Both parts are off unless their table is present. Example::

    # A: the ERP's stock sold on a VTEX marketplace (vtex.account = the marketplace)
    [marketplace.seller]
    seller_id = "erpseller"         # the seller's id in the marketplace's seller management
    path = "/marketplace/seller"    # fulfillment endpoint = https://<bridge>/marketplace/seller
    trade_policy = "1"              # which ERP fixed prices apply
    payment = "marketplace"         # or "seller": the payment data VTEX sends goes to payment_handler
    # app_key / app_token that VTEX presents: VTEXBRIDGE_MARKETPLACE__SELLER__APP_KEY / __APP_TOKEN

    [[marketplace.seller.slas]]
    id = "Normal"
    price = "9.90"
    shipping_estimate = "5bd"

    # B: a non-VTEX marketplace selling a VTEX seller's SKUs (vtex.account = the seller)
    [marketplace.affiliate]
    affiliate_id = "BRG"            # the affiliate registered in the seller's OMS (3 consonants)
    sales_channel = "1"
    public_url = "https://bridge.example.com"   # services endpoint = public_url + path + "/services"
    [marketplace.affiliate.catalog_sink]
    path = "erp/marketplace-catalog"

This module imports only pydantic and ``vtexbridge.settings_base``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import Field, SecretStr, field_validator, model_validator

from vtexbridge.settings_base import Section

if TYPE_CHECKING:
    from vtexbridge.erp.config import ErpSettings
    from vtexbridge.orders.settings import OrdersSettings
    from vtexbridge.state.settings import StateSettings
    from vtexbridge.sync.config import SyncSettings
    from vtexbridge.vtex.settings import VtexSettings

__all__ = [
    "AffiliateSettings",
    "CatalogSinkSettings",
    "MarketplaceConfig",
    "MarketplaceSettings",
    "PaymentMode",
    "SellerSettings",
    "SlaSettings",
]

PaymentMode = Literal["marketplace", "seller"]
"""Who processes the shopper's payment: the marketplace keeps it, or the seller does."""

_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")


def _check_path(v: str) -> str:
    v = v.rstrip("/")
    if not _PATH.match(v):
        raise ValueError(f"{v!r} must be an absolute URL path such as '/marketplace/seller'")
    return v


class SlaSettings(Section):
    """One shipping option quoted by the external seller's simulation (when a postal code is given)."""

    id: str = "Normal"
    name: str | None = Field(default=None, description="Shown to the shopper; defaults to `id`.")
    delivery_channel: Literal["delivery", "pickup-in-point"] = "delivery"
    price: Decimal = Field(default=Decimal(0), ge=0, description="Per item line, in currency units.")
    shipping_estimate: str = Field(default="5bd", pattern=r"^\d+(bd|d|h|m)$")


class SellerSettings(Section):
    """A: vtexbridge plays an external seller; VTEX (``vtex.account``) is the marketplace."""

    seller_id: str = Field(min_length=1, description="The seller's id in the marketplace.")
    path: str = Field(default="/marketplace/seller", description="Route prefix of the fulfillment endpoint.")
    app_key: SecretStr | None = Field(
        default=None,
        description="The app key VTEX presents when it calls us (VTEXBRIDGE_MARKETPLACE__SELLER__APP_KEY).",
    )
    app_token: SecretStr | None = Field(
        default=None, description="Its token (VTEXBRIDGE_MARKETPLACE__SELLER__APP_TOKEN)."
    )
    trade_policy: str = Field(default="1", description="ERP fixed prices of this trade policy apply.")
    payment: PaymentMode = "marketplace"
    merchant_name: str | None = Field(
        default=None,
        description="Answered as `merchantName` when the seller processes payments (payment = 'seller').",
    )
    payment_handler: str | None = Field(
        default=None,
        description="payment = 'seller': an entry point of group vtexbridge.payment_handlers, or "
        "'module:attribute', given the payment data the marketplace sends.",
    )
    currency: str = "BRL"
    currency_symbol: str = "R$"
    ships_to: list[str] = Field(default_factory=lambda: ["BRA"], min_length=1)
    slas: list[SlaSettings] = Field(default_factory=lambda: [SlaSettings()], min_length=1)
    order_id_prefix: str = Field(
        default="VB",
        pattern=r"^[A-Za-z0-9]{1,10}$",
        description="Seller order id = prefix-marketplaceOrderId.",
    )
    follow_up_email: str | None = None
    index_refresh_s: float = Field(
        default=300.0, gt=0, description="How often `serve` reloads prices and stock from the ERP snapshot."
    )
    notify_on_refresh: bool = Field(
        default=False,
        description="Also notify the marketplace of the price/stock changes a `serve` reload finds. "
        "Leave off when `vtexbridge sync` runs (it notifies what changed since its last run; both "
        "would notify twice).",
    )
    reservation_grace_s: float = Field(
        default=0.0,
        ge=0,
        description="Units an order placed through us stay reserved until a snapshot exported this "
        "long after the order is loaded (the time the ERP takes to import an order into its stock).",
    )

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, v: str) -> str:
        return _check_path(v)

    @model_validator(mode="after")
    def _payment_has_handler(self) -> SellerSettings:
        if self.payment == "seller" and not self.merchant_name:
            raise ValueError("marketplace.seller.merchant_name is required when payment = 'seller'")
        if (self.app_key is None) != (self.app_token is None):
            raise ValueError("marketplace.seller.app_key and app_token go together")
        return self


class CatalogSinkSettings(Section):
    """Where the marketplace-side catalog (SKU, price, stock of the VTEX seller) is kept."""

    kind: Literal["folder"] = "folder"
    path: Path = Field(default=Path("erp/marketplace-catalog"))
    fsync: bool = True


class AffiliateSettings(Section):
    """B: vtexbridge plays an external marketplace (an affiliate); ``vtex.account`` is the VTEX seller."""

    affiliate_id: str = Field(pattern=r"^[A-Za-z]{3}$", description="The affiliate id in the seller's OMS.")
    sales_channel: str = Field(default="1", description="The trade policy the affiliate sells.")
    path: str = Field(default="/marketplace/affiliate", description="Route prefix of our endpoints.")
    public_url: str | None = Field(
        default=None, description="Our base URL as VTEX reaches it (for the marketplaceServicesEndpoint)."
    )
    secret: SecretStr | None = Field(
        default=None,
        description="When set, VTEX's calls must carry it (?token= in the URLs we register, or the "
        "X-Vtexbridge-Token header); VTEXBRIDGE_MARKETPLACE__AFFILIATE__SECRET.",
    )
    payment: PaymentMode = "marketplace"
    payment_handler: str | None = Field(
        default=None,
        description="payment = 'seller': creates the payment transaction in the seller for each order. "
        "'vtex-gateway' (built in) makes the VTEX Payment Gateway calls in the seller's account; "
        "else an entry point of group vtexbridge.payment_handlers or 'module:attribute'.",
    )
    catalog_sink: CatalogSinkSettings = Field(default_factory=CatalogSinkSettings)
    fetch_concurrency: int = Field(default=4, ge=1, le=32, description="SKU fetches from the seller at once.")

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, v: str) -> str:
        return _check_path(v)

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _payment_has_handler(self) -> AffiliateSettings:
        if self.payment == "seller" and not self.payment_handler:
            raise ValueError("marketplace.affiliate.payment_handler is required when payment = 'seller'")
        return self

    def services_endpoint(self) -> str:
        """The ``marketplaceServicesEndpoint`` sent with every order placed on the seller."""
        if not self.public_url:
            raise ValueError("marketplace.affiliate.public_url is needed to place orders")
        url = f"{self.public_url}{self.path}/services"
        if self.secret is not None:
            url += f"?token={self.secret.get_secret_value()}"
        return url


class MarketplaceSettings(Section):
    """Both protocols; each is off until configured."""

    seller: SellerSettings | None = None
    affiliate: AffiliateSettings | None = None


class MarketplaceConfig(Protocol):
    """The sections the marketplace protocols and the seller's sync read: the account's client, the
    state store, the ERP source, ``[sync]`` (lease, reports), ``[orders]`` (the seller's orders go to
    its ERP sink), ``[marketplace]``, and the config file whose folder relative paths start from.

    The root settings (``vtexbridge.config.Settings``) have these; the marketplace sees only them.
    """

    @property
    def vtex(self) -> VtexSettings: ...
    @property
    def state(self) -> StateSettings: ...
    @property
    def erp(self) -> ErpSettings | None: ...
    @property
    def sync(self) -> SyncSettings: ...
    @property
    def orders(self) -> OrdersSettings: ...
    @property
    def marketplace(self) -> MarketplaceSettings: ...
    @property
    def config_path(self) -> Path | None: ...
