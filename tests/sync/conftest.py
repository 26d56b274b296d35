"""Fixtures of the sync tests: an in-process sandbox and a fresh SQLite state per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.sync.sync_harness import Sandbox
from vtexbridge.state import migrations


@pytest.fixture(scope="session")
def state_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sync-state") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def state_url(tmp_path: Path, state_template: Path) -> str:
    path = tmp_path / "state.db"
    path.write_bytes(state_template.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    box = Sandbox()
    yield box
    await box.aclose()
