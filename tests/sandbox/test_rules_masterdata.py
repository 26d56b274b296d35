"""Pure Master Data query rules: _where, _fields, _sort, REST-Range, scroll cursors."""

from __future__ import annotations

from typing import Any

import pytest

from vtexbridge.sandbox.rules.masterdata import (
    MasterDataError,
    ScrollCursor,
    content_range,
    matches_params,
    merge_document,
    new_document,
    parse_fields,
    parse_range,
    parse_size,
    parse_sort,
    parse_where,
    project,
    replace_document,
    sort_documents,
)

DOCS: list[dict[str, Any]] = [
    {
        "id": "a",
        "name": "Maria Silva",
        "age": 30,
        "tags": ["vip", "b2b"],
        "address": {"city": "Recife"},
        "active": True,
    },
    {"id": "b", "name": "João", "age": 5, "tags": [], "address": {"city": "Natal"}, "active": False},
    {"id": "c", "name": "maria", "age": None, "address": None},
]


def _ids(where: str) -> list[str]:
    predicate = parse_where(where)
    return [d["id"] for d in DOCS if predicate(d)]


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        ("name=maria", ["c"]),
        ("name=Maria*", ["a", "c"]),
        ("name=*silva", ["a"]),
        ('name="Maria Silva"', ["a"]),
        ("name<>maria", ["a", "b"]),
        ("age>5", ["a"]),
        ("age<=5", ["b"]),
        ("age is null", ["c"]),
        ("age is not null AND age between 1 AND 10", ["b"]),
        ("tags=vip", ["a"]),
        ("tags<>vip", ["b", "c"]),
        ("address.city=Natal", ["b"]),
        ("active=true", ["a"]),
        ("active=false OR age is null", ["b", "c"]),
        ("(name=joão OR name=maria) and age is null", ["c"]),
        ("name=Maria?Silva", []),
        ("", ["a", "b", "c"]),
    ],
)
def test_where(where: str, ids: list[str]) -> None:
    assert _ids(where) == ids


@pytest.mark.parametrize(
    "where", ["name", "name =", "(name=a", "name=a AND", "age between 1 10", "1name=x", "name is nothing"]
)
def test_bad_where_is_400(where: str) -> None:
    with pytest.raises(MasterDataError) as e:
        parse_where(where)
    assert e.value.status == 400


def test_params_fields_sort() -> None:
    assert [d["id"] for d in DOCS if matches_params({"name": "maria", "_fields": "x"})(d)] == ["c"]
    assert parse_fields(None) == ["id", "accountId", "accountName", "dataEntityId"]
    assert parse_fields("a, b") == ["a", "b"] and parse_fields("a,_all") is None
    assert project(DOCS[0], ["name", "address.city", "nope"]) == {
        "name": "Maria Silva",
        "address.city": "Recife",
        "nope": None,
    }
    assert [d["id"] for d in sort_documents(list(DOCS), parse_sort("age DESC"))] == ["a", "b", "c"]
    assert [d["id"] for d in sort_documents(list(DOCS), parse_sort("name"))] == ["b", "c", "a"]
    with pytest.raises(MasterDataError):
        parse_sort("name sideways")


def test_ranges_and_sizes() -> None:
    assert parse_range(None) == (0, 15)
    assert parse_range("resources=10-110") == (10, 110)
    assert content_range(10, 3, 13) == "resources=10-13/13"
    for bad in ("resources=0-101", "resources=5-1", "0-10"):
        with pytest.raises(MasterDataError):
            parse_range(bad)
    assert parse_size(None) == 100 and parse_size("1000") == 1000
    with pytest.raises(MasterDataError):
        parse_size("1001")


def test_scroll_cursor() -> None:
    cursor = ScrollCursor("acme:CL", ["1", "2", "3"], None, 2, expires_at=100.0)
    assert cursor.next_ids(50) == ["1", "2"] and cursor.expires_at == 50 + 1200
    assert cursor.next_ids(60) == ["3"] and cursor.next_ids(70) == []
    assert not cursor.expired(1269) and cursor.expired(1270)


def test_document_lifecycle() -> None:
    doc = new_document("acme", "CL", "x", {"email": "a@b.c"}, "t1")
    assert (doc["id"], doc["accountName"], doc["dataEntityId"], doc["createdIn"]) == ("x", "acme", "CL", "t1")
    replaced = replace_document(doc, {"firstName": "A"}, "t2")
    assert "email" not in replaced and replaced["createdIn"] == "t1" and replaced["updatedIn"] == "t2"
    assert merge_document(replaced, {"firstName": "A"}, "t3") is None
    merged = merge_document(replaced, {"lastName": "B"}, "t3")
    assert merged is not None and merged["firstName"] == "A" and merged["lastName"] == "B"
