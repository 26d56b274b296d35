"""Each flow owns its settings: importing the VTEX client loads no other layer (issue #16 item 1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = ("sqlalchemy", "vtexbridge.config", "vtexbridge.erp", "vtexbridge.state", "vtexbridge.sync")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.split()


@pytest.mark.parametrize(
    "statement",
    [
        "import vtexbridge.vtex",
        "from vtexbridge.vtex import VtexClient",
        "from vtexbridge.vtex.settings import VtexSettings",
    ],
)
def test_the_vtex_client_imports_no_database_nor_other_layer(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert "vtexbridge.vtex" in loaded  # the probe sees what it is meant to see
    offending = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert offending == []


def test_the_probe_can_fail() -> None:
    loaded = _loaded_after("import vtexbridge.config")
    assert "sqlalchemy" in loaded or any(m.startswith("vtexbridge.erp") for m in loaded)


def test_the_root_settings_compose_the_flows_own_models() -> None:
    from vtexbridge.config import Settings
    from vtexbridge.log import LogSettings
    from vtexbridge.settings_base import Section
    from vtexbridge.state.settings import StateSettings
    from vtexbridge.vtex.settings import VtexSettings

    fields = Settings.model_fields
    assert fields["vtex"].annotation is VtexSettings
    assert fields["state"].annotation is StateSettings
    assert fields["log"].annotation is LogSettings
    for name, info in fields.items():
        model = info.annotation
        if name != "config_path" and isinstance(model, type):
            assert issubclass(model, Section), name
