"""The [orders] section: defaults that work without a file, validation, environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtexbridge.config import Settings, load_settings
from vtexbridge.errors import ConfigError
from vtexbridge.orders.consumer import effective_empty_poll
from vtexbridge.orders.service import resolve_path


def test_defaults() -> None:
    orders = Settings().orders
    assert orders.statuses == ["ready-for-handling", "canceled"]
    assert orders.start_handling is True
    assert orders.feed.empty_poll_s == 5.0
    assert orders.feed.retention_s == 345_600
    assert orders.feed.max_lot == 10
    assert orders.sink.kind == "folder" and orders.sink.path == Path("erp/orders")
    assert orders.actions.folder == Path("erp/actions")
    assert orders.hook.secret is None and orders.actions.api_token is None


def test_secrets_come_from_the_environment_and_are_hidden() -> None:
    s = load_settings(
        None,
        env={"VTEXBRIDGE_ORDERS__HOOK__SECRET": "s3cret", "VTEXBRIDGE_ORDERS__ACTIONS__API_TOKEN": "zq-7731"},
    )
    assert s.orders.hook.secret is not None and s.orders.hook.secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s) and "zq-7731" not in repr(s.orders.actions)


def test_the_poll_floor_is_five_seconds_against_vtex() -> None:
    fast = {"orders": {"feed": {"empty_poll_s": 0.1}}}
    assert effective_empty_poll(Settings.model_validate(fast)) == 5.0
    sandbox = {**fast, "vtex": {"base_url": "http://127.0.0.1:8710"}}
    assert effective_empty_poll(Settings.model_validate(sandbox)) == 0.1
    slow = {"orders": {"feed": {"empty_poll_s": 30}}}
    assert effective_empty_poll(Settings.model_validate(slow)) == 30


def test_invalid_values_are_listed_with_their_env_names(tmp_path: Path) -> None:
    cfg = tmp_path / "vtexbridge.toml"
    cfg.write_text(
        '[orders]\nstatuses = ["ready for handling"]\n[orders.feed]\nmax_lot = 50\n'
        '[orders.sink]\nkind = "http"\n'
    )
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={})
    text = str(e.value)
    assert "orders.statuses" in text and "orders.feed.max_lot" in text and "orders.sink" in text
    assert "VTEXBRIDGE_ORDERS__FEED__MAX_LOT" in text


def test_an_empty_actions_folder_disables_it() -> None:
    assert Settings.model_validate({"orders": {"actions": {"folder": ""}}}).orders.actions.folder is None


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "conf" / "vtexbridge.toml"
    cfg.parent.mkdir()
    cfg.write_text('[orders.sink]\npath = "out/orders"\n')
    s = load_settings(cfg, env={})
    assert resolve_path(s, s.orders.sink.path) == tmp_path / "conf" / "out" / "orders"
    assert resolve_path(Settings(), Path("x")) == Path("x")
