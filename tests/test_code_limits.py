"""The size limits of #16, checked on every run: no module over 600 lines and no function over 80
lines in the package (migrations, which are data, excepted); complexity is ruff's C901 at 12
(``pyproject.toml``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vtexbridge

PACKAGE = Path(vtexbridge.__file__).parent
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
EXEMPT = ("state/migrations/versions/",)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if not any(e in p.as_posix() for e in EXEMPT))


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                out.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_the_package_has_modules_to_check() -> None:
    assert len(_modules()) > 200


def test_no_module_over_600_lines() -> None:
    long = [
        f"{p.relative_to(PACKAGE)} ({n} lines)"
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def test_no_function_over_80_lines() -> None:
    assert [f for p in _modules() for f in _long_functions(p)] == []


@pytest.mark.parametrize("lines", [81, 200])
def test_the_function_check_can_fail(tmp_path: Path, lines: int) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(lines - 1))
    module = tmp_path / "m.py"
    module.write_text(f"def f() -> None:\n{body}\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path
    try:
        assert _long_functions(module) == [f"m.py:1 f ({lines} lines)"]
    finally:
        PACKAGE = saved
