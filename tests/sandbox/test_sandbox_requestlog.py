"""The request log: route templates, counts, filters, cursor, bounded memory."""

from __future__ import annotations

import httpx
import pytest

from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.requestlog import RequestLog


async def test_entries_name_route_templates_and_count_writes(sandbox_client: httpx.AsyncClient) -> None:
    for brand_id in (1, 2, 3):
        await sandbox_client.post("/api/catalog/pvt/brand", json={"Id": brand_id, "Name": f"B{brand_id}"})
    await sandbox_client.get("/api/catalog/pvt/brand/1")
    await sandbox_client.get("/api/catalog/pvt/brand/2")
    await sandbox_client.put("/pricing/prices/1", json={"basePrice": 1, "costPrice": 1})
    log = (await sandbox_client.get("/_sandbox/requests")).json()
    assert log["counts"] == {
        "GET /api/catalog/pvt/brand/{brandId}": 2,
        "POST /api/catalog/pvt/brand": 3,
        "PUT /pricing/prices/{itemId}": 1,
    }
    assert log["total"] == 6
    first = log["entries"][0]
    assert (first["method"], first["route"], first["path"], first["status"]) == (
        "POST",
        "/api/catalog/pvt/brand",
        "/api/catalog/pvt/brand",
        200,
    )
    assert first["durationMs"] >= 0
    assert first["time"]
    writes = (await sandbox_client.get("/_sandbox/requests?writes=1")).json()
    assert writes["total"] == 4
    assert {e["method"] for e in writes["entries"]} == {"POST", "PUT"}
    gets = (await sandbox_client.get("/_sandbox/requests?method=get")).json()
    assert gets["counts"] == {"GET /api/catalog/pvt/brand/{brandId}": 2}
    one_route = (
        await sandbox_client.get("/_sandbox/requests", params={"route": "/pricing/prices/{itemId}"})
    ).json()
    assert one_route["total"] == 1


async def test_since_cursor_and_clear(sandbox_client: httpx.AsyncClient) -> None:
    await sandbox_client.get("/api/catalog_system/pvt/brand/list")
    cursor = (await sandbox_client.get("/_sandbox/requests")).json()["cursor"]
    await sandbox_client.post("/api/catalog/pvt/brand", json={"Id": 1, "Name": "B"})
    after = (await sandbox_client.get(f"/_sandbox/requests?since={cursor}")).json()
    assert [e["method"] for e in after["entries"]] == ["POST"]
    assert after["counts"] == {"POST /api/catalog/pvt/brand": 1}
    assert (await sandbox_client.get(f"/_sandbox/requests?since={cursor}&writes=1")).json()["total"] == 1
    assert (await sandbox_client.delete("/_sandbox/requests")).status_code == 204
    cleared = (await sandbox_client.get("/_sandbox/requests")).json()
    assert (cleared["entries"], cleared["counts"], cleared["total"]) == ([], {}, 0)
    assert cleared["cursor"] == after["cursor"]  # the cursor never goes back


async def test_unmatched_and_unauthorised_requests_are_logged(sandbox_client: httpx.AsyncClient) -> None:
    await sandbox_client.get("/api/nothing/1")
    await sandbox_client.get("/api/nothing/2")
    await sandbox_client.get("/api/catalog/pvt/brand/1", headers={"X-VTEX-API-AppToken": "bad"})
    log = (await sandbox_client.get("/_sandbox/requests")).json()
    assert log["counts"] == {"GET <unmatched>": 2, "GET /api/catalog/pvt/brand/{brandId}": 1}
    assert [e["status"] for e in log["entries"]] == [404, 404, 401]


class TestBounded:
    @pytest.fixture
    def sandbox_options(self) -> SandboxOptions:
        return SandboxOptions(request_log_size=3)

    async def test_ring_keeps_recent_entries_but_exact_counts(
        self, sandbox_client: httpx.AsyncClient
    ) -> None:
        for i in range(5):
            await sandbox_client.get(f"/api/catalog/pvt/brand/{i}")
        log = (await sandbox_client.get("/_sandbox/requests")).json()
        assert [e["path"] for e in log["entries"]] == [f"/api/catalog/pvt/brand/{i}" for i in (2, 3, 4)]
        assert log["counts"] == {"GET /api/catalog/pvt/brand/{brandId}": 5}
        assert log["total"] == 5
        assert (await sandbox_client.get("/_sandbox/requests?method=GET")).json()["total"] == 5


def test_request_log_unit() -> None:
    log = RequestLog(2)
    for status in (200, 201, 500):
        log.record(
            method="POST", route="/r", path="/r", account="a", status=status, time="t", duration_ms=1.23456
        )
    assert log.total == 3
    assert [e.status for e in log.entries()] == [201, 500]
    assert log.entries()[0].durationMs == 1.235
    assert log.snapshot(writes=True)["counts"] == {"POST /r": 3}
