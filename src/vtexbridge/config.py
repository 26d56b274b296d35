"""Settings: one TOML file (``vtexbridge.toml``) validated by pydantic, with environment overrides.

Precedence, highest first: environment (``VTEXBRIDGE_<SECTION>__<KEY>``), the TOML file, defaults.
Secrets (app key, app token, user token) come only from the environment or a secrets file: a TOML
config that contains them is refused, so they never end up in a file that gets committed or copied.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from vtexbridge.erp.config import ErpSettings
from vtexbridge.errors import ConfigError, CredentialsError
from vtexbridge.marketplace.settings import MarketplaceSettings
from vtexbridge.orders.settings import OrdersSettings
from vtexbridge.providers.settings import ProvidersSettings
from vtexbridge.sync.config import SyncSettings
from vtexbridge.web.settings import WebSettings

ENV_PREFIX = "VTEXBRIDGE_"
CONFIG_ENV = "VTEXBRIDGE_CONFIG"
SECRETS_ENV = "VTEXBRIDGE_SECRETS_FILE"
DEFAULT_CONFIG_NAME = "vtexbridge.toml"
SECRET_KEYS = ("app_key", "app_token", "user_token")

DEFAULT_CREDENTIAL_HOSTS = (
    "*.vtexcommercestable.com.br",
    "*.vtexcommercebeta.com.br",
    "*.vtexpayments.com.br",
    "*.myvtex.com",
    "*.vtex.com",
    "*.vtex.com.br",
)
"""VTEX's own domains: where our VTEX app key and token may go by default."""

_ACCOUNT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouteLimit(_Section):
    """A request budget for the routes matching ``pattern`` (a VTEX route template, ``*`` allowed).

    One bucket is shared by every matching route, unless ``per_route`` gives each matching route
    template a bucket of its own (VTEX's "per endpoint" limits).
    """

    pattern: str
    rate_per_s: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)
    methods: list[str] | None = None
    per_route: bool = False


class VtexSettings(_Section):
    account: str = "sandbox"
    environment: str = "vtexcommercestable"
    base_url: str | None = Field(
        default=None,
        description="Send every API to this base URL instead of VTEX's hosts (the local sandbox).",
    )
    app_key: SecretStr | None = None
    app_token: SecretStr | None = None
    user_token: SecretStr | None = None
    secrets_file: Path | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    max_connections: int = Field(default=64, ge=1)
    max_retries: int = Field(default=6, ge=0)
    backoff_base_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    breaker_threshold: int = Field(
        default=5, ge=1, description="Consecutive 503s that open an API's breaker."
    )
    breaker_cooldown_s: float = Field(default=30.0, gt=0)
    limits: list[RouteLimit] = Field(default_factory=list, description="Overrides of the published budgets.")
    # h4-transport (#11, #15): where our credentials may go; budgets shared across processes
    credential_hosts: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CREDENTIAL_HOSTS),
        description="Hosts (exact, or '*.domain') that our app key and token may be sent to when a "
        "call names its own URL (a marketplace's services endpoint); always over https, except to "
        "loopback (the local sandbox).",
    )
    shared_limits_url: SecretStr | None = Field(
        default=None,
        description="redis://... to share the account's rate budgets between processes (several "
        "serve or sync processes of one account); unset, each process keeps its own budgets.",
    )

    @field_validator("account")
    @classmethod
    def _account_is_a_name(cls, v: str) -> str:
        v = v.strip()
        if "." in v or "/" in v or ":" in v:
            first = v.split("//")[-1].split(".")[0].split("/")[0]
            raise ValueError(
                f"{v!r} looks like a host or URL; vtex.account takes the account name only (e.g. {first!r})"
            )
        if not _ACCOUNT_RE.match(v):
            raise ValueError(f"{v!r} is not a VTEX account name (lower-case letters, digits and '-')")
        return v

    @field_validator("environment")
    @classmethod
    def _environment_is_a_label(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9-]+", v):
            raise ValueError(f"{v!r} is not a VTEX environment label (e.g. 'vtexcommercestable')")
        return v

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v.rstrip("/")

    def credentials_problem(self) -> str | None:
        """Why requests to VTEX cannot be authenticated, or None when they can."""
        if self.user_token is not None:
            return None
        if self.app_key is None or self.app_token is None:
            missing = [n for n in ("app_key", "app_token") if getattr(self, n) is None]
            names = ", ".join(f"{ENV_PREFIX}VTEX__{n.upper()}" for n in missing)
            return f"missing {', '.join(missing)}: set {names}, or give a secrets file ({SECRETS_ENV})"
        return None

    def require_credentials(self) -> None:
        problem = self.credentials_problem()
        if problem:
            raise CredentialsError(problem)


class StateSettings(_Section):
    url: str = "sqlite:///vtexbridge.db"
    batch_size: int = Field(default=500, ge=1)


class LogSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "text"] = "auto"


class Settings(BaseModel):
    """Everything vtexbridge reads from its configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vtex: VtexSettings = Field(default_factory=VtexSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    erp: ErpSettings | None = Field(
        default=None, description="Where the ERP snapshot is read from; `vtexbridge sync` needs it."
    )
    sync: SyncSettings = Field(default_factory=SyncSettings)
    orders: OrdersSettings = Field(default_factory=OrdersSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    marketplace: MarketplaceSettings = Field(default_factory=MarketplaceSettings)
    providers: ProvidersSettings = Field(default_factory=ProvidersSettings)
    config_path: Path | None = Field(default=None, exclude=True)


def secret_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every settings key typed ``SecretStr``, as a path (``("vtex", "app_token")``, ...)."""
    found: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        args = get_args(info.annotation) or (info.annotation,)
        if SecretStr in args:
            found.append((*prefix, name))
        for arg in args:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found += secret_paths(arg, (*prefix, name))
    return found


def _get_path(tree: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = tree
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _set_path(tree: dict[str, Any], path: list[str], value: Any) -> None:
    node = tree
    for part in path[:-1]:
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ConfigError(f"environment override {'.'.join(path)} conflicts with a non-table value")
        node = nxt
    node[path[-1]] = value


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX) :].split("__")]
        if any(not p for p in path):
            continue
        parsed: Any = value
        if value.startswith(("[", "{")):
            try:
                parsed = tomllib.loads(f"v = {value}")["v"]
            except tomllib.TOMLDecodeError:
                parsed = value
        _set_path(tree, path, parsed)
    return tree


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{what} {path} is not valid TOML: {e}") from None


def _secrets_from_file(path: Path) -> list[tuple[tuple[str, ...], str]]:
    """The secrets of a secrets file: top-level ``app_key``/``app_token``/``user_token`` (VTEX's), or any
    secret setting under its own table (``[orders.hook] secret = ...``)."""
    data = _read_toml(path, "secrets file")
    allowed = set(secret_paths(Settings))
    found: list[tuple[tuple[str, ...], str]] = []
    unknown: list[str] = []

    def walk(node: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
        for key, value in node.items():
            where = (*prefix, key)
            if isinstance(value, Mapping):
                walk(value, where)
            elif not prefix and key in SECRET_KEYS:
                found.append((("vtex", key), str(value)))
            elif where in allowed:
                found.append((where, str(value)))
            else:
                unknown.append(".".join(where))

    walk(data, ())
    if unknown:
        expected = sorted(".".join(p) for p in allowed)
        raise ConfigError(f"secrets file {path}: unknown keys {sorted(unknown)}; expected some of {expected}")
    return found


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(str(p).upper() for p in loc)


def _describe(loc: tuple[int | str, ...], env_tree_keys: set[str]) -> str:
    dotted = ".".join(str(p) for p in loc)
    origin = "environment" if dotted in env_tree_keys else "config file"
    return f"{dotted} (from {origin}; env override {_env_name(loc)})"


# --- near misses: "did you mean" ------------------------------------------------------------------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings model an annotation holds (``X``, ``X | None``, ``list[X]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        inner = _model_of(arg)
        if inner is not None:
            return inner
    return None


def _section_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The settings model at ``loc`` (list indexes skipped), or None when ``loc`` leads nowhere."""
    model: type[BaseModel] | None = Settings
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(part)
        model = _model_of(info.annotation) if info is not None else None
    return model


def _suggestion(loc: tuple[int | str, ...], from_env: bool) -> str:
    """`` (did you mean vtex.account?)`` for an unknown key close to a real one; else empty."""
    model = _section_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return ""
    names = [n for n in model.model_fields if n != "config_path"]
    close = difflib.get_close_matches(loc[-1].lower(), names, n=1, cutoff=0.6)
    if not close:
        return f" (known keys here: {', '.join(names)})" if len(names) <= 12 else ""
    right = (*loc[:-1], close[0])
    shown = _env_name(right) if from_env else ".".join(str(p) for p in right)
    if from_env and _model_of(model.model_fields[close[0]].annotation) is not None:
        shown += "__<KEY>"  # a section: its keys are the variables
    return f" (did you mean {shown}?)"


def _leaf_paths(tokens: list[str], model: type[BaseModel]) -> list[tuple[str, ...]]:
    """Ways of reading ``tokens`` (an env name split at ``_``) as a path of settings keys."""
    found: list[tuple[str, ...]] = []
    for n in range(1, len(tokens) + 1):
        name = "_".join(tokens[:n])
        info = model.model_fields.get(name)
        if info is None or name == "config_path":
            continue
        rest, inner = tokens[n:], _model_of(info.annotation)
        if not rest:
            found.append((name,))
        elif inner is not None:
            found += [(name, *tail) for tail in _leaf_paths(rest, inner)]
    return found


def misspelt_env(env: Mapping[str, str]) -> list[str]:
    """Environment variables that look like a setting with ``_`` where ``__`` separates the keys
    (``VTEXBRIDGE_VTEX_BASE_URL``): they are not read, which silently keeps the default."""
    problems = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in (CONFIG_ENV, SECRETS_ENV):
            continue
        tokens = name[len(ENV_PREFIX) :].lower().replace("__", "_").split("_")
        names = [_env_name(p) for p in _leaf_paths(tokens, Settings) if len(p) > 1]
        if names and name not in names:
            right = names[0]
            problems.append(
                f"environment variable {name} is not read (one '_' where keys are separated by '__'): "
                f"did you mean {right}?"
            )
    return problems


def _flatten_keys(tree: Mapping[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for k, v in tree.items():
        dotted = f"{prefix}{k}"
        keys.add(dotted)
        if isinstance(v, Mapping):
            keys |= _flatten_keys(v, dotted + ".")
    return keys


def find_config(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    """The config file: ``--config``, else ``$VTEXBRIDGE_CONFIG``, else ./vtexbridge.toml if present."""
    if explicit is not None:
        return explicit
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.exists() else None


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, merge and validate the configuration; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    path = find_config(path, env)
    file_tree: dict[str, Any] = _read_toml(path, "config file") if path else {}
    leaked = [".".join(p) for p in secret_paths(Settings) if _get_path(file_tree, p) is not None]
    if leaked:
        raise ConfigError(
            f"config file {path} contains secrets ({', '.join(leaked)}); secrets are read only from the "
            f"environment ({ENV_PREFIX}VTEX__APP_KEY, {ENV_PREFIX}<SECTION>__<KEY>, ...) or a secrets file "
            f"({SECRETS_ENV})"
        )
    misspelt = misspelt_env(env)
    if misspelt:
        raise ConfigError("likely mistake in the environment", problems=misspelt)
    env_tree = _env_overrides(env)
    tree = _merge(file_tree, env_tree)
    vtex = tree.setdefault("vtex", {})
    secrets_file = env.get(SECRETS_ENV) or vtex.get("secrets_file")
    if secrets_file:
        sp = Path(secrets_file)
        if path is not None and not sp.is_absolute():
            sp = path.parent / sp
        for where, value in _secrets_from_file(sp):
            if _get_path(tree, where) is None:
                _set_path(tree, list(where), value)
    state = tree.get("state", {})
    if path is not None and isinstance(state, dict):
        url = state.get("url")
        if isinstance(url, str) and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            rel = url[len("sqlite:///") :]
            if rel and rel != ":memory:" and not Path(rel).is_absolute():
                state["url"] = "sqlite:///" + str((path.parent / rel).resolve())
    try:
        return Settings.model_validate({**tree, "config_path": path})
    except ValidationError as e:
        env_keys = _flatten_keys(env_tree)
        problems = []
        for err in e.errors():
            hint = ""
            if err["type"] == "extra_forbidden":
                dotted = ".".join(str(p) for p in err["loc"])
                hint = _suggestion(err["loc"], from_env=dotted in env_keys)
            problems.append(f"{_describe(err['loc'], env_keys)}: {err['msg']}{hint}")
        raise ConfigError(f"invalid configuration ({path or 'defaults'})", problems=problems) from None
