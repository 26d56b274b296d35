"""The sync on hostile ERP data: one bad row is that row's error (named by key, file and row), what
left the ERP is still switched off, and an incomplete read that keeps records on says so."""

from __future__ import annotations

from pathlib import Path

from sync_harness import Sandbox, copy_store, settings_for, sync

from vtexbridge.state import StateStore


def _drop_lines(path: Path, prefix: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], *(x for x in lines[1:] if not x.startswith(prefix))]) + "\n")


def _append(path: Path, *rows: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(r + "\n" for r in rows))


def _line_of(path: Path, text: str) -> int:
    return next(i for i, x in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in x)


async def test_bad_rows_are_named_and_what_left_the_erp_is_still_switched_off(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    settings = settings_for(erp, state_url, reports=tmp_path / "r")
    first = await sync(sandbox, settings)
    assert first.report.errors == []
    # P0050 (a product and its 3 SKUs) and the SKU P0049-03 leave the ERP ...
    for name in ("products.csv", "skus.csv", "sku_images.csv", "eans.csv", "prices.csv",
                 "fixed_prices.csv", "inventory.csv", "sku_specifications.csv"):  # fmt: skip
        _drop_lines(erp / name, "P0050")
        _drop_lines(erp / name, "P0049-03")
    # ... while one bad row of each class that used to carry no key arrives
    long_product, long_sku = "P" * 101, "S" * 51
    _append(erp / "products.csv", f"{long_product},Long key,rain-jackets,serra-alta,,,,,,,1")
    _append(erp / "products.csv", f"P0900,{'N' * 151},rain-jackets,serra-alta,,,,,,,1")
    _append(erp / "skus.csv", f"{long_sku},P0001,Long SKU key,8,30,25,0.460,true,X")
    _append(erp / "skus.csv", f"P0001-99,P0001,{'N' * 201},8,30,25,0.460,true,X")
    _append(erp / "eans.csv", "P0001-01,1234")
    _append(erp / "sku_images.csv", "P0001-02,not-a-url,label,false,9")
    # and two fixed prices of one SKU and policy with equal values, one without a list price
    _append(erp / "fixed_prices.csv", "P0002-01,1,100.00,120.00,30,,", "P0002-01,1,100.00,,40,,")
    outcome = await sync(sandbox, settings)
    report = outcome.report
    assert outcome.exit_code == 1
    assert report.incomplete == [] and report.warnings == []
    named = {(e["entity"], e["key"], e["field"]): e for e in report.errors}
    for entity, key, field, file, line in (
        ("products", long_product, "key", "products.csv", long_product),
        ("products", "P0900", "name", "products.csv", "P0900,"),
        ("skus", long_sku, "key", "skus.csv", long_sku),
        ("skus", "P0001-99", "name", "skus.csv", "P0001-99,"),
        ("eans", "P0001-01|1234", "ean", "eans.csv", "P0001-01,1234"),
        ("sku_images", "P0001-02|not-a-url", "url", "sku_images.csv", "not-a-url"),
    ):
        error = named[(entity, key, field)]
        assert error["source"] == str(erp / file), error
        assert error["row"] == _line_of(erp / file, line), error
    assert not [e for e in report.errors if e["key"] and e["key"].startswith("P0002-01")], "planned"
    dump = await sandbox.dump()
    skus = {s["RefId"]: s for s in dump["skus"]}
    products = {p["RefId"]: p for p in dump["products"]}
    assert not any(skus[k]["IsActive"] for k in ("P0050-01", "P0050-02", "P0050-03", "P0049-03"))
    assert products["P0050"]["IsActive"] is False
    assert skus["P0049-01"]["IsActive"] and products["P0049"]["IsActive"]
    fixed = next(p for p in dump["prices"] if p["itemId"] == str(skus["P0002-01"]["Id"]))
    assert {(f["minQuantity"], f.get("listPrice")) for f in fixed["fixedPrices"] if f["value"] == 100.0} == {
        (30, 120.0),
        (40, None),
    }


async def test_an_unreadable_row_keeps_absent_records_on_and_says_so(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    settings = settings_for(erp, state_url, reports=tmp_path / "r")
    await sync(sandbox, settings)
    _drop_lines(erp / "skus.csv", "P0049-03")
    _append(erp / "skus.csv", '"unbalanced,quote')  # a row that cannot be read at all
    outcome = await sync(sandbox, settings)
    report = outcome.report
    assert report.incomplete == ["skus"]
    assert len(report.warnings) == 1
    warning = report.warnings[0]["message"]
    assert warning.startswith(str(erp / "skus.csv")) and "1 record(s) of sku" in warning
    assert "NOT deactivated" in warning
    assert report.to_json()["warnings"] == report.warnings
    skus = {s["RefId"]: s for s in (await sandbox.dump())["skus"]}
    assert skus["P0049-03"]["IsActive"], "kept on: it may be the unreadable row"
    with StateStore(state_url) as store:
        run = store.runs.list_recent("sandbox")[0]
        assert run.message is not None and "NOT deactivated" in run.message, "the dashboard shows it"
