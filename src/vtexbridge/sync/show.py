"""``vtexbridge sync --dry-run --show KEY``: the field-by-field change the plan makes to one record's
entities, with VTEX's copy read when possible (:func:`~vtexbridge.sync.calls.read_current`)."""

from __future__ import annotations

from typing import Any

from vtexbridge.sync.calls import Calls, read_current
from vtexbridge.sync.mapping import Mapper, Ref
from vtexbridge.sync.steps import Plan, Step
from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.errors import VtexError

__all__ = ["field_diffs"]


async def field_diffs(
    plan: Plan, key: str, mapper: Mapper, client: VtexClient | None
) -> list[dict[str, Any]]:
    """The field-by-field change the plan makes to every entity of ``key``; VTEX's copy is read with
    ``client`` (None: no credentials), which is closed at the end."""
    steps = plan.steps_of(key)
    if not steps:
        if client is not None:
            await client.aclose()
        return [
            {"kind": "-", "key": key, "action": "no change", "fields": [], "note": _why_nothing(plan, key)}
        ]
    out = []
    try:
        for step in steps:
            symbolic = _symbolic(step)
            wanted = mapper.body(step.kind, step.values, symbolic) if step.values is not None else {}
            current: dict[str, Any] | None = None
            note = None
            if client is not None:
                try:
                    current = await read_current(
                        Calls(client, mapper, _NoFlights(), _NoIds()), step, symbolic
                    )
                except (VtexError, ValueError, TypeError) as e:
                    note = f"VTEX's copy could not be read: {e}"
            elif step.vtex_id is not None:
                note = "no VTEX credentials: VTEX's copy was not read"
            rows = []
            for name, value in wanted.items():
                row: dict[str, Any] = {"field": name, "wanted": value}
                if current is not None:
                    row["current"] = current.get(name)
                    row["changed"] = current.get(name) != value
                else:
                    row["changed"] = True
                rows.append(row)
            out.append(
                {
                    "kind": step.kind.value,
                    "key": step.key,
                    "action": step.action.value,
                    "fields": rows,
                    "note": note,
                }
            )
    finally:
        if client is not None:
            await client.aclose()
    return out


def _why_nothing(plan: Plan, key: str) -> str:
    errors = [e for e in plan.errors if e.key == key]
    if errors:
        return "held back: " + "; ".join(e.error.user_message for e in errors)
    return "unchanged (or not in the ERP snapshot)"


def _symbolic(step: Step) -> Any:
    def resolve(ref: Ref) -> Any:
        for p in step.parents:
            if p.kind == ref.kind and p.key == ref.key and p.vtex_id is not None:
                return int(p.vtex_id) if p.vtex_id.isdigit() else p.vtex_id
        if ref.kind == step.kind.value and ref.key == step.key and step.vtex_id:
            return int(step.vtex_id) if step.vtex_id.isdigit() else step.vtex_id
        return f"<new {ref.kind} {ref.key}>"

    return resolve


class _NoFlights:
    async def mark(self, kind: str, key: str, operation: str) -> None:
        raise RuntimeError("a dry run sends no write")


class _NoIds:
    def next_id(self, kind: Any) -> int:
        raise RuntimeError("a dry run chooses no id")
