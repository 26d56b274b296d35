"""Structured logging with secrets redacted from every line.

Every secret value that vtexbridge learns (app key, app token, user token, web token, hook secret,
sink URL...) is registered with :func:`register_secret`. :func:`redact` replaces those, any VTEX auth
header value, the password of any ``scheme://user:password@host`` URL and the value of a ``token``,
``secret``, ``password`` or ``apptoken`` query parameter by ``***``.

Redaction happens where text leaves the process: the formatters (:class:`RedactingFormatter`,
:class:`JsonFormatter`) redact the whole formatted line, tracebacks and every extra (nested or not)
included, whoever logs it; the state store redacts what it writes (:func:`redact_value`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from typing import Any, Literal

from vtexbridge.settings_base import Section

__all__ = [
    "REDACTED",
    "JsonFormatter",
    "LogSettings",
    "RedactingFilter",
    "RedactingFormatter",
    "redact",
    "redact_value",
    "register_secret",
    "setup_logging",
]

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
REDACTED = "***"
_HEADER_NAMES = (
    "x-vtex-api-apptoken",
    "x-vtex-api-appkey",
    "vtexidclientautcookie",
    "authorization",
    "x-vtexbridge-token",
    "x-vtexbridge-hook-secret",
)
# an auth header's value (what precedes it is kept)
_HEADER_RE = re.compile(
    r"(?i)((?:" + "|".join(_HEADER_NAMES) + r")['\"]?\s*[:=]\s*['\"]?(?:bearer\s+|basic\s+)?)[^'\",\s}]+"
)
# the password of a URL's user info
_URL_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'\"]*:)[^@\s/'\"]+(?=@)")
# a credential in a query string
_QUERY_RE = re.compile(r"(?i)([?&](?:token|secret|password|passwd|apptoken|app_token|key)=)[^&\s'\"#]+")
_KEEP = r"\1" + REDACTED
_ordered: tuple[str, ...] = ()
_secret_re: re.Pattern[str] | None = None


def register_secret(value: str | None) -> None:
    """Make ``value`` disappear from every log line, error rendering and state write from now on."""
    global _ordered, _secret_re
    if value and len(value) >= 4:
        with _LOCK:
            if value in _SECRETS:
                return
            _SECRETS.add(value)
            _ordered = tuple(sorted(_SECRETS, key=len, reverse=True))
            _secret_re = re.compile("|".join(re.escape(s) for s in _ordered))


def redact(text: str, *, queries: bool = True) -> str:
    """``text`` with every registered secret, auth header value, URL password and (with ``queries``)
    credential query parameter replaced by ``***`` (substring tests first: most text has nothing to
    redact). Stored data goes without ``queries``: a carrier's tracking URL may well carry
    ``?key=``, and is data to keep, not a secret of ours (ours are registered)."""
    pattern = _secret_re
    if pattern is not None and any(s in text for s in _ordered):
        text = pattern.sub(REDACTED, text)
    if "://" in text:
        text = _URL_RE.sub(_KEEP, text)
    if queries and "=" in text:
        text = _QUERY_RE.sub(_KEEP, text)
    if ":" in text or "=" in text:
        low = text.lower()
        if any(name in low for name in _HEADER_NAMES):
            text = _HEADER_RE.sub(_KEEP, text)
    return text


def redact_value(value: Any, *, queries: bool = True) -> Any:
    """``value`` (a string, or JSON-like nesting of dicts, lists and tuples) with every string redacted
    (see :func:`redact`); other values are returned as they are."""
    if isinstance(value, str):
        return redact(value, queries=queries)
    if isinstance(value, dict):
        return {redact_value(k, queries=queries): redact_value(v, queries=queries) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v, queries=queries) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Redacts a record's message and string extras (kept for handlers that use their own formatter;
    :func:`setup_logging`'s formatters redact the whole line anyway)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for k, v in list(record.__dict__.items()):
            if k not in _STD_ATTRS:
                record.__dict__[k] = redact_value(v)
        return True


_STD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactingFormatter(logging.Formatter):
    """The text format; the whole line (traceback and stack included) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; every value, nested or not, string or not, and the traceback are
    redacted (the serialised line is redacted as a whole)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _STD_ATTRS and not k.startswith("_"):
                out[k] = redact_value(v)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(redact_value(out), default=lambda o: redact(str(o))))


class LogSettings(Section):
    """The ``[log]`` section (mounted as ``Settings.log``): what ``setup_logging`` is given."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "text"] = "auto"


def setup_logging(level: str = "info", fmt: str = "auto") -> None:
    """Configure the root logger once (CLI entry and web app factory call this)."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter() if use_json else RedactingFormatter("%(levelname)s %(name)s: %(message)s")
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
