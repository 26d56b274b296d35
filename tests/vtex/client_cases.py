"""The table-driven check every area client's tests share: a method sends VTEX's request and reads
VTEX's answer. Each ``tests/vtex/test_<area>.py`` lists its ``CASES`` and runs them with ``run_case``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx

from vtexbridge.vtex import VtexClient

APP_KEY = "key-1"
APP_TOKEN = "token-1"


@dataclass
class Case:
    """One client method: how to call it, the request it must send, the answer VTEX gives."""

    name: str
    call: Callable[[VtexClient], Awaitable[Any]]
    method: str
    path: str  # relative to the mock's base URL, or absolute
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    answer: Any = None
    status: int = 200
    check: Callable[[Any], bool] = lambda result: result is None


async def run_case(
    case: Case, mock: respx.MockRouter, vtex: VtexClient, *, accept: str = "application/json"
) -> None:
    """Mock VTEX's answer, call the method, and check the request sent and the result returned."""
    answer = (
        httpx.Response(case.status) if case.answer is None else httpx.Response(case.status, json=case.answer)
    )
    route = mock.request(case.method, case.path).mock(return_value=answer)

    result = await case.call(vtex)

    sent = route.calls.last.request
    assert dict(sent.url.params) == case.query
    assert sent.headers["X-VTEX-API-AppKey"] == APP_KEY
    assert sent.headers["X-VTEX-API-AppToken"] == APP_TOKEN
    assert sent.headers["Accept"] == accept
    if case.body is None:
        assert sent.content == b""
    else:
        assert sent.headers["Content-Type"] == "application/json"
        assert json.loads(sent.content) == case.body
    assert case.check(result), result
