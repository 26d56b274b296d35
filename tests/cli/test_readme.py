"""README.md is the product's front page: the two commands, a map of every docs page, every package
in its layout, and the dashboard screenshot."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_and_the_screenshot() -> None:
    assert "make demo" in README and "make check" in README
    assert "](docs/dashboard.png)" in README
    png = (ROOT / "docs" / "dashboard.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 400_000


def test_every_docs_page_is_linked() -> None:
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README))
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages <= linked, f"not linked from README.md: {sorted(pages - linked)}"


def test_every_package_is_in_the_layout() -> None:
    layout = README.split("## Layout", 1)[1]
    src = ROOT / "src" / "vtexbridge"
    packages = {p.name for p in src.iterdir() if (p / "__init__.py").exists()}
    missing = {p for p in packages if not re.search(rf"^\s+{p}/", layout, re.M)}
    assert not missing, f"packages missing from the layout: {sorted(missing)}"
