"""Credentials VTEX presents, the affiliate's shared secret, and the settings' validation."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from vtexbridge.marketplace.auth import presented_vtex_credentials, token_matches, vtex_credentials_match
from vtexbridge.marketplace.settings import AffiliateSettings, MarketplaceSettings, SellerSettings

KEY, TOKEN = SecretStr("k"), SecretStr("t")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-vtex-api-appkey": "k", "x-vtex-api-apptoken": "t"}, ("k", "t")),
        ({"authorization": 'VTEX key="k" token="t"'}, ("k", "t")),
        ({"authorization": 'vtex token="t",  key="k"'}, ("k", "t")),
        ({"authorization": "Bearer x"}, (None, None)),
        ({}, (None, None)),
    ],
)
def test_presented_credentials(headers: dict[str, str], expected: tuple[str | None, str | None]) -> None:
    assert presented_vtex_credentials(headers) == expected


def test_credentials_match_only_the_configured_pair() -> None:
    good = {"x-vtex-api-appkey": "k", "x-vtex-api-apptoken": "t"}
    assert vtex_credentials_match(good, KEY, TOKEN)
    assert not vtex_credentials_match({**good, "x-vtex-api-apptoken": "T"}, KEY, TOKEN)
    assert not vtex_credentials_match(good, None, None)  # closed when nothing is configured


def test_token_in_header_or_query() -> None:
    secret = SecretStr("s3")
    assert token_matches({"x-vtexbridge-token": "s3"}, {}, secret)
    assert token_matches({}, {"token": "s3"}, secret)
    assert not token_matches({}, {"token": "nope"}, secret)
    assert not token_matches({}, {}, None)  # no secret configured: closed (issue #11)


def test_seller_settings_rules() -> None:
    with pytest.raises(ValidationError, match="merchant_name"):
        SellerSettings(seller_id="s", payment="seller")
    with pytest.raises(ValidationError, match="go together"):
        SellerSettings(seller_id="s", app_key=KEY)
    with pytest.raises(ValidationError, match="absolute URL path"):
        SellerSettings(seller_id="s", path="marketplace")
    assert SellerSettings(seller_id="s", path="/x/y/").path == "/x/y"
    assert MarketplaceSettings().seller is None and MarketplaceSettings().affiliate is None


def test_affiliate_settings_rules() -> None:
    with pytest.raises(ValidationError):
        AffiliateSettings(affiliate_id="TOOLONG")
    with pytest.raises(ValidationError, match="payment_handler"):
        AffiliateSettings(affiliate_id="BRG", payment="seller")
    a = AffiliateSettings(affiliate_id="BRG", public_url="https://bridge.example/", secret=SecretStr("s"))
    assert a.services_endpoint() == "https://bridge.example/marketplace/affiliate/services?token=s"
    with pytest.raises(ValueError, match="public_url"):
        AffiliateSettings(affiliate_id="BRG").services_endpoint()
