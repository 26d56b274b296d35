"""``vtexbridge erp check``: each file's detected dialect, records and first errors; writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vtexbridge.cli import build_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "erp"
BR_PRICES = "sku_key;base_price;list_price\nCAFÉ-1;1.234,50;1.500,00\nS2;19,90;\n".encode("cp1252")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), ["erp", "check", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture
def brazilian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "prices.csv").write_bytes(BR_PRICES)
    (folder / "brands.csv").write_bytes("key,name\nb1,Café\nb2,Serra\n".encode("cp1252"))
    monkeypatch.chdir(tmp_path)
    return folder


def test_a_brazilian_export_is_detected_and_the_settings_to_read_it_are_printed(brazilian: Path) -> None:
    before = _tree(brazilian.parent)
    code, out = _run(str(brazilian))
    assert code == 1
    assert "prices.csv: 0 record(s) read, 1 error(s)" in out
    assert "detected:   delimiter ';', cp1252, decimal ',' thousands '.'" in out
    assert "it looks ';'-separated; set csv_delimiter = ';'" in out
    assert (
        '[erp.files.prices]\n    csv_delimiter = ";"\n    decimal_separator = ","\n'
        '    thousands_separator = "."\n'
    ) in out
    assert "brands.csv: 1 record(s) read, 1 error(s)" in out
    assert "[erp.files.brands]\n" not in out
    assert out.endswith('add to [erp]:\n    encoding = "cp1252"\n')
    assert _tree(brazilian.parent) == before  # nothing written, in the folder or where it ran


def test_with_the_printed_settings_every_row_is_read(brazilian: Path) -> None:
    config = brazilian.parent / "vtexbridge.toml"
    config.write_text(
        '[erp]\nkind = "folder"\npath = "export"\nencoding = "cp1252"\n'
        '[erp.files.prices]\ncsv_delimiter = ";"\ndecimal_separator = ","\nthousands_separator = "."\n'
    )
    code, out = _run("-c", str(config))
    assert code == 0, out
    assert "prices.csv: 2 record(s) read, 0 error(s)" in out
    assert "brands.csv: 2 record(s) read, 0 error(s)" in out
    assert "[erp.files" not in out


def test_json_output(brazilian: Path) -> None:
    code, out = _run(str(brazilian), "--json", "--errors", "0")
    assert code == 1
    files = {f["entity"]: f for f in json.loads(out)}
    assert files["prices"]["detected"] == {
        "csv_delimiter": ";",
        "encoding": "cp1252",
        "decimal_separator": ",",
        "thousands_separator": ".",
    }
    assert (files["prices"]["records"], files["prices"]["errors"], files["prices"]["first_errors"]) == (
        0,
        1,
        [],
    )
    assert files["brands"]["suggestion"] == {"encoding": "cp1252"}


def test_the_example_store_reads_clean() -> None:
    code, out = _run(str(EXAMPLES))
    assert code == 0, out
    assert "skus.csv: 150 record(s) read, 0 error(s)" in out
    assert "[erp.files" not in out


def test_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, out = _run(str(tmp_path / "nope"))
    assert code == 2
    assert "does not exist" in out


def test_what_every_file_needs_is_suggested_once_for_the_folder(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_bytes(BR_PRICES)
    (tmp_path / "brands.csv").write_bytes("key;name\nb1;Café\nb2;Serra\n".encode("cp1252"))
    code, out = _run(str(tmp_path))
    assert code == 1
    assert "[erp.files.brands]\n" not in out
    assert '[erp.files.prices]\n    decimal_separator = ","\n    thousands_separator = "."\n' in out
    assert 'add to [erp]:\n    csv_delimiter = ";"\n    encoding = "cp1252"\n' in out


def test_without_arguments_the_folder_of_the_config_file_is_checked(brazilian: Path) -> None:
    (brazilian.parent / "vtexbridge.toml").write_text('[erp]\nkind = "folder"\npath = "export"\n')
    code, out = _run()
    assert code == 1
    assert "prices.csv: 0 record(s) read, 1 error(s)" in out


def test_a_config_without_a_folder_source_needs_the_folder_argument(tmp_path: Path) -> None:
    config = tmp_path / "vtexbridge.toml"
    config.write_text('[erp]\nkind = "plugin"\nplugin = "acme"\n')
    code, out = _run("-c", str(config))
    assert code == 2
    assert "erp check reads a folder" in out
    code, out = _run(str(EXAMPLES), "-c", str(config))
    assert code == 0, out
