"""The contract checker itself: it must catch drift, or every contract test built on it is void."""

from __future__ import annotations

import filecmp
from pathlib import Path

import httpx
import pytest

from vtexbridge.testing.openapi import ContractBook, default_spec_dir

HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/json",
    "X-VTEX-API-AppKey": "key",
    "X-VTEX-API-AppToken": "token",
}
SKU_BODY = {
    "ProductId": 1,
    "Name": "Size 10",
    "PackagedHeight": 1,
    "PackagedLength": 1,
    "PackagedWidth": 1,
    "PackagedWeightKg": 1,
}
CATALOG = "VTEX - Catalog API"


@pytest.fixture(scope="module")
def book() -> ContractBook:
    return ContractBook.load()


def _req(method: str, url: str, **kw: object) -> httpx.Request:
    headers = dict(HEADERS)
    headers.update(kw.pop("headers", {}))  # type: ignore[call-overload]
    return httpx.Request(method, url, headers=headers, **kw)  # type: ignore[arg-type]


def test_valid_request_has_no_problems(book: ContractBook) -> None:
    r = _req("POST", "https://acme.vtexcommercestable.com.br/api/catalog/pvt/stockkeepingunit", json=SKU_BODY)
    assert book.check_request(CATALOG, r) == []


def test_missing_required_field_and_wrong_type_are_reported(book: ContractBook) -> None:
    body = {**SKU_BODY, "ProductId": "one"}
    del body["PackagedWeightKg"]
    r = _req("POST", "https://acme.vtexcommercestable.com.br/api/catalog/pvt/stockkeepingunit", json=body)
    problems = book.check_request(CATALOG, r)
    assert any("PackagedWeightKg" in p and "required" in p for p in problems)
    assert any("ProductId" in p and "integer" in p for p in problems)


def test_unknown_path_and_wrong_method_are_reported(book: ContractBook) -> None:
    r = _req(
        "POST", "https://acme.vtexcommercestable.com.br/api/catalog/pvt/stockkeepingunits", json=SKU_BODY
    )
    assert book.check_request(CATALOG, r) == [
        "POST /api/catalog/pvt/stockkeepingunits: no such operation in VTEX - Catalog API"
    ]
    r = _req(
        "PATCH", "https://acme.vtexcommercestable.com.br/api/catalog/pvt/stockkeepingunit/1", json=SKU_BODY
    )
    assert "no such operation" in book.check_request(CATALOG, r)[0]


def test_missing_required_header_undeclared_query_and_no_credentials(book: ContractBook) -> None:
    r = httpx.Request(
        "GET",
        "https://acme.vtexcommercestable.com.br/api/dataentities/CL/search?_where=a%3D1&bogus=1",
        headers={"Accept": "application/vnd.vtex.ds.v10+json", "Content-Type": "application/json"},
    )
    problems = book.check_request("VTEX - MasterData API - v10.2", r)
    assert any("header REST-Range is required" in p for p in problems)
    assert any("['bogus'] are not defined" in p for p in problems)
    assert any("no VTEX credentials" in p for p in problems)


def test_server_base_path_is_stripped(book: ContractBook) -> None:
    pricing = _req(
        "PUT", "https://api.vtex.com/acme/pricing/prices/12", json={"basePrice": 10.5, "listPrice": 12}
    )
    assert book.check_request("VTEX - Pricing API", pricing) == []
    notify = _req(
        "POST", "https://acme.vtexcommercestable.com.br/api/notificator/s1/changenotification/12/price"
    )
    assert book.check_request("VTEX - Marketplace APIs", notify) == []


def test_response_schema_is_enforced(book: ContractBook) -> None:
    ok = book.check_response(
        CATALOG, "GET", "/api/catalog/pvt/stockkeepingunit/7", 200, {"Id": 7, "ProductId": 1}
    )
    assert ok == []
    bad = book.check_response(CATALOG, "GET", "/api/catalog/pvt/stockkeepingunit/7", 200, {"Id": "seven"})
    assert bad and "'seven' is not of type 'integer'" in bad[0]


def test_undocumented_success_status_is_a_problem_but_error_status_is_not(book: ContractBook) -> None:
    path = "/api/catalog/pvt/stockkeepingunit/7"
    assert book.check_response(CATALOG, "GET", path, 299, {}) != []
    assert book.check_response(CATALOG, "GET", path, 404, {"anything": 1}) == []


def test_vendored_specs_equal_the_shared_originals() -> None:
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "vtex-openapi"
    if not shared.is_dir():
        pytest.skip(f"{shared} is not beside this checkout (only developer machines and CI have it)")
    vendored = default_spec_dir()
    names = sorted(p.name for p in shared.glob("*.json"))
    assert names == sorted(p.name for p in vendored.glob("*.json"))
    _match, mismatch, errors = filecmp.cmpfiles(shared, vendored, names, shallow=False)
    assert mismatch == [] and errors == []


def test_json_media_type_with_parameters_is_validated(book: ContractBook) -> None:
    # Pricing declares "application/json; charset=utf-8" for /fixed: its bodies must still be checked.
    bad = book.check_response("VTEX - Pricing API", "GET", "/pricing/prices/1/fixed", 200, [{"value": "x"}])
    assert bad
