"""The root settings: composes every flow's section and loads them from TOML, environment and secrets.

Each section is defined next to the code that reads it (``vtexbridge.vtex.settings``,
``vtexbridge.state.settings``, ``vtexbridge.sync.config``, ``vtexbridge.orders.settings``, ...) and
each component takes its own section; only the composition (``vtexbridge.cli``, ``vtexbridge.web``,
the test harnesses) sees :class:`Settings`, so no flow imports another flow's settings through here.

Precedence, highest first: environment (``VTEXBRIDGE_<SECTION>__<KEY>``), the TOML file, defaults.
Secrets (every ``SecretStr`` key: app key, app token, tokens, URLs with passwords) come only from the
environment or a secrets file: a TOML config that contains them is refused, so they never end up in a
file that gets committed or copied. An unknown key, in the file or the environment, is refused with
the nearest real key and its environment variable ("did you mean ...?").

The layering is hand-written rather than ``pydantic-settings``: its sources would each need replacing
to keep today's behaviour, leaving only the ~20 lines of :func:`_env_overrides` it would save. The
secrets file is a TOML file with nested tables (``secrets_dir`` is a folder of one file per key); an
environment value is read as TOML (``'["a", "b"]'``, ``{ x = 1 }``), not JSON; an unknown nested
variable must be an error naming the variable, not silently ignored; and each problem names where its
value came from (file or environment) and relative paths resolve against the config file's folder.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from vtexbridge.erp.config import ErpSettings
from vtexbridge.errors import ConfigError
from vtexbridge.log import LogSettings
from vtexbridge.marketplace.settings import MarketplaceSettings
from vtexbridge.orders.settings import OrdersSettings
from vtexbridge.providers.settings import ProvidersSettings
from vtexbridge.settings_base import ENV_PREFIX, SECRETS_ENV, env_name
from vtexbridge.state.settings import StateSettings
from vtexbridge.sync.config import SyncSettings
from vtexbridge.vtex.settings import DEFAULT_CREDENTIAL_HOSTS, RouteLimit, VtexSettings
from vtexbridge.web.settings import WebSettings

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_CREDENTIAL_HOSTS",
    "ENV_PREFIX",
    "SECRETS_ENV",
    "SECRET_KEYS",
    "LogSettings",
    "RouteLimit",
    "Settings",
    "StateSettings",
    "VtexSettings",
    "find_config",
    "load_settings",
    "misspelt_env",
    "secret_paths",
]

CONFIG_ENV = "VTEXBRIDGE_CONFIG"
DEFAULT_CONFIG_NAME = "vtexbridge.toml"
SECRET_KEYS = ("app_key", "app_token", "user_token")
"""The keys a secrets file may give at its top level (VTEX's credentials, ``[vtex]`` implied)."""


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
    return env_name(*loc)


def _describe(loc: tuple[int | str, ...], from_env: bool, *, unknown: bool = False) -> str:
    """``vtex.timeout_s (from config file; env override VTEXBRIDGE_VTEX__TIMEOUT_S)``; an unknown key
    has no variable to override it, only the one it was read from."""
    dotted = ".".join(str(p) for p in loc)
    if unknown:
        return (
            f"{dotted} (from environment variable {_env_name(loc)})"
            if from_env
            else f"{dotted} (from config file)"
        )
    return f"{dotted} (from {'environment' if from_env else 'config file'}; env override {_env_name(loc)})"


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
    """`` (did you mean vtex.account? ...)`` for an unknown key close to a real one, naming the real
    key's environment variable; else the keys known there."""
    model = _section_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return ""
    names = [n for n in model.model_fields if n != "config_path"]
    close = difflib.get_close_matches(loc[-1].lower(), names, n=1, cutoff=0.6)
    if not close:
        return f" (known keys here: {', '.join(names)})" if len(names) <= 12 else ""
    right = (*loc[:-1], close[0])
    variable = _env_name(right)
    if _model_of(model.model_fields[close[0]].annotation) is not None:
        variable += "__<KEY>"  # a section: its keys are the variables
    if from_env:
        return f" (did you mean {variable}?)"
    return f" (did you mean {'.'.join(str(p) for p in right)}? in the environment: {variable})"


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


def _read_config_file(path: Path | None) -> dict[str, Any]:
    """The config file's tree; refused when it holds a secret."""
    if path is None:
        return {}
    tree = _read_toml(path, "config file")
    leaked = [".".join(p) for p in secret_paths(Settings) if _get_path(tree, p) is not None]
    if leaked:
        raise ConfigError(
            f"config file {path} contains secrets ({', '.join(leaked)}); secrets are read only from the "
            f"environment ({ENV_PREFIX}VTEX__APP_KEY, {ENV_PREFIX}<SECTION>__<KEY>, ...) or a secrets file "
            f"({SECRETS_ENV})"
        )
    return tree


def _add_secrets_file(tree: dict[str, Any], path: Path | None, env: Mapping[str, str]) -> None:
    """Fill the secrets the secrets file gives and neither the file nor the environment set."""
    vtex = tree.setdefault("vtex", {})
    secrets_file = env.get(SECRETS_ENV) or (vtex.get("secrets_file") if isinstance(vtex, dict) else None)
    if not secrets_file:
        return
    sp = Path(secrets_file)
    if path is not None and not sp.is_absolute():
        sp = path.parent / sp
    for where, value in _secrets_from_file(sp):
        if _get_path(tree, where) is None:
            _set_path(tree, list(where), value)


def _resolve_state_url(tree: dict[str, Any], path: Path | None) -> None:
    """A relative SQLite ``state.url`` names a file next to the config file."""
    state = tree.get("state", {})
    if path is None or not isinstance(state, dict):
        return
    url = state.get("url")
    if isinstance(url, str) and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url[len("sqlite:///") :]
        if rel and rel != ":memory:" and not Path(rel).is_absolute():
            state["url"] = "sqlite:///" + str((path.parent / rel).resolve())


def _problems(error: ValidationError, env_tree: Mapping[str, Any]) -> list[str]:
    """One line per problem: the key, where it came from, its variable, what is wrong (and the key
    probably meant, when it is unknown)."""
    env_keys = _flatten_keys(env_tree)
    problems = []
    for err in error.errors():
        loc = err["loc"]
        from_env = ".".join(str(p) for p in loc) in env_keys
        unknown = err["type"] == "extra_forbidden"
        hint = _suggestion(loc, from_env) if unknown else ""
        message = "not a setting" if unknown else err["msg"]
        problems.append(f"{_describe(loc, from_env, unknown=unknown)}: {message}{hint}")
    return problems


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, merge and validate the configuration; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    path = find_config(path, env)
    file_tree = _read_config_file(path)
    misspelt = misspelt_env(env)
    if misspelt:
        raise ConfigError("likely mistake in the environment", problems=misspelt)
    env_tree = _env_overrides(env)
    tree = _merge(file_tree, env_tree)
    _add_secrets_file(tree, path, env)
    _resolve_state_url(tree, path)
    try:
        return Settings.model_validate({**tree, "config_path": path})
    except ValidationError as e:
        raise ConfigError(
            f"invalid configuration ({path or 'defaults'})", problems=_problems(e, env_tree)
        ) from None
