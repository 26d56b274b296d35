"""Pricing routes: base/cost/markup rules, fixed prices, computed prices (plain HTTP, from the spec)."""

from __future__ import annotations

import httpx
import pytest

P = "/pricing/prices"


async def test_put_derives_base_price_from_cost_and_markup(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.put(f"{P}/1", json={"costPrice": 10.5, "markup": 30, "listPrice": 20})
    assert r.status_code == 200
    assert r.content == b""
    got = (await sandbox_client.get(f"{P}/1")).json()
    assert got == {
        "itemId": "1",
        "listPrice": 20,
        "costPrice": 10.5,
        "markup": 30,
        "basePrice": 13.65,
        "fixedPrices": [],
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"basePrice": 110, "costPrice": 100},
            {"basePrice": 110, "costPrice": 100, "markup": 10, "listPrice": 110},
        ),
        (
            {"basePrice": 120, "markup": 20},
            {"basePrice": 120, "costPrice": 100, "markup": 20, "listPrice": 120},
        ),
        ({"basePrice": 9.99}, {"basePrice": 9.99, "costPrice": 9.99, "markup": 0, "listPrice": 9.99}),
    ],
)
async def test_put_derives_the_missing_third(
    sandbox_client: httpx.AsyncClient, body: dict[str, float], expected: dict[str, float]
) -> None:
    assert (await sandbox_client.put(f"{P}/7", json=body)).status_code == 200
    got = (await sandbox_client.get(f"{P}/7")).json()
    assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize(
    "body",
    [
        {"basePrice": 10, "costPrice": 8, "markup": 25},
        {"markup": 10},
        {"listPrice": 10},
        {"basePrice": -1},
        {"basePrice": "ten"},
        {"costPrice": 10, "markup": 12.5},
        {"basePrice": 10, "fixedPrices": [{"tradePolicyId": "1", "value": 5}]},
        {"basePrice": 10, "fixedPrices": [{"value": 5, "minQuantity": 1}]},
        {
            "basePrice": 10,
            "fixedPrices": [
                {
                    "tradePolicyId": "1",
                    "value": 5,
                    "minQuantity": 1,
                    "dateRange": {"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
                }
            ],
        },
    ],
)
async def test_put_rejects_invalid_bodies(sandbox_client: httpx.AsyncClient, body: dict[str, object]) -> None:
    r = await sandbox_client.put(f"{P}/3", json=body)
    assert r.status_code == 400, body
    assert r.json()["error"]["message"]
    assert (await sandbox_client.get(f"{P}/3")).status_code == 404


async def test_put_replaces_fixed_prices_and_patch_merges(sandbox_client: httpx.AsyncClient) -> None:
    fixed_a = {"tradePolicyId": "1", "value": 9, "minQuantity": 1}
    fixed_b = {"tradePolicyId": "1", "value": 8, "minQuantity": 10}
    await sandbox_client.put(
        f"{P}/5", json={"basePrice": 10, "costPrice": 5, "fixedPrices": [fixed_a, fixed_b]}
    )
    assert len((await sandbox_client.get(f"{P}/5/fixed")).json()) == 2
    await sandbox_client.put(f"{P}/5", json={"basePrice": 10, "costPrice": 5, "fixedPrices": [fixed_a]})
    fixed = (await sandbox_client.get(f"{P}/5/fixed")).json()
    assert [(f["minQuantity"], f["value"]) for f in fixed] == [(1, 9)]
    patch = [
        {"tradePolicyId": "1", "value": 7.5, "minQuantity": 1},
        {"tradePolicyId": "2", "value": 6, "minQuantity": 1},
    ]
    assert (await sandbox_client.patch(f"{P}/5/fixed", json=patch)).status_code == 200
    fixed = (await sandbox_client.get(f"{P}/5/fixed")).json()
    assert sorted((f["tradePolicyId"], f["value"]) for f in fixed) == [("1", 7.5), ("2", 6)]


async def test_fixed_price_tables(sandbox_client: httpx.AsyncClient) -> None:
    assert (
        await sandbox_client.post(f"{P}/8/fixed/vip", json=[{"value": 5, "minQuantity": 1}])
    ).status_code == 404
    await sandbox_client.put(f"{P}/8", json={"basePrice": 10, "costPrice": 5})
    r = await sandbox_client.post(
        f"{P}/8/fixed/vip",
        json=[{"value": 5, "minQuantity": 1}, {"value": 4, "listPrice": 6, "minQuantity": 3}],
    )
    assert r.status_code == 200
    vip = (await sandbox_client.get(f"{P}/8/fixed/vip")).json()
    assert [(f["tradePolicyId"], f["minQuantity"]) for f in vip] == [("vip", 1), ("vip", 3)]
    computed = (await sandbox_client.get(f"{P}/8/computed/vip", params={"quantity": 3})).json()
    assert computed["sellingPrice"] == 4
    assert computed["listPrice"] == 6
    assert (await sandbox_client.get(f"{P}/8/computed/vip")).json()["sellingPrice"] == 5
    assert (await sandbox_client.get(f"{P}/8/computed/1")).json()["sellingPrice"] == 10
    all_tables = (await sandbox_client.get(f"{P}/8/computed")).json()
    assert [c["tradePolicyId"] for c in all_tables] == ["1", "vip"]
    assert (await sandbox_client.delete(f"{P}/8/fixed/vip")).status_code == 200
    assert (await sandbox_client.get(f"{P}/8/fixed/vip")).json() == []


async def test_expired_fixed_price_does_not_apply(sandbox_client: httpx.AsyncClient) -> None:
    past = {"from": "2001-01-01T00:00:00Z", "to": "2001-12-31T00:00:00Z"}
    await sandbox_client.put(
        f"{P}/9",
        json={
            "basePrice": 10,
            "costPrice": 5,
            "fixedPrices": [{"tradePolicyId": "1", "value": 1, "minQuantity": 1, "dateRange": past}],
        },
    )
    assert (await sandbox_client.get(f"{P}/9/computed/1")).json()["sellingPrice"] == 10


async def test_delete_removes_base_and_fixed(sandbox_client: httpx.AsyncClient) -> None:
    await sandbox_client.put(f"{P}/4", json={"basePrice": 10, "costPrice": 5})
    assert (await sandbox_client.delete(f"{P}/4")).status_code == 200
    assert (await sandbox_client.get(f"{P}/4")).status_code == 404
    assert (await sandbox_client.get(f"{P}/4/fixed")).status_code == 404
    assert (await sandbox_client.delete(f"{P}/4")).status_code == 200


async def test_pricing_via_account_prefix_like_api_vtex_com(sandbox_client: httpx.AsyncClient) -> None:
    r = await sandbox_client.put(
        "/acme/pricing/prices/11", json={"basePrice": 3, "costPrice": 2}, headers={"Host": "api.vtex.com"}
    )
    assert r.status_code == 200
    assert (await sandbox_client.get("/acme/pricing/prices/11", headers={"Host": "api.vtex.com"})).json()[
        "basePrice"
    ] == 3
    # another account does not see it
    assert (await sandbox_client.get("/pricing/prices/11")).status_code == 404


async def test_fixed_price_whose_range_starts_and_ends_at_the_same_instant(
    sandbox_client: httpx.AsyncClient,
) -> None:
    # The spec's own example ("Create or update price or fixed price" > fixedPrices) uses from == to.
    instant = {"from": "2021-12-30T22:00:00-03:00", "to": "2021-12-30T22:00:00-03:00"}
    fixed = [{"tradePolicyId": "1", "value": 5, "minQuantity": 1, "dateRange": instant}]
    put = await sandbox_client.put("/pricing/prices/77", json={"basePrice": 10, "fixedPrices": fixed})
    assert put.status_code == 200, put.text
    assert (await sandbox_client.get("/pricing/prices/77/fixed/1")).json()[0]["dateRange"] == instant
    backwards = {"from": "2021-12-30T22:00:00-03:00", "to": "2021-12-30T21:59:59-03:00"}
    refused = await sandbox_client.put(
        "/pricing/prices/77", json={"basePrice": 10, "fixedPrices": [{**fixed[0], "dateRange": backwards}]}
    )
    assert refused.status_code == 400
    assert "dateRange" in refused.text
