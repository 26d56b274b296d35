"""Plugin readers: found by entry point, checked and numbered like any other source."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from vtexbridge.erp import (
    ENTRY_POINT_GROUP,
    Brand,
    Entity,
    ErpSettings,
    SourceUnreadable,
    load_reader,
    open_reader,
)
from vtexbridge.erp.readers.plugin import PluginReader, available_plugins
from vtexbridge.errors import ConfigError, RecordRef

PLUGIN = '''
from vtexbridge.errors import RecordInvalid
from vtexbridge.erp import Brand, Entity, Warehouse


class AcmeReader:
    """A plugin reader as a third party would write it."""

    def __init__(self, api_url, fail_on=None):
        self.api_url = api_url
        self.fail_on = fail_on

    def entities(self):
        return {"brands", Entity.WAREHOUSES, "prices"}

    def read(self, entity):
        if entity == "brands":
            yield Brand(key="b1", name="Serra Alta")
            yield {"key": "b2", "name": "Patagon", "is_active": "no", "logo": "x"}
            yield {"key": "b3"}
            yield RecordInvalid("brand b4 has no name in the ERP")
            yield Warehouse(key="w1", name="oops")
            yield 42
            yield {"key": "b5", "name": "Aurora", "logo": "y"}
        elif entity == "warehouses":
            yield {"key": "w1", "name": "CD"}
            raise ConnectionError("ERP API timed out")
        else:
            raise RuntimeError("prices are not ready")


def broken_factory(**options):
    raise RuntimeError("cannot reach the ERP")


def not_a_reader(**options):
    return object()


class WrongEntities(AcmeReader):
    def entities(self):
        return {"sku"}
'''


@pytest.fixture
def plugin_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed distribution 'acme-vtex' declaring two entry points, one of them broken."""
    (tmp_path / "acme_vtex_reader.py").write_text(PLUGIN)
    info = tmp_path / "acme_vtex-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-vtex\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            f"""\
            [{ENTRY_POINT_GROUP}]
            acme = acme_vtex_reader:AcmeReader
            broken = acme_vtex_reader:does_not_exist
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("acme_vtex_reader", None)


def test_load_by_entry_point_and_read(plugin_dist: Path) -> None:
    assert {"acme", "broken"} <= set(available_plugins())
    reader = load_reader("acme", {"api_url": "https://erp.example.com"})
    assert isinstance(reader, PluginReader)
    assert reader.entities() == {Entity.BRANDS, Entity.WAREHOUSES, Entity.PRICES}
    items = list(reader.read(Entity.BRANDS))
    assert items[0] == Brand(key="b1", name="Serra Alta")
    assert [type(i).__name__ for i in items] == [
        "Brand",
        "UnknownColumn",
        "Brand",
        "RecordInvalid",
        "RecordInvalid",
        "RecordInvalid",
        "RecordInvalid",
        "Brand",
    ]
    assert items[2] == Brand(key="b2", name="Patagon", is_active=False)
    unknown, missing, passed_on, wrong_type, junk = items[1], items[3], items[4], items[5], items[6]
    assert unknown.record == RecordRef("brands", None, "plugin:acme", 2)  # type: ignore[union-attr]
    assert (missing.record, missing.field, missing.message) == (  # type: ignore[union-attr]
        RecordRef("brands", "b3", "plugin:acme", 3),
        "name",
        "required, but missing",
    )
    assert passed_on.record == RecordRef("brands", None, "plugin:acme", 4)  # type: ignore[union-attr]
    assert "yielded a value of type Warehouse; expected a Brand" in str(wrong_type)
    assert "yielded a value of type int" in str(junk)
    assert items[7] == Brand(key="b5", name="Aurora")  # 'logo' is reported only once


def test_an_exception_in_the_plugin_ends_only_that_entity(plugin_dist: Path) -> None:
    reader = load_reader("acme", {"api_url": "x"})
    first, error = list(reader.read(Entity.WAREHOUSES))
    assert first.key == "w1"  # type: ignore[union-attr]
    assert isinstance(error, SourceUnreadable)
    assert error.message == (
        "the plugin raised ConnectionError: ERP API timed out after row 1; the rest of this entity is missing"
    )
    assert error.record == RecordRef("warehouses", None, "plugin:acme", 2)
    [error] = list(reader.read(Entity.PRICES))
    assert isinstance(error, SourceUnreadable) and "prices are not ready" in error.message
    assert [b.key for b in reader.read(Entity.BRANDS) if isinstance(b, Brand)] == ["b1", "b2", "b5"]


def test_unknown_plugin_lists_the_installed_ones(plugin_dist: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_reader("acmee", {})
    assert "no ERP reader plugin named 'acmee'" in str(info.value)
    assert "acme" in str(info.value) and "broken" in str(info.value)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("broken", {}, "failed to load: AttributeError"),
        ("acme", {"colour": 1}, "failed to start: TypeError"),
        ("acme_vtex_reader:broken_factory", {}, "failed to start: RuntimeError: cannot reach the ERP"),
        (
            "acme_vtex_reader:not_a_reader",
            {},
            "returned a value of type object, which lacks entities() and read(entity)",
        ),
        ("acme_vtex_reader:nothing_here", {}, "cannot load the ERP reader"),
        ("no_such_module_xyz:Reader", {}, "cannot load the ERP reader"),
    ],
)
def test_plugin_problems_are_config_errors(
    plugin_dist: Path, name: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_reader(name, options)
    assert message in str(info.value)


def test_unknown_entity_from_a_plugin(plugin_dist: Path) -> None:
    reader = load_reader("acme_vtex_reader:WrongEntities", {"api_url": "x"})
    with pytest.raises(ConfigError, match="unknown entity 'sku'"):
        reader.entities()


def test_open_reader_builds_the_plugin(plugin_dist: Path) -> None:
    settings = ErpSettings(kind="plugin", plugin="acme", options={"api_url": "https://erp.example.com"})
    reader = open_reader(settings)
    assert isinstance(reader, PluginReader)
    assert reader.inner.api_url == "https://erp.example.com"  # type: ignore[attr-defined]


def test_a_plugin_can_yield_records_built_elsewhere() -> None:
    class Inline:
        def entities(self) -> set[Entity]:
            return {Entity.PRICES}

        def read(self, entity: Entity) -> Iterator[object]:
            yield {"sku_key": "S1", "base_price": Decimal("9.90")}

    [price] = list(PluginReader("inline", Inline()).read(Entity.PRICES))  # type: ignore[arg-type]
    assert price.base_price == Decimal("9.90")  # type: ignore[union-attr]
