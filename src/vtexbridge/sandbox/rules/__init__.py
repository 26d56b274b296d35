"""VTEX's behaviours as pure functions over documents: validation, defaults, derived fields.

Route modules do the I/O (store, request, response); the rules decide. A rule that refuses raises
:class:`RuleError` with the status and message VTEX would answer.
"""

from __future__ import annotations


class RuleError(Exception):
    """A request VTEX would refuse: ``status`` and the ``message`` to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
