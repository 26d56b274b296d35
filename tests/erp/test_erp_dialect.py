"""ERP files as Brazilian ERPs write them: delimiter, encoding and number format per folder and file,
and errors that say which setting reads a file whose dialect is not the one configured."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from vtexbridge.erp import ErpSettings, open_reader
from vtexbridge.erp.dialect import Dialect, detect
from vtexbridge.erp.errors import RowUnreadable, SourceUnreadable
from vtexbridge.erp.numbers import NumberFormat
from vtexbridge.erp.records import Entity, Price, Sku
from vtexbridge.errors import RecordError

BR = NumberFormat(decimal=",", thousands=".")
SKU_HEADER = "key,product_key,name,packaged_height,packaged_length,packaged_width,packaged_weight_kg"


def read(settings: ErpSettings, entity: str) -> tuple[list[object], list[RecordError]]:
    records: list[object] = []
    errors: list[RecordError] = []
    for item in open_reader(settings).read(Entity(entity)):
        (errors if isinstance(item, RecordError) else records).append(item)
    return records, errors


def test_a_brazilian_export_reads_with_its_dialect(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_bytes(
        "sku_key;base_price;list_price\nCAFÉ-1;1.234,50;1.500\nS2;19,90;\n".encode("cp1252")
    )
    settings = ErpSettings(
        path=tmp_path, csv_delimiter=";", encoding="cp1252", decimal_separator=",", thousands_separator="."
    )
    records, errors = read(settings, "prices")
    assert errors == []
    assert [(r.sku_key, r.base_price, r.list_price) for r in records if isinstance(r, Price)] == [
        ("CAFÉ-1", Decimal("1234.50"), Decimal("1500")),
        ("S2", Decimal("19.90"), None),
    ]


def test_an_explicit_number_format_refuses_the_other_one_and_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text("sku_key;base_price\nS1;19.90\nS2;19,90\n")
    settings = ErpSettings(path=tmp_path, csv_delimiter=";", decimal_separator=",")
    records, errors = read(settings, "prices")
    assert [r.sku_key for r in records if isinstance(r, Price)] == ["S2"]
    assert [(e.record.key if e.record else None, e.field, e.message) for e in errors] == [
        (
            "S1",
            "base_price",
            "not a number: '19.90' (the decimal separator is ',' here: set decimal_separator = '.', "
            "or thousands_separator = '.' if it groups thousands)",
        )
    ]


def test_one_file_can_be_written_otherwise_than_the_folder(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text("sku_key,base_price\nS1,19.90\n")
    (tmp_path / "brands.csv").write_text("key;name\nb1;Serra\n")
    settings = ErpSettings(
        path=tmp_path,
        csv_delimiter=";",
        decimal_separator=",",
        files={Entity.PRICES: {"csv_delimiter": ",", "decimal_separator": "."}},
    )
    prices, errors = read(settings, "prices")
    assert errors == [] and [p.base_price for p in prices if isinstance(p, Price)] == [Decimal("19.90")]
    brands, errors = read(settings, "brands")
    assert errors == [] and len(brands) == 1


def test_a_semicolon_header_read_with_commas_names_the_delimiter_setting(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text("sku_key;base_price\nS1;19,90\nS2;5\n")
    records, errors = read(ErpSettings(path=tmp_path), "prices")
    assert records == []
    assert len(errors) == 1 and isinstance(errors[0], SourceUnreadable)
    assert errors[0].message.endswith(
        "(the header was read as one column: it looks ';'-separated; set csv_delimiter = ';' in [erp], "
        "or in [erp.files.prices] for this file only)"
    )


def test_unquoted_decimal_commas_say_what_was_meant_and_the_rest_are_summarised(tmp_path: Path) -> None:
    rows = "".join(f"S{i},{i + 10},90,29,9{i}\n" for i in range(10))
    (tmp_path / "prices.csv").write_text(f"sku_key,base_price,list_price\nOK,19.90,29.90\n{rows}")
    records, errors = read(ErpSettings(path=tmp_path), "prices")
    assert [r.sku_key for r in records if isinstance(r, Price)] == ["OK"]
    assert all(isinstance(e, RowUnreadable) for e in errors)
    assert [e.record.row if e.record else None for e in errors] == [3, 4, 5, 6]
    assert errors[0].message == (
        "5 columns where the header has 3: probably a number written with a decimal comma and not quoted "
        "('10,90' read as two columns); quote it (\"10,90\"), or write the file with ';' between columns "
        "and set csv_delimiter = ';'"
    )
    assert errors[3].message.startswith(
        "7 more row(s) skipped for the same reason as line 3 (lines 6, 7, 8, 9, 10, 11, 12): a decimal comma"
    )


def test_an_extra_column_that_is_not_a_split_number_gets_no_decimal_hint(tmp_path: Path) -> None:
    (tmp_path / "skus.csv").write_text(f"{SKU_HEADER}\nS2,P1,Jacket,10,30,20,1,extra\n")
    _, errors = read(ErpSettings(path=tmp_path), "skus")
    assert [e.message for e in errors] == ["8 columns where the header has 7"]


def test_a_windows_export_read_as_utf8_names_the_encoding_and_summarises_the_rest(tmp_path: Path) -> None:
    rows = "".join(f"b{i},Café {i}\n" for i in range(6))
    (tmp_path / "brands.csv").write_bytes(f"key,name\nb,Plain\n{rows}".encode("cp1252"))
    records, errors = read(ErpSettings(path=tmp_path), "brands")
    assert len(records) == 1
    assert [e.record.row if e.record else None for e in errors] == [3, 4, 5, 6]
    assert "'é' in cp1252: probably a Windows export; set encoding = 'cp1252'" in errors[0].message
    assert errors[3].message.startswith("3 more row(s) skipped for the same reason as line 3 (lines 6, 7, 8)")
    records, errors = read(ErpSettings(path=tmp_path, encoding="cp1252"), "brands")
    assert errors == [] and len(records) == 7


def test_the_quickstart_weight_example(tmp_path: Path) -> None:
    """docs/quickstart.md breaks a row with `packaged_weight_kg = 0.46 kg`; `"0,46"` is a weight."""
    rows = 'S1,P,Jacket,10,30,20,"0,46"\nS2,P,Jacket,10,30,20,0.46 kg\n'
    (tmp_path / "skus.csv").write_text(f"{SKU_HEADER}\n{rows}")
    records, errors = read(ErpSettings(path=tmp_path), "skus")
    weights = [(r.key, r.packaged_weight_kg) for r in records if isinstance(r, Sku)]
    assert weights == [("S1", Decimal("0.46"))]
    assert [(e.field, e.message) for e in errors] == [
        ("packaged_weight_kg", "not a decimal number: '0.46 kg'")
    ]


def test_detection_finds_a_brazilian_export() -> None:
    sample = "sku_key;base_price;list_price\nCAFÉ;1.234,50;1.500,00\nS2;19,90;\n".encode("cp1252")
    found = detect(sample, Price)
    assert found.dialect == Dialect(delimiter=";", encoding="cp1252", number=BR)
    assert found.header == ["sku_key", "base_price", "list_price"]
    plain = detect(b"sku_key,base_price\nS1,19.90\nS2,5\n", Price)
    assert plain.dialect == Dialect()


def test_the_rows_of_a_planner_error_are_found_in_a_file_with_its_own_dialect(tmp_path: Path) -> None:
    from vtexbridge.sync.locate import rows_of

    path = tmp_path / "prices.csv"
    path.write_bytes(BR_PRICES_FILE)
    assert rows_of(path, Entity.PRICES, {"CAFÉ-2"}, delimiter=";", encoding="cp1252") == {"CAFÉ-2": 3}
    assert rows_of(path, Entity.PRICES, {"CAFÉ-2"}) == {}  # read with the defaults it is not found


BR_PRICES_FILE = "sku_key;base_price\nCAFÉ-1;1.234,50\nCAFÉ-2;19,90\n".encode("cp1252")


def test_dialect_settings_that_cannot_work_are_refused_with_where_they_are() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"\[erp\]: thousands_separator '\.' needs an explicit"):
        ErpSettings(path=Path("x"), thousands_separator=".")
    with pytest.raises(ValidationError, match=r"\[erp.files.prices\]: thousands_separator"):
        ErpSettings(path=Path("x"), files={Entity.PRICES: {"thousands_separator": "."}})
    with pytest.raises(ValidationError, match="the decimal and thousands separators are both ','"):
        ErpSettings(path=Path("x"), decimal_separator=",", thousands_separator=",")
    with pytest.raises(ValidationError, match="unknown text encoding 'cp-1252'"):
        ErpSettings(path=Path("x"), files={Entity.PRICES: {"encoding": "cp-1252"}})
    with pytest.raises(ValidationError, match="not a usable CSV delimiter"):
        ErpSettings(path=Path("x"), csv_delimiter=";;")
    ok = ErpSettings(
        path=Path("x"), decimal_separator=",", files={Entity.PRICES: {"thousands_separator": "."}}
    )
    assert ok.dialect(Entity.PRICES).number == BR
