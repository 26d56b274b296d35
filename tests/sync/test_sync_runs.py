"""A sync run as the operator sees it: metrics, one log line per record error, errors that go away
when they are fixed, rows in the errors, records counted alike run after run, what leaves the ERP,
and the marketplace seller mode's hand-over."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.sync.sync_harness import EXAMPLE_ERP, Sandbox, copy_store, edit_csv, settings_for, sync
from vtexbridge.marketplace.settings import MarketplaceSettings, SellerSettings
from vtexbridge.observability import Metrics
from vtexbridge.state import StateStore
from vtexbridge.sync.runner import SyncOptions, SyncOutcome, run_sync

ACCOUNT = "sandbox"


def _sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def _errors(state_url: str) -> dict[tuple[str, str], Any]:
    with StateStore(state_url) as store:
        return {(e.kind, e.erp_key): e for e in store.entities.list_errors(ACCOUNT)}


def _line_of(path: Path, prefix: str) -> int:
    """The line (1-based, header = 1) of the first row starting with ``prefix``."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(prefix):
            return n
    raise AssertionError(f"no line {prefix!r} in {path}")


def _drop_lines(path: Path, *prefixes: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(x for x in lines if not x.startswith(prefixes)) + "\n", encoding="utf-8")


# --- metrics and logs ------------------------------------------------------------------------------


async def test_a_sync_with_metrics_counts_vtex_calls_records_and_the_run(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    metrics = Metrics()
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path)
    first = await run_sync(
        settings, SyncOptions(), http_transport=sandbox.transport, clock=sandbox.clock, metrics=metrics
    )
    assert first.report.errors == []
    text = metrics.render().decode()
    assert 'vtexbridge_vtex_requests_total{api="catalog"' in text
    sku_creates = _sample(
        metrics,
        "vtexbridge_vtex_requests_total",
        api="catalog",
        route="/api/catalog/pvt/stockkeepingunit",
        method="POST",
        status="200",
    )
    assert sku_creates == 150
    assert _sample(metrics, "vtexbridge_sync_records_total", kind="sku", outcome="create") == 150
    assert _sample(metrics, "vtexbridge_sync_records_total", kind="price", outcome="create") == 150
    assert _sample(metrics, "vtexbridge_sync_runs_total", status="succeeded") == 1
    sent = sum(
        s.value for m in metrics.transport.requests.collect() for s in m.samples if s.name.endswith("_total")
    )
    assert first.report.requests == sent > 0

    # a second run on the same metrics: its report counts its own requests only (none)
    second = await run_sync(
        settings, SyncOptions(), http_transport=sandbox.transport, clock=sandbox.clock, metrics=metrics
    )
    assert second.report.requests == 0
    assert _sample(metrics, "vtexbridge_sync_records_total", kind="sku", outcome="unchanged") == 150
    assert _sample(metrics, "vtexbridge_sync_records_total", kind="sku", outcome="create") == 150
    assert _sample(metrics, "vtexbridge_sync_runs_total", status="succeeded") == 2
    with StateStore(state_url) as store:
        assert [r.requests for r in store.runs.list_recent(ACCOUNT)] == [0, first.report.requests]


async def test_each_record_error_is_one_warning_line_and_one_invalid_or_blocked_record(
    sandbox: Sandbox, state_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    erp = copy_store(tmp_path)
    edit_csv(erp / "products.csv", "P0010", "brand_key", "no-such-brand")
    edit_csv(erp / "prices.csv", "P0002-01", "base_price", "-5.00")
    caplog.set_level(logging.WARNING, logger="vtexbridge.records")
    metrics = Metrics()
    outcome = await run_sync(
        settings_for(erp, state_url, reports=tmp_path / "r"),
        SyncOptions(),
        http_transport=sandbox.transport,
        clock=sandbox.clock,
        metrics=metrics,
    )
    lines = [r for r in caplog.records if r.name == "vtexbridge.records"]
    recorded = _errors(state_url)
    assert recorded and len(lines) == len(outcome.report.errors)
    assert {(r.kind, r.erp_key) for r in lines} == set(recorded)  # type: ignore[attr-defined]
    assert all(r.levelno == logging.WARNING for r in lines)
    product = next(r for r in lines if r.erp_key == "P0010")  # type: ignore[attr-defined]
    assert product.field == "brand_key" and product.run_id == outcome.report.run_id  # type: ignore[attr-defined]
    assert "unknown brand 'no-such-brand'" in product.getMessage()
    # P0010 and the price row are invalid; P0010's SKUs (and what hangs off them) are held back
    assert _sample(metrics, "vtexbridge_sync_records_total", kind="product", outcome="invalid") == 1
    assert _sample(metrics, "vtexbridge_sync_records_total", kind="sku", outcome="blocked") == 3
    assert _sample(metrics, "vtexbridge_sync_records_total", kind="product", outcome="create") == 49


# --- rows ------------------------------------------------------------------------------------------


async def test_planner_errors_name_the_file_and_row(sandbox: Sandbox, state_url: str, tmp_path: Path) -> None:
    erp = copy_store(tmp_path)
    edit_csv(erp / "products.csv", "P0010", "brand_key", "no-such-brand")
    skus = erp / "skus.csv"
    lines = skus.read_text(encoding="utf-8").splitlines()
    dup = next(line for line in lines if line.startswith("P0003-01,"))
    skus.write_text("\n".join([*lines, dup.replace("P0003-01,P0003,", "P0003-01,P0004,", 1)]) + "\n")
    outcome = await sync(sandbox, settings_for(erp, state_url, reports=tmp_path / "r"), dry_run=True)
    by_key = {(e["entity"], e["key"]): e for e in outcome.report.errors if e["type"] != "DependencyBlocked"}
    brand = by_key[("products", "P0010")]
    assert brand["source"] == str(erp / "products.csv") and brand["field"] == "brand_key"
    assert brand["row"] == _line_of(erp / "products.csv", "P0010,")
    assert f"products.csv:{brand['row']} (products P0010)" in brand["message"]
    assert by_key[("skus", "P0003-01")]["row"] == _line_of(skus, "P0003-01,"), "the first row of the key"
    held = {(e["entity"], e["key"]): e for e in outcome.report.errors if e["type"] == "DependencyBlocked"}
    assert held[("skus", "P0010-01")]["row"] == _line_of(skus, "P0010-01,"), (
        "a held-back record names its row too"
    )


# --- stale errors ----------------------------------------------------------------------------------


async def test_errors_of_fixed_rows_and_of_records_gone_from_the_erp_are_cleared(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    settings = settings_for(erp, state_url, reports=tmp_path / "r")
    edit_csv(erp / "products.csv", "P0010", "brand_key", "no-such-brand")  # fixed later
    edit_csv(erp / "prices.csv", "P0002-01", "base_price", "-5.00")  # leaves the ERP later
    with (erp / "inventory.csv").open("a", encoding="utf-8") as fh:  # a row error: fixed later
        fh.write('P0005-01,cd-sao-paulo,"12,false\n')
    await sync(sandbox, settings)
    before = _errors(state_url)
    assert ("product", "P0010") in before and ("sku", "P0010-01") in before
    assert ("price", "P0002-01") in before and ("price", "P0002-01|2|5") in before
    assert any(k.startswith("@") for kind, k in before if kind == "inventory")

    edit_csv(erp / "products.csv", "P0010", "brand_key", "serra-alta")
    _drop_lines(erp / "prices.csv", "P0002-01,")
    _drop_lines(erp / "fixed_prices.csv", "P0002-01,")
    _drop_lines(erp / "inventory.csv", 'P0005-01,cd-sao-paulo,"12')
    outcome = await sync(sandbox, settings)
    assert outcome.report.errors == []
    assert _errors(state_url) == {}, "no error of a fixed or removed record is left for the dashboard"


async def test_errors_of_vtex_refusals_and_held_back_records_are_cleared_once_through(
    sandbox: Sandbox, state_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="vtexbridge.records")
    erp = copy_store(tmp_path)
    settings = settings_for(erp, state_url, reports=tmp_path / "r", step_attempts=1)
    await sandbox.faults("POST /api/catalog/pvt/stockkeepingunit/*/ean/*:500=1")
    first = await sync(sandbox, settings)
    failed = _errors(state_url)
    assert len([k for k in failed if k[0] == "ean"]) == 150, first.report.errors[:2]
    assert len([k for k in failed if k[0] == "sku"]) == 150, "every activation waits for its EAN"
    assert first.report.counts()["sku"] == {"blocked": 150}, "created but held back: one record each"
    logged = [(r.kind, r.erp_key) for r in caplog.records if r.name == "vtexbridge.records"]  # type: ignore[attr-defined]
    assert sorted(logged) == sorted(failed), "one warning line per error VTEX's answers caused"
    # one EAN leaves the ERP, the others go through now
    _drop_lines(erp / "eans.csv", "P0001-01,")
    await sandbox.faults("")
    second = await sync(sandbox, settings)
    assert second.report.errors == []
    assert _errors(state_url) == {}
    assert second.report.counts()["sku"] == {"activate": 150}


async def test_a_failed_deactivation_keeps_its_error_until_it_goes_through(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    settings = settings_for(erp, state_url, reports=tmp_path / "r", step_attempts=1)
    with (erp / "brands.csv").open("a", encoding="utf-8") as fh:
        fh.write("spare,Spare Brand,,,true\n")
    await sync(sandbox, settings)
    _drop_lines(erp / "brands.csv", "spare,")
    await sandbox.faults("PUT /api/catalog/pvt/brand/*:500=1")
    first = await sync(sandbox, settings)
    assert [(e["kind"], e["key"]) for e in first.report.errors] == [("brand", "spare")]
    assert set(_errors(state_url)) == {("brand", "spare")}
    await sandbox.faults("")
    second = await sync(sandbox, settings)
    assert second.report.counts()["brand"] == {"deactivate": 1, "unchanged": 6}
    assert second.report.errors == [] and _errors(state_url) == {}
    brand = next(b for b in (await sandbox.dump())["brands"] if b["Name"] == "Spare Brand")
    assert brand["Active"] is False


# --- counts ----------------------------------------------------------------------------------------


async def test_the_no_change_run_counts_as_many_records_per_kind_as_the_first(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path)
    first = (await sync(sandbox, settings)).report.counts()
    second = (await sync(sandbox, settings)).report.counts()
    assert all(set(row) == {"unchanged"} for row in second.values())
    assert {k: sum(v.values()) for k, v in first.items()} == {k: v["unchanged"] for k, v in second.items()}
    assert sum(sum(v.values()) for v in first.values()) == 1660
    assert first["sku"] == {"create": 150}


# --- gone from the ERP -----------------------------------------------------------------------------


async def test_specification_fields_and_values_gone_from_the_erp_are_switched_off(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    with (erp / "specification_fields.csv").open("a", encoding="utf-8") as fh:
        fh.write("apparel-care,grp-apparel,Care,combo,false,false,20\n")
    with (erp / "specification_values.csv").open("a", encoding="utf-8") as fh:
        fh.write("apparel-care-hand,apparel-care,Hand wash,1\napparel-care-machine,apparel-care,Machine,2\n")
    with (erp / "specification_values.csv").open("a", encoding="utf-8") as fh:
        fh.write("apparel-color-teal,apparel-color,Teal,30\n")
    settings = settings_for(erp, state_url, reports=tmp_path / "r")
    assert (await sync(sandbox, settings)).report.errors == []
    _drop_lines(erp / "specification_fields.csv", "apparel-care,")
    _drop_lines(erp / "specification_values.csv", "apparel-care-", "apparel-color-teal,")
    outcome = await sync(sandbox, settings)
    assert outcome.report.errors == []
    assert outcome.report.counts()["specification_field"] == {"deactivate": 1, "unchanged": 11}
    assert outcome.report.counts()["specification_value"] == {"deactivate": 3, "unchanged": 63}
    dump = await sandbox.dump()
    fields = {f["Name"]: f for f in dump["specificationFields"]}
    assert fields["Care"]["IsActive"] is False and fields["Color"]["IsActive"] is not False
    values = {v["Name"]: v for v in dump["specificationValues"]}
    assert all(values[n]["IsActive"] is False for n in ("Hand wash", "Machine", "Teal"))
    assert values["Black"]["IsActive"] is not False
    with StateStore(state_url) as store:
        entry = store.entities.get(ACCOUNT, "specification_field", "apparel-care")
        assert entry is not None and entry.active is False
    cursor = await sandbox.cursor()
    await sync(sandbox, settings)
    assert await sandbox.writes(cursor) == {}, "switched off once"
    # back in the ERP: switched on again
    with (erp / "specification_values.csv").open("a", encoding="utf-8") as fh:
        fh.write("apparel-color-teal,apparel-color,Teal,30\n")
    again = await sync(sandbox, settings)
    assert again.report.counts()["specification_value"]["update"] == 1
    values = {v["Name"]: v for v in (await sandbox.dump())["specificationValues"]}
    assert values["Teal"]["IsActive"] is True


async def test_docks_gone_from_the_erp_are_switched_off(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    with (erp / "docks.csv").open("a", encoding="utf-8") as fh:
        fh.write("dock-rj,Doca Rio,3,0.04:00:00,1,20000-000,BRA,RJ,Rio de Janeiro,Avenida Brasil,100\n")
    settings = settings_for(erp, state_url, reports=tmp_path / "r")
    assert (await sync(sandbox, settings)).report.errors == []
    _drop_lines(erp / "docks.csv", "dock-rj,")
    cursor = await sandbox.cursor()
    outcome = await sync(sandbox, settings)
    assert outcome.report.errors == []
    assert outcome.report.counts()["dock"] == {"deactivate": 1, "unchanged": 2}
    writes = await sandbox.writes(cursor)
    assert writes == {"POST /api/logistics/pvt/configuration/docks/{dockId}/deactivation": 1}
    docks = {d["id"]: d for d in (await sandbox.dump())["docks"]}
    assert docks["dock-rj"]["isActive"] is False and docks["dock-sp"]["isActive"] is True
    with StateStore(state_url) as store:
        entry = store.entities.get(ACCOUNT, "dock", "dock-rj")
        assert entry is not None and entry.active is False
    cursor = await sandbox.cursor()
    await sync(sandbox, settings)
    assert await sandbox.writes(cursor) == {}, "switched off once"


# --- marketplace seller mode -----------------------------------------------------------------------


async def test_seller_mode_hands_the_sync_to_the_seller_sync(
    monkeypatch: pytest.MonkeyPatch, state_url: str, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    sentinel = object()

    async def run_seller_sync(settings: Any, options: Any, **kw: Any) -> Any:
        calls.append({"settings": settings, "options": options, **kw})
        return sentinel

    import vtexbridge.web.sync_runs as sync_runs

    monkeypatch.setattr(sync_runs, "run_seller_sync", run_seller_sync)
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path)
    seller = settings.model_copy(
        update={"marketplace": MarketplaceSettings(seller=SellerSettings(seller_id="trilha"))}
    )
    options = SyncOptions(dry_run=True)
    metrics = Metrics()
    got: SyncOutcome = await sync_runs.run_catalog_sync(seller, options, metrics=metrics)
    assert got is sentinel and len(calls) == 1
    assert calls[0]["settings"] is seller and calls[0]["options"] is options
    assert calls[0]["metrics"] is metrics.transport
    with StateStore(state_url) as store:
        assert store.runs.list_recent(ACCOUNT) == [], "the marketplace account's catalog is not touched"
    # without [marketplace.seller], the sync is the store's own
    plain = await sync_runs.run_catalog_sync(settings, SyncOptions(dry_run=True, write_report=False))
    assert len(calls) == 1 and plain.report.status == "dry-run"


async def test_the_dashboards_retry_sync_counts_in_the_apps_metrics(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    from vtexbridge.web.sync_runs import BackgroundSync

    metrics = Metrics()
    with StateStore(state_url) as store:
        trigger = BackgroundSync(
            settings_for(EXAMPLE_ERP, state_url, reports=tmp_path),
            store,
            metrics=metrics,
            http_transport=sandbox.transport,
            clock=sandbox.clock,
        )
        assert (await trigger(None)).startswith("Sync started")
        outcome = await trigger.wait()
    assert outcome is not None and outcome.report.errors == []
    assert _sample(metrics, "vtexbridge_sync_records_total", kind="sku", outcome="create") == 150
    assert _sample(metrics, "vtexbridge_sync_runs_total", status="succeeded") == 1
    sent = sum(
        s.value for m in metrics.transport.requests.collect() for s in m.samples if s.name.endswith("_total")
    )
    assert outcome.report.requests is not None and sent == outcome.report.requests > 0


async def test_the_hook_answers_while_a_dashboard_sync_is_still_planning(
    sandbox: Sandbox, state_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deliberately slow plan (blocked until the hook has answered, 10 s at most) must not hold the
    server's event loop: the hook's notification is stored and answered meanwhile."""
    import asyncio
    import gc
    import threading

    import httpx
    from pydantic import SecretStr

    from vtexbridge.sync import plan as plan_module
    from vtexbridge.web.app import create_app
    from vtexbridge.web.sync_runs import BackgroundSync

    started, release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}
    real = plan_module._run

    def slow_run(ctx: Any) -> Any:
        started.set()
        seen["collector_on"] = gc.isenabled()  # a server's collector is never switched off
        seen["released_by_the_hook"] = release.wait(timeout=10)
        return real(ctx)

    monkeypatch.setattr(plan_module, "_run", slow_run)
    secret = "hook-secret-while-planning"
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path)
    hook = settings.orders.hook.model_copy(update={"secret": SecretStr(secret)})
    settings = settings.model_copy(update={"orders": settings.orders.model_copy(update={"hook": hook})})
    note = {
        "Domain": "Fulfillment",
        "OrderId": "1300000000001-01",
        "State": "ready-for-handling",
        "LastState": "window-to-cancel",
        "LastChange": "2024-05-01T10:00:00.0000000Z",
        "CurrentChange": "2024-05-01T10:00:01.0000000Z",
        "Origin": {"Account": ACCOUNT},
    }
    with StateStore(state_url) as store:
        app = create_app(settings, state=store)
        trigger = BackgroundSync(settings, store, http_transport=sandbox.transport, clock=sandbox.clock)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as web:
            assert (await trigger(None)).startswith("Sync started")
            assert await asyncio.to_thread(started.wait, 10), "the sync started planning"
            answer = await web.post(
                "/hooks/vtex/orders", json=note, headers={"X-Vtexbridge-Hook-Secret": secret}
            )
            release.set()
            outcome = await trigger.wait()
        assert answer.status_code == 200, answer.text
        assert store.row_counts()["hook_inbox"] == 1
    assert seen["released_by_the_hook"], "the hook answered while the plan was still being computed"
    assert seen["collector_on"]
    assert outcome is not None and outcome.report.errors == []


async def test_a_syncs_progress_is_published_to_the_state_store_off_the_event_loop(
    sandbox: Sandbox, state_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from vtexbridge.overview import ProgressPublisher, read_progress
    from vtexbridge.web.sync_runs import BackgroundSync

    loop_thread = threading.current_thread()
    writers: list[threading.Thread] = []
    real = ProgressPublisher.publish

    def publish(self: ProgressPublisher, *, finished: bool = False) -> None:
        writers.append(threading.current_thread())
        real(self, finished=finished)

    monkeypatch.setattr(ProgressPublisher, "publish", publish)
    with StateStore(state_url) as store:
        trigger = BackgroundSync(
            settings_for(EXAMPLE_ERP, state_url, reports=tmp_path),
            store,
            http_transport=sandbox.transport,
            clock=sandbox.clock,
        )
        await trigger(None)
        outcome = await trigger.wait()
        progress = read_progress(store, ACCOUNT)
    assert outcome is not None and outcome.report.errors == []
    assert writers and loop_thread not in writers, "every progress write happened off the event loop"
    assert progress is not None and progress.finished
    assert progress.kinds["sku"]["done"] == progress.kinds["sku"]["total"] > 0


def test_the_progress_relay_hands_over_every_count_in_order() -> None:
    from vtexbridge.sync.graph import Kind
    from vtexbridge.sync.relay import ProgressRelay

    calls: list[tuple[str, Any]] = []

    class Inner:
        def start(self, totals: dict[Kind, int]) -> None:
            calls.append(("start", dict(totals)))

        def advance(self, kind: Kind, n: int = 1) -> None:
            calls.append(("advance", (kind, n)))

    relay = ProgressRelay(Inner(), interval_s=0.01)
    relay.start({Kind.SKU: 1000, Kind.PRICE: 10})
    for _ in range(1000):
        relay.advance(Kind.SKU)
    relay.advance(Kind.PRICE, 10)
    relay.close()
    assert calls[0] == ("start", {Kind.SKU: 1000, Kind.PRICE: 10})
    done: dict[Kind, int] = {}
    for what, (kind, n) in (c for c in calls[1:]):
        assert what == "advance"
        done[kind] = done.get(kind, 0) + n
    assert done == {Kind.SKU: 1000, Kind.PRICE: 10}
