"""The ``[sync]`` section: how ERP records become VTEX payloads, and how hard the executor pushes.

Mounted as ``Settings.sync``; every key has a default, so a config file needs no ``[sync]`` at all::

    [sync]
    weight_unit = "g"            # PackagedWeightKg/WeightKg are sent in grams (VTEX's usual store setting)
    default_country = "BRA"      # docks without a country get this one
    commit_interval_s = 1.0      # accepted results are committed at least this often (and every
                                 # state.batch_size results)

    [sync.concurrency]           # requests in flight per API area (the client's rate limits still apply)
    catalog = 32
    pricing = 8

    [sync.mapping.product]       # per-field overrides of a kind's payload (see docs/sync.md)
    constants = { TaxCode = "0001", ShowWithoutStock = false }
    fields = { Title = "description_short" }   # VTEX field <- ERP field of the record

Override keys are checked when the sync starts (an unknown kind, VTEX field or ERP field is a
configuration error naming it); this module only checks their shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import Field, field_validator

from vtexbridge.settings_base import Section
from vtexbridge.sync.continuous.settings import ContinuousSettings

if TYPE_CHECKING:
    from vtexbridge.erp.config import ErpSettings
    from vtexbridge.state.settings import StateSettings
    from vtexbridge.vtex.settings import VtexSettings

__all__ = ["ConcurrencySettings", "FieldOverrides", "SyncConfig", "SyncSettings"]


class FieldOverrides(Section):
    """Per-field overrides of one kind's payload.

    ``constants`` sets a VTEX field to a fixed JSON value; ``fields`` takes a VTEX field's value from
    another field of the ERP record (a rename). Both change the payload hash, so changing an override
    re-sends the affected entities once.
    """

    constants: dict[str, Any] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)


class ConcurrencySettings(Section):
    """Requests in flight at once, per VTEX API area."""

    catalog: int = Field(default=32, ge=1, le=512)
    pricing: int = Field(default=8, ge=1, le=512)
    logistics: int = Field(default=16, ge=1, le=512)
    masterdata: int = Field(default=8, ge=1, le=512)


class SyncSettings(Section):
    """How the sync maps records and applies its plan."""

    weight_unit: Literal["g", "kg"] = Field(
        default="g",
        description="Unit of VTEX's PackagedWeightKg/WeightKg (an integer for packaged weight): "
        "'g' sends ERP kilograms as grams.",
    )
    default_country: str = Field(
        default="BRA", min_length=3, max_length=3, description="Country of docks that give none."
    )
    first_id: int = Field(
        default=1, ge=1, le=999_999_999, description="Lowest id the sync chooses for brands and categories."
    )
    concurrency: ConcurrencySettings = Field(default_factory=ConcurrencySettings)
    commit_interval_s: float = Field(default=1.0, gt=0)
    step_attempts: int = Field(
        default=3, ge=1, le=20, description="Tries per step for transient failures the client gave up on."
    )
    lease_ttl_s: float = Field(default=120.0, ge=5)
    report_dir: Path | None = Field(
        default=None, description="Where run reports are written (default: ./sync-reports)."
    )
    mapping: dict[str, FieldOverrides] = Field(default_factory=dict)
    reconcile_every_s: float = Field(
        default=86_400.0, ge=60, description="Full reconciliation period of the continuous loop (#13)."
    )
    continuous: ContinuousSettings = Field(default_factory=ContinuousSettings)  # #13

    @field_validator("default_country")
    @classmethod
    def _upper(cls, v: str) -> str:
        if not v.isalpha():
            raise ValueError(f"{v!r} is not an ISO 3166-1 alpha-3 country code")
        return v.upper()


class SyncConfig(Protocol):
    """The sections one sync (or adoption) reads: the account's client, the state store, the ERP
    source and ``[sync]``, and the config file whose folder relative paths start from.

    The root settings (``vtexbridge.config.Settings``) have these; the sync sees only them.
    """

    @property
    def vtex(self) -> VtexSettings: ...
    @property
    def state(self) -> StateSettings: ...
    @property
    def erp(self) -> ErpSettings | None: ...
    @property
    def sync(self) -> SyncSettings: ...
    @property
    def config_path(self) -> Path | None: ...
