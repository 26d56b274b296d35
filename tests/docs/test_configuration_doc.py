"""docs/configuration.md lists every configuration key, as the models define them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from vtexbridge.config import Settings

GENERATOR = Path(__file__).resolve().parents[2] / "docs" / "gen_config_reference.py"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_config_reference", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_matches_the_models() -> None:
    gen = generator()
    assert gen.main(["--check"]) == 0, "run: python docs/gen_config_reference.py"


def test_every_key_is_described() -> None:
    assert generator().undocumented() == []


def test_every_section_and_secret_is_listed() -> None:
    gen = generator()
    page = gen.PAGE.read_text(encoding="utf-8")
    for name in Settings.model_fields:
        if name != "config_path":
            assert f"### `[{name}]`" in page
    listed = {k.dotted for k in gen.config_keys()}
    assert {"vtex.app_token", "web.token", "orders.hook.secret", "state.url", "erp.path"} <= listed
    secrets = {k.dotted for k in gen.config_keys() if k.secret}
    assert {"vtex.app_key", "vtex.app_token", "vtex.user_token", "web.token", "erp.url"} <= secrets
