"""``vtexbridge doctor`` against respx-mocked VTEX hosts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from vtexbridge.cli import build_app

STORE = "https://acme.vtexcommercestable.com.br"
API = "https://api.vtex.com/acme"
APP_KEY = "vtexappkey-acme-DOCTORKEY"
APP_TOKEN = "doctor-app-token-0123456789"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTEXBRIDGE_VTEX__ACCOUNT", "acme")
    monkeypatch.setenv("VTEXBRIDGE_VTEX__APP_KEY", APP_KEY)
    monkeypatch.setenv("VTEXBRIDGE_VTEX__APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def vtex() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.get(f"{STORE}/api/catalog_system/pvt/saleschannel/list", name="catalog").respond(200, json=[])
        router.get(f"{API}/pricing/prices/0", name="pricing").respond(404)
        router.get(f"{STORE}/api/logistics/pvt/configuration/warehouses", name="logistics").respond(
            200, json=[]
        )
        router.get(f"{STORE}/api/orders/feed/config", name="orders").respond(404)
        router.get(f"{STORE}/api/dataentities/CL/search", name="masterdata").respond(200, json=[])
        router.get(f"{STORE}/api/seller-register/pvt/sellers", name="marketplace").respond(200, json={})
        router.get(f"{API}/suggestions/configuration", name="suggestions").respond(200, json={})
        yield router


def run() -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), ["doctor"])
    return result.exit_code, result.stdout, result.stderr


def test_every_area_answering_is_a_success(vtex: respx.MockRouter) -> None:
    code, out, err = run()
    assert code == 0, out + err
    for area, route in [
        ("catalog", "/api/catalog_system/pvt/saleschannel/list"),
        ("pricing", "/pricing/prices/{itemId}"),
        ("orders", "/api/orders/feed/config"),
        ("masterdata", "/api/dataentities/CL/search"),
    ]:
        line = next(line for line in out.splitlines() if f" {area} " in line)
        assert route in line and "ok" in line and " ms" in line
    assert "ok (none yet)" in out  # pricing's dummy SKU and the unconfigured feed
    assert "every API area answered" in out


def test_probes_are_authenticated_cheap_reads(vtex: respx.MockRouter) -> None:
    run()
    md = vtex.routes["masterdata"].calls.last.request
    assert md.headers["REST-Range"] == "resources=0-0" and md.url.params["_fields"] == "id"
    for route in vtex.routes:
        request = route.calls.last.request
        assert request.method == "GET"
        assert request.headers["X-VTEX-API-AppKey"] == APP_KEY


def test_refused_forbidden_and_unreachable_areas_fail_the_command(vtex: respx.MockRouter) -> None:
    vtex.routes["catalog"].respond(401, json={"Message": "bad credentials"})
    vtex.routes["logistics"].respond(403, json={"Message": "missing resource Logistics"})
    vtex.routes["masterdata"].mock(side_effect=httpx.ConnectError("connection refused"))
    vtex.routes["orders"].respond(500)
    code, out, err = run()
    assert code == 1
    rows = {
        line.split()[1]: line for line in out.splitlines() if line.startswith("│") or line.startswith("|")
    }
    assert "auth refused" in rows["catalog"] and "401" in rows["catalog"]
    assert "forbidden" in rows["logistics"]
    assert "unreachable" in rows["masterdata"]
    assert "error" in rows["orders"]
    assert "missing resource Logistics (the key's role lacks a License Manager resource" in err
    assert "4 of 7 API areas failed" in err
    assert vtex.routes["orders"].call_count == 1  # one attempt: the doctor reports, it does not retry


def test_missing_credentials_name_the_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VTEXBRIDGE_VTEX__APP_TOKEN")
    code, _, err = run()
    assert code == 2
    assert "VTEXBRIDGE_VTEX__APP_TOKEN" in err


def test_secrets_are_not_printed(vtex: respx.MockRouter) -> None:
    vtex.routes["catalog"].respond(401, json={"Message": f"key {APP_KEY} token {APP_TOKEN} refused"})
    code, out, err = run()
    assert code == 1
    assert APP_KEY not in out + err and APP_TOKEN not in out + err
    assert "key *** token *** refused" in err


def test_without_a_config_file_it_says_it_uses_defaults_and_which_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VTEXBRIDGE_CONFIG", raising=False)
    monkeypatch.delenv("VTEXBRIDGE_VTEX__APP_KEY")
    result = CliRunner().invoke(build_app(), ["doctor"])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "no config file" in out and "using the defaults and the environment" in out
    assert "account acme (https://acme.vtexcommercestable.com.br)" in out
    assert "missing app_key" in out
