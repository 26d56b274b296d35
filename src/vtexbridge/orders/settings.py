"""The ``[orders]`` section of the configuration (mounted as ``Settings.orders``).

Every key has a default that works without a file: the feed consumer on, start handling on, the
folder sink writing ``erp/orders/`` and the actions folder ``erp/actions/`` (both relative to the
config file's folder, else the working directory). Example::

    [orders]
    statuses = ["ready-for-handling", "canceled"]   # what the ERP receives (and the feed filter)
    start_handling = true

    [orders.feed]
    visibility_timeout_s = 250
    empty_poll_s = 5.0              # never less than 5 s against VTEX

    [orders.hook]
    public_url = "https://bridge.example.com/hooks/vtex/orders"   # `serve` registers the hook
    # secret: VTEXBRIDGE_ORDERS__HOOK__SECRET (never in the file you commit)

    [orders.sink]
    kind = "folder"                  # or "sql", "http", "plugin"
    path = "erp/orders"

    [orders.actions]
    folder = "erp/actions"
    # api_token: VTEXBRIDGE_ORDERS__ACTIONS__API_TOKEN enables POST /actions/* of `serve`

This module imports only pydantic and :mod:`vtexbridge.settings_base`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import Field, SecretStr, field_validator, model_validator

from vtexbridge.settings_base import Section

if TYPE_CHECKING:
    from vtexbridge.state.settings import StateSettings
    from vtexbridge.vtex.settings import VtexSettings

__all__ = [
    "DEFAULT_STATUSES",
    "MIN_EMPTY_POLL_S",
    "ActionSettings",
    "FeedSettings",
    "HookSettings",
    "OrdersConfig",
    "OrdersSettings",
    "SinkSettings",
]

DEFAULT_STATUSES = ("ready-for-handling", "canceled")
MIN_EMPTY_POLL_S = 5.0
"""VTEX asks integrations not to poll an empty feed more often than this."""


class FeedSettings(Section):
    """The orders feed v3 consumer."""

    enabled: bool = Field(default=True, description="Run the feed consumer (the durable path).")
    visibility_timeout_s: int = Field(
        default=250, ge=1, le=43_200, description="How long VTEX hides an event read but not committed."
    )
    retention_s: int = Field(
        default=345_600, ge=345_600, le=1_209_600, description="How long VTEX keeps uncommitted events."
    )
    empty_poll_s: float = Field(
        default=MIN_EMPTY_POLL_S,
        gt=0,
        description="Wait after an empty read. Raised to 5 s when talking to VTEX itself "
        "(vtex.base_url unset); smaller values only apply to the sandbox or a proxy.",
    )
    max_lot: int = Field(default=10, ge=1, le=10, description="Events per read (VTEX's maximum is 10).")
    lots_in_flight: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Lots processed at once (each committed after its own processing); "
        "Get Order stays bounded by orders.get_order_concurrency.",
    )
    error_backoff_s: float = Field(
        default=5.0, gt=0, description="Wait after a failed read (VTEX unavailable, breaker open)."
    )


class HookSettings(Section):
    """The hook receiver of ``vtexbridge serve`` and its registration with VTEX."""

    path: str = Field(default="/hooks/vtex/orders", description="Route of the hook receiver.")
    header: str = Field(
        default="X-Vtexbridge-Hook-Secret",
        description="Header that VTEX sends with every notification (configured in the hook config).",
    )
    secret: SecretStr | None = Field(
        default=None, description="The header's value; set VTEXBRIDGE_ORDERS__HOOK__SECRET."
    )
    public_url: str | None = Field(
        default=None,
        description="The receiver's URL as VTEX reaches it; when set, `serve` registers the hook config.",
    )
    inbox_batch: int = Field(default=20, ge=1, le=500, description="Inbox items claimed at once.")
    batches_in_flight: int = Field(default=3, ge=1, le=10, description="Inbox batches processed at once.")
    inbox_poll_s: float = Field(
        default=1.0, gt=0, description="How often the worker looks at the inbox without a wake-up."
    )
    visibility_s: float = Field(
        default=300.0, gt=0, description="An item claimed by a worker that died is retried after this."
    )
    retry_backoff_s: float = Field(
        default=2.0, gt=0, description="First wait before a failed item is retried."
    )
    retry_backoff_max_s: float = Field(default=300.0, gt=0)

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"{v!r} must start with '/'")
        return v

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v


class SinkSettings(Section):
    """Where orders are delivered to the ERP (``erp.sinks``)."""

    kind: Literal["folder", "sql", "http", "plugin"] = "folder"
    path: Path = Field(default=Path("erp/orders"), description="folder: where order files are written.")
    fsync: bool = Field(default=True, description="folder: fsync each file and its folder before accepting.")
    url: SecretStr | None = Field(
        default=None,
        description="sql: a SQLAlchemy URL; http: the ERP endpoint. Put it in the environment "
        "(VTEXBRIDGE_ORDERS__SINK__URL) when it holds a password.",
    )
    orders_table: str = Field(default="vtex_orders", description="sql: one row per order and status.")
    items_table: str = Field(default="vtex_order_items", description="sql: one row per order line.")
    create_tables: bool = Field(default=True, description="sql: create the two tables when absent.")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="http: extra request headers (e.g. Authorization)."
    )
    timeout_s: float = Field(default=10.0, gt=0, description="http: per-request timeout.")
    attempts: int = Field(default=5, ge=1, description="http: attempts per delivery (5xx, 429, network).")
    backoff_s: float = Field(default=0.5, gt=0, description="http: first wait between attempts (doubles).")
    plugin: str | None = Field(
        default=None,
        description="plugin: an entry point of group vtexbridge.erp_sinks, or 'module:attribute'.",
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="plugin: keyword arguments for the plugin's factory."
    )

    @model_validator(mode="after")
    def _kind_has_what_it_needs(self) -> SinkSettings:
        if self.kind in ("sql", "http") and self.url is None:
            raise ValueError(f"orders.sink.url is required for kind {self.kind!r}")
        if self.kind == "plugin" and not self.plugin:
            raise ValueError("orders.sink.plugin is required for kind 'plugin'")
        for name in (self.orders_table, self.items_table):
            if not name.replace("_", "").replace(".", "").isalnum():
                raise ValueError(f"{name!r} is not a plain table name")
        return self


class ActionSettings(Section):
    """Actions back to VTEX (invoice, tracking, cancel, change): sources and the outbox worker."""

    folder: Path | None = Field(
        default=Path("erp/actions"),
        description="Folder the ERP drops action files into (JSON or CSV); empty string disables it.",
    )
    min_age_s: float = Field(
        default=0.5, ge=0, description="Leave files younger than this alone (the ERP may still be writing)."
    )
    scan_interval_s: float = Field(default=1.0, gt=0, description="How often the folder/table is read.")
    sql_url: SecretStr | None = Field(
        default=None, description="A SQL outbox table to read actions from (SQLAlchemy URL)."
    )
    sql_table: str = Field(default="vtex_actions", description="The SQL outbox table.")
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token of the REST endpoint POST /actions/* (disabled without it).",
    )
    workers: int = Field(default=4, ge=1, le=64, description="Actions run at once (never two of one order).")
    poll_s: float = Field(default=1.0, gt=0, description="Wait when no action is runnable.")
    max_attempts: int = Field(default=8, ge=1, description="Transient failures before an action is failed.")
    backoff_s: float = Field(default=2.0, gt=0, description="First wait after a transient failure (doubles).")
    backoff_max_s: float = Field(default=600.0, gt=0)
    visibility_s: float = Field(
        default=300.0, gt=0, description="An action claimed by a worker that died runs again after this."
    )

    @field_validator("folder", mode="before")
    @classmethod
    def _empty_disables(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("sql_table")
    @classmethod
    def _plain_table(cls, v: str) -> str:
        if not v.replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"{v!r} is not a plain table name")
        return v


class OrdersSettings(Section):
    """The order pipeline."""

    statuses: list[str] = Field(
        default_factory=lambda: list(DEFAULT_STATUSES),
        min_length=1,
        description="Order statuses delivered to the ERP; also the FromWorkflow filter of feed and hook.",
    )
    start_handling: bool = Field(
        default=True, description="Call start-handling once the ERP accepted a ready-for-handling order."
    )
    get_order_concurrency: int = Field(
        default=4,
        ge=1,
        le=16,
        description="Get Order calls in flight at once (never a burst); start-handling calls likewise.",
    )
    prune_after_s: float = Field(
        default=7 * 86_400.0,
        ge=3_600,
        description="Feed event keys and finished hook inbox items older than this are deleted "
        "(feed keys are kept at least orders.feed.retention_s).",
    )
    prune_interval_s: float = Field(
        default=3_600.0, gt=0, description="How often the order worker prunes (and once per `run --once`)."
    )
    delivery_claim_s: float = Field(
        default=120.0,
        gt=0,
        description="Workers sharing a PostgreSQL state store claim an (order, status) before handing it "
        "to the ERP sink, so that two never deliver it at once; a claim of a worker that died expires "
        "after this many seconds. Keep it above the sink's longest delivery (HTTP attempts x timeout).",
    )
    # --- the order sweep (h7, #12: orders/sweep.py) ---
    sweep_every_s: float = Field(
        default=600.0,
        ge=0,
        description="How often the worker lists VTEX's orders in the handled statuses and delivers "
        "those no feed event or hook notification brought (also once at start); 0 turns the sweep off.",
    )
    sweep_window_days: float = Field(
        default=30.0,
        gt=0,
        le=365,
        description="How far back the first sweep of an account looks (creation date).",
    )
    sweep_lookback_s: float = Field(
        default=86_400.0,
        ge=0,
        description="Later sweeps cover the orders created since the last complete sweep, minus this "
        "(an order may reach a handled status long after it was created).",
    )
    feed: FeedSettings = Field(default_factory=FeedSettings)
    hook: HookSettings = Field(default_factory=HookSettings)
    sink: SinkSettings = Field(default_factory=SinkSettings)
    actions: ActionSettings = Field(default_factory=ActionSettings)

    @field_validator("statuses")
    @classmethod
    def _statuses_are_names(cls, v: list[str]) -> list[str]:
        cleaned = [s.strip() for s in v]
        bad = [s for s in cleaned if not s or not all(c.isalnum() or c == "-" for c in s)]
        if bad:
            raise ValueError(f"not order status names: {bad}")
        return list(dict.fromkeys(cleaned))


class OrdersConfig(Protocol):
    """The sections the order pipeline reads: the account's client, the state store, ``[orders]``,
    and the config file whose folder relative paths start from.

    The root settings (``vtexbridge.config.Settings``) have these; the pipeline sees only them.
    """

    @property
    def vtex(self) -> VtexSettings: ...
    @property
    def state(self) -> StateSettings: ...
    @property
    def orders(self) -> OrdersSettings: ...
    @property
    def config_path(self) -> Path | None: ...
