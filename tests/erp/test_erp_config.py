"""The [erp] settings section and open_reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from vtexbridge.erp import Entity, ErpSettings, FolderReader, open_reader


def test_folder_settings_and_relative_path(tmp_path: Path) -> None:
    (tmp_path / "erp").mkdir()
    settings = ErpSettings(path=Path("erp"), csv_delimiter=";")
    reader = open_reader(settings, base_dir=tmp_path)
    assert isinstance(reader, FolderReader)
    assert reader.path == tmp_path / "erp"
    assert reader.delimiter == ";"
    assert ErpSettings(path=Path("x"), csv_delimiter="\\t").csv_delimiter == "\t"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "folder"}, "kind 'folder' needs path"),
        ({"kind": "sql", "queries": {"skus": "SELECT 1"}}, "kind 'sql' needs url"),
        ({"kind": "sql", "url": "sqlite://"}, "needs at least one query"),
        ({"kind": "sql", "url": "sqlite://", "queries": {"skus": " "}}, "empty query for skus"),
        ({"kind": "sql", "url": "sqlite://", "queries": {"sku": "SELECT 1"}}, "Input should be 'categories'"),
        ({"kind": "plugin"}, "kind 'plugin' needs plugin"),
        ({"kind": "ftp", "path": "x"}, "Input should be 'folder', 'sql' or 'plugin'"),
        ({"path": "x", "csv_delimiter": "ab"}, "not a usable CSV delimiter"),
        ({"path": "x", "colour": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_settings_say_what_is_missing(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        ErpSettings.model_validate(data)
    assert message in str(info.value)


def test_the_url_is_secret() -> None:
    settings = ErpSettings.model_validate(
        {"kind": "sql", "url": "postgresql://u:pw@h/db", "queries": {"skus": "SELECT 1"}}
    )
    assert "pw" not in repr(settings)
    assert settings.queries == {Entity.SKUS: "SELECT 1"}
