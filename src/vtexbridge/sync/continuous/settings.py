"""The ``[sync.continuous]`` section: the change intake's token and bounds, and the loop's pacing.

Mounted as ``Settings.sync.continuous``; every key has a default::

    [sync.continuous]
    enabled = true          # serve runs the loop (one per account across processes: the sync lease)
    coalesce_s = 0.2        # after the first pending change, wait this long for more (coalescing)
    max_records = 5000      # records + deletions per pushed batch

The intake token (``POST /erp/changes``) is a secret: set ``VTEXBRIDGE_SYNC__CONTINUOUS__INTAKE_TOKEN``
or ``[sync.continuous] intake_token`` in the secrets file, never in the config file.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from vtexbridge.erp.records import Entity

__all__ = ["ContinuousSettings"]


class ContinuousSettings(BaseModel):
    """The change intake and the continuous loop."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=True,
        description="`vtexbridge serve` runs the continuous loop (changes queued by the intake are applied).",
    )
    intake_token: SecretStr | None = Field(
        default=None,
        description="Bearer token of `POST /erp/changes` (environment or secrets file only); "
        "without it the intake is closed (503).",
    )
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="Largest pushed batch body."
    )
    max_records: int = Field(
        default=5000, ge=1, le=100_000, description="Records and deletions per pushed batch."
    )
    max_key_length: int = Field(
        default=255, ge=8, le=255, description="Longest record key (and batch id) accepted."
    )
    coalesce_s: float = Field(
        default=0.2,
        ge=0,
        le=60,
        description="After the first pending change, wait this long for more before planning "
        "(ten stock updates of one SKU in that window are one write).",
    )
    claim_limit: int = Field(
        default=5000, ge=1, le=100_000, description="Queued changes planned and applied per cycle."
    )
    poll_s: float = Field(
        default=1.0, gt=0, le=60, description="How often an idle loop looks for changes from other processes."
    )
    retry_s: float = Field(
        default=5.0, gt=0, description="Delay before a change whose write failed transiently is tried again."
    )
    max_attempts: int = Field(
        default=10, ge=1, le=1000, description="Tries of a change before it is marked failed."
    )
    sql_watermarks: dict[str, str] = Field(
        default_factory=dict,
        description="SQL ERP: per entity, the change-tracking column of its query (an updated_at "
        "timestamp or an increasing row version): rows changed since the last accepted value are read.",
    )

    @field_validator("sql_watermarks")
    @classmethod
    def _columns(cls, v: dict[str, str]) -> dict[str, str]:
        for entity, column in v.items():
            if entity not in Entity._value2member_map_:
                raise ValueError(f"{entity!r} is not an entity ({', '.join(e.value for e in Entity)})")
            if not _COLUMN.match(column):
                raise ValueError(f"{entity}: {column!r} is not a plain column name")
        return v


_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
