"""The ``[state]`` section: where the state store is, and how many results a commit holds.

Mounted as ``Settings.state``::

    [state]
    url = "postgresql+psycopg://bridge@db/vtexbridge"   # default: sqlite:///vtexbridge.db
    batch_size = 500

A relative SQLite path is read relative to the config file's folder (done when the settings load).
"""

from __future__ import annotations

from pydantic import Field

from vtexbridge.settings_base import Section

__all__ = ["StateSettings"]


class StateSettings(Section):
    url: str = "sqlite:///vtexbridge.db"
    batch_size: int = Field(default=500, ge=1)
