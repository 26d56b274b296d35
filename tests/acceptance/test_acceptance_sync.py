"""Acceptance, against the sandbox and its request log: the example store in, nothing twice, only
what changed, through injected 429s and 503s, and bad rows that block only what depends on them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.acceptance.sync_acceptance_support import (
    EXAMPLE_ERP,
    Sandbox,
    assert_matches_erp,
    copy_store,
    edit_csv,
    edit_csv_where,
    migrated_sqlite,
    settings_for,
    sync,
)
from vtexbridge.state import migrations
from vtexbridge.state.engine import normalise_url


@pytest.fixture(scope="module")
def state_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sync-acceptance") / "template.db"
    migrated_sqlite(path)
    return path


@pytest.fixture
def state_url(tmp_path: Path, state_template: Path) -> str:
    path = tmp_path / "state.db"
    path.write_bytes(state_template.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    box = Sandbox()
    yield box
    await box.aclose()


async def test_example_store_into_an_empty_sandbox_then_nothing_then_only_what_changed(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    settings = settings_for(erp, state_url, reports=tmp_path / "reports")

    # (1) the example store syncs into an empty sandbox, which then holds what the ERP says
    first = await sync(sandbox, settings)
    assert first.report.errors == [] and first.exit_code == 0
    checked = assert_matches_erp(erp, await sandbox.dump())
    assert checked["skus"] == 150

    # (2) a second sync sends no write at all
    cursor = await sandbox.cursor()
    second = await sync(sandbox, settings)
    assert await sandbox.writes(cursor) == {}
    assert second.plan.steps == [] and second.exit_code == 0

    # (3) one price, one stock level and one product name: exactly those three writes
    edit_csv(erp / "prices.csv", "P0001-01", "base_price", "599.90")
    edit_csv_where(
        erp / "inventory.csv", {"sku_key": "P0001-02", "warehouse_key": "cd-sao-paulo"}, "quantity", "34"
    )
    edit_csv(erp / "products.csv", "P0003", "name", "Featherlight Running Jacket II")
    cursor = await sandbox.cursor()
    third = await sync(sandbox, settings)
    assert third.exit_code == 0
    assert await sandbox.writes(cursor) == {
        "PUT /pricing/prices/{itemId}": 1,
        "PUT /api/logistics/pvt/inventory/skus/{skuId}/warehouses/{warehouseId}": 1,
        "PUT /api/catalog/pvt/product/{productId}": 1,
    }
    assert (await sandbox.requests(cursor))["total"] == 3, "and no read either"
    assert_matches_erp(erp, await sandbox.dump())


async def test_sync_completes_through_injected_429s_and_503s(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    await sandbox.faults("*:429=0.05,503=0.05", seed=20260101)
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path, step_attempts=6)
    outcome = await sync(sandbox, settings)
    assert outcome.report.errors == [], outcome.report.errors[:3]
    log = await sandbox.requests(0)
    statuses = [e["status"] for e in log["entries"]]
    assert statuses.count(429) > 20 and statuses.count(503) > 20, "faults were injected"
    await sandbox.faults("", seed=1)
    assert_matches_erp(EXAMPLE_ERP, await sandbox.dump())
    cursor = await sandbox.cursor()
    await sync(sandbox, settings)
    assert await sandbox.writes(cursor) == {}, "every accepted write was recorded once"


def _break_rows(erp: Path) -> None:
    """A product whose brand does not exist, a negative price, a duplicate SKU RefId, a SKU without
    dimensions, and a broken CSV line."""
    edit_csv(erp / "products.csv", "P0010", "brand_key", "no-such-brand")
    edit_csv(erp / "prices.csv", "P0002-01", "base_price", "-5.00")
    skus = (erp / "skus.csv").read_text(encoding="utf-8").splitlines()
    dup = next(line for line in skus if line.startswith("P0003-01,"))
    skus.append(dup.replace("P0003-01,P0003,", "P0003-01,P0004,", 1))
    (erp / "skus.csv").write_text("\n".join(skus) + "\n", encoding="utf-8")
    edit_csv(erp / "skus.csv", "P0004-02", "packaged_height", "")
    with (erp / "inventory.csv").open("a", encoding="utf-8") as fh:
        fh.write('P0005-01,cd-sao-paulo,"12,false\n')


async def test_bad_rows_are_reported_and_block_only_their_dependents(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    _break_rows(erp)
    outcome = await sync(sandbox, settings_for(erp, state_url, reports=tmp_path / "r"))
    assert outcome.exit_code == 1
    errors = outcome.report.errors
    direct = {
        (e["type"], e["entity"], e["key"], e["field"]) for e in errors if e["type"] != "DependencyBlocked"
    }
    assert ("RecordInvalid", "products", "P0010", "brand_key") in direct
    assert ("RecordInvalid", "prices", "P0002-01", "base_price") in direct
    assert ("RecordInvalid", "skus", "P0003-01", "key") in direct
    assert ("RecordInvalid", "skus", "P0004-02", "packaged_height") in direct
    assert any(t == "RowUnreadable" and ent == "inventory" for t, ent, _k, _f in direct)
    by_key = {(e["entity"], e["key"]): e for e in errors if e["type"] != "DependencyBlocked"}
    assert "unknown brand 'no-such-brand'" in by_key[("products", "P0010")]["message"]
    assert (
        by_key[("prices", "P0002-01")]["row"] is not None
        and "prices.csv" in by_key[("prices", "P0002-01")]["source"]
    )
    assert "duplicate key" in by_key[("skus", "P0003-01")]["message"]
    assert by_key[("skus", "P0004-02")]["row"] == 12
    broken = next(e for e in errors if e["type"] == "RowUnreadable")
    assert broken["source"].endswith("inventory.csv") and broken["row"] == 302

    held = {(e["kind"], e["key"]) for e in errors if e["type"] == "DependencyBlocked"}
    assert ("sku", "P0010-01") in held, "the product's SKUs wait for it"
    assert ("price", "P0003-01") in held and ("inventory", "P0004-02|cd-sao-paulo") in held
    assert all(k.split("|")[0].startswith(("P0002-01", "P0003-01", "P0004-02", "P0010")) for _kind, k in held)
    assert ("price", "P0002-01|2|5") in held, "fixed prices of a bad price row wait with it"

    dump = await sandbox.dump()
    refs = {s["RefId"] for s in dump["skus"]}
    assert not refs & {"P0003-01", "P0004-02", "P0010-01"}
    assert len(refs) == 150 - 2 - 3, "P0003-01, P0004-02 and P0010's three SKUs are held back"
    assert {"P0001-01", "P0002-01", "P0004-01", "P0005-01"} <= refs, "everything else went through"
    assert "P0010" not in {p["RefId"] for p in dump["products"]}
    priced = {str(p["itemId"]) for p in dump["prices"]}
    sku_ids = {s["RefId"]: str(s["Id"]) for s in dump["skus"]}
    assert sku_ids["P0002-01"] not in priced and sku_ids["P0002-02"] in priced
    stock = {(str(i["skuId"]), i["warehouseId"]) for i in dump["inventory"]}
    assert (sku_ids["P0005-01"], "cd-sao-paulo") in stock, "a broken line blocks nothing else"


@pytest.fixture
def pg_state_url(pg_url: str) -> Iterator[str]:
    """An isolated, migrated schema on the test PostgreSQL server, dropped afterwards."""
    schema = f"vbsync_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        migrations.upgrade(rendered)
        yield rendered
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.mark.pg
async def test_example_store_with_postgresql_state(
    sandbox: Sandbox, pg_state_url: str, tmp_path: Path
) -> None:
    settings = settings_for(EXAMPLE_ERP, pg_state_url, reports=tmp_path)
    first = await sync(sandbox, settings)
    assert first.report.errors == []
    assert_matches_erp(EXAMPLE_ERP, await sandbox.dump())
    cursor = await sandbox.cursor()
    await sync(sandbox, settings)
    assert await sandbox.writes(cursor) == {}
