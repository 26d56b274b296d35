"""Pricing API (``VTEX - Pricing API.json``), served on ``https://api.vtex.com/{account}``.

Prices are per SKU (``itemId``): a base price (two of base, cost and markup), an optional list
price, and fixed prices per trade policy or price table. A SKU that has no price answers 404, read
here as "no price": ``None`` or an empty list.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter

from vtexbridge.errors import RecordRef
from vtexbridge.vtex.errors import NotFound
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models.pricing import (
    ComputedPrice,
    FixedPrice,
    FixedPriceEntry,
    Price,
    PriceTableFixedPrice,
    PriceUpdate,
)
from vtexbridge.vtex.paths import segments
from vtexbridge.vtex.transport import Transport

PRICE = "/pricing/prices/{itemId}"
FIXED_PRICES = "/pricing/prices/{itemId}/fixed"
PRICE_TABLE_FIXED_PRICES = "/pricing/prices/{itemId}/fixed/{priceTableId}"
COMPUTED_PRICE = "/pricing/prices/{itemId}/computed/{priceTableId}"

_FIXED = TypeAdapter(list[FixedPriceEntry])


class PricingAPI:
    """The Pricing API of one account."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def get_price(self, item_id: int, *, record: RecordRef | None = None) -> Price | None:
        """The SKU's price, or None when it has none."""
        try:
            r = await self._t.request(Api.PRICING, "GET", PRICE, path=segments(itemId=item_id), record=record)
        except NotFound:
            return None
        return Price.model_validate(r.json())

    async def replace_price(
        self, item_id: int, price: PriceUpdate, *, record: RecordRef | None = None
    ) -> None:
        """Set the base price and replace the whole fixed-price list (fixed prices left out are deleted)."""
        await self._t.request(
            Api.PRICING, "PUT", PRICE, path=segments(itemId=item_id), json=price.body(), record=record
        )

    async def delete_price(self, item_id: int, *, record: RecordRef | None = None) -> None:
        """Delete the base price and every fixed price of the SKU."""
        await self._t.request(Api.PRICING, "DELETE", PRICE, path=segments(itemId=item_id), record=record)

    async def get_fixed_prices(
        self, item_id: int, *, record: RecordRef | None = None
    ) -> list[FixedPriceEntry]:
        """Every fixed price of the SKU, in every trade policy and price table."""
        try:
            r = await self._t.request(
                Api.PRICING, "GET", FIXED_PRICES, path=segments(itemId=item_id), record=record
            )
        except NotFound:
            return []
        return _FIXED.validate_python(r.json())

    async def upsert_fixed_prices(
        self, item_id: int, prices: Sequence[FixedPrice], *, record: RecordRef | None = None
    ) -> None:
        """Create or update fixed prices and keep the others (one with the same trade policy, minimum
        quantity and date range is replaced)."""
        if not prices:
            raise ValueError("upsert_fixed_prices needs at least one fixed price")
        await self._t.request(
            Api.PRICING,
            "PATCH",
            FIXED_PRICES,
            path=segments(itemId=item_id),
            json=[p.body() for p in prices],
            idempotent=True,
            record=record,
        )

    async def get_price_table_fixed_prices(
        self, item_id: int, price_table_id: str, *, record: RecordRef | None = None
    ) -> list[FixedPriceEntry]:
        """The SKU's fixed prices in one trade policy (its id) or price table (its name)."""
        try:
            r = await self._t.request(
                Api.PRICING,
                "GET",
                PRICE_TABLE_FIXED_PRICES,
                path=segments(itemId=item_id, priceTableId=price_table_id),
                record=record,
            )
        except NotFound:
            return []
        return _FIXED.validate_python(r.json())

    async def set_price_table_fixed_prices(
        self,
        item_id: int,
        price_table_id: str,
        prices: Sequence[PriceTableFixedPrice],
        *,
        record: RecordRef | None = None,
    ) -> None:
        """Create or update the SKU's fixed prices in one trade policy or price table."""
        if not prices:
            raise ValueError("set_price_table_fixed_prices needs at least one fixed price")
        await self._t.request(
            Api.PRICING,
            "POST",
            PRICE_TABLE_FIXED_PRICES,
            path=segments(itemId=item_id, priceTableId=price_table_id),
            json=[p.body() for p in prices],
            idempotent=True,
            record=record,
        )

    async def delete_price_table_fixed_prices(
        self, item_id: int, price_table_id: str, *, record: RecordRef | None = None
    ) -> None:
        await self._t.request(
            Api.PRICING,
            "DELETE",
            PRICE_TABLE_FIXED_PRICES,
            path=segments(itemId=item_id, priceTableId=price_table_id),
            record=record,
        )

    async def get_computed_price(
        self,
        item_id: int,
        price_table_id: str,
        *,
        category_ids: int | None = None,
        brand_id: int | None = None,
        quantity: int | None = None,
        record: RecordRef | None = None,
    ) -> ComputedPrice:
        """The selling price VTEX computes for the SKU in a price table (pricing rules applied)."""
        r = await self._t.request(
            Api.PRICING,
            "GET",
            COMPUTED_PRICE,
            path=segments(itemId=item_id, priceTableId=price_table_id),
            params={"categoryIds": category_ids, "brandId": brand_id, "quantity": quantity},
            record=record,
        )
        return ComputedPrice.model_validate(r.json())
