"""The ``[web]`` section: where ``vtexbridge serve`` listens and who may see the dashboard.

Mounted as ``Settings.web``; every key has a default::

    [web]
    host = "127.0.0.1"        # loopback: the dashboard and /metrics need no token
    port = 8780
    # token: VTEXBRIDGE_WEB__TOKEN (required as soon as host is not a loopback address)
    stuck_after_s = 300       # an order undelivered for longer is listed as stuck

This module imports only pydantic, so :mod:`vtexbridge.config` can import it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["DEFAULT_PORT", "WebSettings"]

DEFAULT_PORT = 8780


class WebSettings(BaseModel):
    """``vtexbridge serve``: bind address and the operator pages' access token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(
        default="127.0.0.1",
        description="Address `serve` binds. On a non-loopback address the dashboard and /metrics need "
        "the token.",
    )
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535, description="Port `serve` listens on.")
    token: SecretStr | None = Field(
        default=None,
        description="Access token of the dashboard and /metrics (`Authorization: Bearer`, or "
        "`?token=` once in a browser). Set VTEXBRIDGE_WEB__TOKEN; required unless bound to loopback.",
    )
    stuck_after_s: float = Field(
        default=300.0, gt=0, description="The dashboard lists an order as stuck after this long undelivered."
    )
