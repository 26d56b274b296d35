"""What every settings section shares: the base model and the names of the environment variables.

Each flow defines its own section next to its code (``vtexbridge.vtex.settings``,
``vtexbridge.sync.config``, ``vtexbridge.orders.settings``, ...) on :class:`Section`;
:mod:`vtexbridge.config` only composes them and loads them. This module imports pydantic only, so
every layer may import it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ENV_PREFIX", "SECRETS_ENV", "Section", "env_name"]

ENV_PREFIX = "VTEXBRIDGE_"
"""Environment variables ``VTEXBRIDGE_<SECTION>__<KEY>`` override the config file's keys."""

SECRETS_ENV = "VTEXBRIDGE_SECRETS_FILE"
"""The secrets file (TOML) that holds the secret settings the config file may not hold."""


class Section(BaseModel):
    """A settings section: unknown keys are refused, and the values never change once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def env_name(*path: str | int) -> str:
    """The environment variable of the setting at ``path``: ``("vtex", "app_key")`` ->
    ``VTEXBRIDGE_VTEX__APP_KEY``."""
    return ENV_PREFIX + "__".join(str(p).upper() for p in path)
