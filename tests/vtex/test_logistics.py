"""LogisticsAPI: warehouses, docks and inventory requests, time spans and their answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from pydantic import ValidationError

from tests.vtex.client_cases import Case, run_case
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.errors import Locked
from vtexbridge.vtex.models.logistics import (
    Country,
    DockAddress,
    DockUpsert,
    InventoryQuantityUpdate,
    InventoryUpdate,
    LeadTimeUpdate,
    WarehouseDockLink,
    WarehouseUpsert,
)
from vtexbridge.vtex.settings import VtexSettings

STORE = "https://acme.vtexcommercestable.com.br"
CONFIG = "/api/logistics/pvt/configuration"
INVENTORY = "/api/logistics/pvt/inventory/skus"

WAREHOUSE = WarehouseUpsert(
    id="wh1",
    name="Main warehouse",
    warehouseDocks=[
        WarehouseDockLink(
            dockId="dk1",
            name="Central dock",
            time=timedelta(days=3),
            cost="0.00",
            translateDays="days",
            costToDisplay="0,00",
        )
    ],
    priority=1,
)
WAREHOUSE_JSON = {
    "id": "wh1",
    "name": "Main warehouse",
    "warehouseDocks": [
        {
            "dockId": "dk1",
            "name": "Central dock",
            "time": "3.00:00:00",
            "cost": "0.00",
            "translateDays": "days",
            "costToDisplay": "0,00",
        }
    ],
    "priority": 1,
}
ADDRESS_JSON = {
    "postalCode": "22220-070",
    "country": {"acronym": "BRA", "name": "Brazil"},
    "city": "Rio de Janeiro",
    "state": "RJ",
    "neighborhood": "Catete",
    "street": "Rua Artur Bernardes",
    "number": "100",
    "complement": "",
    "coordinates": [[-43.17, -22.92]],
}
DOCK = DockUpsert(
    id="dk1",
    name="Central dock",
    priority=0,
    dockTimeFake="1.00:00:00",
    timeFakeOverhead=timedelta(0),
    salesChannels=["1"],
    salesChannel="1",
    freightTableIds=["ft1"],
    wmsEndPoint=None,
    address=DockAddress(**{**ADDRESS_JSON, "country": Country(acronym="BRA", name="Brazil")}),
)
DOCK_JSON = {
    "id": "dk1",
    "name": "Central dock",
    "priority": 0,
    "dockTimeFake": "1.00:00:00",
    "timeFakeOverhead": "0.00:00:00",
    "salesChannels": ["1"],
    "salesChannel": "1",
    "freightTableIds": ["ft1"],
    "wmsEndPoint": None,
    "address": ADDRESS_JSON,
}
COUNTED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


CASES = [
    Case(
        "upsert_warehouse",
        lambda c: c.logistics.upsert_warehouse(WAREHOUSE),
        "POST",
        f"{CONFIG}/warehouses",
        body=WAREHOUSE_JSON,
    ),
    Case(
        "get_warehouse",
        lambda c: c.logistics.get_warehouse("wh1"),
        "GET",
        f"{CONFIG}/warehouses/wh1",
        answer={
            "id": "wh1",
            "name": "Main",
            "warehouseDocks": [{"dockId": "dk1", "time": "3.00:00:00", "cost": 0}],
        },
        check=lambda r: r.warehouseDocks[0].dockId == "dk1",
    ),
    Case(
        "list_warehouses",
        lambda c: c.logistics.list_warehouses(),
        "GET",
        f"{CONFIG}/warehouses",
        answer=[{"id": "wh1", "name": "Main", "isActive": True}],
        check=lambda r: r[0].isActive is True,
    ),
    Case(
        "activate_warehouse",
        lambda c: c.logistics.activate_warehouse("wh1"),
        "POST",
        f"{CONFIG}/warehouses/wh1/activation",
    ),
    Case(
        "deactivate_warehouse",
        lambda c: c.logistics.deactivate_warehouse("wh1"),
        "POST",
        f"{CONFIG}/warehouses/wh1/deactivation",
    ),
    Case(
        "deactivate_dock",
        lambda c: c.logistics.deactivate_dock("dk1"),
        "POST",
        f"{CONFIG}/docks/dk1/deactivation",
    ),
    Case(
        "upsert_dock",
        lambda c: c.logistics.upsert_dock(DOCK),
        "POST",
        f"{CONFIG}/docks",
        body=DOCK_JSON,
        answer=True,
    ),
    Case(
        "get_dock",
        lambda c: c.logistics.get_dock("dk1"),
        "GET",
        f"{CONFIG}/docks/dk1",
        answer={**DOCK_JSON, "isActive": True, "pickupStoreInfo": {"isPickupStore": False}},
        check=lambda r: r.address.country.acronym == "BRA" and r.model_extra["pickupStoreInfo"],
    ),
    Case(
        "list_docks",
        lambda c: c.logistics.list_docks(),
        "GET",
        f"{CONFIG}/docks",
        answer=[DOCK_JSON],
        check=lambda r: r[0].freightTableIds == ["ft1"],
    ),
    Case(
        "update_inventory",
        lambda c: c.logistics.update_inventory(
            310,
            "wh1",
            InventoryUpdate(
                quantity=7,
                unlimitedQuantity=False,
                leadTime=timedelta(days=1, hours=2),
                dateUtcOnBalanceSystem=COUNTED_AT,
            ),
        ),
        "PUT",
        f"{INVENTORY}/310/warehouses/wh1",
        body={
            "quantity": 7,
            "unlimitedQuantity": False,
            "dateUtcOnBalanceSystem": "2026-03-01T12:00:00Z",
            "leadTime": "1.02:00:00",
        },
        answer=True,
    ),
    Case(
        "update_inventory_quantity",
        lambda c: c.logistics.update_inventory_quantity(
            "310", "wh1", InventoryQuantityUpdate(quantity=0, unlimitedQuantity=True)
        ),
        "PATCH",
        f"{INVENTORY}/310/warehouses/wh1/quantity",
        body={"quantity": 0, "unlimitedQuantity": True},
        status=204,
    ),
    Case(
        "update_inventory_lead_time",
        lambda c: c.logistics.update_inventory_lead_time(
            "310", "wh1", LeadTimeUpdate(leadTime="10.10:00:00")
        ),
        "PATCH",
        f"{INVENTORY}/310/warehouses/wh1/lead-time",
        body={"leadTime": "10.10:00:00"},
        status=204,
    ),
    Case(
        "get_inventory",
        lambda c: c.logistics.get_inventory(310),
        "GET",
        f"{INVENTORY}/310",
        answer={
            "skuId": "310",
            "balance": [
                {
                    "warehouseId": "wh1",
                    "warehouseName": "Main",
                    "totalQuantity": 7,
                    "reservedQuantity": 2,
                    "hasUnlimitedQuantity": False,
                    "leadTime": "00:00:00",
                }
            ],
        },
        check=lambda r: (r.balance[0].totalQuantity, r.balance[0].reservedQuantity) == (7, 2),
    ),
]


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=STORE, assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_method_sends_vtex_request_and_reads_answer(
    case: Case, mock: respx.MockRouter, vtex: VtexClient
) -> None:
    await run_case(case, mock, vtex)


def test_every_public_method_has_a_case() -> None:
    public = {n for n in dir(VtexClient.from_settings(VtexSettings()).logistics) if not n.startswith("_")}
    assert public == {c.name for c in CASES}


async def test_concurrent_inventory_write_surfaces_as_locked(
    mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.put(f"{INVENTORY}/310/warehouses/wh1").mock(
        return_value=httpx.Response(423, text="Unable to acquire lock for key: acme_item_logistics_310_wh1.")
    )
    with pytest.raises(Locked):
        await vtex.logistics.update_inventory(
            310, "wh1", InventoryUpdate(quantity=1, unlimitedQuantity=False, leadTime="00:00:00")
        )


@pytest.mark.parametrize("bad", ["3 days", "1.2:3", "-1.00:00:00"])
def test_time_spans_must_be_dotnet_spans(bad: str) -> None:
    with pytest.raises(ValidationError, match="leadTime"):
        LeadTimeUpdate(leadTime=bad)


def test_negative_time_delta_is_refused() -> None:
    with pytest.raises(ValidationError, match="negative"):
        LeadTimeUpdate(leadTime=timedelta(seconds=-1))


def test_stock_cannot_be_negative_and_count_time_needs_a_zone() -> None:
    with pytest.raises(ValidationError, match="quantity"):
        InventoryQuantityUpdate(quantity=-1, unlimitedQuantity=False)
    with pytest.raises(ValidationError, match="dateUtcOnBalanceSystem"):
        InventoryQuantityUpdate(
            quantity=1, unlimitedQuantity=False, dateUtcOnBalanceSystem=datetime(2026, 1, 1)
        )
