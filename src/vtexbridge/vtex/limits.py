"""Client-side request budgets: token buckets declared as data, learned from VTEX's answers.

A :class:`LimitRule` matches calls by API area, route template (``*`` matches anything, ``/``
included) and methods; it is either one bucket shared by every matching route (VTEX's per-account
figures) or one bucket per matching route template (``per_route``: VTEX's per-endpoint figures).
A call takes a token from every bucket that matches it. The seed is VTEX's published figures
(:data:`PUBLISHED_LIMITS`); ``VtexSettings.limits`` replaces a published rule with the same pattern,
methods and scope, or adds a rule.

A bucket spends its burst at once, less a margin for jitter on the way to VTEX, then refills at exactly
the rule's rate; a bucket whose credits VTEX reports (pricing) starts with one credit and takes its
burst from VTEX's first answer (see :class:`TokenBucket`). The buckets adapt: a 429 halves the rate of
the buckets that throttled route draws from and blocks them until ``Retry-After`` (a route with no
budget gets a learned gate that only blocks); each success adds back a fiftieth of the configured rate;
``Ratelimit-Remaining`` caps the local credits (less the margin), so that credits spent by someone else
are waited for at the rate.

With ``vtex.shared_limits_url`` the budgets are also shared with the account's other processes
(:mod:`vtexbridge.vtex.shared`); the local buckets stay the fast path (``Ratelimit-Remaining`` then
only starts a probing bucket: the shared bucket coordinates the processes).

The bucket is hand-written rather than aiolimiter's: aiolimiter schedules wake-ups on the event loop's
own timer, so it cannot be driven by the injected :class:`~vtexbridge.clock.Clock` (tests assert waits
on a fake clock), and its rate is fixed at construction, with no way to learn from 429s and headers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from vtexbridge.clock import Clock
from vtexbridge.vtex.bucket import TokenBucket
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.settings import RouteLimit, VtexSettings
from vtexbridge.vtex.shared import SharedLimits, shared_budgets

__all__ = ["JITTER_S", "PUBLISHED_LIMITS", "LimitRule", "Limiter", "RoutePlan", "TokenBucket", "merge_rules"]


JITTER_S = 0.25
"""How much closer together than we sent them requests may reach VTEX: each bucket leaves
``rate * JITTER_S`` of its burst unspent for it (see :class:`TokenBucket`)."""


HEADROOM = 0.02
"""How far under its rate a bucket whose burst cannot hold the jitter margin is paced."""


@dataclass(frozen=True, slots=True)
class LimitRule:
    """A budget of ``rate_per_s`` requests per second with ``burst`` credits, for the calls it matches."""

    name: str
    rate_per_s: float
    burst: int
    pattern: str = "*"
    methods: frozenset[str] | None = None
    api: Api | None = None
    per_route: bool = False
    reported: bool = False
    """VTEX reports this budget's credits on every answer (``Ratelimit-Remaining``)."""
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.compile(".*".join(re.escape(part) for part in self.pattern.split("*")))
        object.__setattr__(self, "_regex", regex)

    def matches(self, api: Api, method: str, route: str) -> bool:
        if self.api is not None and self.api is not api:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self._regex.fullmatch(route) is not None

    @property
    def identity(self) -> tuple[str, frozenset[str] | None, bool]:
        """What a configured rule must share with a published one to replace it."""
        return self.pattern, self.methods, self.per_route


PUBLISHED_LIMITS: tuple[LimitRule, ...] = (
    # Catalog: 45,000/min per account and 15,000/min per endpoint (OAS:Catalog info.description).
    LimitRule("catalog-account", 45_000 / 60, 750, "/api/catalog*", api=Api.CATALOG),
    LimitRule("catalog-endpoint", 15_000 / 60, 250, "/api/catalog*", api=Api.CATALOG, per_route=True),
    # Pricing: POST/PUT 33/s with 500 burst credits, DELETE 16/s with 300 (OAS:Pricing). PATCH is
    # counted as a write too, as the sandbox does: being stricter than VTEX costs nothing here.
    # Pricing reports its credits (Ratelimit-Remaining) on every answer.
    LimitRule(
        "pricing-write",
        33.0,
        500,
        "/pricing/*",
        frozenset({"POST", "PUT", "PATCH"}),
        Api.PRICING,
        reported=True,
    ),
    LimitRule("pricing-delete", 16.0, 300, "/pricing/*", frozenset({"DELETE"}), Api.PRICING, reported=True),
)


def _configured(limit: RouteLimit) -> LimitRule:
    methods = frozenset(m.upper() for m in limit.methods) if limit.methods else None
    return LimitRule(
        f"config:{limit.pattern}",
        limit.rate_per_s,
        limit.burst,
        limit.pattern,
        methods,
        None,
        limit.per_route,
    )


def merge_rules(published: Iterable[LimitRule], configured: Iterable[RouteLimit]) -> tuple[LimitRule, ...]:
    """The published rules with configured ones applied: same identity replaces rate/burst, else adds."""
    rules = list(published)
    for limit in configured:
        rule = _configured(limit)
        for i, old in enumerate(rules):
            if old.identity == rule.identity:
                rules[i] = LimitRule(
                    old.name,
                    rule.rate_per_s,
                    rule.burst,
                    old.pattern,
                    old.methods,
                    old.api,
                    old.per_route,
                    old.reported,
                )
                break
        else:
            rules.append(rule)
    return tuple(rules)


@dataclass(slots=True)
class RoutePlan:
    """The buckets one (api, method, route) draws from, resolved once and cached."""

    api: Api
    route: str
    buckets: list[TokenBucket]
    adaptive: list[TokenBucket]


class Limiter:
    """Every bucket of one account; share one instance between transports of the same account."""

    def __init__(
        self,
        rules: Sequence[LimitRule],
        clock: Clock,
        *,
        jitter_s: float = JITTER_S,
        shared: SharedLimits | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self._clock = clock
        self.jitter_s = jitter_s
        self.shared = shared
        """The account's budgets shared with other processes (``vtex.shared_limits_url``), if any."""
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._gates: dict[tuple[Api, str], TokenBucket] = {}
        self._plans: dict[tuple[Api, str, str], RoutePlan] = {}

    @classmethod
    def from_settings(cls, settings: VtexSettings, clock: Clock) -> Limiter:
        """The published budgets with ``settings.limits`` applied, shared through
        ``settings.shared_limits_url`` when it is set.

        Raises:
            ConfigError: ``shared_limits_url`` is not a Redis URL.
        """
        shared = None
        if settings.shared_limits_url is not None:
            budgets = shared_budgets(settings.shared_limits_url.get_secret_value(), settings.account)
            shared = SharedLimits(budgets, clock)
        return cls(merge_rules(PUBLISHED_LIMITS, settings.limits), clock, shared=shared)

    async def aclose(self) -> None:
        """Close the connection to the shared budgets, if any."""
        if self.shared is not None:
            await self.shared.aclose()

    def plan(self, api: Api, method: str, route: str) -> RoutePlan:
        """The buckets of ``method route`` on ``api`` (cached; matching runs once per route)."""
        key = (api, method, route)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._resolve(api, method, route)
        return plan

    def _resolve(self, api: Api, method: str, route: str) -> RoutePlan:
        shared: list[TokenBucket] = []
        own: list[TokenBucket] = []
        for rule in self.rules:
            if rule.matches(api, method, route):
                bucket_key = (rule.name, route if rule.per_route else "")
                bucket = self._buckets.get(bucket_key)
                if bucket is None:
                    label = f"{rule.name}:{route}" if rule.per_route else rule.name
                    bucket = self._new_bucket(label, rule)
                    self._buckets[bucket_key] = bucket
                (own if rule.per_route else shared).append(bucket)
        gate = self._gates.get((api, route))
        if gate is not None:
            own.append(gate)
        return RoutePlan(api, route, shared + own, own or shared)

    def _new_bucket(self, label: str, rule: LimitRule) -> TokenBucket:
        margin = math.ceil(rule.rate_per_s * self.jitter_s)
        headroom = HEADROOM if margin > rule.burst - 1 else 0.0  # no room for the margin in the burst
        return TokenBucket(
            label,
            rule.rate_per_s,
            rule.burst,
            self._clock,
            margin=margin,
            probe=rule.reported,
            headroom=headroom,
        )

    def bucket(self, name: str, route: str = "") -> TokenBucket | None:
        """The bucket of rule ``name`` (and ``route`` for per-route rules), once a call has used it."""
        return self._buckets.get((name, route))

    async def acquire(self, plan: RoutePlan) -> float:
        """Take a token from every bucket of ``plan``; return the seconds spent waiting."""
        waited = 0.0
        for bucket in plan.buckets:
            waited += await bucket.acquire()
        if self.shared is not None:
            for bucket in plan.buckets:
                if not math.isinf(bucket.configured_rate):  # learned gates stay local
                    waited += await self.shared.acquire(bucket)
        return waited

    def observe(
        self, plan: RoutePlan, status: int, headers: Mapping[str, str], retry_after: float | None
    ) -> None:
        """Learn from VTEX's answer to a call of ``plan``."""
        if status == 429:
            if not plan.adaptive:
                self._add_gate(plan)
            now = self._clock.monotonic()
            for bucket in plan.adaptive:
                bucket.throttled(now, retry_after)
            return
        if not plan.buckets:
            return
        if status < 400:
            for bucket in plan.adaptive:
                bucket.succeeded()
        remaining = _number(headers.get("ratelimit-remaining"))
        if remaining is not None:
            reset = _number(headers.get("ratelimit-reset"))
            now = self._clock.monotonic()
            for bucket in plan.buckets:
                # With shared budgets the processes' spending is coordinated in the shared bucket:
                # VTEX's count then only sets a probing bucket's start. Capping every process by it
                # as well would make each one wait for the others' in-flight requests.
                if self.shared is None or bucket.calibrating:
                    bucket.quota(now, remaining, reset)

    def _add_gate(self, plan: RoutePlan) -> None:
        """A route without a budget was throttled: give it a gate that honours ``Retry-After``."""
        gate = TokenBucket(f"learned:{plan.route}", math.inf, 1, self._clock)
        self._gates[(plan.api, plan.route)] = gate
        for other in self._plans.values():
            if other.api is plan.api and other.route == plan.route:
                other.buckets.append(gate)
                other.adaptive.append(gate)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
