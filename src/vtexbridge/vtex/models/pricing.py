"""Pricing API bodies (``VTEX - Pricing API.json``). Amounts are decimal currency units (``100.5``),
not cents, unlike OMS.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from vtexbridge.vtex.models.base import RequestModel, ResponseModel


class DateRange(RequestModel):
    """When a fixed price applies; RFC 3339 with a time zone, ``to`` strictly after ``from``."""

    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> DateRange:
        if self.to <= self.from_:
            raise ValueError("dateRange.to must be after dateRange.from")
        return self


class FixedPrice(RequestModel):
    """A fixed price for a trade policy (its id) or a price table (its name) from ``minQuantity`` up."""

    tradePolicyId: str
    value: float = Field(ge=0)
    listPrice: float | None = Field(default=None, ge=0)
    minQuantity: int = Field(ge=1)
    dateRange: DateRange | None = None


class PriceTableFixedPrice(RequestModel):
    """A fixed price posted to ``/fixed/{priceTableId}``: the table is in the path."""

    value: float = Field(ge=0)
    listPrice: float | None = Field(default=None, ge=0)
    minQuantity: int = Field(ge=1)
    dateRange: DateRange | None = None


class PriceUpdate(RequestModel):
    """``PUT /pricing/prices/{itemId}``: replaces the base price and the *whole* fixed-price list.

    VTEX takes exactly two of ``basePrice``, ``costPrice`` and ``markup`` (a percentage) and derives
    the third; all three make the request fail, and a markup needs a cost price. The model refuses
    those mixes before anything is sent.
    """

    listPrice: float | None = Field(default=None, ge=0)
    costPrice: float | None = Field(default=None, ge=0)
    markup: int | None = None
    basePrice: float | None = Field(default=None, ge=0)
    fixedPrices: list[FixedPrice] | None = None

    @field_validator("markup")
    @classmethod
    def _markup_needs_cost_price(cls, markup: int | None, info: ValidationInfo) -> int | None:
        if markup is not None and info.data.get("costPrice") is None:
            raise ValueError("markup needs costPrice: VTEX derives basePrice from costPrice and markup")
        return markup

    @field_validator("basePrice")
    @classmethod
    def _not_all_three(cls, base_price: float | None, info: ValidationInfo) -> float | None:
        if (
            base_price is not None
            and info.data.get("costPrice") is not None
            and info.data.get("markup") is not None
        ):
            raise ValueError(
                "basePrice must not be sent with both costPrice and markup: VTEX takes exactly two of "
                "basePrice, costPrice and markup and derives the third"
            )
        return base_price

    @model_validator(mode="after")
    def _two_of_base_cost_markup(self) -> PriceUpdate:
        given = [f for f in ("basePrice", "costPrice", "markup") if getattr(self, f) is not None]
        if len(given) < 2:
            missing = [f for f in ("basePrice", "costPrice", "markup") if f not in given]
            raise ValueError(
                f"give exactly two of basePrice, costPrice and markup (got {given or 'none'}; "
                f"add one of {missing})"
            )
        return self


class FixedPriceRange(ResponseModel):
    from_: str = Field(alias="from")
    to: str


class FixedPriceEntry(ResponseModel):
    tradePolicyId: str
    value: float
    listPrice: float | None = None
    minQuantity: int
    dateRange: FixedPriceRange | None = None


class Price(ResponseModel):
    itemId: str
    listPrice: float | None = None
    costPrice: float | None = None
    markup: float | None = None
    basePrice: float | None = None
    fixedPrices: list[FixedPriceEntry] = Field(default_factory=list)


class ComputedPrice(ResponseModel):
    tradePolicyId: str
    listPrice: float | None = None
    costPrice: float | None = None
    sellingPrice: float
    priceValidUntil: str | None = None
    priceTable: str | None = None
