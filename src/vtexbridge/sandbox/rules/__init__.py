"""VTEX's behaviours as pure functions over documents: validation, defaults, derived fields.

Route modules do the I/O (store, request, response); the rules decide. A rule that refuses raises
:class:`RuleError` with the status and message VTEX would answer; a route module answers it in its
API's error shape with :func:`vtexbridge.sandbox.context.rule_errors`.
"""

from __future__ import annotations


class RuleError(Exception):
    """A request VTEX would refuse: ``status``, the ``message`` to answer with and, for the error bodies
    that carry one, the ``code`` (``None``: the status).
    """

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
