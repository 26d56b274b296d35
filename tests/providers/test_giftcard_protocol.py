"""Gift Card Provider Protocol over real HTTP: every route takes the spec's example request and answers
a body that validates against the spec's schema; 401 without the configured credentials; the
transaction life cycle against the reference ERP (balances read from the ERP, not our counters)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.providers.provider_support import (
    CARD_CODE,
    GIFTCARD_SPEC,
    VND,
    Served_,
    check_response,
    headers,
    request_example,
)
from vtexbridge.providers.adapters.sql import SqlErp
from vtexbridge.testing.openapi import ContractBook

P = "/providers/giftcard"


def example(book: ContractBook, method: str, template: str) -> dict[str, Any]:
    """The spec's example request, checked against the operation's request schema first."""
    body, pointer = request_example(book, GIFTCARD_SPEC, method, template)
    assert book.spec(GIFTCARD_SPEC).validate(pointer, body, direction="request") == []
    return body


async def erp_balance(erp: SqlErp, card_id: str) -> int:
    card = await erp.get_card(card_id)
    assert card is not None
    return card.balance_cents


async def debit(s: Served_, book: ContractBook, value: float, request_id: str) -> Any:
    body = example(book, "post", "/giftcards/{giftCardId}/transactions")
    body.update(value=value, requestId=request_id)
    async with s.client() as c:
        return await c.post(f"{P}/giftcards/2/transactions", json=body, headers=headers(family="PROVIDER"))


async def test_search_get_and_create_follow_the_spec(served: Served_, book: ContractBook) -> None:
    h = headers(family="PROVIDER", content_type=VND)
    async with served.client() as c:
        body = example(book, "post", "/giftcards/_search")
        r = await c.post(f"{P}/giftcards/_search", json=body, headers=h)
        assert r.status_code == 200, r.text
        check_response(book, GIFTCARD_SPEC, "post", "/giftcards/_search", r)
        assert [card["id"] for card in r.json()] == ["2"]  # the shopper's card (email/document/code)
        assert r.json()[0]["balance"] == 100.0
        assert r.headers["rest-content-range"] == "resources 0-0/1"
        paged = await c.post(
            f"{P}/giftcards/_search", json=body, headers={**h, "REST-Range": "resources=1-5"}
        )
        assert paged.json() == [] and paged.headers["rest-content-range"] == "resources */1"
        bad = await c.post(f"{P}/giftcards/_search", json=body, headers={**h, "REST-Range": "rows=5"})
        assert bad.status_code == 400 and "REST-Range" in bad.text
        r = await c.get(f"{P}/giftcards/2", headers=h)
        assert r.status_code == 200, r.text
        check_response(book, GIFTCARD_SPEC, "get", "/giftcards/2", r)
        assert r.json()["redemptionCode"].endswith("ASDQ") and CARD_CODE not in r.text
        r = await c.post(f"{P}/giftcards", json=example(book, "post", "/giftcards"), headers=h)
        assert r.status_code == 200, r.text
        check_response(book, GIFTCARD_SPEC, "post", "/giftcards", r)
        again = await c.post(f"{P}/giftcards", json=example(book, "post", "/giftcards"), headers=h)
        assert again.json()["id"] == r.json()["id"]  # relationName identifies it: a retry finds it
        assert (await c.get(f"{P}/giftcards/nope", headers=h)).status_code == 404


async def test_transaction_life_cycle_follows_the_spec(
    served: Served_, book: ContractBook, erp: SqlErp
) -> None:
    r = await debit(served, book, 30.0, "REQ-1")
    assert r.status_code == 200, r.text
    check_response(book, GIFTCARD_SPEC, "post", "/giftcards/2/transactions", r)
    tx = r.json()["id"]
    assert await erp_balance(erp, "2") == 7_000
    t = f"{P}/giftcards/2/transactions/{tx}"
    h = headers()
    async with served.client() as c:
        for path, rel in [
            (f"{P}/giftcards/2/transactions", "/giftcards/2/transactions"),
            (t, f"/giftcards/2/transactions/{tx}"),
            (f"{t}/authorization", f"/giftcards/2/transactions/{tx}/authorization"),
        ]:
            r = await c.get(path, headers=h)
            assert r.status_code == 200, r.text
            check_response(book, GIFTCARD_SPEC, "get", rel, r)
        assert (await c.get(f"{t}/authorization", headers=h)).json()["value"] == 30.0
        settle = example(book, "post", "/giftcards/{giftCardId}/transactions/{tId}/settlements")
        settle.update(value=20.0)
        r = await c.post(f"{t}/settlements", json=settle, headers=h)
        assert r.status_code == 200, r.text
        check_response(book, GIFTCARD_SPEC, "post", f"/giftcards/2/transactions/{tx}/settlements", r)
        cancel = example(book, "post", "/giftcards/{giftCardId}/transactions/{transactionId}/cancellations")
        cancel.update(value=10.0)
        r = await c.post(f"{t}/cancellations", json=cancel, headers=h)
        assert r.status_code == 200, r.text
        check_response(book, GIFTCARD_SPEC, "post", f"/giftcards/2/transactions/{tx}/cancellations", r)
        assert await erp_balance(erp, "2") == 8_000  # the cancelled 10.00 is back on the card
        for kind in ("settlements", "cancellations"):
            r = await c.get(f"{t}/{kind}", headers=h)
            assert r.status_code == 200, r.text
            check_response(book, GIFTCARD_SPEC, "get", f"/giftcards/2/transactions/{tx}/{kind}", r)
            assert len(r.json()) == 1
        over = await c.post(f"{t}/settlements", json={"value": 0.01, "requestId": "more"}, headers=h)
        assert over.status_code == 400  # 20 settled + 10 cancelled of 30: nothing left to settle
        refund = await c.post(f"{t}/cancellations", json={"value": 20.0, "requestId": "refund"}, headers=h)
        assert refund.status_code == 200  # a cancellation after settlement refunds it
        over = await c.post(f"{t}/cancellations", json={"value": 0.01, "requestId": "more"}, headers=h)
        assert over.status_code == 400  # 30 of 30 cancelled
        assert await erp_balance(erp, "2") == 10_000


async def test_a_retried_request_is_answered_with_the_original_outcome(
    served: Served_, book: ContractBook, erp: SqlErp
) -> None:
    first = await debit(served, book, 10.0, "SAME")
    second = await debit(served, book, 10.0, "SAME")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert await erp_balance(erp, "2") == 9_000
    t = f"{P}/giftcards/2/transactions/{first.json()['id']}/cancellations"
    async with served.client() as c:
        a = await c.post(t, json={"value": 10.0, "requestId": "C1"}, headers=headers())
        b = await c.post(t, json={"value": 10.0, "requestId": "C1"}, headers=headers())
    assert a.status_code == b.status_code == 200 and a.json() == b.json()
    assert await erp_balance(erp, "2") == 10_000
    too_much = await debit(served, book, 100.01, "BIG")
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "declined"
    assert (await debit(served, book, 100.01, "BIG")).status_code == 400
    assert await erp_balance(erp, "2") == 10_000


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/giftcards/_search"),
        ("GET", "/giftcards/2"),
        ("POST", "/giftcards"),
        ("POST", "/giftcards/2/transactions"),
        ("GET", "/giftcards/2/transactions"),
        ("GET", "/giftcards/2/transactions/x"),
        ("GET", "/giftcards/2/transactions/x/authorization"),
        ("POST", "/giftcards/2/transactions/x/cancellations"),
        ("GET", "/giftcards/2/transactions/x/cancellations"),
        ("POST", "/giftcards/2/transactions/x/settlements"),
        ("GET", "/giftcards/2/transactions/x/settlements"),
    ],
)
async def test_every_route_refuses_a_request_without_the_credentials(
    served: Served_, method: str, path: str
) -> None:
    wrong = {**headers(), "X-VTEX-API-AppToken": "not-the-token"}
    async with served.client() as c:
        for h in ({"Content-Type": "application/json"}, wrong):
            r = await c.request(method, P + path, json={}, headers=h)
            assert r.status_code == 401, (method, path, r.text)
            assert "providers-test-token" not in r.text


async def test_bad_input_is_refused_naming_the_field(
    served: Served_, book: ContractBook, erp: SqlErp
) -> None:
    body = example(book, "post", "/giftcards/{giftCardId}/transactions")
    async with served.client() as c:
        for change, field in [
            ({"value": -1}, "value"),
            ({"value": 1.001}, "value"),
            ({"value": "lots"}, "value"),
            ({"value": 1e15}, "value"),
            ({"operation": "Steal"}, "operation"),
            ({"requestId": "x" * 500}, "requestId"),
        ]:
            r = await c.post(f"{P}/giftcards/2/transactions", json={**body, **change}, headers=headers())
            assert r.status_code == 400 and field in r.json()["error"]["message"], (change, r.text)
        stolen = {**body, "redemptionCode": "WRONG", "redemptionToken": "WRONG"}
        r = await c.post(f"{P}/giftcards/2/transactions", json=stolen, headers=headers())
        assert r.status_code == 403
        deep: Any = {}
        for _ in range(40):
            deep = {"a": deep}
        r = await c.post(f"{P}/giftcards/_search", json=deep, headers=headers())
        assert r.status_code == 400
    assert await erp_balance(erp, "2") == 10_000
