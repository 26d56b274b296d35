"""The import contracts of pyproject.toml (docs/architecture.md's layers) hold, and they can fail.

``make lint`` runs ``lint-imports`` on the real tree. Here the package is copied to a scratch
directory, one import pointing the wrong way is added to the copy, and ``lint-imports`` with the
project's own configuration must fail naming that very import; the unmodified copy must pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's configuration over the package copied under ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("contracts")
    shutil.copytree(
        ROOT / "src" / "vtexbridge",
        tree / "src" / "vtexbridge",
        ignore=shutil.ignore_patterns("__pycache__", "example_store"),
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_clean_tree_keeps_every_contract(tree: Path) -> None:
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    assert str(tree / "src") in _where_grimp_looked(tree), "the copy is what was checked"


def _where_grimp_looked(tree: Path) -> str:
    """The directory ``vtexbridge`` is imported from with the test's PYTHONPATH (the copy, not src/)."""
    code = "import vtexbridge, pathlib; print(pathlib.Path(vtexbridge.__file__).parent.parent)"
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=tree
    ).stdout


REVERSED = [
    # (module of the copy, the import added to it, the contract that must name it)
    # a component importing a flow
    ("vtex/paths.py", "vtexbridge.sync.runner", "layers"),
    # a flow importing the composition
    ("orders/journal.py", "vtexbridge.web.app", "layers"),
    # two components
    ("erp/numbers.py", "vtexbridge.state.models", "components"),
    # the sandbox importing the middleware it is the oracle of
    ("sandbox/faults.py", "vtexbridge.vtex.errors", "sandbox"),
    # a component reading the root settings
    ("state/browse.py", "vtexbridge.config", "config"),
    # production code importing a test harness
    ("cli/doctor.py", "vtexbridge.testing.pg", "testing"),
]


def contract_names() -> dict[str, str]:
    """Contract id -> name, from pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c["name"] for c in config["tool"]["importlinter"]["contracts"]}


def test_each_reversed_import_breaks_its_contract_naming_it(tmp_path: Path, tree: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(tree, copy)
    for module, imported, _ in REVERSED:
        target = copy / "src" / "vtexbridge" / module
        target.write_text(target.read_text(encoding="utf-8") + f"\nimport {imported}  # reversed (test)\n")
    done = lint_imports(copy)
    assert done.returncode != 0, done.stdout
    out = " ".join(done.stdout.split())  # lint-imports wraps long lines
    assert "Broken contracts" in out, done.stdout
    broken = out.split("Broken contracts", 1)[1]
    names = contract_names()
    # the report has one section per broken contract, each starting with the contract's name
    starts = sorted((broken.index(name), cid) for cid, name in names.items() if name in broken)
    sections = {
        cid: broken[at : starts[i + 1][0] if i + 1 < len(starts) else len(broken)]
        for i, (at, cid) in enumerate(starts)
    }
    for module, imported, contract in REVERSED:
        importer = "vtexbridge." + module.removesuffix(".py").replace("/", ".")
        assert contract in sections, f"{contract} kept despite {importer} -> {imported}:\n{done.stdout}"
        assert f"{importer} -> {imported}" in sections[contract], done.stdout
