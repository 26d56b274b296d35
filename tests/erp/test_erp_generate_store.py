"""bench/generate_store.py: synthetic stores that read with zero errors, resolve, and repeat exactly."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from vtexbridge.erp import Entity, FolderReader, Record, parents
from vtexbridge.errors import RecordError

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "generate_store.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("erp_generate_store", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def read_all(folder: Path) -> dict[Entity, list[Record]]:
    reader = FolderReader(folder)
    assert reader.entities() == set(Entity)
    store: dict[Entity, list[Record]] = {}
    errors: list[str] = []
    for entity in Entity:
        store[entity] = []
        for item in reader.read(entity):
            if isinstance(item, RecordError):
                errors.append(str(item))
            else:
                store[entity].append(item)
    assert errors == []
    return store


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_generated_store_is_valid_and_consistent(
    generator: ModuleType, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generator.main([str(tmp_path), "--skus", "500", "--jobs", "1", "--format", fmt]) == 0
    assert "wrote" in capsys.readouterr().out
    store = read_all(tmp_path)
    assert len(store[Entity.SKUS]) == 500
    assert len(store[Entity.PRODUCTS]) == 167
    assert len(store[Entity.INVENTORY]) == 1000
    assert len(store[Entity.EANS]) == 500
    assert len(store[Entity.CUSTOMERS]) == 50
    assert {f.trade_policy for f in store[Entity.FIXED_PRICES]} == {"1", "2"}  # type: ignore[union-attr]
    keys = {e: {r.key for r in rs} for e, rs in store.items()}
    for entity, records in store.items():
        assert len(keys[entity]) == len(records), f"duplicate keys in {entity}"
        for r in records:
            for parent, key in parents(r):
                assert key in keys[parent], (entity, r.key, parent, key)
    images = Counter(i.sku_key for i in store[Entity.SKU_IMAGES])  # type: ignore[union-attr]
    assert set(images.values()) == {1, 2, 3}


def test_same_arguments_same_bytes_and_the_seed_changes_them(generator: ModuleType, tmp_path: Path) -> None:
    for name, seed, jobs in (("a", "1", "1"), ("b", "1", "2"), ("c", "2", "1")):
        assert generator.main([str(tmp_path / name), "--skus", "200", "--seed", seed, "--jobs", jobs]) == 0
    for entity in ("skus", "prices", "inventory", "sku_images", "eans"):
        a, b, c = ((tmp_path / d / f"{entity}.csv").read_bytes() for d in "abc")
        assert a == b
        assert a != c


def test_options(generator: ModuleType, tmp_path: Path) -> None:
    args = ["--skus", "10", "--skus-per-product", "5", "--warehouses", "3", "--customers", "4", "--jobs", "1"]
    assert generator.main([str(tmp_path), *args]) == 0
    store = read_all(tmp_path)
    assert len(store[Entity.PRODUCTS]) == 2
    assert len(store[Entity.WAREHOUSES]) == 3
    assert len(store[Entity.INVENTORY]) == 30
    assert len(store[Entity.CUSTOMERS]) == 4
    with pytest.raises(SystemExit):
        generator.main([str(tmp_path), "--skus", "0"])
