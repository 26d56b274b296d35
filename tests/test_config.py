from __future__ import annotations

from pathlib import Path

import pytest

from vtexbridge.config import load_settings
from vtexbridge.errors import ConfigError, CredentialsError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file() -> None:
    s = load_settings(env={})
    assert s.vtex.account == "sandbox"
    assert s.vtex.base_url is None
    assert s.state.url == "sqlite:///vtexbridge.db"


def test_toml_then_environment_override(tmp_path: Path) -> None:
    cfg = write(tmp_path / "v.toml", '[vtex]\naccount = "acme"\ntimeout_s = 5\n[state]\nbatch_size = 10\n')
    s = load_settings(cfg, env={"VTEXBRIDGE_VTEX__TIMEOUT_S": "7.5", "VTEXBRIDGE_STATE__BATCH_SIZE": "99"})
    assert s.vtex.account == "acme"
    assert s.vtex.timeout_s == 7.5
    assert s.state.batch_size == 99


def test_config_path_from_environment_variable(tmp_path: Path) -> None:
    cfg = write(tmp_path / "other.toml", '[vtex]\naccount = "fromenv"\n')
    assert load_settings(env={"VTEXBRIDGE_CONFIG": str(cfg)}).vtex.account == "fromenv"


def test_local_vtexbridge_toml_is_found(tmp_path: Path) -> None:
    write(tmp_path / "vtexbridge.toml", '[vtex]\naccount = "local"\n')
    assert load_settings(env={}).vtex.account == "local"  # the autouse fixture chdirs to tmp_path


@pytest.mark.parametrize("bad", ["store.myvtex.com", "https://store.vtexcommercestable.com.br", "acme/x"])
def test_host_given_as_account_is_a_clear_error(tmp_path: Path, bad: str) -> None:
    cfg = write(tmp_path / "v.toml", f'[vtex]\naccount = "{bad}"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={})
    text = str(e.value)
    assert "vtex.account" in text
    assert "looks like a host or URL" in text
    assert "'store'" in text or "'acme'" in text


def test_every_problem_is_listed_with_where_it_was_looked_up(tmp_path: Path) -> None:
    cfg = write(tmp_path / "v.toml", "[vtex]\ntimeout_s = -1\nbogus = 1\n")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={"VTEXBRIDGE_STATE__BATCH_SIZE": "zero"})
    problems = e.value.problems
    assert len(problems) == 3
    assert any(
        p.startswith("vtex.timeout_s (from config file; env override VTEXBRIDGE_VTEX__TIMEOUT_S)")
        for p in problems
    )
    assert any(p.startswith("vtex.bogus") for p in problems)
    assert any(p.startswith("state.batch_size (from environment") for p in problems)


def test_secrets_in_the_config_file_are_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path / "v.toml", '[vtex]\naccount = "acme"\napp_token = "s3cr3t-token"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={})
    assert "vtex.app_token" in str(e.value)
    assert "s3cr3t-token" not in str(e.value)


def test_secrets_from_environment_are_secret(tmp_path: Path) -> None:
    s = load_settings(
        env={"VTEXBRIDGE_VTEX__APP_KEY": "vtexappkey-acme-XYZ", "VTEXBRIDGE_VTEX__APP_TOKEN": "tok-123"}
    )
    assert s.vtex.app_key is not None and s.vtex.app_key.get_secret_value() == "vtexappkey-acme-XYZ"
    assert "tok-123" not in repr(s) and "tok-123" not in str(s.model_dump())
    s.vtex.require_credentials()


def test_secrets_file_relative_to_config(tmp_path: Path) -> None:
    write(tmp_path / "secrets.toml", 'app_key = "k-file"\napp_token = "t-file"\n')
    cfg = write(tmp_path / "v.toml", '[vtex]\naccount = "acme"\nsecrets_file = "secrets.toml"\n')
    s = load_settings(cfg, env={})
    assert s.vtex.app_token is not None and s.vtex.app_token.get_secret_value() == "t-file"


def test_environment_wins_over_secrets_file(tmp_path: Path) -> None:
    sec = write(tmp_path / "s.toml", 'app_key = "k-file"\napp_token = "t-file"\n')
    s = load_settings(env={"VTEXBRIDGE_SECRETS_FILE": str(sec), "VTEXBRIDGE_VTEX__APP_TOKEN": "t-env"})
    assert s.vtex.app_token is not None and s.vtex.app_token.get_secret_value() == "t-env"
    assert s.vtex.app_key is not None and s.vtex.app_key.get_secret_value() == "k-file"


def test_secrets_file_with_unknown_keys_is_refused(tmp_path: Path) -> None:
    sec = write(tmp_path / "s.toml", 'app_key = "k"\npassword = "p"\n')
    with pytest.raises(ConfigError, match="unknown keys \\['password'\\]"):
        load_settings(env={"VTEXBRIDGE_SECRETS_FILE": str(sec)})


def test_missing_credentials_name_the_variables() -> None:
    s = load_settings(env={"VTEXBRIDGE_VTEX__APP_KEY": "k-only"})
    with pytest.raises(CredentialsError, match="VTEXBRIDGE_VTEX__APP_TOKEN"):
        s.vtex.require_credentials()


def test_user_token_alone_is_enough() -> None:
    s = load_settings(env={"VTEXBRIDGE_VTEX__USER_TOKEN": "jwt-abc"})
    assert s.vtex.credentials_problem() is None


def test_relative_sqlite_url_is_resolved_next_to_the_config(tmp_path: Path) -> None:
    sub = tmp_path / "conf"
    sub.mkdir()
    cfg = write(sub / "v.toml", '[state]\nurl = "sqlite:///state.db"\n')
    assert load_settings(cfg, env={}).state.url == f"sqlite:///{sub / 'state.db'}"


def test_base_url_must_be_http_and_loses_trailing_slash() -> None:
    s = load_settings(env={"VTEXBRIDGE_VTEX__BASE_URL": "http://127.0.0.1:8710/"})
    assert s.vtex.base_url == "http://127.0.0.1:8710"
    with pytest.raises(ConfigError, match=r"vtex\.base_url"):
        load_settings(env={"VTEXBRIDGE_VTEX__BASE_URL": "ftp://x"})


def test_limits_override_from_environment_as_toml_array() -> None:
    s = load_settings(
        env={"VTEXBRIDGE_VTEX__LIMITS": '[{pattern = "/pricing/*", rate_per_s = 5, burst = 2}]'}
    )
    assert s.vtex.limits[0].pattern == "/pricing/*"
    assert s.vtex.limits[0].rate_per_s == 5


def test_broken_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path / "v.toml", "[vtex\n"), env={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})


def test_every_secret_setting_is_known() -> None:
    from vtexbridge.config import Settings, secret_paths

    paths = {".".join(p) for p in secret_paths(Settings)}
    assert {"vtex.app_key", "vtex.app_token", "vtex.user_token", "web.token", "orders.hook.secret"} <= paths
    assert {
        "marketplace.seller.app_key",
        "marketplace.seller.app_token",
        "marketplace.affiliate.secret",
    } <= paths


@pytest.mark.parametrize(
    ("table", "key"), [("web", "token"), ("orders.hook", "secret"), ("marketplace.seller", "app_token")]
)
def test_any_secret_in_the_config_file_is_refused(tmp_path: Path, table: str, key: str) -> None:
    cfg = write(tmp_path / "v.toml", f'[{table}]\n{key} = "leaky-value"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={})
    assert f"{table}.{key}" in str(e.value)
    assert "leaky-value" not in str(e.value)


def test_nested_secrets_in_the_secrets_file(tmp_path: Path) -> None:
    sec = write(
        tmp_path / "s.toml", 'app_token = "t"\n[orders.hook]\nsecret = "hook-s3cret"\n[web]\ntoken = "w"\n'
    )
    s = load_settings(env={"VTEXBRIDGE_SECRETS_FILE": str(sec), "VTEXBRIDGE_WEB__TOKEN": "from-env"})
    assert s.orders.hook.secret is not None
    assert s.orders.hook.secret.get_secret_value() == "hook-s3cret"
    assert s.web.token is not None
    assert s.web.token.get_secret_value() == "from-env"
    assert s.vtex.app_token is not None


def test_non_secret_key_in_the_secrets_file_is_refused(tmp_path: Path) -> None:
    sec = write(tmp_path / "s.toml", "[web]\nport = 1\n")
    with pytest.raises(ConfigError, match=r"unknown keys \['web.port'\]"):
        load_settings(env={"VTEXBRIDGE_SECRETS_FILE": str(sec)})


def test_a_typo_in_the_file_gets_a_did_you_mean(tmp_path: Path) -> None:
    cfg = tmp_path / "vtexbridge.toml"
    cfg.write_text('[vtex]\nacount = "acme"\n[orders.feeed]\nenabled = false\n[web]\nprot = 1\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={})
    problems = e.value.problems
    assert any(p.startswith("vtex.acount") and "did you mean vtex.account?" in p for p in problems)
    assert any(p.startswith("orders.feeed") and "did you mean orders.feed?" in p for p in problems)
    assert any(p.startswith("web.prot") and "did you mean web.port?" in p for p in problems)


def test_a_typo_in_the_file_also_names_the_right_variable(tmp_path: Path) -> None:
    cfg = tmp_path / "vtexbridge.toml"
    cfg.write_text('[vtex]\nacount = "acme"\n[vtx]\naccount = "acme"\n[orders.feeed]\nenabled = false\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, env={})
    problems = e.value.problems
    [acount] = [p for p in problems if p.startswith("vtex.acount (from config file")]
    assert "did you mean vtex.account? in the environment: VTEXBRIDGE_VTEX__ACCOUNT)" in acount
    [vtx] = [p for p in problems if p.startswith("vtx (from config file")]
    assert "did you mean vtex? in the environment: VTEXBRIDGE_VTEX__<KEY>)" in vtx
    [feed] = [p for p in problems if p.startswith("orders.feeed (from config file")]
    assert "in the environment: VTEXBRIDGE_ORDERS__FEED__<KEY>)" in feed


def test_a_typo_in_the_environment_names_the_right_variable() -> None:
    with pytest.raises(ConfigError) as e:
        load_settings(None, env={"VTEXBRIDGE_VTEX__ACOUNT": "acme"})
    [problem] = e.value.problems
    assert "did you mean VTEXBRIDGE_VTEX__ACCOUNT?" in problem
    with pytest.raises(ConfigError) as e:
        load_settings(None, env={"VTEXBRIDGE_VTX__ACCOUNT": "acme"})
    assert "did you mean VTEXBRIDGE_VTEX__<KEY>?" in e.value.problems[0]


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("VTEXBRIDGE_VTEX_BASE_URL", "VTEXBRIDGE_VTEX__BASE_URL"),
        ("VTEXBRIDGE_VTEX_APP_KEY", "VTEXBRIDGE_VTEX__APP_KEY"),
        ("VTEXBRIDGE_ORDERS_FEED_ENABLED", "VTEXBRIDGE_ORDERS__FEED__ENABLED"),
        ("VTEXBRIDGE_ORDERS__FEED_ENABLED", "VTEXBRIDGE_ORDERS__FEED__ENABLED"),
    ],
)
def test_one_underscore_where_two_separate_keys_is_a_likely_mistake(name: str, meant: str) -> None:
    with pytest.raises(ConfigError, match="likely mistake") as e:
        load_settings(None, env={name: "http://127.0.0.1:8710"})
    [problem] = e.value.problems
    assert f"environment variable {name} is not read" in problem and f"did you mean {meant}?" in problem


def test_other_vtexbridge_variables_are_not_mistakes() -> None:
    env = {
        "VTEXBRIDGE_REQUIRE_SERVICES": "1",
        "VTEXBRIDGE_CHROMIUM": "/usr/bin/chromium",
        "VTEXBRIDGE_OPENAPI_DIR": "/tmp",
        "VTEXBRIDGE_VTEX__BASE_URL": "http://127.0.0.1:8710",
    }
    assert load_settings(None, env=env).vtex.base_url == "http://127.0.0.1:8710"
