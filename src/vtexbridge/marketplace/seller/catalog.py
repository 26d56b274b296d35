"""SKU suggestions built from the ERP snapshot: what the seller offers a marketplace that lacks a SKU.

:func:`build_offers` reads products, categories, brands, SKUs, images and EANs once and returns one
:class:`~vtexbridge.marketplace.seller.outbound.SkuOffer` per active SKU with at least one image
(the suggestion API requires one); :func:`~vtexbridge.marketplace.seller.outbound.offer_new_skus`
then sends the catalog change notification and, on 404, the suggestion.

Units: dimensions in centimetres as integers, ``Weight`` in grams (the spec says grams), and
``Pricing.SalePrice`` in whole currency units, as in the spec's example (``399`` BRL); the real price
is whatever the simulation answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from vtexbridge.erp.readers import Reader
from vtexbridge.erp.records import Brand, Category, Ean, Entity, Product, Sku, SkuImage
from vtexbridge.marketplace.seller.outbound import SkuOffer
from vtexbridge.marketplace.seller.simulation import OfferIndex
from vtexbridge.marketplace.settings import SellerSettings
from vtexbridge.vtex.models.marketplace import SkuSuggestion, SuggestionImage, SuggestionPricing

__all__ = ["Skipped", "build_offers"]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A SKU no suggestion can be built for, and why."""

    sku_key: str
    reason: str


def _whole(value: Decimal | None) -> int:
    return int((value or Decimal(0)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _records(reader: Reader, entity: Entity) -> Iterable[Any]:
    if entity not in reader.entities():
        return ()
    return (r for r in reader.read(entity) if not isinstance(r, Exception))


def _category_path(categories: dict[str, Category], key: str) -> str:
    names: list[str] = []
    seen: set[str] = set()
    current: str | None = key
    while current is not None and current in categories and current not in seen:
        seen.add(current)
        names.append(categories[current].name)
        current = categories[current].parent_key
    return "/".join(reversed(names))


def build_offers(
    reader: Reader, settings: SellerSettings, index: OfferIndex, *, only: Iterable[str] | None = None
) -> tuple[list[SkuOffer], list[Skipped]]:
    """Suggestions for the active SKUs of the snapshot (or the SKU keys in ``only``)."""
    wanted = set(only) if only is not None else None
    categories = {c.key: c for c in _records(reader, Entity.CATEGORIES) if isinstance(c, Category)}
    brands = {b.key: b for b in _records(reader, Entity.BRANDS) if isinstance(b, Brand)}
    products = {p.key: p for p in _records(reader, Entity.PRODUCTS) if isinstance(p, Product)}
    images: dict[str, list[SkuImage]] = {}
    for image in _records(reader, Entity.SKU_IMAGES):
        if isinstance(image, SkuImage):
            images.setdefault(image.sku_key, []).append(image)
    eans: dict[str, str] = {}
    for ean in _records(reader, Entity.EANS):
        if isinstance(ean, Ean):
            eans.setdefault(ean.sku_key, ean.ean)
    offers: list[SkuOffer] = []
    skipped: list[Skipped] = []
    for sku in _records(reader, Entity.SKUS):
        if not isinstance(sku, Sku) or not sku.is_active or (wanted is not None and sku.key not in wanted):
            continue
        product = products.get(sku.product_key)
        if product is None:
            skipped.append(Skipped(sku.key, f"product {sku.product_key} is not in the snapshot"))
            continue
        pictures = sorted(images.get(sku.key, []), key=lambda i: (not i.is_main, i.position or 0))
        if not pictures:
            skipped.append(Skipped(sku.key, "a suggestion needs at least one image"))
            continue
        offer = index.get(sku.key)
        available = index.available(offer) if offer is not None else 0
        price = offer.price if offer is not None and offer.price is not None else 0
        brand = brands.get(product.brand_key)
        suggestion = SkuSuggestion(
            ProductName=product.name,
            ProductId=product.key,
            ProductDescription=product.description or product.description_short or product.name,
            BrandName=brand.name if brand is not None else product.brand_key,
            SkuName=sku.name,
            SellerId=settings.seller_id,
            Height=_whole(sku.packaged_height),
            Width=_whole(sku.packaged_width),
            Length=_whole(sku.packaged_length),
            Weight=_whole(sku.packaged_weight_kg * 1000),
            RefId=sku.key,
            EAN=eans.get(sku.key, ""),
            SellerStockKeepingUnitId=int(sku.key) if sku.key.isdigit() else None,
            CategoryFullPath=_category_path(categories, product.category_key) or product.category_key,
            Images=[
                SuggestionImage(imageName=p.label or p.name or f"{sku.key}-{n + 1}", imageUrl=p.url)
                for n, p in enumerate(pictures)
            ],
            MeasurementUnit=sku.measurement_unit,
            UnitMultiplier=int(sku.unit_multiplier) if sku.unit_multiplier == int(sku.unit_multiplier) else 1,
            AvailableQuantity=1_000_000 if available is None else available,
            Pricing=SuggestionPricing(
                Currency=settings.currency,
                SalePrice=(price + 50) // 100,
                CurrencySymbol=settings.currency_symbol,
            ),
        )
        offers.append(SkuOffer(sku.key, suggestion))
    return offers, skipped
