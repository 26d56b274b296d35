"""The store's secondary indexes answer exactly what a scan of the table would, after any write."""

from __future__ import annotations

import random
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pytest

from vtexbridge.sandbox.store import Index, Store, Table, by, each

BY_REF = Index("sku", "RefId", by("RefId"))
BY_PRODUCT = Index("sku", "ProductId", by("ProductId"))
BY_EAN = Index("sku", "Eans", each("Eans"))
BY_PAIR = Index("sku", "ProductId+RefId", by("ProductId", "RefId"))
INDEXES = (BY_REF, BY_PRODUCT, BY_EAN, BY_PAIR)
REFS = ["", "A", "B", "C", None]
PRODUCTS = [1, 2, 3]
EANS = ["e1", "e2", "e3"]


def scan(table: Table, index: Index, value: Hashable) -> list[dict[str, Any]]:
    return [doc for doc in table.values() if value in list(index.key(doc))]


def probes(index: Index) -> list[Hashable]:
    if index is BY_REF:
        return [*REFS, "missing"]
    if index is BY_PRODUCT:
        return [*PRODUCTS, None, 9]
    if index is BY_EAN:
        return [*EANS, "nope"]
    return [(p, r) for p in PRODUCTS for r in REFS]


def assert_consistent(table: Table) -> None:
    for index in INDEXES:
        for value in probes(index):
            expected = scan(table, index, value)
            assert table.find(index, value) == expected, (index.name, value)
            assert table.first(index, value) == (expected[0] if expected else None)
            assert table.count(index, value) == len(expected)
        values = probes(index)[:2]
        assert table.find_any(index, values) == [
            d for d in table.values() if any(v in list(index.key(d)) for v in values)
        ]
    assert table.sorted_int_keys() == sorted(int(k) for k in table)


def random_doc(rng: random.Random, key: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"Id": int(key), "ProductId": rng.choice(PRODUCTS)}
    ref = rng.choice(REFS)
    if ref is not None:  # a missing field is filed under None
        doc["RefId"] = ref
    doc["Eans"] = rng.sample(EANS, rng.randint(0, 2))
    return doc


@pytest.mark.parametrize("seed", range(5))
def test_random_writes_keep_every_index_equal_to_a_scan(seed: int) -> None:
    rng = random.Random(seed)
    store = Store()
    table = store.table("a", "sku")
    for n in range(1, 6):
        table[str(n)] = random_doc(rng, str(n))
    assert_consistent(table)  # builds the indexes over existing rows
    for _ in range(400):
        key = str(rng.randint(1, 12))
        action = rng.random()
        if action < 0.45:
            table[key] = random_doc(rng, key)
        elif action < 0.6 and key in table:
            doc = table[key]  # mutated in place, then written back: re-filed from what was filed
            doc["RefId"] = rng.choice(["A", "B", "Z"])
            doc["Eans"] = [rng.choice(EANS)]
            table[key] = doc
        elif action < 0.8:
            table.pop(key, None)
        elif action < 0.83:
            table.clear()
        else:
            store.table("a", "sku").setdefault(key, random_doc(rng, key))
        assert_consistent(table)


def test_answers_follow_table_order_not_filing_order() -> None:
    table = Store().table("a", "sku")
    table["1"] = {"Id": 1, "RefId": "X"}
    table["2"] = {"Id": 2, "RefId": "X"}
    assert table.first(BY_REF, "X") == {"Id": 1, "RefId": "X"}
    table["1"] = {"Id": 1, "RefId": "Y"}
    table["1"] = {"Id": 1, "RefId": "X"}  # re-filed last, but still first in the table
    assert [d["Id"] for d in table.find(BY_REF, "X")] == [1, 2]
    assert table.first(BY_REF, "X") == {"Id": 1, "RefId": "X"}
    del table["1"]
    table["1"] = {"Id": 1, "RefId": "X"}  # a new key goes to the end of the table
    assert [d["Id"] for d in table.find(BY_REF, "X")] == [2, 1]


def test_ref_change_moves_the_entry_and_delete_removes_it() -> None:
    table = Store().table("a", "sku")
    table["7"] = {"Id": 7, "RefId": "OLD", "ProductId": 1}
    assert table.first(BY_REF, "OLD") is not None
    table["7"] = {"Id": 7, "RefId": "NEW", "ProductId": 1}
    assert table.find(BY_REF, "OLD") == []
    assert table.find(BY_REF, "NEW") == [{"Id": 7, "RefId": "NEW", "ProductId": 1}]
    del table["7"]
    assert table.find(BY_REF, "NEW") == [] and table.find(BY_PRODUCT, 1) == []
    assert table.sorted_int_keys() == []


def test_indexes_are_per_account_and_per_kind() -> None:
    store = Store()
    store.table("a", "sku")["1"] = {"Id": 1, "RefId": "R"}
    store.table("b", "sku")["1"] = {"Id": 1, "RefId": "other"}
    assert store.table("a", "sku").find(BY_REF, "R") == [{"Id": 1, "RefId": "R"}]
    assert store.table("b", "sku").find(BY_REF, "R") == []
    with pytest.raises(ValueError, match="used on the product table"):
        store.table("a", "product").find(BY_REF, "R")


def test_state_file_reload_builds_indexes_that_later_writes_maintain(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Store(path)
    table = first.table("a", "sku")
    table["1"] = {"Id": 1, "RefId": "R1", "ProductId": 5}
    table["2"] = {"Id": 2, "RefId": "R2", "ProductId": 5}
    assert table.first(BY_REF, "R1") is not None  # index built before the restart: not persisted
    table["1"] = {"Id": 1, "RefId": "R1b", "ProductId": 5}
    first.close()

    second = Store(path)
    again = second.table("a", "sku")
    assert again.find(BY_REF, "R1") == []
    assert again.first(BY_REF, "R1b") == {"Id": 1, "RefId": "R1b", "ProductId": 5}
    assert [d["Id"] for d in again.find(BY_PRODUCT, 5)] == [1, 2]
    assert again.sorted_int_keys() == [1, 2]
    del again["2"]
    again["10"] = {"Id": 10, "RefId": "R10", "ProductId": 5}
    assert [d["Id"] for d in again.find(BY_PRODUCT, 5)] == [1, 10]
    assert again.sorted_int_keys() == [1, 10]
    second.close()

    third = Store(path)
    assert [d["Id"] for d in third.table("a", "sku").find(BY_PRODUCT, 5)] == [1, 10]
    third.close()


@pytest.mark.parametrize("account", ["a", None])
def test_reset_forgets_indexes_and_rebuilds_them_from_new_writes(account: str | None) -> None:
    store = Store()
    table = store.table("a", "sku")
    table["1"] = {"Id": 1, "RefId": "R"}
    store.table("b", "sku")["1"] = {"Id": 1, "RefId": "R"}
    assert table.count(BY_REF, "R") == 1 and table.sorted_int_keys() == [1]
    store.reset(account)
    assert table.find(BY_REF, "R") == [] and table.sorted_int_keys() == []
    table["2"] = {"Id": 2, "RefId": "R"}
    assert table.find(BY_REF, "R") == [{"Id": 2, "RefId": "R"}]
    assert table.sorted_int_keys() == [2]
    assert store.table("b", "sku").count(BY_REF, "R") == (1 if account == "a" else 0)


def test_unhashable_values_are_not_filed_and_odd_keys_fall_back_like_a_scan() -> None:
    table = Store().table("a", "sku")
    table["1"] = {"Id": 1, "RefId": ["not", "hashable"]}
    table["2"] = {"Id": 2, "RefId": "R"}
    assert table.find(BY_REF, "R") == [{"Id": 2, "RefId": "R"}]
    assert table.sorted_int_keys() == [1, 2]
    table["x"] = {"Id": 0, "RefId": "R"}
    with pytest.raises(ValueError):
        table.sorted_int_keys()  # what sorted(int(k) for k in table) does
    del table["x"]
    assert table.sorted_int_keys() == [1, 2]
