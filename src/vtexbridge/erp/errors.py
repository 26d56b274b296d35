"""The errors ERP readers yield (never raise) while reading, and what each one means for a sync.

Every error is a :class:`~vtexbridge.errors.RecordError`, so ``category == "record"``: it skips
what it names and the run goes on. Its ``record`` is a :class:`~vtexbridge.errors.RecordRef` with the
entity, the source (a file path, ``sql:<entity>`` or ``plugin:<name>``), the row (the line in the
file where the record starts, or the row's ordinal in a query or plugin) and the ERP key when known;
``field`` names the offending column.

- :class:`~vtexbridge.errors.RecordInvalid` — a row was read, and a field is wrong. One error per bad
  field, all with the same ``record``.
- :class:`RowUnreadable` — a line could not even be split into fields (wrong number of columns, an
  unbalanced quote, bad JSON, bytes that are not UTF-8). The key is unknown.
- :class:`SourceUnreadable` — the file or query as a whole failed (cannot open, no header, a
  required column is missing, the database refused the query, the plugin raised).
- :class:`UnknownColumn` — a column (or JSON key) the format does not define; its values are
  ignored, the records are read. Reported once per source, on the header line.

Whether a snapshot is *complete* matters for deletions: a record missing from the ERP snapshot may be
deactivated in VTEX, but only if the read was complete. :func:`makes_incomplete` says when an error
means some records of the entity may be missing from what was read.
"""

from __future__ import annotations

from vtexbridge.errors import RecordError, RecordInvalid

__all__ = [
    "ReadIncomplete",
    "RowUnreadable",
    "SourceUnreadable",
    "UnknownColumn",
    "cause_rank",
    "makes_incomplete",
]


class RowUnreadable(RecordInvalid):
    """A line of the source could not be parsed into a row; reading goes on with the next line."""


class SourceUnreadable(RecordError):
    """The source of an entity (file, query, plugin) failed as a whole, or from this row on."""


class UnknownColumn(RecordError):
    """A column or key that the format does not define; ignored, reported once per source."""


class ReadIncomplete(RecordError):
    """A warning, not a record's error: an entity's read was incomplete, so what is absent from it
    was not deactivated or removed (it may be among the rows that could not be read)."""


def makes_incomplete(error: RecordError) -> bool:
    """True when, after ``error``, some records of the entity may be missing from the read.

    That is the case for an unreadable source or line, and for any row whose key could not be read;
    it is not the case for a row with a known key (only that record is missing, and it is named) or
    for an unknown column.
    """
    if isinstance(error, UnknownColumn):
        return False
    if isinstance(error, RowUnreadable | SourceUnreadable):
        return True
    return error.record is None or error.record.key is None


# --- root causes first (h10, #17) -----------------------------------------------------------------

_CAUSE_RANK = {"SourceUnreadable": 0, "UnknownColumn": 1, "RowUnreadable": 2, "RecordInvalid": 3}


def cause_rank(type_name: str) -> int:
    """Where an error of type ``type_name`` goes in a list shown to people: root causes first.

    An unreadable file (0) explains every record of it that is missing; a header problem (1) every
    value of a column; an unreadable line (2) one row; a bad field (3) one record; anything else
    (VTEX refusals, records held back by a bad dependency, 4) follows from its own record.
    """
    return _CAUSE_RANK.get(type_name, 4)
