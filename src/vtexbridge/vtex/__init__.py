"""The VTEX client: ``VtexClient`` over one transport, one thin class per API area.

Models of the bodies are in :mod:`vtexbridge.vtex.models`, errors in :mod:`vtexbridge.vtex.errors`.
``VtexClient`` is imported on first use, so that importing only the models (as the sandbox does)
loads neither the client nor the transport.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtexbridge.vtex.client import VtexClient

__all__ = ["VtexClient"]


def __getattr__(name: str) -> Any:
    if name == "VtexClient":
        from vtexbridge.vtex.client import VtexClient

        return VtexClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
