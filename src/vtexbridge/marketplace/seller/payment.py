"""Payment handlers: where the shopper's payment data goes when it is not the marketplace's to keep.

Two variants per protocol (``payment = "marketplace" | "seller"`` in the settings):

- **the marketplace keeps the payment**: VTEX sends ``paymentData: null`` at placement; nothing here runs;
- **the seller processes it** (A): the payment data VTEX sends with the order placement (and, on
  accounts with VTEX's native payment forwarding, with the fulfillment authorisation) is handed to
  the configured :class:`PaymentHandler`, and to nothing else: it is not logged, not written to the
  state store, not put in the ERP order document, and every value that carries it redacts it in
  ``repr``;
- (B) the external marketplace creates the payment transaction in the VTEX seller: the same
  protocol, with ``stage = "transaction"``, receives the seller's order and returns what the
  affiliate needs (e.g. a transaction id) in :class:`PaymentOutcome`.

A handler is named in the settings as an entry point of group ``vtexbridge.payment_handlers`` or as
``"module:attribute"``; the attribute is a handler, or a zero-argument factory returning one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from vtexbridge.errors import Category, ConfigError, VtexbridgeError
from vtexbridge.plugins import load_object

__all__ = [
    "ENTRY_POINT_GROUP",
    "PaymentError",
    "PaymentEvent",
    "PaymentHandler",
    "PaymentOutcome",
    "load_payment_handler",
]

ENTRY_POINT_GROUP = "vtexbridge.payment_handlers"
Stage = Literal["placement", "fulfillment", "transaction"]


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """Payment data of one order, on its way to the handler only.

    Attributes:
        stage: ``placement`` / ``fulfillment`` (A: which VTEX call carried it) or ``transaction``
            (B: create the transaction in the seller).
        order_id: our order id (A: the seller order; B: the VTEX seller's order).
        marketplace_order_id: the marketplace's id of the order.
        value: the amount in cents (``marketplacePaymentValue``), when known.
        payment_data: the payment data as received, or to be sent (never logged).
    """

    stage: Stage
    order_id: str
    marketplace_order_id: str
    value: int | None
    payment_data: Mapping[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"PaymentEvent(stage={self.stage!r}, order_id={self.order_id!r}, "
            f"marketplace_order_id={self.marketplace_order_id!r}, value={self.value!r}, "
            "payment_data=<redacted>)"
        )


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """What a handler reports back: a reference to keep with the order (never card data)."""

    reference: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


class PaymentError(VtexbridgeError):
    """The handler refused or could not process the payment; the message must not contain payment data."""

    category: ClassVar[Category] = "record"


@runtime_checkable
class PaymentHandler(Protocol):
    """Receives payment data; raises :class:`PaymentError` to refuse."""

    async def handle(self, event: PaymentEvent) -> PaymentOutcome | None: ...


def load_payment_handler(spec: str) -> PaymentHandler:
    """The handler ``spec`` names (an entry point name or ``module:attribute``).

    Raises:
        ConfigError: it cannot be loaded or is not a handler.
    """
    target = load_object(ENTRY_POINT_GROUP, spec, "payment handler")
    handler = target if isinstance(target, PaymentHandler) and not isinstance(target, type) else None
    if handler is None and callable(target):
        try:
            made = target()
        except Exception as e:
            raise ConfigError(
                f"the payment handler plugin {spec!r} failed to start: {type(e).__name__}: {e}"
            ) from e
        handler = made if isinstance(made, PaymentHandler) else None
    if handler is None:
        raise ConfigError(f"payment handler {spec!r} has no async handle(event) method")
    return handler
