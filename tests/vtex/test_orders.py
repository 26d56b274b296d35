"""OrdersAPI: order reads, handling, invoices in cents, tracking, cancel and v2 order changes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from tests.vtex.client_cases import Case, run_case
from vtexbridge.errors import RecordRef
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.errors import Conflict
from vtexbridge.vtex.models.orders import (
    ChangeFrom,
    ChangeItemFrom,
    ChangeItemTo,
    ChangeReplacement,
    ChangeTo,
    Invoice,
    InvoiceItem,
    InvoiceTracking,
    OrderChange,
    TrackingEvent,
    TrackingStatus,
)
from vtexbridge.vtex.settings import VtexSettings

STORE = "https://acme.vtexcommercestable.com.br"
OMS = "/api/oms/pvt/orders"
CHANGES = "/api/order-system/orders/1300000000001-01/changes"
ORDER_ID = "1300000000001-01"
RECEIPT = {"date": "2026-03-01T12:00:00Z", "orderId": ORDER_ID, "receipt": "r-1"}
ISSUED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-3)))
INVOICE = Invoice(
    type="Output",
    issuanceDate=ISSUED,
    invoiceNumber="NF-1001",
    invoiceValue=2499,
    invoiceKey="35260300063960001504590006629690333214542150",
    items=[InvoiceItem(id="310", price=1250, quantity=1), InvoiceItem(id="311", price=1249, quantity=1)],
)
CHANGE = OrderChange(
    reason="Customer asked for another size",
    replace=[
        ChangeReplacement(
            from_=ChangeFrom(items=[ChangeItemFrom(id="310", quantity=1, price=1250)]),
            to=ChangeTo(items=[ChangeItemTo(id="312", quantity=1)]),
        )
    ],
)
CHANGE_JSON = {
    "reason": "Customer asked for another size",
    "replace": [
        {
            "from": {"items": [{"id": "310", "quantity": 1, "price": 1250}]},
            "to": {"items": [{"id": "312", "quantity": 1}]},
        }
    ],
}
CHANGE_ANSWER = {"requestId": "req-1", "workflowId": "wf-1", "reason": CHANGE.reason, "totalChangeValue": 0}
ORDER_ANSWER = {
    "orderId": ORDER_ID,
    "status": "ready-for-handling",
    "value": 2499,
    "totals": [{"id": "Items", "name": "Items total", "value": 2499}],
    "items": [{"uniqueId": "u1", "id": "310", "quantity": 1, "price": 1250, "sellingPrice": 1250}],
    "clientProfileData": {"email": "ana@example.com", "firstName": "Ana"},
    "packageAttachment": {"packages": [{"invoiceNumber": "NF-1001", "invoiceValue": 2499}]},
    "shippingData": {"address": {"postalCode": "22220-070"}},
    "marketingData": None,
}


CASES = [
    Case(
        "get_order",
        lambda c: c.orders.get_order(ORDER_ID),
        "GET",
        f"{OMS}/{ORDER_ID}",
        answer=ORDER_ANSWER,
        check=lambda r: (
            r.value == 2499
            and r.items[0].price == 1250
            and r.packageAttachment.packages[0].invoiceNumber == "NF-1001"
            and r.model_extra == {"marketingData": None}
        ),
    ),
    Case(
        "list_orders",
        lambda c: c.orders.list_orders(
            status=["ready-for-handling", "handling"],
            created_between=(
                datetime(2026, 1, 1, tzinfo=UTC),
                datetime(2026, 1, 31, 20, 59, 59, 999000, tzinfo=timezone(timedelta(hours=-3))),
            ),
            page=2,
            per_page=100,
        ),
        "GET",
        OMS,
        query={
            "f_status": "ready-for-handling,handling",
            "f_creationDate": "creationDate:[2026-01-01T00:00:00.000Z TO 2026-01-31T23:59:59.999Z]",
            "page": "2",
            "per_page": "100",
        },
        answer={
            "list": [{"orderId": ORDER_ID, "status": "handling", "totalValue": 2499}],
            "paging": {"total": 101, "pages": 2, "currentPage": 2, "perPage": 100},
            "facets": [],
        },
        check=lambda r: r.orders[0].totalValue == 2499 and r.paging.pages == 2,
    ),
    Case(
        "start_handling",
        lambda c: c.orders.start_handling(ORDER_ID),
        "POST",
        f"{OMS}/{ORDER_ID}/start-handling",
        status=204,
    ),
    Case(
        "invoice_order",
        lambda c: c.orders.invoice_order(ORDER_ID, INVOICE),
        "POST",
        f"{OMS}/{ORDER_ID}/invoice",
        body={
            "type": "Output",
            "issuanceDate": "2026-03-01T09:30:00-03:00",
            "invoiceNumber": "NF-1001",
            "invoiceValue": "2499",
            "invoiceKey": "35260300063960001504590006629690333214542150",
            "items": [
                {"id": "310", "price": 1250, "quantity": 1},
                {"id": "311", "price": 1249, "quantity": 1},
            ],
        },
        answer=RECEIPT,
        check=lambda r: r.receipt == "r-1",
    ),
    Case(
        "update_invoice_tracking",
        lambda c: c.orders.update_invoice_tracking(
            ORDER_ID, "NF-1001", InvoiceTracking(trackingNumber="BR123", courier="Correios")
        ),
        "PATCH",
        f"{OMS}/{ORDER_ID}/invoice/NF-1001",
        # Every key is required by the spec: the unknown ones travel as null.
        body={"trackingNumber": "BR123", "trackingUrl": None, "dispatchedDate": None, "courier": "Correios"},
        answer=RECEIPT,
        check=lambda r: r.orderId == ORDER_ID,
    ),
    Case(
        "update_tracking_status",
        lambda c: c.orders.update_tracking_status(
            ORDER_ID,
            "NF-1001",
            TrackingStatus(
                isDelivered=True,
                deliveredDate=datetime(2026, 3, 4, 15, 20),
                events=[
                    TrackingEvent(
                        city="Rio de Janeiro", state="RJ", description="Collected", date=date(2026, 3, 2)
                    )
                ],
            ),
        ),
        "PUT",
        f"{OMS}/{ORDER_ID}/invoice/NF-1001/tracking",
        body={
            "isDelivered": True,
            "deliveredDate": "2026-03-04 15:20",
            "events": [
                {"city": "Rio de Janeiro", "state": "RJ", "description": "Collected", "date": "2026-03-02"}
            ],
        },
        answer=RECEIPT,
        check=lambda r: r.receipt == "r-1",
    ),
    Case(
        "cancel_order",
        lambda c: c.orders.cancel_order(ORDER_ID, reason="Out of stock"),
        "POST",
        f"{OMS}/{ORDER_ID}/cancel",
        body={"reason": "Out of stock"},
        answer=RECEIPT,
        check=lambda r: r.receipt == "r-1",
    ),
    Case(
        "create_order_change",
        lambda c: c.orders.create_order_change(ORDER_ID, CHANGE),
        "PATCH",
        CHANGES,
        query={"accountName": "acme"},
        body=CHANGE_JSON,
        answer=CHANGE_ANSWER,
        status=202,
        check=lambda r: r.requestId == "req-1",
    ),
    Case(
        "preview_order_change",
        lambda c: c.orders.preview_order_change(ORDER_ID, CHANGE),
        "POST",
        f"{CHANGES}/preview",
        query={"an": "acme"},
        body=CHANGE_JSON,
        answer={**CHANGE_ANSWER, "totalChangeValue": 100},
        check=lambda r: r.totalChangeValue == 100,
    ),
    Case(
        "list_order_changes",
        lambda c: c.orders.list_order_changes(ORDER_ID),
        "GET",
        CHANGES,
        query={"an": "acme"},
        answer={"requests": [CHANGE_ANSWER], "actions": []},
        check=lambda r: r.requests[0].workflowId == "wf-1",
    ),
    Case(
        "get_order_change",
        lambda c: c.orders.get_order_change(ORDER_ID, "req-1"),
        "GET",
        f"{CHANGES}/req-1",
        query={"an": "acme"},
        answer={**CHANGE_ANSWER, "status": "completed", "inProgress": False},
        check=lambda r: (r.status, r.inProgress) == ("completed", False),
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
    public = {n for n in dir(VtexClient.from_settings(VtexSettings()).orders) if not n.startswith("_")}
    assert public == {c.name for c in CASES}


async def test_start_handling_from_the_wrong_status_is_a_conflict_with_vtex_code(
    mock: respx.MockRouter, vtex: VtexClient
) -> None:
    mock.post(f"{OMS}/{ORDER_ID}/start-handling").mock(
        return_value=httpx.Response(
            409,
            json={"error": {"code": "OMS003", "message": "Order status should be ready-for-handling"}},
        )
    )
    ref = RecordRef("order", ORDER_ID)
    with pytest.raises(Conflict) as caught:
        await vtex.orders.start_handling(ORDER_ID, record=ref)
    assert (caught.value.vtex_code, caught.value.record) == ("OMS003", ref)


async def test_cancel_without_reason_sends_an_empty_object(mock: respx.MockRouter, vtex: VtexClient) -> None:
    route = mock.post(f"{OMS}/{ORDER_ID}/cancel").mock(return_value=httpx.Response(200, json=RECEIPT))
    await vtex.orders.cancel_order(ORDER_ID)
    assert json.loads(route.calls.last.request.content) == {}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.orders.list_orders(per_page=101),
        lambda c: c.orders.list_orders(page=31),
        lambda c: c.orders.list_orders(created_between=(datetime(2026, 1, 1), datetime(2026, 2, 1))),
    ],
    ids=["per_page", "page", "naive_dates"],
)
async def test_list_orders_refuses_what_vtex_cannot_answer(
    call: Callable[[VtexClient], Awaitable[Any]], vtex: VtexClient
) -> None:
    with pytest.raises(ValueError, match=r"per_page|time zone"):
        await call(vtex)


def test_invoice_amounts_are_whole_cents() -> None:
    with pytest.raises(ValidationError, match="invoiceValue"):
        Invoice.model_validate({**INVOICE.model_dump(by_alias=True), "invoiceValue": 24.99})
    with pytest.raises(ValidationError, match="invoiceValue"):
        Invoice.model_validate({**INVOICE.model_dump(by_alias=True), "invoiceValue": 0})
    with pytest.raises(ValidationError, match="price"):
        InvoiceItem(id="310", price=12.5, quantity=1)
    with pytest.raises(ValidationError, match="items"):
        Invoice.model_validate({**INVOICE.model_dump(by_alias=True), "items": []})


def test_order_change_needs_a_reason_and_a_replacement() -> None:
    with pytest.raises(ValidationError, match="replace"):
        OrderChange(reason="x", replace=[])
    with pytest.raises(ValidationError, match="reason"):
        OrderChange.model_validate({**CHANGE_JSON, "reason": ""})
