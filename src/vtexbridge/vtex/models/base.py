"""What every VTEX model shares: how request bodies are serialised and how responses are read.

Field names are VTEX's own JSON keys (``Name``, ``ProductId`` in the Catalog, ``invoiceValue`` in
OMS), so a model reads like the API reference and a body needs no mapping. Aliases are used only
where a key is not a Python identifier (``from``) or where several spellings reach the same field.

Request models forbid unknown fields, so a typo fails before anything is sent. A request field that
is ``None`` is left out of the body when it is optional, and sent as ``null`` when the spec requires
the key (a required, nullable field) or when the model lists it in ``send_null``. Response models
allow extra fields, because VTEX adds fields without notice.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)


class RequestModel(BaseModel):
    """A body we send: strict about unknown fields, immutable, serialised the way the spec wants."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    send_null: ClassVar[frozenset[str]] = frozenset()
    """Optional fields that the spec requires as keys: sent as ``null`` when not given."""

    @model_serializer(mode="wrap")
    def _omit_absent_optionals(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name, field in type(self).model_fields.items():
            if field.is_required() or name in self.send_null:
                continue
            key = (field.serialization_alias or field.alias or name) if info.by_alias else name
            if key in data and data[key] is None:
                del data[key]
        return data

    def body(self) -> dict[str, Any]:
        """The JSON body for VTEX."""
        return self.model_dump(mode="json", by_alias=True)


class ResponseModel(BaseModel):
    """A body VTEX answers: extra fields are kept (``model_extra``), never rejected."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _compact_number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


JsonNumber = Annotated[float, PlainSerializer(_compact_number, return_type=int | float)]
"""A JSON number that serialises whole values without a fraction (``10``, not ``10.0``): some VTEX
schemas type decimal quantities as ``integer`` and strict validators reject ``10.0``."""

_TIMESPAN = re.compile(r"^(\d+\.)?\d{1,2}:\d{2}:\d{2}$")


def _timespan(value: Any) -> Any:
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError("a time span cannot be negative")
        seconds = int(value.total_seconds())
        days, rest = divmod(seconds, 86_400)
        hours, rest = divmod(rest, 3_600)
        minutes, secs = divmod(rest, 60)
        return f"{days}.{hours:02d}:{minutes:02d}:{secs:02d}"
    return value


TimeSpan = Annotated[str, BeforeValidator(_timespan), Field(pattern=_TIMESPAN.pattern)]
"""VTEX's .NET time span, ``D.HH:MM:SS`` (``"3.00:00:00"`` is three days); a ``timedelta`` is
converted."""
