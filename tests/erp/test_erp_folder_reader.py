"""The folder reader: CSV and JSON Lines, precise errors, and reading that never stops at a bad line."""

from __future__ import annotations

import gzip
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest

from vtexbridge.erp import (
    Brand,
    Entity,
    FolderReader,
    Product,
    RowUnreadable,
    Sku,
    SourceUnreadable,
    UnknownColumn,
    makes_incomplete,
)
from vtexbridge.errors import ConfigError, RecordError, RecordInvalid, RecordRef

SKU_HEADER = "key,product_key,name,packaged_height,packaged_length,packaged_width,packaged_weight_kg"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def read(folder: Path, entity: Entity | str) -> tuple[list[object], list[RecordError]]:
    records: list[object] = []
    errors: list[RecordError] = []
    for item in FolderReader(folder).read(Entity(entity)):
        if isinstance(item, RecordError):
            errors.append(item)
        else:
            records.append(item)
    return records, errors


def where(e: RecordError) -> tuple[str | None, int | None, str | None, str]:
    assert e.record is not None
    return e.record.key, e.record.row, e.field, e.message


def test_reads_csv_with_bom_and_loose_header(tmp_path: Path) -> None:
    write(
        tmp_path, "brands.csv", b"\xef\xbb\xbf Key ,NAME,_internal_code,is_active\r\nb1,Serra Alta,77,no\r\n"
    )
    records, errors = read(tmp_path, "brands")
    assert errors == []
    assert records == [Brand(key="b1", name="Serra Alta", is_active=False)]


def test_bad_fields_are_reported_with_file_row_key_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "skus.csv",
        f"{SKU_HEADER}\n"
        "S1,P1,Jacket,10,30,20,0.8\n"
        'S2,P1,"Jacket,\nwith a newline",10,30,20,"0,8 kg"\n'
        "S3,P1,,0,30,20,1\n"
        "S4,P1,Boot,10,30,20,1.2\n",
    )
    records, errors = read(tmp_path, Entity.SKUS)
    assert [r.key for r in records] == ["S1", "S4"]  # type: ignore[attr-defined]
    assert [where(e) for e in errors] == [
        (
            "S2",
            3,
            "packaged_weight_kg",
            "not a decimal number: '0,8 kg'",
        ),
        ("S3", 5, "name", "required, but empty"),
        ("S3", 5, "packaged_height", "must be greater than 0, got 0"),
    ]
    assert all(type(e) is RecordInvalid and not makes_incomplete(e) for e in errors)
    assert str(errors[0]).startswith(f"{path}:3 (skus S2) field 'packaged_weight_kg': not a decimal")


def test_wrong_column_count_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    write(
        tmp_path,
        "skus.csv",
        f"{SKU_HEADER}\nS1,P1,Jacket,10,30\nS2,P1,Jacket,10,30,20,1,extra\nS3,P1,J,1,1,1,1\n",
    )
    records, errors = read(tmp_path, "skus")
    assert [r.key for r in records] == ["S3"]  # type: ignore[attr-defined]
    assert [where(e) for e in errors] == [
        (None, 2, None, "5 columns where the header has 7"),
        (None, 3, None, "8 columns where the header has 7"),
    ]
    assert all(isinstance(e, RowUnreadable) and makes_incomplete(e) for e in errors)


def test_an_unclosed_quote_costs_one_row_not_the_file(tmp_path: Path) -> None:
    write(tmp_path, "skus.csv", f'{SKU_HEADER}\nS1,P1,"Jacket,10,30,20,1\nS2,P1,J,1,1,1,1\nS3,P1,K,1,1,1,1\n')
    records, errors = read(tmp_path, "skus")
    assert [r.key for r in records] == ["S2", "S3"]  # type: ignore[attr-defined]
    assert len(errors) == 1
    key, row, field, text = where(errors[0])
    assert (key, row, field) == (None, 2, None)
    assert 'quote (") opened on line 2 and not closed; lines 3-4 are read again' in text


def test_an_unclosed_quote_before_thousands_of_rows_loses_none_of_them(tmp_path: Path) -> None:
    rows = "".join(f"b{i},Brand number {i} of a long list of brands\n" for i in range(4000))
    write(tmp_path, "brands.csv", f'key,name\nb,"Unclosed\n{rows}')
    records, errors = read(tmp_path, "brands")
    assert len(errors) == 1 and isinstance(errors[0], RowUnreadable)
    assert errors[0].record is not None and errors[0].record.row == 2
    assert "field larger than field limit" in errors[0].message
    assert len(records) == 4000


def test_bytes_that_are_not_utf8_spoil_one_row(tmp_path: Path) -> None:
    write(tmp_path, "brands.csv", b"key,name\nb1,Caf\xe9 Gear\nb2,Mata Atl\xc3\xa2ntica\n")
    records, errors = read(tmp_path, "brands")
    assert records == [Brand(key="b2", name="Mata Atlântica")]
    assert [where(e) for e in errors] == [
        (
            None,
            2,
            None,
            "line 2 is not valid UTF-8; the row is skipped (byte 0xe9, 'é' in cp1252: probably a Windows "
            "export; set encoding = 'cp1252' in [erp], or in [erp.files.brands] for this file only)",
        )
    ]


def test_blank_lines_and_empty_rows_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "brands.csv", "key,name\n\nb1,A\n,\n , \nb2,B\n")
    records, errors = read(tmp_path, "brands")
    assert errors == []
    assert [r.key for r in records] == ["b1", "b2"]  # type: ignore[attr-defined]


def test_missing_required_column_skips_the_file_with_one_error(tmp_path: Path) -> None:
    path = write(tmp_path, "skus.csv", "key,name\nS1,Jacket\nS2,Boot\n")
    records, errors = read(tmp_path, "skus")
    assert records == []
    assert len(errors) == 1 and isinstance(errors[0], SourceUnreadable)
    assert errors[0].record == RecordRef("skus", None, str(path), 1)
    assert errors[0].field == "product_key"
    assert "product_key, packaged_height" in errors[0].message
    assert makes_incomplete(errors[0])


def test_unknown_columns_are_reported_once_with_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "brands.csv", "key,name,is_actve,colour\nb1,A,no,red\nb2,B,no,blue\n")
    records, errors = read(tmp_path, "brands")
    assert [r.is_active for r in records] == [True, True]  # type: ignore[attr-defined]
    assert [type(e) for e in errors] == [UnknownColumn, UnknownColumn]
    assert [(e.field, e.record.row if e.record else None) for e in errors] == [("is_actve", 1), ("colour", 1)]
    assert errors[0].message.endswith("did you mean 'is_active'?")
    assert not any(makes_incomplete(e) for e in errors)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file: the first line must be the header row"),
        ("key,name,KEY\n", "column(s) 'key' appear more than once in the header"),
        (
            b"key,n\x8fame\n",
            "line 1 is not valid UTF-8; the header row cannot be read (byte 0x8f)",
        ),
    ],
)
def test_unusable_headers(tmp_path: Path, content: str | bytes, message: str) -> None:
    write(tmp_path, "brands.csv", content)
    records, errors = read(tmp_path, "brands")
    assert records == []
    assert [(type(e), e.message) for e in errors] == [(SourceUnreadable, message)]


def test_header_only_file_is_an_empty_entity(tmp_path: Path) -> None:
    write(tmp_path, "brands.csv", "key,name\n")
    assert read(tmp_path, "brands") == ([], [])


def test_semicolon_delimited_csv(tmp_path: Path) -> None:
    write(
        tmp_path, "products.csv", 'key;name;category_key;brand_key;keywords\nP1;Tent;tents;b1;"camp;tent"\n'
    )
    items = list(FolderReader(tmp_path, delimiter=";").read(Entity.PRODUCTS))
    assert items == [
        Product(key="P1", name="Tent", category_key="tents", brand_key="b1", keywords=("camp", "tent"))
    ]


def test_jsonl_values_keep_their_types(tmp_path: Path) -> None:
    write(
        tmp_path,
        "skus.jsonl",
        b'\xef\xbb\xbf{"key": "S1", "product_key": "P1", "name": "J", "packaged_height": 10, '
        b'"packaged_length": "30", "packaged_width": 20.5, "packaged_weight_kg": 0.1, "is_active": false}\n',
    )
    records, errors = read(tmp_path, "skus")
    assert errors == []
    [s] = records
    assert isinstance(s, Sku)
    assert s.packaged_weight_kg == Decimal("0.1")  # exact: JSON numbers are read as Decimal
    assert s.packaged_width == Decimal("20.5")
    assert s.is_active is False


def test_jsonl_errors(tmp_path: Path) -> None:
    write(
        tmp_path,
        "brands.jsonl",
        '{"key": "b1", "name": "A", "colour": 1}\n'
        '{"key": "b2", "name": \n'
        "[1, 2]\n"
        "\n"
        '{"key": "b3"}\n'
        '{"key": "b4", "name": "D", "colour": 2, "is_active": "maybe"}\n'
        '{"key": "b5", "name": "E", "_note": "ignored"}\n',
    )
    records, errors = read(tmp_path, "brands")
    assert [r.key for r in records] == ["b1", "b5"]  # type: ignore[attr-defined]
    assert [(type(e).__name__, *where(e)) for e in errors] == [
        (
            "UnknownColumn",
            None,
            1,
            "colour",
            "unknown column, its values are ignored (prefix it with '_' to silence this); "
            "known: description, is_active, key, keywords, link_id, name, site_title",
        ),
        ("RowUnreadable", None, 2, None, "not valid JSON: Expecting value at character 24"),
        ("RowUnreadable", None, 3, None, "expected a JSON object {...}, got list"),
        ("RecordInvalid", "b3", 5, "name", "required, but missing"),
        ("RecordInvalid", "b4", 6, "is_active", "not a boolean: 'maybe' (use true/false, 1/0 or yes/no)"),
    ]


def test_gzipped_files(tmp_path: Path) -> None:
    write(tmp_path, "brands.csv.gz", gzip.compress(b"key,name\nb1,A\n"))
    write(tmp_path, "warehouses.jsonl.gz", gzip.compress(b'{"key": "w1", "name": "CD"}\n'))
    reader = FolderReader(tmp_path)
    assert reader.entities() == {Entity.BRANDS, Entity.WAREHOUSES}
    assert [r.key for r in reader.read(Entity.BRANDS)] == ["b1"]  # type: ignore[union-attr]
    assert [r.key for r in reader.read(Entity.WAREHOUSES)] == ["w1"]  # type: ignore[union-attr]


def test_truncated_gzip_is_reported_after_the_rows_read(tmp_path: Path) -> None:
    data = gzip.compress(("key,name\n" + "".join(f"b{i},Brand {i}\n" for i in range(5000))).encode())
    write(tmp_path, "brands.csv.gz", data[: len(data) // 2])
    records, errors = read(tmp_path, "brands")
    assert 0 < len(records) < 5000
    assert len(errors) == 1 and isinstance(errors[0], SourceUnreadable)
    assert "could not be read to its end" in errors[0].message


def test_folder_problems_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        FolderReader(tmp_path / "nope")
    write(tmp_path, "skus.csv", f"{SKU_HEADER}\n")
    write(tmp_path, "skus.jsonl", "")
    with pytest.raises(ConfigError) as info:
        FolderReader(tmp_path)
    assert info.value.problems == ["skus: both skus.csv and skus.jsonl; keep one"]


def test_entities_unknown_files_and_absent_entities(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path, "brands.csv", "key,name\n")
    write(tmp_path, "brand.csv", "key,name\n")
    write(tmp_path, "notes.txt", "")
    reader = FolderReader(tmp_path)
    assert reader.entities() == {Entity.BRANDS}
    assert reader.file_of(Entity.BRANDS) == tmp_path / "brands.csv"
    assert reader.unknown_files == [tmp_path / "brand.csv"]
    assert "brand.csv" in caplog.text
    assert list(reader.read(Entity.SKUS)) == []


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "brands.csv", "key,name\n")
    reader = FolderReader(tmp_path)
    path.unlink()
    path.mkdir()  # now it cannot be opened as a file
    [error] = list(reader.read(Entity.BRANDS))
    assert isinstance(error, SourceUnreadable)
    assert error.message.startswith("cannot open the file")


def test_reading_streams(tmp_path: Path) -> None:
    rows = "".join(f"S{i},P{i // 3},Variant {i},10,30,20,0.5\n" for i in range(30_000))
    write(tmp_path, "skus.csv", f"{SKU_HEADER}\n{rows}")
    reader = FolderReader(tmp_path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in reader.read(Entity.SKUS))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert peak < 2_000_000, f"peak {peak} bytes: the reader keeps rows"
