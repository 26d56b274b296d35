"""Structured logging with secrets redacted from every line.

Every secret value that vtexbridge learns (app key, app token, user token) is registered with
:func:`register_secret`; the :class:`RedactingFilter` replaces it, and any VTEX auth header value,
by ``***`` in every record, whoever logs it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from typing import Any

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
_HEADER_RE = re.compile(
    r"(?i)((?:x-vtex-api-apptoken|x-vtex-api-appkey|vtexidclientautcookie|authorization)['\"]?\s*[:=]\s*['\"]?)"
    r"([^'\",\s}]+)"
)
REDACTED = "***"


def register_secret(value: str | None) -> None:
    """Make ``value`` disappear from every log line and error rendering from now on."""
    if value and len(value) >= 4:
        with _LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret and every auth header value replaced by ``***``."""
    for s in sorted(_SECRETS, key=len, reverse=True):
        if s in text:
            text = text.replace(s, REDACTED)
    return _HEADER_RE.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for k, v in list(record.__dict__.items()):
            if k not in _STD_ATTRS and isinstance(v, str):
                record.__dict__[k] = redact(v)
        return True


_STD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _STD_ATTRS and not k.startswith("_"):
                out[k] = v
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, default=str)


def setup_logging(level: str = "info", fmt: str = "auto") -> None:
    """Configure the root logger once (CLI entry and web app factory call this)."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter() if use_json else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_vtexbridge", False):
            root.removeHandler(h)
    handler._vtexbridge = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet_libraries(level)


# Libraries that log one line per HTTP request (httpx, httpcore) or per migration step (Alembic) at
# info: below debug they say only warnings (docs/operations.md: per-request lines at debug only).
CHATTY_LOGGERS = ("httpx", "httpcore", "alembic")


def quiet_libraries(level: str) -> None:
    """Keep the libraries' per-request and per-migration lines out of any level above debug."""
    chatty = logging.DEBUG if level.lower() == "debug" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty)
