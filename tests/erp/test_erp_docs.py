"""docs/erp-format.md documents every entity and every column, and nothing that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from vtexbridge.erp import Entity
from vtexbridge.erp.records import field_specs

DOC = Path(__file__).resolve().parents[2] / "docs" / "erp-format.md"


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^##+ ", text, flags=re.MULTILINE)[1:]
    return {p.split("\n", 1)[0].strip(): p for p in parts}


def test_every_entity_has_a_section_listing_exactly_its_columns() -> None:
    found = sections()
    for entity in Entity:
        assert entity.value in found, f"no section for {entity.value}"
        rows = re.findall(r"^\| `([a-z_]+)` \|", found[entity.value], flags=re.MULTILINE)
        specs = field_specs(entity.record_type)
        assert rows == [s.name for s in specs], entity.value
        for line in found[entity.value].splitlines():
            m = re.match(r"^\| `([a-z_]+)` \|[^|]*\| (✓)? ?\|", line)
            if m:
                spec = next(s for s in specs if s.name == m.group(1))
                assert (m.group(2) == "✓") == spec.required, (entity.value, spec.name)


def test_the_entity_table_is_in_load_order() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Entities and keys", 1)[1].split("\n\n", 2)[1]
    names = re.findall(r"^\| \d+ \| `([a-z_]+)` \|", table, flags=re.MULTILINE)
    assert names == [e.value for e in Entity]
