"""vtexbridge: the middleware between a retailer's back office and VTEX.

``Settings`` and ``load_settings`` are imported on first use: the root settings compose every flow's
section, and importing one layer (``import vtexbridge.vtex``) must not import all the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtexbridge.errors import ConfigError, RecordError, VtexbridgeError

if TYPE_CHECKING:
    from vtexbridge.config import Settings, load_settings

__version__ = "0.1.0"

__all__ = ["ConfigError", "RecordError", "Settings", "VtexbridgeError", "__version__", "load_settings"]


def __getattr__(name: str) -> Any:
    if name in ("Settings", "load_settings"):
        from vtexbridge import config

        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
