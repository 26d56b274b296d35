"""Acceptance (#12): ``adopt --deactivate-missing`` switches off exactly what VTEX holds and the ERP lacks.

The ERP's catalog is synced into the sandbox by one state database; then another system adds, with
plain HTTP, two active products the ERP does not have (with one and two SKUs) and one product that
is already inactive (with an inactive SKU). A fresh state database's ``adopt --deactivate-missing``:
the dry run counts 2 products and 3 SKUs per kind and writes nothing; the live run writes exactly one
update per missing active product and SKU (counted in the sandbox's request log), deletes nothing and
leaves the ERP's entities as they were; a second run deactivates nothing. Without the option nothing
is deactivated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.acceptance.sync_acceptance_support import Sandbox, copy_store, migrated_sqlite, settings_for, sync
from tests.acceptance.test_adopt_state_lost import _writes
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN
from vtexbridge.sync.adopt_run import run_adopt
from vtexbridge.sync.graph import Kind

CATALOG = "/api/catalog/pvt"
EXTRA = {"X-1": 1, "X-2": 2}  # active products the ERP lacks: RefId -> SKUs


async def _add_foreign(sandbox: Sandbox) -> dict[str, set[int]]:
    """Products and SKUs the ERP lacks, written with plain HTTP; the ids of the active ones per kind."""
    dump = await sandbox.dump()
    model = dump["products"][0]
    sku_model = dump["skus"][0]
    headers = {"X-VTEX-API-AppKey": DEFAULT_APP_KEY, "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN}
    active: dict[str, set[int]] = {"products": set(), "skus": set()}
    async with httpx.AsyncClient(
        transport=sandbox.transport, base_url="http://sandbox.test", headers=headers
    ) as http:

        async def post(path: str, body: dict[str, Any]) -> Any:
            r = await http.post(f"{CATALOG}/{path}", json=body)
            assert r.status_code < 300, f"{path}: {r.status_code} {r.text}"
            return r.json()

        for ref, skus in {**EXTRA, "X-OFF": 1}.items():
            on = ref != "X-OFF"
            product = await post(
                "product",
                {
                    "Name": f"Foreign {ref}",
                    "CategoryId": model["CategoryId"],
                    "BrandId": model["BrandId"],
                    "RefId": ref,
                    "IsActive": on,
                    "IsVisible": True,
                },
            )
            for n in range(skus):
                sku = await post(
                    "stockkeepingunit",
                    {
                        "ProductId": product["Id"],
                        "Name": f"Foreign {ref} {n}",
                        "RefId": f"{ref}-{n}",
                        "IsActive": False,
                        "ActivateIfPossible": on,
                        "PackagedHeight": sku_model["PackagedHeight"],
                        "PackagedLength": sku_model["PackagedLength"],
                        "PackagedWidth": sku_model["PackagedWidth"],
                        "PackagedWeightKg": sku_model["PackagedWeightKg"],
                    },
                )
                if on:
                    active["skus"].add(sku["Id"])
            if on:
                active["products"].add(product["Id"])
    return active


async def test_deactivate_missing_switches_off_exactly_what_the_erp_lacks(tmp_path: Path) -> None:
    sandbox = Sandbox()
    erp = copy_store(tmp_path)
    filled = await sync(sandbox, settings_for(erp, migrated_sqlite(tmp_path / "first.db")))
    assert filled.exit_code == 0, filled.report.errors
    foreign = await _add_foreign(sandbox)
    assert (len(foreign["products"]), len(foreign["skus"])) == (2, 3)
    before = await sandbox.dump()
    settings = settings_for(erp, migrated_sqlite(tmp_path / "fresh.db"))

    cursor = await sandbox.cursor()
    plain = await run_adopt(settings, dry_run=True, http_transport=sandbox.transport, clock=sandbox.clock)
    assert plain.tallies[Kind.PRODUCT].left_alone == 3 and plain.tallies[Kind.SKU].left_alone == 4
    assert plain.tallies[Kind.PRODUCT].deactivated is None  # not asked
    dry = await run_adopt(
        settings, dry_run=True, deactivate_missing=True, http_transport=sandbox.transport, clock=sandbox.clock
    )
    assert await _writes(sandbox, cursor) == {}
    assert (dry.tallies[Kind.PRODUCT].deactivated, dry.tallies[Kind.SKU].deactivated) == (2, 3)
    assert (dry.tallies[Kind.PRODUCT].left_alone, dry.tallies[Kind.SKU].left_alone) == (1, 1)
    body = dry.to_json()
    assert body["kinds"]["product"]["deactivated"] == 2 and body["kinds"]["sku"]["deactivated"] == 3
    assert body["deactivation"] is None  # a dry run sends nothing

    cursor = await sandbox.cursor()
    live = await run_adopt(
        settings, deactivate_missing=True, http_transport=sandbox.transport, clock=sandbox.clock
    )
    assert live.errors == [] and live.applied is not None and live.applied["failed"] == 0
    assert live.applied["deactivated"] == {"product": 2, "sku": 3}
    assert await _writes(sandbox, cursor) == {
        f"PUT {CATALOG}/product/{{productId}}": 2,
        f"PUT {CATALOG}/stockkeepingunit/{{skuId}}": 3,
    }
    after = await sandbox.dump()
    assert len(after["products"]) == len(before["products"]) and len(after["skus"]) == len(before["skus"])
    for kind in ("products", "skus"):
        was = {e["Id"]: e for e in before[kind]}
        for e in after[kind]:
            if e["Id"] in foreign[kind]:
                assert e["IsActive"] is False and e.get("ActivateIfPossible") is not True, e
            else:  # the ERP's entities and the one already off: untouched
                assert e == was[e["Id"]]

    cursor = await sandbox.cursor()
    again = await run_adopt(
        settings, deactivate_missing=True, http_transport=sandbox.transport, clock=sandbox.clock
    )
    assert again.applied is None and await _writes(sandbox, cursor) == {}
    assert (again.tallies[Kind.PRODUCT].deactivated, again.tallies[Kind.SKU].deactivated) == (0, 0)
    synced = await sync(sandbox, settings)
    assert synced.exit_code == 0 and await _writes(sandbox, cursor) == {}  # the sync agrees
