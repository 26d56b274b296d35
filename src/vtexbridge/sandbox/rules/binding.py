"""JSON property names bound without regard to case, as VTEX's order APIs (.NET) bind them.

VTEX's Orders API accepts ``messageRetentionPeriodInSeconds`` for ``MessageRetentionPeriodInSeconds``
(its own Feed v3 guide writes it so, and third-party clients send it so). :func:`bind_names` renames the
keys of a request body to the spelling the rules expect, recursively, comparing case-insensitively
against the names of that operation; a key given in the expected spelling wins over a differently
cased duplicate. Keys below a name in ``verbatim`` (free-form maps such as a hook's ``headers``) are
left alone. Not a library job: it is a rename over plain JSON values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "FEED_NAMES",
    "HOOK_NAMES",
    "JSONATA_NAMES",
    "ORDER_NAMES",
    "bind_names",
]

FILTER_NAMES = ("filter", "type", "status", "expression", "disableSingleFire")
FEED_NAMES = (*FILTER_NAMES, "queue", "visibilityTimeoutInSeconds", "MessageRetentionPeriodInSeconds")
HOOK_NAMES = (*FILTER_NAMES, "hook", "url", "headers")
JSONATA_NAMES = ("Expression", "Document")
# The request properties of the OMS and order-system operations the sandbox serves (Orders API spec).
ORDER_NAMES = (
    "handles",
    "reason",
    "requestId",
    "discountValue",
    "incrementValue",
    "itemsAdded",
    "itemsRemoved",
    "id",
    "uniqueId",
    "price",
    "quantity",
    "replace",
    "from",
    "to",
    "items",
    "measurementUnit",
    "unitMultiplier",
    "manualDiscountValue",
    "manualIncrementValue",
    "shippingData",
    "logisticsInfo",
    "itemIndex",
    "selectedSla",
    "selectedDeliveryChannel",
    "addressId",
    "settings",
    "paymentConfiguration",
    "customPaymentSystemsAllowed",
    "pipelineConfiguration",
    "type",
    "issuanceDate",
    "invoiceNumber",
    "invoiceValue",
    "invoiceKey",
    "invoiceUrl",
    "embeddedInvoice",
    "courier",
    "trackingNumber",
    "trackingUrl",
    "dispatchedDate",
    "isDelivered",
    "deliveredDate",
    "events",
    "city",
    "state",
    "description",
    "date",
)
VERBATIM = frozenset({"headers", "customData"})


def bind_names(value: Any, names: Iterable[str], *, verbatim: frozenset[str] = VERBATIM) -> Any:
    """``value`` with every object key spelled as in ``names`` (compared case-insensitively)."""
    canonical = {n.lower(): n for n in names}
    return _bind(value, canonical, verbatim, 0)


def _bind(value: Any, canonical: dict[str, str], verbatim: frozenset[str], depth: int) -> Any:
    if depth > 32:  # bodies are bounded by size; this bounds the recursion too
        return value
    if isinstance(value, list):
        return [_bind(v, canonical, verbatim, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = canonical.get(key.lower(), key) if isinstance(key, str) else key
        if name in out and key != name:
            continue  # the expected spelling, already given, wins
        out[name] = item if name in verbatim else _bind(item, canonical, verbatim, depth + 1)
    return out
