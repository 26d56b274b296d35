"""The configuration (OAuth-like) flow the payment and antifraud protocols share.

VTEX asks for a token (``POST /authorization/token`` with its ``returnUrl``), sends the store
administrator to us with it (``/redirect``), we send them back to ``returnUrl`` with a one-time
authorization code, and VTEX exchanges the code for the provider's app key and token
(``/authorization/credentials``). vtexbridge is the retailer's own middleware, so there is no
separate sign-in: the flow is off unless ``onboarding = true``, tokens and codes are single use and
expire after ten minutes, and the credentials handed over are the ones configured for the provider.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from vtexbridge.clock import Clock
from vtexbridge.providers.common import required_str
from vtexbridge.providers.errors import BadRequest, NotFound

__all__ = ["Onboarding"]

TTL_S = 600.0


class Onboarding:
    def __init__(self, enabled: bool, key: SecretStr | None, token: SecretStr | None, clock: Clock) -> None:
        self.enabled = enabled
        self._key, self._token = key, token
        self._clock = clock
        self._pending: dict[str, tuple[str, str, float]] = {}

    def _check(self) -> None:
        if not self.enabled:
            raise NotFound("the configuration flow is off (onboarding = false)")
        now = self._clock.monotonic()
        for k in [k for k, v in self._pending.items() if v[2] < now]:
            del self._pending[k]

    def create_token(self, body: Any) -> dict[str, Any]:
        self._check()
        if not isinstance(body, Mapping):
            raise BadRequest("the body must be an object")
        application = required_str(body, "applicationId", limit=64)
        return_url = required_str(body, "returnUrl", limit=2048)
        if not return_url.startswith(("https://", "http://")):
            raise BadRequest("returnUrl must be an http(s) URL")
        token = secrets.token_urlsafe(24)
        self._pending["t:" + token] = (application, return_url, self._clock.monotonic() + TTL_S)
        return {"applicationId": application, "token": token}

    def redirect(self, application: str, token: str) -> tuple[str, str]:
        """(the one-time authorization code, the ``returnUrl`` to send the administrator back to)."""
        self._check()
        found = self._pending.pop("t:" + token, None)
        if found is None or found[0] != application:
            raise NotFound("unknown or expired token")
        code = secrets.token_urlsafe(24)
        self._pending["c:" + code] = (application, found[1], self._clock.monotonic() + TTL_S)
        return code, found[1]

    def return_url(self, code: str) -> str:
        """Where ``code`` goes back to (``returnUrl`` + code); the code stays valid for the exchange."""
        self._check()
        found = self._pending.get("c:" + code)
        if found is None:
            raise NotFound("unknown or expired authorization code")
        return found[1] + code

    def credentials(self, application: str, code: str) -> dict[str, Any]:
        self._check()
        found = self._pending.pop("c:" + code, None)
        if found is None or found[0] != application or self._key is None or self._token is None:
            raise NotFound("unknown or expired authorization code")
        return {
            "applicationId": application,
            "appKey": self._key.get_secret_value(),
            "appToken": self._token.get_secret_value(),
        }
