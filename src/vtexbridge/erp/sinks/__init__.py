"""Order sinks: the only code that writes orders into the ERP.

A sink receives an :class:`OrderDelivery` (an order in one status, as the documented
``vtexbridge.order/1`` document) and returns once the ERP has **durably** accepted it. Acceptance
is idempotent per (order, status): delivering the same order and status again must change nothing
and succeed, because the pipeline redelivers after a crash between the sink's acceptance and the
state store's record of it. Each sink keeps that promise its own way:

- :class:`~.folder.FolderSink`: one file per order and status, created atomically (temp file, fsync,
  link); an existing file for that order and status is an earlier acceptance;
- :class:`~.sql.SqlSink`: the order row and its item rows in one transaction, keyed by
  (order id, status); a second insert finds the row and changes nothing;
- :class:`~.http.HttpSink`: a POST carrying ``Idempotency-Key: <orderId>:<status>``; 409 counts as
  "already accepted";
- a plugin (:mod:`.plugin`, entry point group ``vtexbridge.erp_sinks``) promises the same.

A sink raises :class:`SinkError` when the ERP did not accept the order (yet): the pipeline keeps
the event and tries again later. :class:`SinkRejected` says the ERP refused it for good (a 4xx):
it is recorded against the order and still retried later, since an ERP can be fixed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from vtexbridge.errors import Category, VtexbridgeError

__all__ = ["OrderDelivery", "Sink", "SinkError", "SinkRejected", "SinkResult", "render_json"]


@dataclass(frozen=True, slots=True)
class OrderDelivery:
    """One order in one status, on its way to the ERP.

    ``replay`` is set by ``vtexbridge orders replay``: the operator asks for the order to be
    written again even though the ERP already has it (a folder sink overwrites its file).
    """

    account: str
    order_id: str
    status: str
    document: dict[str, Any] = field(hash=False, compare=False)
    replay: bool = False

    @property
    def key(self) -> str:
        return f"{self.order_id}:{self.status}"


@dataclass(frozen=True, slots=True)
class SinkResult:
    """The ERP accepted the delivery. ``erp_ref`` locates it there (a file, a row, an ERP number);
    ``written`` is False when the ERP already had it and nothing was written this time."""

    erp_ref: str | None
    written: bool = True


class SinkError(VtexbridgeError):
    """The ERP did not accept the order (unreachable, busy, failing); try again later."""

    category: ClassVar[Category] = "transient"
    retryable: ClassVar[bool] = True


class SinkRejected(SinkError):
    """The ERP refused the order (e.g. HTTP 4xx); kept as the order's error, retried later."""

    category: ClassVar[Category] = "record"
    retryable: ClassVar[bool] = False


@runtime_checkable
class Sink(Protocol):
    """What the pipeline needs from a sink."""

    name: str

    async def deliver(self, delivery: OrderDelivery) -> SinkResult:
        """Return once the ERP durably accepted ``delivery``; idempotent per (order, status).

        Raises:
            SinkError: not accepted (yet); SinkRejected: refused.
        """
        ...

    async def aclose(self) -> None: ...


def render_json(document: Mapping[str, Any]) -> bytes:
    """A document as UTF-8 JSON: indented, keys in the document's order, one trailing newline.

    Deterministic, so that the same document always gives the same bytes (the folder sink compares
    them to recognise a redelivery)."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()
