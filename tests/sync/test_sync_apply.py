"""The executor against the in-process sandbox: overlap, idempotent creates, failures, state."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sync_harness import EXAMPLE_ERP, Sandbox, assert_matches_erp, copy_store, edit_csv, settings_for, sync

from vtexbridge.clock import FakeClock
from vtexbridge.errors import DependencyBlocked, RecordRejected, StateLocked
from vtexbridge.state import StateStore
from vtexbridge.state.models import RunStatus
from vtexbridge.sync.config import SyncSettings
from vtexbridge.sync.graph import Kind
from vtexbridge.sync.runner import SyncOptions, run_sync
from vtexbridge.sync.steps import Action
from vtexbridge.sync.stop import STOPPED_EXIT, SyncStopped
from vtexbridge.vtex.errors import Forbidden, Unauthorized

SKU_CREATE = "POST /api/catalog/pvt/stockkeepingunit"


async def test_example_store_syncs_and_matches(sandbox: Sandbox, state_url: str, tmp_path: Path) -> None:
    outcome = await sync(sandbox, settings_for(EXAMPLE_ERP, state_url, reports=tmp_path))
    assert outcome.report.errors == []
    assert outcome.exit_code == 0
    assert_matches_erp(EXAMPLE_ERP, await sandbox.dump())
    with StateStore(state_url) as store:
        run = store.runs.list_recent("sandbox")[0]
        assert run.status == RunStatus.SUCCEEDED and run.requests == outcome.report.requests
        assert run.counts["sku"] == {"create": 150}, "a record once: its activation is a step, not a record"
        assert store.entities.list_in_flight("sandbox") == []
    assert outcome.report_file is not None and outcome.report_file.parent == tmp_path


async def test_work_on_different_routes_overlaps(sandbox: Sandbox, state_url: str, tmp_path: Path) -> None:
    """A SKU's price goes out as soon as the SKU exists, while other SKUs are still being created."""
    await sync(sandbox, settings_for(EXAMPLE_ERP, state_url, reports=tmp_path))
    entries = (await sandbox.requests(0))["entries"]
    sku_creates = [e["seq"] for e in entries if f"{e['method']} {e['route']}" == SKU_CREATE]
    price_puts = [e["seq"] for e in entries if e["route"] == "/pricing/prices/{itemId}"]
    assert len(sku_creates) == 150 and len(price_puts) == 150
    assert min(price_puts) < max(sku_creates), "prices waited for every SKU instead of their own"


class LoseAnswers(httpx.AsyncBaseTransport):
    """Lets the sandbox apply the first ``n`` requests matching ``method path`` and loses their answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, method: str, path: str, n: int = 1) -> None:
        self.inner, self.method, self.path, self.left = inner, method, path, n

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.left and request.method == self.method and request.url.path == self.path:
            self.left -= 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


async def test_a_create_whose_answer_is_lost_is_looked_up_not_repeated(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    sandbox.transport = LoseAnswers(sandbox.transport, "POST", "/api/catalog/pvt/stockkeepingunit", n=3)
    outcome = await sync(sandbox, settings_for(EXAMPLE_ERP, state_url, reports=tmp_path))
    assert outcome.report.errors == []
    log = await sandbox.requests(0)
    assert log["counts"][SKU_CREATE] == 150, "every SKU created once: the lost ones were found by RefId"
    assert log["counts"]["GET /api/catalog/pvt/stockkeepingunit"] == 3
    assert_matches_erp(EXAMPLE_ERP, await sandbox.dump())


async def test_creates_left_in_flight_by_a_killed_run_are_adopted(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path)
    await sync(sandbox, settings)
    # as if the process had died after VTEX created these, before their results were committed
    with StateStore(state_url) as store:
        sku = store.entities.get("sandbox", "sku", "P0001-01")
        brand = store.entities.get("sandbox", "brand", "serra-alta")
        category = store.entities.get("sandbox", "category", "jackets")
        assert sku and brand and category
        for kind, key in (("sku", "P0001-01"), ("product", "P0002")):
            store.entities.forget("sandbox", kind, [key])
            store.entities.mark_in_flight("sandbox", kind, [key])
        store.entities.forget("sandbox", "brand", ["serra-alta"])
        store.entities.mark_in_flight("sandbox", "brand", ["serra-alta"], operation=f"create:{brand.vtex_id}")
        store.entities.forget("sandbox", "category", ["jackets"])
        store.entities.mark_in_flight(
            "sandbox", "category", ["jackets"], operation=f"create:{category.vtex_id}"
        )
    cursor = await sandbox.cursor()
    outcome = await sync(sandbox, settings)
    assert outcome.report.errors == []
    writes = await sandbox.writes(cursor)
    writes.pop("POST /api/catalog_system/pub/sku/stockkeepingunitidsbyrefids", None)  # a lookup (h7, #12)
    assert writes == {}, "found by RefId (SKU, product) or reserved id: nothing re-sent"
    # h7 (#12): found by the adoption before planning, so they are no creates any more
    assert outcome.plan.count(Kind.SKU, Action.CREATE) == 0
    assert outcome.plan.count(Kind.PRODUCT, Action.CREATE) == 0
    assert outcome.extra["adoption"]["kinds"]["sku"]["matched_unchanged"] == 1
    assert_matches_erp(EXAMPLE_ERP, await sandbox.dump())
    with StateStore(state_url) as store:
        assert store.entities.list_in_flight("sandbox") == []
        again = store.entities.get("sandbox", "sku", "P0001-01")
        assert again is not None and again.vtex_id == sku.vtex_id and again.active


async def test_vtex_refusals_are_kept_with_vtex_message_and_hold_back_only_dependents(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    # someone already gave P0001-01's EAN to another SKU in VTEX: VTEX will refuse it (409)
    headers = {"X-VTEX-API-AppKey": "vtexappkey-sandbox-KEY", "X-VTEX-API-AppToken": "sandbox-token"}
    api = httpx.AsyncClient(transport=sandbox.transport, base_url="http://sandbox.test", headers=headers)
    c = (await api.post("/api/catalog/pvt/category", json={"Name": "Other", "Id": 999})).json()
    await api.post("/api/catalog/pvt/brand", json={"Id": 999, "Name": "Other"})
    p = (
        await api.post("/api/catalog/pvt/product", json={"Name": "O", "CategoryId": c["Id"], "BrandId": 999})
    ).json()
    body = {"ProductId": p["Id"], "Name": "O", "RefId": "OTHER", "PackagedHeight": 1, "PackagedLength": 1,
            "PackagedWidth": 1, "PackagedWeightKg": 1, "Ean": "7890012345076"}  # fmt: skip
    assert (await api.post("/api/catalog/pvt/stockkeepingunit", json=body)).status_code == 200
    await api.aclose()
    outcome = await sync(sandbox, settings_for(EXAMPLE_ERP, state_url, reports=tmp_path))
    errors = outcome.report.errors
    rejected = [e for e in errors if e["type"] == RecordRejected.__name__]
    assert len(rejected) == 1
    assert rejected[0]["key"] == "P0001-01|7890012345076" and rejected[0]["vtex_status"] == 409
    assert "already used by SKU" in rejected[0]["vtex_message"]
    held = [e for e in errors if e["type"] == DependencyBlocked.__name__]
    assert [(e["kind"], e["key"]) for e in held] == [("sku", "P0001-01")], "only its activation waits on it"
    assert "ean 'P0001-01|7890012345076' failed" in held[0]["message"]
    assert outcome.exit_code == 1
    with StateStore(state_url) as store:
        saved = {(e.kind, e.erp_key): e for e in store.entities.list_errors("sandbox")}
        assert saved[("ean", "P0001-01|7890012345076")].vtex_status == 409
        assert ("sku", "P0001-01") in saved
        run = store.runs.list_recent("sandbox")[0]
        assert run.status == RunStatus.PARTIAL and run.errors == 2
    # everything else went through
    dump = await sandbox.dump()
    ours = {s["RefId"]: s for s in dump["skus"] if s["RefId"] != "OTHER"}
    assert len(ours) == 150 and all(s["IsActive"] for k, s in ours.items() if k != "P0001-01")
    assert len(dump["prices"]) == 150 and len(dump["inventory"]) == 300


async def test_refused_credentials_stop_the_run(sandbox: Sandbox, state_url: str, tmp_path: Path) -> None:
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path)
    token = SecretStr("wrong")
    bad = settings.model_copy(update={"vtex": settings.vtex.model_copy(update={"app_token": token})})
    since = await sandbox.cursor()
    with pytest.raises(SyncStopped) as caught:
        await sync(sandbox, bad)
    stop = caught.value
    assert isinstance(stop.cause, Unauthorized) and stop.exit_code == STOPPED_EXIT
    assert "account 'sandbox'" in stop.message and "sandbox.test" in stop.message
    assert "vtex.app_token" in stop.message
    sent = (await sandbox.requests(since))["total"]
    assert sent <= 16, f"stopped at the first answers, not after the plan: {sent} requests"
    with StateStore(state_url) as store:
        assert store.entities.list_errors("sandbox") == [], "no record is in error: nothing could succeed"
        run = store.runs.list_recent("sandbox")[0]
        assert run.status == RunStatus.FAILED and run.message == stop.user_message
        assert store.leases.get("run:sync:sandbox") is None, "the lease is released"


class _Refusing(httpx.AsyncBaseTransport):
    """A host that cannot be reached: every connection attempt is refused (counted)."""

    def __init__(self) -> None:
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


async def test_an_unreachable_host_stops_the_run_at_once(state_url: str, tmp_path: Path) -> None:
    refusing = _Refusing()
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path, base_url="http://nowhere.test:9")
    clock = FakeClock()
    with pytest.raises(SyncStopped) as caught:
        await run_sync(settings, SyncOptions(), http_transport=refusing, clock=clock)
    stop = caught.value
    assert "cannot reach nowhere.test:9" in stop.message and "account 'sandbox'" in stop.message
    assert "vtex.base_url" in stop.message
    # one attempt per call the first wave of workers made: no transport retries, no step retries
    concurrency = SyncSettings().concurrency
    first_wave = concurrency.catalog + concurrency.logistics + concurrency.masterdata
    assert refusing.attempts <= first_wave, refusing.attempts
    start = FakeClock().monotonic()
    assert clock.monotonic() - start < 1.0, "no backoff was slept through"
    with StateStore(state_url) as store:
        assert store.entities.list_errors("sandbox") == []
        assert store.runs.list_recent("sandbox")[0].status == RunStatus.FAILED


class _NoPricingPermission(httpx.AsyncBaseTransport):
    """The sandbox, except that the pricing area answers 403 (the app key's role lacks it)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "/pricing/" in request.url.path:
            return httpx.Response(403, json={"message": "Forbidden"}, request=request)
        return await self.inner.handle_async_request(request)


async def test_a_forbidden_api_area_stops_the_run_without_record_errors(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path)
    transport = _NoPricingPermission(sandbox.transport)
    with pytest.raises(SyncStopped) as caught:
        await run_sync(settings, SyncOptions(), http_transport=transport, clock=sandbox.clock)
    stop = caught.value
    assert isinstance(stop.cause, Forbidden) and "permission" in stop.message
    assert "/pricing/" in stop.message
    with StateStore(state_url) as store:
        assert store.entities.list_errors("sandbox") == []


async def test_records_gone_from_the_erp_are_switched_off_or_removed_in_vtex(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    settings = settings_for(erp, state_url, reports=tmp_path / "r")
    await sync(sandbox, settings)
    # the whole of product P0050 leaves the ERP; P0001-01 loses an image, its EAN, its price and a
    # stock line; P0002 leaves trade policy 2
    for name in ("products.csv", "skus.csv", "sku_images.csv", "eans.csv", "prices.csv", "fixed_prices.csv",
                 "inventory.csv", "sku_specifications.csv"):  # fmt: skip
        path = erp / name
        lines = path.read_text(encoding="utf-8").splitlines()
        keep = [lines[0]] + [line for line in lines[1:] if not line.startswith(("P0050",))]
        path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    (erp / "product_specifications.jsonl").write_text(
        "".join(
            line + "\n"
            for line in (erp / "product_specifications.jsonl").read_text(encoding="utf-8").splitlines()
            if '"P0050"' not in line
        ),
        encoding="utf-8",
    )
    drop = {
        "sku_images.csv": "P0001-01,https://cdn.example.com/trilha/products/P0001/P0001-01-3.jpg,",
        "eans.csv": "P0001-01,",
        "prices.csv": "P0001-01,",
        "fixed_prices.csv": "P0001-01,",
        "inventory.csv": "P0001-01,cd-curitiba,",
    }
    for name, prefix in drop.items():
        path = erp / name
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(x for x in lines if not x.startswith(prefix)) + "\n", encoding="utf-8")
    edit_csv(erp / "products.csv", "P0002", "trade_policies", "1")
    before = await sandbox.dump()
    cursor = await sandbox.cursor()
    outcome = await sync(sandbox, settings)
    assert outcome.report.errors == []
    got = {(s.kind.value, s.action.value) for s in outcome.plan.steps}
    assert got == {
        ("product", "deactivate"),
        ("sku", "deactivate"),
        ("sku_image", "unlink"),
        ("ean", "unlink"),
        ("price", "unlink"),
        ("inventory", "deactivate"),
        ("product_trade_policy", "unlink"),
    }
    dump = await sandbox.dump()
    products = {p["RefId"]: p for p in dump["products"]}
    skus = {s["RefId"]: s for s in dump["skus"]}
    assert products["P0050"]["IsActive"] is False
    gone = [k for k in skus if k.startswith("P0050")]
    assert gone and all(not skus[k]["IsActive"] and not skus[k]["ActivateIfPossible"] for k in gone)
    assert len(skus["P0001-01"]["Files"]) == 2 and skus["P0001-01"]["Eans"] == []
    sku_id = str(skus["P0001-01"]["Id"])
    assert sku_id not in {str(p["itemId"]) for p in dump["prices"]}
    line = next(
        i for i in dump["inventory"] if str(i["skuId"]) == sku_id and i["warehouseId"] == "cd-curitiba"
    )
    assert line["quantity"] == 0
    assert products["P0002"]["SalesPolicies"] == [1]
    assert len(dump["skus"]) == len(before["skus"]), "nothing deleted that should only be switched off"
    writes = await sandbox.writes(cursor)
    assert writes["DELETE /pricing/prices/{itemId}"] == 1
    cursor = await sandbox.cursor()
    await sync(sandbox, settings)
    assert await sandbox.writes(cursor) == {}


async def test_dry_run_show_diffs_against_vtex_s_copy(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    erp = copy_store(tmp_path)
    settings = settings_for(erp, state_url, reports=tmp_path / "r")
    await sync(sandbox, settings)
    edit_csv(erp / "prices.csv", "P0001-01", "base_price", "600.00")
    edit_csv(erp / "skus.csv", "P0001-01", "name", "Renamed SKU")
    cursor = await sandbox.cursor()
    outcome = await sync(sandbox, settings, dry_run=True, show="P0001-01")
    assert await sandbox.writes(cursor) == {}, "a dry run sends no write"
    diffs = {(d["kind"], d["action"]): d for d in outcome.report.diffs}
    price = {f["field"]: f for f in diffs[("price", "update")]["fields"]}
    assert price["basePrice"] == {"field": "basePrice", "wanted": 600.0, "current": 658.9, "changed": True}
    assert price["listPrice"]["changed"] is False
    sku = {f["field"]: f for f in diffs[("sku", "update")]["fields"]}
    assert sku["Name"]["current"] != sku["Name"]["wanted"] == "Renamed SKU"
    assert sku["RefId"]["changed"] is False


async def test_two_syncs_of_an_account_cannot_run_at_once(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    settings = settings_for(EXAMPLE_ERP, state_url, reports=tmp_path)
    with StateStore(state_url) as store:
        assert store.leases.acquire("run:sync:sandbox", "elsewhere:4242", timedelta(minutes=5))
    with pytest.raises(StateLocked) as e:
        await sync(sandbox, settings)
    assert "another sync of this account is running" in str(e.value) and "elsewhere:4242" in str(e.value)


async def test_the_lease_of_a_killed_sync_on_this_machine_is_taken_over(
    sandbox: Sandbox, state_url: str, tmp_path: Path
) -> None:
    with StateStore(state_url) as store:
        store.leases.acquire(
            "run:sync:sandbox", f"{socket.gethostname()}:{_dead_pid()}", timedelta(minutes=5)
        )
    outcome = await sync(sandbox, settings_for(EXAMPLE_ERP, state_url, reports=tmp_path))
    assert outcome.exit_code == 0


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)
