"""The root of every error vtexbridge raises, and the categories every consumer reads the same way.

``category`` says what kind of failure it is (``config`` stops the run, ``record`` skips one record and
its dependents, ``transient`` may be retried, ``system`` is a bug or an environment problem);
``retryable`` and ``exit_code`` are read by the retry policy, the CLI and the reports, so that they
cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

Category = Literal["config", "record", "transient", "system"]


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where an ERP record came from: an entity, a source (file, query, plugin) and a row or key."""

    entity: str
    key: str | None = None
    source: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        where = self.source or self.entity
        if self.row is not None:
            where = f"{where}:{self.row}"
        return f"{where} ({self.entity} {self.key})" if self.key is not None else where


class VtexbridgeError(Exception):
    """Root of the tree; never raised directly."""

    category: ClassVar[Category] = "system"
    retryable: ClassVar[bool] = False
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, record: RecordRef | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.record = record

    @property
    def user_message(self) -> str:
        """The text shown to an operator: the message, prefixed by the record when there is one."""
        return f"{self.record}: {self.message}" if self.record else self.message

    def __str__(self) -> str:
        return self.user_message


class PeerRefusal(VtexbridgeError):
    """A peer's request we cannot honour (a marketplace protocol call, say); ``status`` is the HTTP
    status it is answered with. The order actions outbox retries one with ``status >= 500`` (our
    side) and records the others as refused. The marketplace's protocol errors derive from it."""

    status: ClassVar[int] = 500


class ConfigError(VtexbridgeError):
    """A setting is missing or invalid. ``problems`` lists every one, with where it was looked up."""

    category: ClassVar[Category] = "config"
    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        full = message if not self.problems else message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(full)


class CredentialsError(ConfigError):
    """App key/token absent, or refused by VTEX."""


class RecordError(VtexbridgeError):
    """One ERP record is unusable; ``field`` names the offending field when known."""

    category: ClassVar[Category] = "record"

    def __init__(self, message: str, *, record: RecordRef | None = None, field: str | None = None) -> None:
        super().__init__(message, record=record)
        self.field = field

    @property
    def user_message(self) -> str:
        where = str(self.record) if self.record else ""
        if self.field:
            where = f"{where} field {self.field!r}" if where else f"field {self.field!r}"
        return f"{where}: {self.message}" if where else self.message


class RecordInvalid(RecordError):
    """Failed local validation before anything was sent."""


class RecordRejected(RecordError):
    """VTEX answered 4xx about this record."""


class DependencyBlocked(RecordError):
    """Held back because a record it depends on failed."""


class StateError(VtexbridgeError):
    """The state store failed."""


class SchemaOutdated(StateError):
    category: ClassVar[Category] = "config"
    exit_code: ClassVar[int] = 2


class StateLocked(StateError):
    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True
