"""Fault injection by route: 429 with ``Retry-After``, 5xx, added latency and dropped connections.

A rule names a glob ``pattern`` matched (``fnmatch``, ``*`` crosses ``/``) against both the route
template (``/api/catalog/pvt/stockkeepingunit/{skuId}``) and the concrete path
(``/api/catalog/pvt/stockkeepingunit/17``), an optional HTTP ``method``, and its effects. Every
matching rule adds its latency; the first matching rule whose dice roll fires decides the error.

SPEC syntax (``--faults``)::

    SPEC   := RULE (";" RULE)*
    RULE   := [METHOD " "] PATTERN ":" EFFECT ("," EFFECT)*
    EFFECT := STATUS "=" RATE          429=0.05   503=5%   (STATUS in 429, 500, 502, 503, 504)
            | "drop=" RATE              drop=0.01         close the connection without a response
            | "latency=" DURATION       latency=20ms  latency=1.5s  latency=10-50ms (uniform range)
            | "retry-after=" SECONDS    retry-after=2     Retry-After sent with injected 429/503
            | "limit=" N                limit=3           inject at most N errors, then stop

    e.g. "*:429=0.05,503=0.05;/pricing/*:latency=20ms;PUT /api/logistics/*:drop=0.1,limit=1"

JSON form (``POST /_sandbox/faults`` takes a list, ``GET`` returns it with counters)::

    {"pattern": "/pricing/*", "method": "PUT", "status": {"429": 0.05}, "drop": 0.0,
     "latencyMs": 20, "latencyMaxMs": 20, "retryAfter": 1, "limit": null}

Dropped connections: over HTTP (uvicorn) the sandbox starts a response and then raises
:class:`ConnectionDropped`, so uvicorn closes the socket mid-response and the client sees a
protocol/transport error (httpx ``RemoteProtocolError``). In process (``httpx.ASGITransport``) the
exception propagates to the caller as :class:`ConnectionDropped`.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from dataclasses import dataclass, field, replace
from typing import Any

ERROR_STATUSES = frozenset({429, 500, 502, 503, 504})
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)?$")


class FaultSpecError(ValueError):
    """A fault SPEC or JSON rule that cannot be understood; the message says which part and why."""


class ConnectionDropped(Exception):
    """Raised by the fault middleware to make the server drop the connection."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One rule; rates are probabilities in [0, 1] whose sum must not exceed 1."""

    pattern: str = "*"
    method: str | None = None
    status: dict[int, float] = field(default_factory=dict)
    drop: float = 0.0
    latency_ms: float = 0.0
    latency_max_ms: float = 0.0
    retry_after: int = 1
    limit: int | None = None

    def matches(self, method: str, template: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return fnmatch.fnmatchcase(template, self.pattern) or fnmatch.fnmatchcase(path, self.pattern)

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "method": self.method,
            "status": {str(k): v for k, v in sorted(self.status.items())},
            "drop": self.drop,
            "latencyMs": self.latency_ms,
            "latencyMaxMs": max(self.latency_ms, self.latency_max_ms),
            "retryAfter": self.retry_after,
            "limit": self.limit,
        }

    @classmethod
    def from_json(cls, raw: Any) -> FaultRule:
        if not isinstance(raw, dict):
            raise FaultSpecError(f"a fault rule must be an object, got {type(raw).__name__}")
        known = {"pattern", "method", "status", "drop", "latencyMs", "latencyMaxMs", "retryAfter", "limit"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise FaultSpecError(f"unknown fault rule fields {unknown}; known: {sorted(known)}")
        status_raw = raw.get("status") or {}
        if not isinstance(status_raw, dict):
            raise FaultSpecError("'status' must map a status code to a rate")
        status = {_status(str(k)): _rate(v, f"status {k}") for k, v in status_raw.items()}
        latency = _number(raw.get("latencyMs", 0), "latencyMs")
        limit = raw.get("limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
            raise FaultSpecError("'limit' must be a non-negative integer or null")
        method = raw.get("method")
        if method is not None and not isinstance(method, str):
            raise FaultSpecError("'method' must be a string or null")
        pattern = raw.get("pattern", "*")
        if not isinstance(pattern, str) or not pattern:
            raise FaultSpecError("'pattern' must be a non-empty string")
        rule = cls(
            pattern=pattern,
            method=method.upper() if method else None,
            status=status,
            drop=_rate(raw.get("drop", 0.0), "drop"),
            latency_ms=latency,
            latency_max_ms=max(latency, _number(raw.get("latencyMaxMs", latency), "latencyMaxMs")),
            retry_after=int(_number(raw.get("retryAfter", 1), "retryAfter")),
            limit=limit,
        )
        rule.check()
        return rule

    def check(self) -> None:
        if sum(self.status.values()) + self.drop > 1.0 + 1e-9:
            raise FaultSpecError(f"rule {self.pattern!r}: the rates add up to more than 1")


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do to one request."""

    latency_s: float = 0.0
    status: int | None = None
    drop: bool = False
    retry_after: int = 1

    @property
    def fails(self) -> bool:
        return self.drop or self.status is not None


NO_FAULT = FaultDecision()


def parse_spec(spec: str) -> list[FaultRule]:
    """Rules from a SPEC string (syntax in the module docstring); raises :class:`FaultSpecError`."""
    rules = []
    for chunk in (c.strip() for c in spec.split(";")):
        if not chunk:
            continue
        target, sep, effects = chunk.rpartition(":")
        if not sep or not target.strip():
            raise FaultSpecError(f"fault rule {chunk!r}: expected '[METHOD ]PATTERN:EFFECT,...'")
        method: str | None = None
        target = target.strip()
        if " " in target:
            method, target = (p.strip() for p in target.split(None, 1))
            method = method.upper()
        rule = FaultRule(pattern=target, method=method)
        for effect in (e.strip() for e in effects.split(",")):
            if not effect:
                continue
            name, eq, value = effect.partition("=")
            if not eq:
                raise FaultSpecError(f"fault rule {chunk!r}: effect {effect!r} needs NAME=VALUE")
            rule = _apply_effect(rule, name.strip().lower(), value.strip(), chunk)
        rule.check()
        rules.append(rule)
    return rules


def _apply_effect(rule: FaultRule, name: str, value: str, chunk: str) -> FaultRule:
    if name.isdigit():
        return replace(rule, status={**rule.status, _status(name): _rate(value, name)})
    if name == "drop":
        return replace(rule, drop=_rate(value, name))
    if name == "latency":
        low, _, high = value.partition("-")
        lo = _duration_ms(low, chunk)
        hi = _duration_ms(high, chunk) if high else lo
        if hi < lo:
            raise FaultSpecError(f"fault rule {chunk!r}: latency range {value!r} is reversed")
        return replace(rule, latency_ms=lo, latency_max_ms=hi)
    if name == "retry-after":
        return replace(rule, retry_after=int(_number(value, name)))
    if name == "limit":
        if not value.isdigit():
            raise FaultSpecError(f"fault rule {chunk!r}: limit must be a whole number")
        return replace(rule, limit=int(value))
    raise FaultSpecError(
        f"fault rule {chunk!r}: unknown effect {name!r} "
        "(use a status code, drop, latency, retry-after or limit)"
    )


def _status(text: str) -> int:
    if not text.isdigit() or int(text) not in ERROR_STATUSES:
        raise FaultSpecError(f"status {text!r} cannot be injected; use one of {sorted(ERROR_STATUSES)}")
    return int(text)


def _rate(value: Any, what: str) -> float:
    if isinstance(value, str) and value.endswith("%"):
        rate = _number(value[:-1], what) / 100.0
    else:
        rate = _number(value, what)
    if not 0.0 <= rate <= 1.0:
        raise FaultSpecError(f"{what}: rate {value!r} is not between 0 and 1 (or 0% and 100%)")
    return rate


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise FaultSpecError(f"{what}: {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FaultSpecError(f"{what}: {value!r} is not a number") from None
    if number < 0:
        raise FaultSpecError(f"{what}: {value!r} must not be negative")
    return number


def _duration_ms(text: str, chunk: str) -> float:
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise FaultSpecError(f"fault rule {chunk!r}: latency {text!r} must look like 20ms or 1.5s")
    amount = float(m.group(1))
    return amount * 1000.0 if m.group(2) == "s" else amount


class FaultInjector:
    """The installed rules, a (seedable) random source and per-rule injection counters."""

    def __init__(self, rules: list[FaultRule] | None = None, *, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._seed = seed
        self._rules: list[FaultRule] = list(rules or [])
        self._injected: list[int] = [0] * len(self._rules)

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def set_rules(self, rules: list[FaultRule], *, seed: int | None = None) -> None:
        """Replace every rule (and reset counters); a ``seed`` reseeds the random source."""
        with self._lock:
            self._rules = list(rules)
            self._injected = [0] * len(self._rules)
            if seed is not None:
                self._seed = seed
                self._rng = random.Random(seed)

    def clear(self) -> None:
        self.set_rules([])

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [
                    {**r.to_json(), "injected": n} for r, n in zip(self._rules, self._injected, strict=True)
                ],
                "seed": self._seed,
            }

    def decide(self, method: str, template: str, path: str) -> FaultDecision:
        """Roll the dice for one request (at most one draw per matching rule)."""
        if not self._rules:
            return NO_FAULT
        latency = 0.0
        status: int | None = None
        drop = False
        retry_after = 1
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(method, template, path):
                    continue
                if rule.latency_max_ms > rule.latency_ms:
                    latency += self._rng.uniform(rule.latency_ms, rule.latency_max_ms) / 1000.0
                else:
                    latency += rule.latency_ms / 1000.0
                if status is not None or drop or not (rule.status or rule.drop):
                    continue
                if rule.limit is not None and self._injected[index] >= rule.limit:
                    continue
                roll = self._rng.random()
                edge = 0.0
                for code, rate in sorted(rule.status.items()):
                    edge += rate
                    if roll < edge:
                        status = code
                        break
                else:
                    drop = roll < edge + rule.drop
                if status is not None or drop:
                    self._injected[index] += 1
                    retry_after = rule.retry_after
        if not latency and status is None and not drop:
            return NO_FAULT
        return FaultDecision(latency_s=latency, status=status, drop=drop, retry_after=retry_after)
