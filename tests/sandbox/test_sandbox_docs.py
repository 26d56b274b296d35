"""docs/sandbox.md lists every VTEX route the sandbox serves, and no route it does not serve."""

from __future__ import annotations

import re
from pathlib import Path

from vtexbridge.sandbox.app import discover_routes, route_template

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def _served() -> set[str]:
    return {
        f"{method} {route_template(route)}"
        for route in discover_routes()
        for method in (getattr(route, "methods", None) or ())
        if method != "HEAD" and not route_template(route).startswith("/_sandbox")
    }


def test_every_served_route_is_listed() -> None:
    section = DOC.read_text(encoding="utf-8").split("## Routes served", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE) /[^`]+)`", section))
    assert sorted(_served() - listed) == [], "add these routes to 'Routes served' in docs/sandbox.md"
    assert sorted(listed - _served()) == [], "docs/sandbox.md lists routes the sandbox does not serve"
