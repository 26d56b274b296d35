"""The ``[web]`` section: where ``vtexbridge serve`` listens and who may see the dashboard.

Mounted as ``Settings.web``; every key has a default::

    [web]
    host = "127.0.0.1"        # loopback: the dashboard and /metrics need no token
    port = 8780
    # token: VTEXBRIDGE_WEB__TOKEN (required as soon as host is not a loopback address)
    stuck_after_s = 300       # an order undelivered for longer is listed as stuck
    allowed_hosts = []        # Host names the dashboard answers to (default: loopback names + host)
    header_timeout_s = 10     # a request's line and headers must arrive within this
    body_timeout_s = 30       # its body within this
    keep_alive_s = 5          # an idle kept-alive connection is closed after this

This module imports only pydantic and :mod:`vtexbridge.settings_base`.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from vtexbridge.settings_base import Section

__all__ = ["DEFAULT_PORT", "LOOPBACK_NAMES", "WebSettings"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

DEFAULT_PORT = 8780


class WebSettings(Section):
    """``vtexbridge serve``: bind address and the operator pages' access token."""

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
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (as in the `Host` header, without port) the dashboard and /metrics "
        "answer to, against DNS rebinding. Empty: the loopback names (localhost, 127.0.0.1, ::1) and "
        "`host`; with a token and a non-loopback `host`, empty means any name (the token decides). "
        '"*" allows any name.',
    )
    header_timeout_s: float = Field(
        default=10.0, gt=0, le=600, description="A request's line and headers must arrive within this."
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, le=3600, description="A request's body must arrive within this (else 408)."
    )
    keep_alive_s: int = Field(
        default=5, ge=1, le=600, description="An idle kept-alive connection is closed after this."
    )

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, v: list[str]) -> list[str]:
        names = [name.strip().lower().strip("[]") for name in v]
        for name in names:
            if not name or any(c in name for c in "/ @?#"):
                raise ValueError(f"{name!r} is not a host name (give names such as 'bridge.example.com')")
        return names
