from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.vtex.client_cases import APP_KEY, APP_TOKEN
from vtexbridge.clock import FakeClock
from vtexbridge.vtex import VtexClient
from vtexbridge.vtex.settings import VtexSettings


@pytest.fixture
async def vtex() -> AsyncIterator[VtexClient]:
    """A client of account ``acme`` with no retries and a fake clock (respx mocks the network)."""
    settings = VtexSettings(account="acme", app_key=APP_KEY, app_token=APP_TOKEN, max_retries=0)
    async with VtexClient.from_settings(settings, clock=FakeClock()) as client:
        yield client
