"""The SQL reader: an ERP's views read with one query per entity, through the same converters as CSV."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from vtexbridge.erp import (
    Entity,
    ErpSettings,
    Price,
    Product,
    Sku,
    SourceUnreadable,
    SqlReader,
    UnknownColumn,
    makes_incomplete,
    open_reader,
)
from vtexbridge.errors import ConfigError, RecordError, RecordRef

QUERIES = {
    "products": """
        SELECT PROD_CODE AS KEY, DESCR AS name, CAT AS category_key, BRAND AS brand_key,
               LAUNCH AS release_date, ACTIVE AS is_active, 'rain;jacket' AS keywords
          FROM erp_products ORDER BY PROD_CODE""",
    "skus": """
        SELECT sku_code AS key, prod_code AS product_key, descr AS name, h AS packaged_height,
               l AS packaged_length, w AS packaged_width, kg AS packaged_weight_kg, note AS _note
          FROM erp_skus ORDER BY sku_code""",
    "prices": "SELECT sku_code AS sku_key, price AS base_price, list AS list_price FROM erp_prices",
}


@pytest.fixture
def erp_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in (
            "CREATE TABLE erp_products"
            " (PROD_CODE TEXT, DESCR TEXT, CAT TEXT, BRAND TEXT, LAUNCH DATE, ACTIVE INT)",
            "INSERT INTO erp_products VALUES ('P1', 'Rain Jacket', 'jackets', 'b1', '2025-03-01', 1),"
            " ('P2', 'Fleece', 'fleece', 'b1', NULL, 0), ('P3', NULL, 'fleece', 'b1', 'soon', 2)",
            "CREATE TABLE erp_skus"
            " (sku_code TEXT, prod_code TEXT, descr TEXT, h REAL, l REAL, w INT, kg REAL, note TEXT)",
            "INSERT INTO erp_skus VALUES ('S1', 'P1', 'Rain Jacket M', 10.5, 30, 20, 0.8, 'x'),"
            " ('S2', 'P1', 'Rain Jacket L', 10.5, 30, 20, 0, NULL),"
            " ('S3', 'P2', 'Fleece M', 5, 5, 5, 0.3, NULL)",
            "CREATE TABLE erp_prices (sku_code TEXT, price NUMERIC, list REAL)",
            "INSERT INTO erp_prices VALUES ('S1', '599.90', 749.9), ('S3', '-1', NULL)",
        ):
            conn.execute(text(statement))
    engine.dispose()
    return url


def split(items: list[object]) -> tuple[list[object], list[RecordError]]:
    return [i for i in items if not isinstance(i, RecordError)], [
        i for i in items if isinstance(i, RecordError)
    ]


def test_reads_typed_values_through_the_same_rules(erp_url: str) -> None:
    with SqlReader(erp_url, QUERIES) as reader:
        assert reader.entities() == {Entity.PRODUCTS, Entity.SKUS, Entity.PRICES}
        products, errors = split(list(reader.read(Entity.PRODUCTS)))
        skus, sku_errors = split(list(reader.read(Entity.SKUS)))
        prices, price_errors = split(list(reader.read(Entity.PRICES)))
    assert products == [
        Product(
            key="P1",
            name="Rain Jacket",
            category_key="jackets",
            brand_key="b1",
            release_date=date(2025, 3, 1),
            is_active=True,
            keywords=("rain", "jacket"),
        ),
        Product(
            key="P2",
            name="Fleece",
            category_key="fleece",
            brand_key="b1",
            is_active=False,
            keywords=("rain", "jacket"),
        ),
    ]
    assert [(e.record, e.field, e.message) for e in errors] == [
        (RecordRef("products", "P3", "sql:products", 3), "name", "required, but empty"),
        (
            RecordRef("products", "P3", "sql:products", 3),
            "release_date",
            "not a date: 'soon' (use YYYY-MM-DD)",
        ),
        (RecordRef("products", "P3", "sql:products", 3), "is_active", "expected a boolean, got an int 2"),
    ]
    assert [s.key for s in skus] == ["S1", "S3"]  # type: ignore[attr-defined]
    assert isinstance(skus[0], Sku) and skus[0].packaged_height == Decimal("10.5")
    assert [(e.record, e.field) for e in sku_errors] == [
        (RecordRef("skus", "S2", "sql:skus", 2), "packaged_weight_kg")
    ]
    assert prices == [Price(sku_key="S1", base_price=Decimal("599.90"), list_price=Decimal("749.9"))]
    assert [(e.record and e.record.key, e.field, e.message) for e in price_errors] == [
        ("S3", "base_price", "must be at least 0, got -1")
    ]


def test_unknown_columns_and_missing_required_columns(erp_url: str) -> None:
    reader = SqlReader(
        erp_url,
        {
            "brands": "SELECT 'b1' AS key, 'Serra' AS name, 1 AS colour",
            "skus": "SELECT sku_code AS key, descr AS name FROM erp_skus",
        },
    )
    brands, errors = split(list(reader.read(Entity.BRANDS)))
    assert len(brands) == 1
    assert [(type(e), e.field) for e in errors] == [(UnknownColumn, "colour")]
    skus, errors = split(list(reader.read(Entity.SKUS)))
    assert skus == []
    assert len(errors) == 1 and isinstance(errors[0], SourceUnreadable) and makes_incomplete(errors[0])
    assert errors[0].message.startswith("the query lacks required column(s) product_key, packaged_height")
    reader.close()


def test_a_failing_query_is_reported_and_the_others_still_read(erp_url: str) -> None:
    reader = SqlReader(erp_url, {**QUERIES, "brands": "SELECT key, name FROM no_such_view"})
    [error] = list(reader.read(Entity.BRANDS))
    assert isinstance(error, SourceUnreadable)
    assert error.message == "the query failed: no such table: no_such_view"
    assert error.record == RecordRef("brands", None, "sql:brands", None)
    assert len(split(list(reader.read(Entity.SKUS)))[0]) == 2
    assert list(reader.read(Entity.CUSTOMERS)) == []


def test_duplicate_columns_are_refused(erp_url: str) -> None:
    reader = SqlReader(erp_url, {"brands": "SELECT 'b' AS key, 'n' AS name, 'm' AS NAME"})
    [error] = list(reader.read(Entity.BRANDS))
    assert isinstance(error, SourceUnreadable) and "'name' more than once" in error.message


def test_configuration_errors(erp_url: str) -> None:
    with pytest.raises(ConfigError, match="unknown entity name") as info:
        SqlReader(erp_url, {"sku": "SELECT 1"})
    assert "skus" in info.value.problems[0]
    with pytest.raises(ConfigError) as info:
        SqlReader("nosuchdb://reader:s3cret@host/erp", {"skus": "SELECT 1"})
    assert "s3cret" not in str(info.value)
    assert "***" in str(info.value)
    with pytest.raises(ConfigError, match="needs a database URL"):
        SqlReader(None, {"skus": "SELECT 1"})


def test_a_given_engine_is_used_and_not_disposed(erp_url: str) -> None:
    engine = create_engine(erp_url)
    reader = SqlReader(None, {"prices": QUERIES["prices"]}, engine=engine, batch_size=1)
    assert len(list(reader.read(Entity.PRICES))) == 2
    reader.close()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM erp_prices")).scalar() == 2
    engine.dispose()


def test_open_reader_builds_the_sql_reader(erp_url: str) -> None:
    settings = ErpSettings.model_validate(
        {"kind": "sql", "url": erp_url, "queries": {"skus": QUERIES["skus"]}}
    )
    reader = open_reader(settings)
    assert isinstance(reader, SqlReader)
    assert reader.entities() == {Entity.SKUS}
    reader.close()
