"""The [providers] section: credentials only from the environment or the secrets file, pairs
together, paths checked; nothing configured means no route mounted."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtexbridge.config import Settings, load_settings
from vtexbridge.errors import ConfigError
from vtexbridge.web.routes.providers import provider_routes


def test_credentials_in_the_config_file_are_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "vtexbridge.toml"
    cfg.write_text('[providers.payment]\napp_key = "k"\napp_token = "t"\n')
    with pytest.raises(ConfigError, match=r"providers\.payment\.app_key, providers\.payment\.app_token"):
        load_settings(cfg, env={})


def test_credentials_from_the_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "vtexbridge.toml"
    cfg.write_text(
        '[providers.giftcard]\nprovider_name = "erp"\n[providers.giftcard.adapter]\nkind = "sql"\n'
    )
    env = {
        "VTEXBRIDGE_PROVIDERS__GIFTCARD__APP_KEY": "key",
        "VTEXBRIDGE_PROVIDERS__GIFTCARD__APP_TOKEN": "token",
        "VTEXBRIDGE_PROVIDERS__GIFTCARD__ADAPTER__URL": "postgresql://erp:pw@db/erp",
    }
    settings = load_settings(cfg, env=env)
    gc = settings.providers.giftcard
    assert gc is not None and gc.app_token is not None and gc.app_token.get_secret_value() == "token"
    assert gc.adapter.url is not None and "pw" not in repr(gc.adapter)  # the URL is a secret too
    paths = [getattr(r, "path", "") for r in provider_routes(settings.providers)]
    assert "/providers/giftcard/giftcards/_search" in paths


def test_a_key_without_its_token_and_a_bad_path_are_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "vtexbridge.toml"
    cfg.write_text('[providers.antifraud]\npath = "no-slash"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={"VTEXBRIDGE_PROVIDERS__ANTIFRAUD__APP_KEY": "only-the-key"})
    text = "\n".join(info.value.problems)
    assert "absolute URL path" in text and "providers.antifraud" in text


def test_nothing_configured_mounts_nothing() -> None:
    assert provider_routes(Settings().providers) == []
